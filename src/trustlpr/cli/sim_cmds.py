"""``trustlpr sim`` (a simulated city's reads, to a file or a running service) and
``trustlpr exposure`` (what retained reads reveal, by retention and camera density)."""

from __future__ import annotations

import csv
import json
import sys
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any, TextIO
from zoneinfo import ZoneInfo

import typer
from rich import box
from rich.table import Table

from ..core.clock import iso
from ..core.errors import InputError
from ..identity import require_admin
from ..sim import (
    CityConfig,
    Method,
    ReadFormatter,
    ReadStreamer,
    Simulation,
    load_keys,
    measure,
    plot,
    write_jsonl,
)
from ..sim.config import check_days
from ..sim.register import register_cameras, write_keys
from ..sim.report import parse_densities, parse_retentions, with_cameras
from ..sim.sites import OSM_CREDIT
from .common import (
    AsUser,
    Token,
    console,
    err_console,
    print_json,
    progress,
    settings,
    signed,
    writer,
)

_DEFAULT_DENSITIES = "12,25,50,100"
_CAPTION = (
    "home/work/both: area within --radius recovered; routine: weekday camera+hour that holds "
    "the next week; sensitive: seen near a clinic, place of worship...; visits: sensitive "
    "visits that show. See docs/sim.md."
)


def _start(text: str) -> date:
    if text.strip().lower() == "today":
        return datetime.now(UTC).date()
    try:
        return date.fromisoformat(text)
    except ValueError as exc:
        raise InputError(f"{text[:20]!r} is not a date like 2026-11-02", field="start") from exc


def _window(
    config: CityConfig, start: str | None, days: int
) -> tuple[CityConfig, datetime, datetime]:
    """The config to simulate and the window ``[since, until)`` of reads to keep: by default
    the ``days`` days ending now; from ``--start``, ``days`` days from its local midnight, cut
    at now. Never a read from the future: the service would refuse it."""
    check_days(days)
    now = datetime.now(UTC).replace(microsecond=0)
    tz = ZoneInfo(config.timezone)
    if start is None:
        since = now - timedelta(days=days)
        return replace(config, start=since.astimezone(tz).date()), since, now
    first = _start(start)
    since = datetime.combine(first, time(), tz).astimezone(UTC)
    if since >= now:
        raise InputError(
            f"{first.isoformat()} is in the future; sim writes no reads from the future",
            field="start",
        )
    return replace(config, start=first), since, min(now, since + timedelta(days=days))


def _build(
    ctx: typer.Context, config: CityConfig, place: str | None, agency: str | None
) -> Simulation:
    if place:
        shared = settings(ctx).data_root()
        err_console.print(f"[dim]{OSM_CREDIT}[/]")
        return Simulation.for_place(config, shared, place, agency_id=agency)
    return Simulation(config)


def _open(path: Path) -> TextIO:
    try:
        return path.open("w", encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror}", field=str(path)) from exc


def _dump(path: Path, value: Any) -> None:
    with _open(path) as handle:
        json.dump(value, handle, indent=2, sort_keys=True)
        handle.write("\n")


