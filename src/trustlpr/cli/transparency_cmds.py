"""``trustlpr audit recompute-stats``: every figure of the public portal, from the log alone.

Attached to the ``audit`` group of ``audit_cmds`` (the command reads the transparency log), but
kept here with the transparency package it fronts.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from ..audit import NoteVerifier, SignedCheckpoint, open_audit
from ..core.errors import InputError
from ..transparency import WINDOW_DAYS, Tally, log_leaves, read_jsonl, recompute, tally_lines
from . import audit_cmds
from .common import console, print_json, progress, settings


def recompute_stats(
    ctx: typer.Context,
    log: Path | None = typer.Option(
        None,
        "--log",
        dir_okay=False,
        help="A public-log JSONL download (GET /log/download.jsonl, or `audit export`). "
        "Default: the log of the local data directory.",
    ),
    size: int | None = typer.Option(
        None,
        "--size",
        min=0,
        help="Count only the first SIZE entries: the log size the portal says it computed at "
        "(default: every entry, or the size of --checkpoint).",
    ),
    as_of: str | None = typer.Option(
        None,
        "--as-of",
        metavar="YYYY-MM-DD",
        help="Last UTC day of the window (default: the day of the newest entry counted, as the "
        "portal does).",
    ),
    days: int = typer.Option(
        WINDOW_DAYS, "--days", min=1, max=3660, help="Length of the window in days."
    ),
    checkpoint: Path | None = typer.Option(
        None,
        "--checkpoint",
        exists=True,
        dir_okay=False,
        help="A signed checkpoint (GET /log/checkpoint): the root hash of the entries counted "
        "must equal its root, tying the figures to the signed log.",
    ),
    vkey: str | None = typer.Option(
        None,
        "--vkey",
        help="Verifier key (or @FILE) to check the --checkpoint signature with (GET /log/vkey).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print every figure as one JSON object."),
) -> None:
    """Recompute every figure of the public transparency portal from the public log alone.

    For the same log size the output equals the portal's figures (and GET /figures.json).
    Exits non-zero on a malformed log or a checkpoint that does not match.
    """
    day = _day(as_of)
    note = _read(checkpoint, "--checkpoint") if checkpoint else None
    verifier = NoteVerifier(_key(vkey)) if vkey else None
    if vkey and note is None:
        raise InputError("--vkey checks a --checkpoint; give one", field="--vkey")
    if size is None and note is not None:
        size = SignedCheckpoint.from_note(note, verifier).size
    tally = tally_file(log, size) if log else tally_local(ctx, size)
    figures = recompute(tally, as_of=day, days=days, checkpoint=note, verifier=verifier)
    if as_json:
        print_json(figures)
    else:
        _print(figures)


def _day(text: str | None) -> date | None:
    if text is None:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise InputError(f"{text[:20]!r} is not a date like 2026-11-30", field="--as-of") from exc


def _read(path: Path, option: str) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {path}: {exc}", field=option) from exc


def _key(vkey: str) -> str:
    return _read(Path(vkey[1:]), "--vkey") if vkey.startswith("@") else vkey


def tally_file(path: Path, size: int | None) -> Tally:
    """The tally of a public-log download on disk, with a progress bar on stderr."""
    return tally_download(read_jsonl(path), path.name, size)


def tally_download(lines: Iterable[str], name: str, size: int | None) -> Tally:
    """The tally of a public-log download's lines (a file or a URL), with a progress bar."""
    with progress(transient=True) as bar:
        task = bar.add_task(f"counting {name}", total=size)
        return tally_lines(lines, end=size, progress=lambda n: bar.update(task, completed=n))


def tally_local(ctx: typer.Context, size: int | None) -> Tally:
    """The tally of the local data directory's log (its first ``size`` entries)."""
    conf = settings(ctx)
    with open_audit(conf.data_dir, agency_id=conf.agency_id, readonly=True) as audit:
        available = audit.log.size
        if size is not None and size > available:
            raise InputError(f"the log holds {available} entries", field="--size")
        end = available if size is None else size
        tally = Tally()
        with progress(transient=True) as bar:
            task = bar.add_task("counting the local log", total=end)
            for index, leaf in log_leaves(audit.log, end):
                tally.add(index, leaf)
                if index % 4096 == 0:
                    bar.update(task, completed=index)
        return tally


def _print(figures: dict[str, Any]) -> None:
    log, window = figures["log"], figures["window"]
    console.print(
        f"log size [bold]{log['size']}[/], root {log['root_hash']}; "
        f"window {window['start']} .. {window['end']} ({window['days']} days)"
    )
    table = Table("figure", "value", show_header=True)
    searches, hotlist, outside = figures["searches"], figures["hotlist"], figures["out_of_agency"]
    retained = figures["retained_vehicles"]["latest"]
    rows: list[tuple[str, Any]] = [
        ("reads", figures["reads"]["total"]),
        ("cameras reporting", figures["reads"]["cameras_reporting"]),
        ("distinct vehicles retained", retained["count"] if retained else "not yet counted"),
        ("hot-list hits", hotlist["hits"]),
        ("confirmed hits", hotlist["confirmed"]),
        ("misread rate", hotlist["misread_rate"]),
        ("outcomes of confirmed alerts", ", ".join(
            f"{code} {n}" for code, n in hotlist["outcomes"].items())),
        ("searches", searches["total"]),
        ("searches denied", searches["denied"]),
        ("searches held for approval", searches["held"]),
        ("searches by offense class", ", ".join(
            f"{kind} {sum(row.values())}" for kind, row in searches["by_offense_class"].items())),
        ("approvals (approved / rejected)",
         f"{figures['approvals']['approved']} / {figures['approvals']['rejected']}"),
        ("out-of-agency requests", outside["requests"]),
        ("partner requests (in / out)",
         f"{figures['federation']['requests_in']} / {figures['federation']['requests_out']}"),
        ("signed messages refused", figures["federation"]["refused_total"]),
        ("reads purged", figures["retention"]["reads_purged"]),
        ("camera placements refused", figures["sensitive_places"]["placements_refused"]),
    ]  # fmt: skip
    for name, value in rows:
        table.add_row(name, str(value))
    console.print(table)
    if "checkpoint" in figures:
        console.print(f"root hash matches the checkpoint of {figures['checkpoint']['origin']}")


def register(root: typer.Typer) -> None:
    """Adds ``recompute-stats`` to the ``audit`` group (``root`` already holds that group)."""
    del root
    names = {command.name for command in audit_cmds.app.registered_commands}
    if "recompute-stats" not in names:
        audit_cmds.app.command("recompute-stats")(recompute_stats)
