"""The demo's past: the town's last 30 days replayed through the real node before it goes live.

A fresh ``make demo`` would open on an empty month ("expired reads destroyed: 0 in 0 purges").
So before the service starts, ``replay`` runs the days up to now hour by hour on a
``ReplayClock``: the cameras' reads of each hour go through the ingest pipeline (hot-list
matching, alerts, encryption under that day's keys), simulated officers search (allowed, held,
denied), a supervisor decides held requests, alerts are checked, the retention purge runs and
destroys the keys of days past retention, and the retained-vehicles snapshot is logged — the
same components and the same clock the live demo then keeps using. Nothing is written to the
log or the store any other way, so every portal figure is what ``audit recompute-stats``
computes from the log.

To be up within a minute on a small machine the replay carries a sample of the traffic:
every ``sample``-th vehicle of the town, plus every stolen one (their hits are the point).
The portal's first screen says so (``History.describe``).
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import numpy as np

from .core.clock import ReplayClock, day_start, iso, parse_utc, system_clock, utc_day
from .core.errors import TrustLPRError
from .core.reads import Read, read_from_mapping
from .demo import OUTSIDER, SUPERVISOR, DemoCity, decide_held, prepare, search_once, verify_alerts
from .runtime import System, initialise
from .settings import Settings
from .sim import TOWN, ReadFormatter
from .sim.images import stolen_crops

HISTORY_DAYS = 30
SAMPLE = 20
"""The replay carries every 20th vehicle of the town …"""
STOLEN_KEPT = 6
"""… and six of its stolen ones (a hit every few hours)."""
HISTORY_FILE = "demo-history.json"

_HOUR = 3600.0
_SEARCH_EVERY = 3  # hours between searches: 8 a day, so each day has a denial (every 7th)
_DECIDE_EVERY = 6  # hours between the supervisor's rounds
_PURGE_EVERY = 3  # hours between purges (the live service purges every minute)

Progress = Callable[[int, int], None]
"""Called with (days done, days) as the replay advances."""


@dataclass(frozen=True)
class History:
    """What the replay simulated: shown on the portal's first screen."""

    start: datetime
    end: datetime
    days: int
    sample: int
    reads: int
    seconds: float

    def describe(self) -> str:
        return (
            "This is a demo and everything in it is simulated: made-up cars pass cameras at the "
            "real OpenStreetMap camera positions of New Haven, simulated officers search, a "
            "supervisor decides held searches and alerts are checked. "
            f"The {self.days} days from {iso(self.start)[:10]} to {iso(self.end)[:16]}Z were "
            f"replayed through this node in {self.seconds:.0f} s when the demo started "
            f"({self.reads:,} reads: every {self.sample}th car of the town and {STOLEN_KEPT} "
            "stolen ones); since then it runs live."
        )

    def to_json(self) -> dict[str, object]:
        return {
            "start": iso(self.start),
            "end": iso(self.end),
            "days": self.days,
            "sample": self.sample,
            "reads": self.reads,
            "seconds": round(self.seconds, 1),
        }


def history_start(end: datetime, days: int = HISTORY_DAYS) -> datetime:
    """Midnight UTC of the first of the ``days`` UTC days ending on ``end``'s day: the portal's
    30-day window once the log's newest entry is from ``end``'s day."""
    return day_start(utc_day(end) - timedelta(days=days - 1))