def sim(
    ctx: typer.Context,
    seed: int = typer.Option(
        0, help="Random seed: the same seed and options give identical reads."
    ),
    cameras: int = typer.Option(50, help="Synthetic cameras, at the busiest intersections first."),
    vehicles: int = typer.Option(20_000, help="Vehicles in the fleet (2,000,000 for a state)."),
    days: int = typer.Option(1, help="Simulated days, starting at --start."),
    place: str = typer.Option(
        None,
        help="Use real OpenStreetMap camera positions: a state (Connecticut) or an operator "
        "name (New Haven). Read from TRUSTLPR_SHARED_DIR, else the packaged copy. Replaces "
        "--cameras.",
    ),
    agency: str = typer.Option(
        None,
        help="Agency id of every camera (default: the agency of the node in --data-dir, else "
        "'local', or the OSM operator with --place).",
    ),
    area: float = typer.Option(None, help="City area in km² (default: vehicles / 500)."),
    start: str = typer.Option(
        None,
        help="Local date of the first simulated day (YYYY-MM-DD or 'today'); reads after "
        "now are never written. Default: the --days days ending now.",
    ),
    stolen: int = typer.Option(5, help="Vehicles whose plates are planted on the hot list."),
    out: Path = typer.Option(None, help="Write reads as JSON Lines to this file ('-' = stdout)."),
    truth: Path = typer.Option(None, help="Write the ground truth, line for line, to this file."),
    cameras_out: Path = typer.Option(
        None, help="Write the camera list (id, name, lat, lon, direction, agency_id) as JSON."
    ),
    hotlist_out: Path = typer.Option(
        None,
        help="Write the planted stolen plates: a .csv file imports with `trustlpr hotlist "
        "import`; any other name gets JSON with the ground truth.",
    ),
    places_out: Path = typer.Option(None, help="Write the sensitive and other places as JSON."),
    stream: str = typer.Option(
        None, help="Post reads to a running service at this base URL (POST /api/v1/reads)."
    ),
    rate: float = typer.Option(
        200.0, help="With --stream: reads per second (0 = as fast as possible)."
    ),
    keys: Path = typer.Option(
        None,
        help="With --stream: JSON file mapping camera_id to that camera's key. With "
        "--register: where to write it.",
    ),
    register: bool = typer.Option(
        False,
        "--register",
        help="Register the simulated cameras on the node of --data-dir (signed by an admin: "
        "--token or --as) and write their keys to --keys; their agency is the node's.",
    ),
    clock: str = typer.Option(
        "live",
        help="With --stream: 'live' stamps reads with the time they are sent; 'sim' keeps "
        "simulated times.",
    ),
    batch: int = typer.Option(500, help="With --stream: most reads per request."),
    workers: int = typer.Option(4, help="With --stream: requests in flight at once."),
    token: Token = None,
    as_user: AsUser = None,
) -> None:
    """Simulate a city's ALPR reads: write them as JSON Lines or stream them to a service,
    and (--register) put its cameras on a node."""
    if not (out or stream or cameras_out or hotlist_out or places_out or register):
        raise InputError(
            "give --out FILE.jsonl, --stream URL, --register, or an --*-out export", field="out"
        )
    if (stream or register) and keys is None:
        raise InputError("--stream and --register need --keys FILE (camera_id → key)", field="keys")
    if stream and register:
        raise InputError(
            "register first (the service holds the node while it runs), then --stream",
            field="register",
        )
    if clock not in ("live", "sim"):
        raise InputError(f"{clock[:10]!r} is not 'live' or 'sim'", field="clock")
    if agency is None:  # on an initialised node, its cameras are the node's agency's
        node = settings(ctx)
        agency = node.agency_id if node.config_path.is_file() else None
    base = CityConfig(seed=seed, cameras=cameras, vehicles=vehicles, area_km2=area,
                      stolen=stolen, agency_id=agency or "local")  # fmt: skip
    config, since, until = _window(base, start, days)
    stream_keys = load_keys(keys) if stream and keys else None
    simulation = _build(ctx, config, place, agency)
    if register and keys is not None:
        _register(ctx, simulation, keys, token, as_user)
    if cameras_out:
        _dump(cameras_out, simulation.camera_records())
    if hotlist_out:
        _hotlist(simulation, hotlist_out, config.agency_id, until)
    if places_out:
        _dump(places_out, [p.as_dict() for p in simulation.places.places])
    summary: dict[str, Any] = {"seed": seed, "cameras": len(simulation.cameras),
                               "vehicles": vehicles, "days": days, "from": iso(since),
                               "to": iso(until)}  # fmt: skip
    if out:
        summary["reads"] = _write(simulation, since, until, out, truth)
        summary["out"] = str(out)
    if stream and stream_keys is not None:
        summary["stream"] = _stream(
            simulation, since, until, stream, stream_keys, rate, clock, batch, workers
        )
    if str(out) != "-":
        print_json(summary)


def _register(
    ctx: typer.Context, simulation: Simulation, keys: Path, token: str | None, as_user: str | None
) -> None:
    with writer(ctx) as system, progress() as bar:
        actor = signed(system.identity, token, as_user)
        require_admin(actor, system.owner.id)
        task = bar.add_task("registering cameras", total=len(simulation.cameras))
        found, existing = register_cameras(
            system.cameras, simulation, agency_id=system.owner.id, actor=actor.id,
            on_camera=lambda _: bar.update(task, advance=1),
        )  # fmt: skip
    write_keys(keys, found)
    err_console.print(
        f"registered {len(found) - existing} camera(s), new keys for {existing} already "
        f"registered; keys written to {keys}",
        highlight=False,
    )


def _hotlist(simulation: Simulation, path: Path, agency: str, now: datetime) -> None:
    """The planted plates: a CSV that `hotlist import` takes, or JSON with the truth."""
    if path.suffix.lower() != ".csv":
        _dump(path, simulation.stolen_records())
        return
    rows = simulation.hotlist_entries(owner=f"{agency}-sim", expires_at=now + timedelta(days=30))
    with _open(path) as handle:
        out = csv.DictWriter(handle, fieldnames=list(rows[0]) if rows else ["plate"])
        out.writeheader()
        out.writerows(rows)


def _write(
    simulation: Simulation, since: datetime, until: datetime, out: Path, truth: Path | None
) -> int:
    handle = sys.stdout if str(out) == "-" else _open(out)
    truth_handle = _open(truth) if truth else None
    try:
        with progress() as bar:
            total = (until - since).total_seconds()
            task = bar.add_task("simulating days", total=total)
            written = 0

            def step(batch: Any) -> None:
                nonlocal written
                written += len(batch)
                reached = min(float(batch.t[-1]), until.timestamp()) - since.timestamp()
                bar.update(task, completed=reached, description=f"simulated {written:,} reads")

            batches = simulation.window(since, until)
            written_total = write_jsonl(
                simulation, batches, handle, truth=truth_handle, on_batch=step
            )
            bar.update(task, completed=total)
            return written_total
    finally:
        if handle is not sys.stdout:
            handle.close()
        if truth_handle is not None:
            truth_handle.close()


