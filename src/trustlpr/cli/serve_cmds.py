"""``trustlpr serve``: the HTTP service with its background jobs (and, optionally, MQTT).

``--role`` splits a node over machines (docs/scale.md): ``ingest`` front-ends answer cameras
and publish to the NATS JetStream bus, the ``writer`` consumes the bus into the node.
"""

from __future__ import annotations

import gc
import logging
import signal
from enum import StrEnum
from types import FrameType

import typer
import uvicorn

from ..bus import BusConfig
from ..core.errors import ConfigError
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
        if bus_config is not None:
            system.bus_writer(bus_config).start()
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
