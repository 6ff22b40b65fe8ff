"""Data-directory commands: init, ingest, purge, stats."""

from __future__ import annotations

from pathlib import Path

import typer

from ..core.clock import iso, parse_utc, system_clock
from ..core.reads import Read
from ..ingest.claims import FileClaims
from ..ingest.files import Rejected, iter_read_file
from ..runtime import initialise
from .common import console, err_console, print_json, progress, reader, settings, writer

BATCH = 5000


def init(
    ctx: typer.Context,
    policy: str = typer.Option(None, help="Jurisdiction policy in force, e.g. ct-pa-26-14."),
    agency_id: str = typer.Option(None, help="Id of the agency that owns this node's data."),
    agency_name: str = typer.Option(None, help="Display name of that agency."),
    state: str = typer.Option(None, help="Two-letter state of that agency."),
    agency_type: str = typer.Option(
        None, help="Kind of that agency: local (default), state or federal."
    ),
    public_url: str = typer.Option(
        None, help="Base URL other agencies' nodes reach this node at (its node document)."
    ),
    nonhit_retention: str = typer.Option(
        None, help="Override: keep non-hit reads this long, e.g. 21d, 3m (below 1d: hit-only)."
    ),
    hit_retention: str = typer.Option(None, help="Override: keep hot-list hits this long."),
) -> None:
    """Create the data directory, its root key (mode 0600) and config.toml."""
    cfg = settings(
        ctx,
        policy=policy,
        agency_id=agency_id,
        agency_name=agency_name,
        agency_state=state,
        agency_type=agency_type,
        public_url=public_url,
        nonhit_retention=nonhit_retention,
        hit_retention=hit_retention,
    )
    if initialise(cfg):
        console.print(f"initialised [bold]{cfg.data_dir}[/] (policy {cfg.policy})")
    else:
        console.print(f"{cfg.data_dir} is already initialised; nothing changed")


def ingest(
    ctx: typer.Context,
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="JSON Lines or CSV file."),
    fmt: str = typer.Option(None, "--format", help="jsonl or csv (default: from the suffix)."),
    json_out: bool = typer.Option(False, "--json", help="Print the summary as JSON."),
    max_errors: int = typer.Option(20, help="How many rejections to list (all are counted)."),
    allow_unregistered: bool = typer.Option(
        False,
        "--allow-unregistered-cameras",
        help="Also take reads of cameras not registered on this node (they must be the "
        "node's own agency's); by default such lines are refused.",
    ),
) -> None:
    """Ingest reads from a file (fields plate, state, observed_at, camera_id, confidence, lat,
    lon; others optional). Bad lines are reported with their line number and skipped, as are
    reads of unregistered or disabled cameras and reads claiming another agency."""
    accepted = kept = 0
    rejected: list[Rejected] = []
    with writer(ctx) as system, progress() as bar:
        task = bar.add_task(f"ingesting {file.name}", total=file.stat().st_size or None)
        batch: list[Read] = []
        now = system_clock()
        claims = FileClaims(system.cameras, system.owner.id, allow_unregistered=allow_unregistered)

        def flush() -> None:
            nonlocal accepted, kept, batch
            if batch:
                kept += system.ingest(batch)
                accepted += len(batch)
                batch = []

        items = iter_read_file(file, fmt, lambda pos: bar.update(task, completed=pos))
        for number, item in items:
            if isinstance(item, Rejected):
                rejected.append(item)
                continue
            checked = claims.check(item)
            if isinstance(checked, str):
                rejected.append(Rejected(number, checked))
                continue
            why = system.check_time(checked, now)
            if why is not None:
                rejected.append(Rejected(number, why))
                continue
            batch.append(checked)
            if len(batch) >= BATCH:
                flush()
        flush()
        bar.update(task, completed=file.stat().st_size)
    summary = {
        "file": str(file),
        "accepted": accepted,
        "duplicates": accepted - kept,
        "rejected": len(rejected),
        "rejections": [{"line": r.line, "reason": r.reason} for r in rejected[:max_errors]],
    }
    if json_out:
        print_json(summary)
        return
    console.print(
        f"accepted {accepted} ({accepted - kept} duplicate passes merged), rejected {len(rejected)}"
    )
    for r in rejected[:max_errors]:
        err_console.print(
            f"  line {r.line}: {r.reason}", highlight=False, markup=False, soft_wrap=True
        )
    if len(rejected) > max_errors:
        err_console.print(f"  … and {len(rejected) - max_errors} more")


def purge(
    ctx: typer.Context,
    now: str = typer.Option(None, help="Pretend it is this ISO 8601 time (for tests)."),
    json_out: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Remove reads past their retention; whole expired days lose their keys."""
    moment = parse_utc(now, field="--now") if now else system_clock()
    with writer(ctx) as system:
        report = system.purge(moment)
    result = {
        "now": iso(moment),
        "days_dropped": [f"{c.value}:{d.isoformat()}" for c, d in report.days_dropped],
        "rows_deleted": report.rows_deleted,
        "key_ids_destroyed": report.key_ids_destroyed,
    }
    if json_out:
        print_json(result)
    else:
        console.print(
            f"dropped {len(report.days_dropped)} day(s), deleted {report.rows_deleted} row(s), "
            f"destroyed {len(report.key_ids_destroyed)} key(s)"
        )


def stats(
    ctx: typer.Context,
    json_out: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Counts of stored reads, in total and by UTC day."""
    with reader(ctx) as node:  # read-only: runs while `trustlpr serve` holds the log
        s = node.store.stats()
        retention = node.retention.describe()
    result = {
        "reads_total": s.reads_total,
        "reads_by_day": s.reads_by_day,
        "hits_total": s.hits_total,
        "oldest": iso(s.oldest) if s.oldest else None,
        "newest": iso(s.newest) if s.newest else None,
        "retention": retention,
    }
    if json_out:
        print_json(result)
        return
    kept = (
        f"non-hits kept {retention['nonhit']}"
        + (" (hit-only: never written to disk)" if retention["hit_only"] else "")
        + f", hits kept {retention['hit']}"
    )
    console.print(f"{s.reads_total} reads ({s.hits_total} hits); {kept}", highlight=False)
    if s.oldest and s.newest:
        console.print(f"oldest {iso(s.oldest)}, newest {iso(s.newest)}", highlight=False)
    for day, count in s.reads_by_day.items():
        console.print(f"  {day}  {count}", highlight=False)


def register(app: typer.Typer) -> None:
    app.command()(init)
    app.command()(ingest)
    app.command()(purge)
    app.command()(stats)