def _stream(
    simulation: Simulation,
    since: datetime,
    until: datetime,
    url: str,
    keys: dict[str, str],
    rate: float,
    clock: str,
    batch: int,
    workers: int,
) -> dict[str, float]:
    missing = sorted({c.site.id for c in simulation.cameras} - set(keys))
    if missing:
        raise InputError(
            f"{len(missing)} camera(s) have no key, e.g. {', '.join(missing[:3])}; register "
            "them first with the same options and --register --keys FILE", field="keys",
        )  # fmt: skip
    fmt = ReadFormatter(simulation)
    reads = (r for b in simulation.window(since, until) for r in fmt.dicts(b))
    now = (lambda: datetime.now(UTC)) if clock == "live" else None
    if not 1 <= batch <= 1000 or not 1 <= workers <= 64:
        raise InputError("--batch must be 1..1000 and --workers 1..64", field="batch")
    streamer = ReadStreamer(url, keys, max_batch=batch, workers=workers, now=now)
    try:
        with progress() as bar:
            task = bar.add_task(f"streaming to {url}", total=None)
            stats = streamer.run(reads, rate=rate, on_sent=lambda n: bar.update(task, advance=n))
    finally:
        streamer.close()
    return stats.as_dict()


def exposure(
    ctx: typer.Context,
    retention: str = typer.Option(
        "3m,21d,30d,365d", help="Non-hit retention settings, comma-separated; under 1h = hit-only."
    ),
    density: str = typer.Option(
        None,
        help="Camera counts to compare, comma-separated (default 12,25,50,100; with "
        "--place a quarter, half and all of the real cameras).",
    ),
    vehicles: int = typer.Option(5_000, help="Vehicles simulated (a sample of the city's fleet)."),
    area: float = typer.Option(40.0, help="City area in km² (ignored with --place)."),
    seed: int = typer.Option(0, help="Random seed."),
    place: str = typer.Option(None, help="Real camera positions of a state or operator (OSM)."),
    radius: float = typer.Option(
        1000.0, help="Metres within which a guessed area counts as right."
    ),
    min_evidence: int = typer.Option(3, help="Observations an inference needs before it is made."),
    json_out: bool = typer.Option(False, "--json", help="Print the figures as JSON, not a table."),
    save: Path = typer.Option(None, help="Also write the figures and method as JSON to this file."),
    chart: Path = typer.Option(None, help="Draw the chart to this file (.png, .svg or .pdf)."),
) -> None:
    """Measure on simulated data what all retained reads reveal: home, work, routine, sensitive
    places — for each retention setting and camera density."""
    retentions = parse_retentions(retention)
    if radius <= 0 or min_evidence < 1:
        raise InputError("--radius must be > 0 and --min-evidence ≥ 1", field="radius")
    method = Method(radius_m=radius, min_evidence=min_evidence)
    config = CityConfig(seed=seed, vehicles=vehicles, area_km2=None if place else area)
    if place:
        simulation = _build(ctx, config, place, None)
        total = len(simulation.cameras)
        densities = parse_densities(density or f"{max(1, total // 4)},{max(1, total // 2)},{total}")
    else:
        densities = parse_densities(density or _DEFAULT_DENSITIES)
        simulation = Simulation(with_cameras(replace(config), densities))
    with progress(transient=True) as bar:
        task = bar.add_task("measuring", total=len(densities) * len(retentions) + 1)
        figures = measure(simulation, retentions, densities, method=method,
                          on_step=lambda s: bar.update(task, advance=1, description=s))  # fmt: skip
    rows = [f.as_dict() for f in figures]
    document = {"figures": rows, "method": vars(method) | {"procedure": "docs/sim.md#exposure"},
                "seed": seed, "vehicles": vehicles, "place": place}  # fmt: skip
    if save:
        _dump(save, document)
    if chart:
        plot(figures, chart)
    if json_out:
        print_json(document)
        return
    table = Table(title="What all retained reads reveal (simulated)", caption=_CAPTION,
                  box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)  # fmt: skip
    for name in ("retention", "cams", "home", "work", "both", "routine", "sensitive", "visits",
                 "reads"):  # fmt: skip
        table.add_column(name, justify="left" if name == "retention" else "right", no_wrap=True)
    for f in figures:
        table.add_row(
            f.retention, str(f.cameras), f"{f.home:.0%}", f"{f.work:.0%}",
            f"{f.home_and_work:.0%}", f"{f.routine:.0%}", f"{f.near_sensitive:.0%}",
            f"{f.visits_revealed:.0%}", f"{f.reads_retained:,}",
        )  # fmt: skip
    console.print(table)
    if chart:
        console.print(f"chart written to {chart}")


def register(app: typer.Typer) -> None:
    app.command()(sim)
    app.command()(exposure)
