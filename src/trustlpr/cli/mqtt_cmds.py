"""``trustlpr mqtt URL``: feed Frigate's plate reads from an MQTT broker into this node.

It runs the node's ingest pipeline without the HTTP service (``trustlpr serve`` can run the
same subscriber itself); both hold the audit log's writer lock, so run one or the other.
Ctrl-C stops taking messages, writes what is queued, and exits; a message is acknowledged to
the broker only once its reads are durable, so nothing acknowledged is lost.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType

import typer

from ..ingest import FrigateSubscriber, IngestService
from ..ingest.mqtt import default_client_id
from ..runtime import System
from .common import console, err_console, print_json, settings


def mqtt(
    ctx: typer.Context,
    url: str = typer.Argument(
        ...,
        help="Broker and Frigate topic prefix, e.g. mqtt://user:password@host:1883/frigate "
        "(credentials, port and prefix optional; mqtts:// for TLS; default prefix 'frigate').",
    ),
    client_id: str = typer.Option(
        None,
        "--client-id",
        help="MQTT client id (default: trustlpr-<host>-<hash of the data directory>, stable for "
        "this node and unique on the broker). Keep it stable: the broker keeps unacknowledged "
        "messages for it.",
    ),
    stats_every: float = typer.Option(
        60.0, "--stats-every", help="Print counters every this many seconds (0: never)."
    ),
) -> None:
    """Subscribe to Frigate's frigate/events and frigate/tracked_object_update and ingest
    the license plates it reads, for cameras registered with --adapter frigate."""
    stop = threading.Event()

    def _stop(signum: int, frame: FrameType | None) -> None:
        stop.set()

    cfg = settings(ctx)
    with System(cfg) as system:
        service = IngestService.from_system(system)
        chosen = client_id or default_client_id(cfg.data_dir)
        subscriber = FrigateSubscriber(url, service, client_id=chosen)
        subscriber.start()
        previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGINT, signal.SIGTERM)}
        err_console.print(
            f"subscribed to {', '.join(subscriber.topics)} on {subscriber.broker.host}:"
            f"{subscriber.broker.port} as client {chosen!r}; Ctrl-C to stop"
        )
        try:
            while not stop.wait(stats_every if stats_every > 0 else None):
                err_console.print(dict(subscriber.stats))
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
            subscriber.stop()
            service.pipeline.close()  # drain: write what is queued before the store closes
    console.print("stopped")
    print_json(dict(subscriber.stats))


def register(app: typer.Typer) -> None:
    """Adds ``mqtt`` to the ``trustlpr`` command."""
    app.command()(mqtt)
