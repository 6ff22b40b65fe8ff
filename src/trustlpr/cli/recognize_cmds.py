"""``trustlpr recognize PATH...``: read plates from images, directories, videos and streams.

One JSON line per plate (a video gives one per vehicle pass; an image without a plate one
line with ``"plate": null``), or a table. A file that cannot be read is reported on stderr
and the batch goes on; the exit code is then 65.
"""

from __future__ import annotations

import enum
import json
import logging
import signal
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer
from rich.table import Table

from ..core.errors import InputError
from .common import console, err_console, progress, settings

if TYPE_CHECKING:  # OpenCV and onnxruntime load only when a recognition command runs
    from ..recognize import Recognizer
    from ..recognize.agent import CameraAgent
    from ..recognize.batch import Source


class Format(enum.StrEnum):
    jsonl = "jsonl"
    table = "table"


class DetectorChoice(enum.StrEnum):
    yolo = "yolo"
    cascade = "cascade"


def recognize(
    ctx: typer.Context,
    paths: list[str] = typer.Argument(
        ..., help="Images, directories of images, video files, or rtsp:// / http:// streams."
    ),
    models: Path | None = typer.Option(
        None,
        "--models",
        envvar="TRUSTLPR_MODELS_DIR",
        help="Models directory (default: the shared directory's models/, else the packaged copy).",
    ),
    fmt: Format = typer.Option(
        Format.jsonl, "--format", help="jsonl (one line per plate) or table."
    ),
    fps: float = typer.Option(
        10.0, "--fps", min=0.5, max=60.0, help="Frames read per second of video."
    ),
    detector: DetectorChoice = typer.Option(
        DetectorChoice.yolo, "--detector", help="yolo (default) or the OpenALPR cascade fallback."
    ),
    threads: int = typer.Option(1, "--threads", min=1, max=16, help="Threads per model."),
) -> None:
    """Read licence plates in images, video files and camera streams (models run locally;
    nothing is sent anywhere). Progress goes to stderr, results to stdout."""
    from ..recognize import Recognizer
    from ..recognize.batch import image_lines, list_sources

    cfg = settings(ctx)
    with err_console.status("loading and checking the models…"):
        recognizer = Recognizer.open(
            models, shared_dir=cfg.shared_dir, detector=detector.value, threads=threads
        )
    listing = list_sources(paths)
    failures = [exc.message for exc in listing.errors]
    for message in failures:
        err_console.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    if listing.skipped:
        err_console.print(
            f"[dim]skipped {listing.skipped} file(s) that are neither images nor videos[/]"
        )
    rows: list[dict[str, Any]] = []
    images = [s for s in listing.sources if s.kind == "image"]

    def emit(line: dict[str, Any]) -> None:
        if fmt is Format.jsonl:
            typer.echo(json.dumps(line, sort_keys=False))
        else:
            rows.append(line)

    with progress(transient=True) as bar:
        task = bar.add_task("images", total=len(images), visible=len(images) > 1)
        for source in listing.sources:
            try:
                if source.kind == "image":
                    for line in image_lines(recognizer, source.name):
                        emit(line)
                    bar.advance(task)
                else:
                    _video(recognizer, source, fps, bar, emit)
            except InputError as exc:
                failures.append(exc.message)
                err_console.print(
                    f"[bold red]error:[/] {exc.message}", highlight=False, soft_wrap=True
                )
                if source.kind == "image":
                    bar.advance(task)
    if fmt is Format.table:
        _table(rows)
    if failures:
        err_console.print(f"{len(failures)} of {len(listing.sources) + len(listing.errors)} failed")
        raise typer.Exit(65)


def _video(recognizer: Recognizer, source: Source, fps: float, bar: Any, emit: Any) -> None:
    from ..recognize.batch import pass_line, video_passes

    task = bar.add_task(Path(source.name).name, total=None)
    for found in video_passes(
        recognizer,
        source,
        fps=fps,
        on_total=lambda n: bar.update(task, total=n or None),
        on_frame=lambda _: bar.advance(task),
    ):
        emit(pass_line(source.name, found))
    bar.update(task, visible=False)


def _table(rows: list[dict[str, Any]]) -> None:
    table = Table(title="plates")
    for column in ("file", "frame", "plate", "confidence", "region", "box", "alternatives"):
        table.add_column(column, overflow="fold")
    for row in rows:
        alternatives = ", ".join(c["plate"] for c in row["candidates"][1:4])
        table.add_row(
            Path(row["file"]).name,
            "" if row["frame"] is None else str(row["frame"]),
            row["plate"] or "—",
            "" if row["confidence"] is None else f"{row['confidence']:.2f}",
            row["region"] or "",
            " ".join(map(str, row["box"])) if row["box"] else "",
            alternatives,
        )
    console.print(table)


def run_agent(agent: CameraAgent, source: str, *, once: bool) -> None:
    """Runs ``camera watch`` until the source ends or SIGINT/SIGTERM; prints a summary."""
    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")

    def stop(signum: int, frame: object) -> None:
        agent.stop()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        err_console.print(f"[bold]watching[/] {source} for camera {agent.config.camera_id}")
        report = agent.run(source, once=once)
        err_console.print(
            f"{report.reads} read(s) spooled, {agent.forwarder.sent} sent, {len(agent.spool)} "
            f"waiting, {report.refused} dropped (spool full), {report.no_fix} refused (no GPS "
            f"fix), {len(report.errors)} file error(s)",
            soft_wrap=True,
        )
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        agent.spool.close()
        agent.forwarder.client.close()


def register(app: typer.Typer) -> None:
    app.command()(recognize)
