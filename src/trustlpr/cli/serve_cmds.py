"""``trustlpr serve``: the HTTP service with its background jobs (and, optionally, MQTT).

``--role`` splits a node over machines (docs/scale.md): ``ingest`` front-ends answer cameras
and publish to the NATS JetStream bus, the ``writer`` consumes the bus into the node. Of the
writers started for a node one holds the writer lease and runs; the others stand by, opening
nothing of the node until the lease lapses (``bus.lease``). A writer that loses its lease
stops and exits with 75, for its supervisor to start it again as a standby.
"""

from __future__ import annotations

import gc
import logging
import os
import signal
import time
from enum import StrEnum
from types import FrameType

import typer
import uvicorn

from ..bus import BusConfig, WriterLease
from ..core.errors import AuditError, ConfigError, WriterFencedError
from ..ingest import FrigateSubscriber
from ..ingest.mqtt import default_client_id
from ..runtime import FrontEnd, System
from ..settings import Settings
from ..web.admin import AdminSocket
from ..web.app import create_app, create_ingest_app
from .common import console, settings


class Role(StrEnum):
    """What this process does for the node."""

    ALL = "all"
    INGEST = "ingest"
    WRITER = "writer"


log = logging.getLogger(__name__)


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    # uvicorn re-raises SIGTERM after its graceful shutdown; turning it into SystemExit lets
    # the pipeline drain and the stores close instead of the process dying mid-write.
    raise SystemExit(0)


def serve(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8080, help="Port to listen on."),
    mqtt: str = typer.Option(
        None,
        "--mqtt",
        help="Also ingest Frigate plate reads from this broker, e.g. mqtt://127.0.0.1:1883/frigate.",
    ),
    mqtt_client_id: str = typer.Option(
        None,
        "--mqtt-client-id",
        help="MQTT client id (default: trustlpr-<host>-<hash of the data directory>).",
    ),
    log_level: str = typer.Option("info", help="Log level (debug, info, warning, error)."),
    role: Role = typer.Option(
        Role.ALL,
        "--role",
        help="all: the whole node in this process (default). ingest: a front-end that checks "
        "cameras and publishes their reads to --bus. writer: the node, also storing what the "
        "front-ends published on --bus.",
    ),
    bus: str = typer.Option(
        None,
        "--bus",
        help="The node's NATS JetStream bus for --role ingest/writer, e.g. "
        "nats://127.0.0.1:4222 (stream TRUSTLPR_<agency>) or nats://host:4222/STREAM.",
    ),
) -> None:
    """Run the service: camera ingest, searches, alerts, the public portal, the staff console
    and the public log, with retention purges and checkpoint signing in the background."""
    logging.basicConfig(
        level=log_level.upper(), format="%(asctime)s %(name)s %(levelname)s %(message)s"
    )
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    cfg = settings(ctx)
    bus_config = _bus_config(role, bus, cfg)
    if role is Role.INGEST:
        assert bus_config is not None
        _serve_front_end(cfg, bus_config, host, port, log_level)
        return
    lease = None if bus_config is None else WriterLease(bus_config, on_lost=_stop_fenced)
    system: System | None = None
    subscriber: FrigateSubscriber | None = None
    admin: AdminSocket | None = None
    try:
        if lease is not None:
            lease.acquire()  # a standby waits here, holding nothing of the node
        system = _open_node(cfg, lease)
        system.start()  # the policy in force logged, the periodic jobs running
        # the CLI's changes while this runs come through <data_dir>/admin.sock (docs/node.md)
        admin = AdminSocket(system, log_level=log_level)
        admin.start()
        if mqtt:
            client_id = mqtt_client_id or default_client_id(cfg.data_dir)
            subscriber = FrigateSubscriber(mqtt, system.ingest_service, client_id=client_id)
            subscriber.start()
        if bus_config is not None:
            system.bus_writer(bus_config, lease).start()
        app = create_app(system)
        active = "" if bus_config is None else f" as the active writer of {bus_config.stream}"
        console.print(f"TrustLPR serving on [bold]http://{host}:{port}/[/]{active}")
        gc.collect()
        gc.freeze()  # long-lived objects out of the collector's way: shorter pauses
        # The asyncio loop: uvloop serves as many requests but with a far worse p99 under
        # 200 concurrent clients (docs/portal.md).
        uvicorn.run(app, host=host, port=port, log_level=log_level, loop="asyncio")
    except SystemExit:
        if lease is None or lease.lost is None:
            raise
    finally:
        if admin is not None:
            admin.close()
        if subscriber is not None:
            subscriber.stop()
        if system is not None:
            system.close()
        if lease is not None:
            lease.close()  # after the last commit: only then may a standby take over
    if lease is not None and lease.lost is not None:
        raise WriterFencedError(
            f"this writer lost the writer lease of stream {lease.config.stream} "
            f"({lease.lost}) and stopped; start it again to stand by",
            retry_after=lease.config.lease,
        )


def _stop_fenced(reason: str) -> None:
    """The lease is gone: stop the whole process (its jobs write to the log too), through
    the same graceful shutdown as SIGTERM. Called from the lease's thread."""
    os.kill(os.getpid(), signal.SIGTERM)


def _open_node(cfg: Settings, lease: WriterLease | None) -> System:
    """The node for writing. A writer that just took the lease over may find the old
    process still letting go of the audit log (the second fence): it waits for it while the
    lease is still its own."""
    deadline = time.monotonic() + (0 if lease is None else 6 * lease.config.lease)
    while True:
        try:
            return System(cfg)
        except AuditError as exc:
            if lease is None or lease.lost is not None or time.monotonic() > deadline:
                raise
            log.warning("waiting for the previous writer to close the node: %s", exc.message)
            time.sleep(0.5)


def _bus_config(role: Role, bus: str | None, cfg: Settings) -> BusConfig | None:
    if role is Role.ALL:
        if bus:
            raise ConfigError("--bus needs --role ingest or --role writer")
        return None
    if not bus:
        raise ConfigError(f"--role {role.value} needs --bus nats://host:4222")
    return BusConfig.parse(bus, agency_id=cfg.agency_id)


def _serve_front_end(cfg: Settings, bus: BusConfig, host: str, port: int, log_level: str) -> None:
    """An ingest front-end: camera routes over the bus, nothing else of the node."""
    with FrontEnd(cfg, bus) as front:
        console.print(
            f"TrustLPR ingest front-end on [bold]http://{host}:{port}/[/] "
            f"publishing to stream {bus.stream}"
        )
        uvicorn.run(
            create_ingest_app(front), host=host, port=port, log_level=log_level, loop="asyncio"
        )


def register(app: typer.Typer) -> None:
    app.command()(serve)
