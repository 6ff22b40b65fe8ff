"""``trustlpr serve``: the HTTP service with its background jobs."""

from __future__ import annotations

import logging

import typer
import uvicorn

from ..background import Periodic
from ..runtime import System
from ..web.app import create_app
from .common import console, settings


def serve(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8080, help="Port to listen on."),
    log_level: str = typer.Option("info", help="uvicorn log level."),
) -> None:
    """Run the service: ingest API, searches, the public portal and the staff console."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    system = System(settings(ctx))
    jobs = Periodic()
    system.schedule(jobs)
    jobs.start()
    console.print(f"TrustLPR serving on [bold]http://{host}:{port}/[/]")
    try:
        uvicorn.run(create_app(system), host=host, port=port, log_level=log_level)
    finally:
        jobs.stop()
        system.close()


def register(app: typer.Typer) -> None:
    app.command()(serve)