@dataclass
class DemoStart:
    """A demo node opened but not yet set up nor live: ``run`` sets up the town (users,
    cameras with their keys, hot list) and, for a fresh directory — ``clock`` is then its
    ``ReplayClock`` — replays its past and puts the clock live. The node can serve its public
    portal meanwhile (``trustlpr demo`` does)."""

    system: System
    settings: Settings
    shared_dir: Path
    clock: ReplayClock | None
    end: datetime
    sample: int
    days: int
    """UTC days the replay covers (0 for an existing directory)."""
    past: History | None = None
    city: DemoCity | None = None

    def run(
        self, *, progress: Progress | None = None, stop: threading.Event | None = None
    ) -> DemoCity:
        """Sets the town up, replays the past (if fresh), puts the clock live and records the
        ``History``. ``stop`` set: the replay ends at the next hour with ``ReplayStopped``."""
        if self.city is None:
            start = None
            if self.clock is not None:
                start = self.clock().astimezone(ZoneInfo(TOWN.timezone)).date()
            self.city = prepare(
                self.settings, self.shared_dir, clock=self.system.clock, start=start,
                system=self.system,
            )  # fmt: skip
        if self.clock is None or self.past is not None:
            return self.city
        history = replay(
            self.system, self.city, self.clock, end=self.end, sample=self.sample,
            progress=progress, stop=stop,
        )  # fmt: skip
        self.clock.go_live()
        record = self.settings.data_dir / HISTORY_FILE
        tmp = record.with_suffix(".tmp")
        tmp.write_text(json.dumps(history.to_json()), encoding="utf-8")
        tmp.replace(record)
        self.past = history
        return self.city


class ReplayStopped(TrustLPRError):
    """Raised by ``replay`` when asked to stop (the demo was interrupted while replaying)."""


def begin_demo(
    settings: Settings,
    shared_dir: Path,
    *,
    days: int = HISTORY_DAYS,
    sample: int = SAMPLE,
    end: datetime | None = None,
) -> DemoStart:
    """The demo's node, opened (in a second or two): a fresh data directory initialised at
    the start of its ``days`` days of history up to ``end`` (now), on a ``ReplayClock``; an
    existing one on the live clock with the ``History`` it recorded, if any. Nothing of the
    town is set up yet: ``DemoStart.run`` does that."""
    end = end or system_clock().replace(microsecond=0)
    if settings.config_path.is_file():
        past = _load(settings.data_dir / HISTORY_FILE)
        return DemoStart(System(settings), settings, shared_dir, None, end, sample, 0, past)
    clock = ReplayClock(history_start(end, days))
    initialise(settings, clock=clock)
    system = System(settings, clock=clock)
    return DemoStart(system, settings, shared_dir, clock, end, sample, days)


def open_demo(
    settings: Settings,
    shared_dir: Path,
    *,
    days: int = HISTORY_DAYS,
    sample: int = SAMPLE,
    end: datetime | None = None,
    progress: Progress | None = None,
) -> tuple[System, DemoCity, History | None]:
    """The demo's node, on a clock that is live when this returns: ``begin_demo`` then
    ``DemoStart.run`` (a fresh directory's past replayed first)."""
    start = begin_demo(settings, shared_dir, days=days, sample=sample, end=end)
    try:
        city = start.run(progress=progress)
    except BaseException:
        start.system.close()
        raise
    return start.system, city, start.past


def _load(path: Path) -> History | None:
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        return History(
            start=parse_utc(raw["start"]),
            end=parse_utc(raw["end"]),
            days=int(raw["days"]),
            sample=int(raw["sample"]),
            reads=int(raw["reads"]),
            seconds=float(raw["seconds"]),
        )
    except (OSError, ValueError, KeyError, TypeError, TrustLPRError):
        return None  # a demo directory from before the history was replayed


