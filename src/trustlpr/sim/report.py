"""Exposure figures for retention settings × camera densities, a chart, and the live figure.

``measure`` simulates the longest retention asked (plus a held-out week), then replays the
attacker for every (retention, density) pair on nested subsets of the same reads: a shorter
retention keeps the newest part of the same history, a sparser network the first cameras of
the same ranking. The figures therefore differ only by what is kept, not by chance.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np

from ..core.clock import format_duration, parse_duration
from ..core.errors import InputError
from ..core.identity import Camera
from .city import Simulation
from .config import CityConfig
from .exposure import Clock, Method, geometry, infer, record
from .patrol import MAX_PATROLS, Patrols
from .population import Kind
from .sites import sites_from_cameras

HIT_ONLY_BELOW = timedelta(hours=1)
DAY = timedelta(days=1)


@dataclass(frozen=True)
class Retention:
    """How long non-hit reads are kept; hits are kept for ``hit`` (None: the whole history)."""

    nonhit: timedelta
    hit: timedelta | None = None

    @property
    def hit_only(self) -> bool:
        """Under an hour is hit-only in effect (New Hampshire's 3 minutes): nothing is kept
        long enough for a search except reads that matched a hot list."""
        return self.nonhit < HIT_ONLY_BELOW

    @property
    def label(self) -> str:
        return format_duration(self.nonhit) + (" (hits only)" if self.hit_only else "")


@dataclass(frozen=True)
class ExposureFigures:
    """What all retained reads reveal, as shares of the simulated fleet (0..1)."""

    retention: str
    retention_days: float
    hit_only: bool
    cameras: int
    cameras_per_km2: float
    vehicles: int
    residents: int
    workers: int
    reads_retained: int
    home: float  # residents whose home area is recovered
    work: float  # workers whose work area is recovered
    home_and_work: float  # workers with both: enough to single most people out
    routine: float  # residents whose weekday routine predicts the following week
    near_sensitive: float  # all vehicles seen near a sensitive place
    visitors: int  # vehicles that visited a sensitive place in the period
    visits_revealed: float  # of those, share whose visit shows in the reads
    patrol_cars: int = 0  # mobile units whose reads (each at its own position) are in

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def headline(self) -> str:
        """One sentence for the public portal."""
        return (
            f"With {self.cameras} cameras keeping reads for {self.retention}, whoever holds "
            f"them could infer the home area of {self.home:.0%} of resident vehicles, the work "
            f"area of {self.work:.0%} of commuters, and place {self.near_sensitive:.0%} of all "
            "vehicles near a clinic, place of worship or similar sensitive place "
            "(simulated; see docs/sim.md)."
        )


def parse_retentions(text: str) -> list[Retention]:
    """``"3m,21d,30d,365d"`` → retentions, shortest first; ``InputError`` on field retention."""
    items = [item.strip() for item in text.split(",") if item.strip()]
    if not items:
        raise InputError("give at least one retention, e.g. 3m,21d,30d,365d", field="retention")
    out = {parse_duration(item, field="retention") for item in items}
    if max(out) > timedelta(days=1830):
        raise InputError("retention over 5 years cannot be simulated here", field="retention")
    return [Retention(d) for d in sorted(out)]


def parse_densities(text: str) -> list[int]:
    """``"12,25,50,100"`` → camera counts, ascending; ``InputError`` on field density."""
    out: set[int] = set()
    for item in (i.strip() for i in text.split(",")):
        if not item:
            continue
        try:
            value = int(item)
        except ValueError as exc:
            raise InputError(f"{item[:20]!r} is not a camera count", field="density") from exc
        if value < 1:
            raise InputError(f"{value} must be at least 1 camera", field="density")
        out.add(value)
    if not out:
        raise InputError("give at least one camera count, e.g. 12,25,50,100", field="density")
    return sorted(out)


def history_days(retentions: Sequence[Retention]) -> int:
    longest = max(max(r.nonhit, r.hit or timedelta(0)) for r in retentions)
    return max(1, math.ceil(longest / DAY))


def measure(
    sim: Simulation,
    retentions: Sequence[Retention],
    densities: Sequence[int] | None = None,
    *,
    method: Method | None = None,
    on_step: Callable[[str], None] | None = None,
    patrols: int = 0,
) -> list[ExposureFigures]:
    """Figures for every density (camera count; default: all cameras) × retention, with the
    reads of ``patrols`` patrol cars (``sim.patrol``) at every density."""
    method = method or Method()
    total = len(sim.cameras)
    densities = list(densities or [total])
    if max(densities) > total:
        raise InputError(f"{max(densities)} cameras asked; the city has {total}", field="density")
    days = history_days(retentions)
    if on_step:
        on_step(f"simulating {days + method.holdout_days} days")
    fleet = Patrols(sim, patrols) if patrols else None
    hist = record(sim, days, method.holdout_days, fleet)
    corners = 0 if hist.where_xy is None else hist.where_xy.shape[0] - total
    clock = Clock(sim, days + method.holdout_days + 1)
    pop = sim.population
    residents = int((pop.kind != Kind.THROUGH).sum())
    workers = int((~np.isnan(pop.work_xy[:, 0])).sum())
    extent = np.ptp(sim.roads.xy[:, 0]) * np.ptp(sim.roads.xy[:, 1]) / 1e6
    out = []
    for density in densities:
        allowed = np.concatenate([sim.camera_rank < density, np.ones(corners, dtype=bool)])
        geo = geometry(sim, allowed, method, hist.where_xy)
        for ret in retentions:
            if on_step:
                on_step(f"{density} cameras, {ret.label}")
            hit_since = hist.now - (ret.hit.total_seconds() if ret.hit else math.inf)
            keep = allowed[hist.camera] & (
                (hist.t >= hist.now - ret.nonhit.total_seconds())
                | (hist.hit & (hist.t >= hit_since))
            )
            horizon = hist.now - max(ret.nonhit, DAY).total_seconds()
            s = infer(sim, hist, keep, clock, geo, method, horizon)
            both = np.intersect1d(s.home, s.work).size
            out.append(
                ExposureFigures(
                    retention=ret.label,
                    retention_days=round(ret.nonhit / DAY, 6),
                    hit_only=ret.hit_only,
                    cameras=density,
                    cameras_per_km2=round(float(density / extent), 3),
                    vehicles=pop.size,
                    residents=residents,
                    workers=workers,
                    reads_retained=int(keep.sum()),
                    home=_share(s.home.size, residents),
                    work=_share(s.work.size, workers),
                    home_and_work=_share(both, workers),
                    routine=_share(s.routine.size, residents),
                    near_sensitive=_share(s.near_sensitive.size, pop.size),
                    visitors=int(s.visitors.size),
                    visits_revealed=_share(s.revealed.size, s.visitors.size),
                    patrol_cars=patrols,
                )
            )
    return out


def _share(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def network_exposure(
    cameras: Sequence[Camera],
    retention: timedelta,
    *,
    hit_retention: timedelta | None = None,
    vehicles: int = 3_000,
    seed: int = 0,
    method: Method | None = None,
) -> ExposureFigures:
    """ "What this network can reveal": the figures for a live camera list and retention.

    Builds a city around the enabled fixed cameras' positions and directions, with a patrol
    car (``sim.patrol``) on its roads for each enabled mobile camera, simulates ``vehicles``
    residents for the retention period, and measures. Takes seconds for weeks of retention
    and about a minute for a year: cache the result.
    """
    sites = sites_from_cameras([c for c in cameras if not c.mobile])
    if not sites:
        raise InputError("no enabled fixed camera with a position to measure", field="cameras")
    config = CityConfig(seed=seed, vehicles=vehicles, sites=tuple(sites), stolen=min(5, vehicles))
    sim = Simulation(config)
    retentions = [Retention(retention, hit_retention)]
    mobile = sum(1 for c in cameras if c.mobile and c.enabled)  # patrol cars on its roads
    return measure(sim, retentions, method=method, patrols=min(mobile, MAX_PATROLS))[0]


def plot(figures: Sequence[ExposureFigures], path: Path) -> None:
    """A 2×3 chart of every share by retention, one line per camera density.

    The format follows the suffix (.png, .svg, .pdf).
    """
    from matplotlib.figure import Figure  # imported here: only the chart needs matplotlib

    labels = list(dict.fromkeys(f.retention for f in figures))
    densities = sorted({f.cameras for f in figures})
    fig = Figure(figsize=(14, 7.5), layout="constrained")
    axes = fig.subplots(2, 3, sharex=True, sharey=True)
    panels = (
        ("home", "Home area recovered (residents)"),
        ("work", "Work area recovered (commuters)"),
        ("home_and_work", "Home and work both (commuters)"),
        ("routine", "Weekday routine predicted"),
        ("near_sensitive", "Seen near a sensitive place"),
        ("visits_revealed", "Sensitive visits revealed (visitors)"),
    )
    for ax, (key, title) in zip(axes.ravel(), panels, strict=True):
        for density in densities:
            rows = {f.retention: f for f in figures if f.cameras == density}
            values = [
                100 * getattr(rows[label], key) if label in rows else np.nan for label in labels
            ]
            per_km2 = next(f.cameras_per_km2 for f in figures if f.cameras == density)
            ax.plot(
                range(len(labels)), values, marker="o", label=f"{density} cameras ({per_km2:g}/km²)"
            )
        ax.set_title(title)
        ax.set_xticks(range(len(labels)), labels, rotation=15)
        ax.set_ylim(0, 100)
        ax.grid(alpha=0.3)
    for row in axes:
        row[0].set_ylabel("% of vehicles")
    axes[0][0].legend(fontsize=8)
    fig.suptitle("What all retained ALPR reads reveal (simulated city)")
    fig.savefig(path)


def with_cameras(config: CityConfig, densities: Sequence[int]) -> CityConfig:
    """The config to simulate so that every density is a prefix of one camera ranking."""
    return replace(config, cameras=max(max(densities), 1)) if config.sites is None else config
