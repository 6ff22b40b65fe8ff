"""``trustlpr demo``: the service with a simulated town feeding it (what ``make demo`` runs)."""

from __future__ import annotations

import gc
import logging
import signal
import threading

import typer
import uvicorn

from ..demo import PASSWORD, USERS, demo_settings, officer_activity, stream_reads
from ..demo_history import HISTORY_DAYS, ReplayStopped, begin_demo
from ..web.app import create_app
from ..web.opening import Opening
from .common import console, progress, settings
from .serve_cmds import _exit_on_sigterm

log = logging.getLogger("trustlpr.demo")


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
    start = begin_demo(cfg, shared, days=history)
    system = start.system
    opening = Opening()
    opening.hold(SETTING_UP)
    stop = threading.Event()
    threads: list[threading.Thread] = []
    url = f"http://{host}:{port}"
    opener: threading.Thread | None = None
    try:
        app = create_app(system, opening=opening)
        server = uvicorn.Server(
            uvicorn.Config(app, host=host, port=port, log_level=log_level, loop="asyncio")
        )

        def go_live() -> None:
            """The past replayed (if fresh), the node runs live: staff let in, cameras and
            officers started."""
            try:
                with progress(transient=True) as bar:
                    task = bar.add_task(
                        "setting up the simulated town (cameras, users, hot list)…", total=None
                    )

                    def advance(done: int, days: int) -> None:
                        bar.update(task, description="replaying the past days", completed=done,
                                   total=days)  # fmt: skip
                        opening.hold(replaying(done, days))

                    city = start.run(progress=advance, stop=stop)
                system.start()  # the policy in force logged, the periodic jobs running
            except ReplayStopped:
                return
            except BaseException:  # the service stops instead of waiting for ever, held
                log.exception("the demo could not go live")
                server.should_exit = True
                return
            opening.open(None if start.past is None else start.past.describe())
            app.state.portal.invalidate()  # no page keeps saying "replaying"
            if start.past is not None:
                console.print(start.past.describe())
            for target, args in ((stream_reads, (city, url, stop, rate)),
                                 (officer_activity, (system, city, stop))):  # fmt: skip
                thread = threading.Thread(target=target, args=args, daemon=True)
                threads.append(thread)
                thread.start()
            console.print(f"[bold green]TrustLPR demo is live[/] — console: {url}/console")

        opener = threading.Thread(target=go_live, name="demo-go-live", daemon=True)
        console.print(f"\n[bold green]TrustLPR demo[/] — public portal: [bold]{url}/[/]")
        console.print(f"  staff console: {url}/console  (password for every demo user: {PASSWORD})")
        console.print("  users: " + ", ".join(f"{u} ({r.value})" for u, r, _ in USERS))
        console.print(f"  public log: {url}/log/checkpoint   ·   Ctrl-C to stop")
        if start.clock is not None:
            console.print(
                f"  the portal opens now and shows the past {start.days} days as they are "
                "replayed; the console opens once the demo runs live\n"
            )
        else:
            console.print("  the console opens once the town is set up\n")
        gc.collect()
        gc.freeze()
        opener.start()
        server.run()
    finally:
        stop.set()
        for thread in [*([opener] if opener else []), *threads]:
            thread.join(timeout=30)
        system.close()


SETTING_UP = (
    "This is a demo and everything in it is simulated. It is setting up its town (cameras with "
    "their keys, users, a stolen-car list); the staff console opens when it runs live."
)


def replaying(done: int, days: int) -> str:
    """The portal's notice while a fresh demo replays its past."""
    return (
        f"This is a demo and everything in it is simulated. It is replaying its past month "
        f"through the real pipeline: day {min(done + 1, days)} of {days} (the figures below "
        "grow as it goes). The staff console opens when it runs live, in a minute or so."
    )


def register(app: typer.Typer) -> None:
    app.command()(demo)