def replay(
    system: System,
    city: DemoCity,
    clock: ReplayClock,
    *,
    end: datetime,
    sample: int = SAMPLE,
    progress: Progress | None = None,
    stop: threading.Event | None = None,
) -> History:
    """Replays the town from ``clock``'s time up to ``end`` through ``system`` (whose clock
    ``clock`` must be); leaves the clock at ``end`` (the caller then puts it live). Raises
    ``ReplayStopped`` at the next hour once ``stop`` is set."""
    began = time.monotonic()
    start = clock()
    if system.clock is not clock:
        raise TrustLPRError("the replay must drive the clock the node runs on")
    sim = city.simulation
    local = ZoneInfo(sim.config.timezone)
    first_day = (start.astimezone(local).date() - sim.config.start).days
    last_day = (end.astimezone(local).date() - sim.config.start).days
    days = last_day - first_day + 1
    keep = _sample(sim.stolen[:STOLEN_KEPT], sim.config.vehicles, sample)
    fmt = ReadFormatter(sim)
    work = _Officers(system, city)
    start_at, stop_at = start.timestamp(), end.timestamp()
    fed = 0
    for done, batch in enumerate(sim.batches(days, first=first_day), start=1):
        times = batch.t
        wanted = keep[batch.vehicle] & (times >= start_at) & (times < stop_at)
        batch = batch.select(np.flatnonzero(wanted))
        reads = fmt.reads(batch)
        crops = stolen_crops(sim, batch)  # the stolen cars' reads come with a plate crop
        ptimes, preads = _patrol_reads(city, batch.day, keep, start_at, stop_at)
        edge, last = sim.midnight(batch.day), min(sim.midnight(batch.day + 1), stop_at)
        lo = plo = 0
        while edge < last:  # hour by hour; the reads of an hour arrive at its end
            edge = min(edge + _HOUR, last)
            if edge <= start_at:
                continue
            if stop is not None and stop.is_set():
                raise ReplayStopped("the demo stopped while replaying its past")
            moment = clock.set(datetime.fromtimestamp(edge, UTC))
            hi = int(np.searchsorted(batch.t, edge, side="left"))
            if hi > lo:
                images = {i - lo: crops[i] for i in range(lo, hi) if i in crops}
                fed += system.pipeline.ingest(reads[lo:hi], images=images, timeout=None).kept
            phi = int(np.searchsorted(ptimes, edge, side="left"))
            if phi > plo:  # the patrol cars' reads of the hour, each at its own position
                fed += system.pipeline.ingest(preads[plo:phi], timeout=None).kept
            lo, plo = hi, phi
            work.hour()
            if work.hours % _PURGE_EVERY == 0:
                system.purge()
            if (moment.hour == 23 and moment.minute == 0) or moment == end:
                system.snapshot()  # the retained-vehicles chart shows each day's last count
        if progress is not None:
            progress(done, days)
    if clock() < end:
        clock.set(end)
        system.snapshot()
    work.closing()
    system.audit.maybe_checkpoint()
    utc_days = (utc_day(end) - utc_day(start)).days + 1
    return History(start, end, utc_days, sample, fed, time.monotonic() - began)


def _patrol_reads(
    city: DemoCity, day: int, keep: np.ndarray, start_at: float, stop_at: float
) -> tuple[np.ndarray, list[Read]]:
    """The patrol cars' reads of ``day`` of the sampled vehicles in the window, by time."""
    if city.patrols is None:
        return np.empty(0), []
    found = city.patrols.day(day)
    wanted = np.flatnonzero(keep[found.vehicle] & (found.t >= start_at) & (found.t < stop_at))
    rows = city.patrols.read_dicts(found, wanted.tolist())
    return found.t[wanted], [read_from_mapping(row) for row in rows]


def _sample(stolen: np.ndarray, vehicles: int, sample: int) -> np.ndarray:
    keep = np.zeros(vehicles, dtype=bool)
    keep[::sample] = True
    keep[stolen] = True
    return keep


class _Officers:
    """The simulated staff's work, hour by hour, by the live demo's own steps."""

    def __init__(self, system: System, city: DemoCity) -> None:
        self.system = system
        self.city = city
        self.rng = random.Random(2026)
        self.people = {u.id: u for u in system.identity.users()}
        self.outsider = system.identity.agency(OUTSIDER)
        self.hours = 0

    def hour(self) -> None:
        self.hours += 1
        system, hours = self.system, self.hours
        if hours % _SEARCH_EVERY == 0:
            tick = hours // _SEARCH_EVERY
            search_once(system, self.city, self.rng, self.people, self.outsider, tick)
        if hours % _DECIDE_EVERY == 0:
            decide_held(system, self.people[SUPERVISOR])
        verify_alerts(system, self.rng, self.people, limit=20)

    def closing(self) -> None:
        """At the moment the replay ends, an allowed and a refused search (ticks 1 and 7 of
        ``search_once``), so the current day, often only hours old, shows both."""
        for tick in (1, 7):
            search_once(self.system, self.city, self.rng, self.people, self.outsider, tick)
