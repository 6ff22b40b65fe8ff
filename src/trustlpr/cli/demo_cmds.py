"""``trustlpr demo``: the service with a simulated town feeding it (what ``make demo`` runs)."""

from __future__ import annotations

import gc
import logging
import signal
import threading

import typer
import uvicorn

from ..demo import PASSWORD, USERS, demo_settings, officer_activity, stream_reads
from ..demo_history import HISTORY_DAYS, open_demo
from ..web.app import create_app
from .common import console, progress, settings
from .serve_cmds import _exit_on_sigterm


def demo(
    ctx: typer.Context,
    host: str = typer.Option("127.0.0.1", help="Address to listen on."),
    port: int = typer.Option(8080, help="Port to listen on."),
    rate: float = typer.Option(150.0, help="Simulated reads per second sent by the cameras."),
    log_level: str = typer.Option("warning", help="Log level of the service."),
    history: int = typer.Option(
        HISTORY_DAYS,
        min=1,
        max=90,
        help="Days of past a fresh demo directory replays before going live.",
    ),
) -> None:
    """Run a living demo: a simulated New Haven (real OpenStreetMap camera positions) streams
    reads into the service; officers search, a supervisor approves, alerts get verified.
    A fresh data directory first replays the last 30 days (accelerated, through the same
    pipeline, purge and clock), so the portal opens on a month of history.
    Open the printed URL for the public portal and /console for the staff console."""
    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(name)s %(message)s")
    base = settings(ctx)
    cfg = demo_settings(base.data_dir)
    shared = base.data_root()
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    with progress(transient=True) as bar:
        task = bar.add_task("preparing the simulated town (cameras, users, hot list)…", total=None)

        def advance(done: int, days: int) -> None:
            bar.update(task, description="replaying the past days", completed=done, total=days)

        system, city, past = open_demo(cfg, shared, days=history, progress=advance)
    if past is not None:
        console.print(past.describe())
    stop = threading.Event()
    threads: list[threading.Thread] = []
    url = f"http://{host}:{port}"
    try:
        system.start()  # the policy in force logged, the periodic jobs running
        app = create_app(system, notice=None if past is None else past.describe())
        server = uvicorn.Server(
            uvicorn.Config(app, host=host, port=port, log_level=log_level, loop="asyncio")
        )
        threads += [
            threading.Thread(target=stream_reads, args=(city, url, stop, rate), daemon=True),
            threading.Thread(target=officer_activity, args=(system, city, stop), daemon=True),
        ]
        for thread in threads:
            thread.start()
        console.print(f"\n[bold green]TrustLPR demo[/] — public portal: [bold]{url}/[/]")
        console.print(f"  staff console: {url}/console  (password for every demo user: {PASSWORD})")
        console.print("  users: " + ", ".join(f"{u} ({r.value})" for u, r, _ in USERS))
        console.print(f"  public log: {url}/log/checkpoint   ·   Ctrl-C to stop\n")
        gc.collect()
        gc.freeze()
        server.run()
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
        system.close()


def register(app: typer.Typer) -> None:
    app.command()(demo)
