"""``trustlpr serve``: the HTTP service with its background jobs (and, optionally, MQTT)."""

from __future__ import annotations

import gc
import logging
import signal
from types import FrameType

import typer
import uvicorn

from ..ingest import FrigateSubscriber
from ..ingest.mqtt import default_client_id
from ..runtime import System
from ..web.admin import AdminSocket
from ..web.app import create_app
from .common import console, settings


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
) -> None:
    """Run the service: camera ingest, searches, alerts, the public portal, the staff console
    and the public log, with retention purges and checkpoint signing in the background."""
    logging.basicConfig(
        level=log_level.upper(), format="%(asctime)s %(name)s %(levelname)s %(message)s"
    )
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    cfg = settings(ctx)
    system = System(cfg)
    subscriber: FrigateSubscriber | None = None
    admin: AdminSocket | None = None
    try:
        system.start()  # the policy in force logged, the periodic jobs running
        # the CLI's changes while this runs come through <data_dir>/admin.sock (docs/node.md)
        admin = AdminSocket(system, log_level=log_level)
        admin.start()
        if mqtt:
            client_id = mqtt_client_id or default_client_id(cfg.data_dir)
            subscriber = FrigateSubscriber(mqtt, system.ingest_service, client_id=client_id)
            subscriber.start()
        app = create_app(system)
        console.print(f"TrustLPR serving on [bold]http://{host}:{port}/[/]")
        gc.collect()
        gc.freeze()  # long-lived objects out of the collector's way: shorter pauses
        # The asyncio loop: uvloop serves as many requests but with a far worse p99 under
        # 200 concurrent clients (docs/portal.md).
        uvicorn.run(app, host=host, port=port, log_level=log_level, loop="asyncio")
    finally:
        if admin is not None:
            admin.close()
        if subscriber is not None:
            subscriber.stop()
        system.close()


def register(app: typer.Typer) -> None:
    app.command()(serve)
