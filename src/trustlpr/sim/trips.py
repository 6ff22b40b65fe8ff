"""One simulated day: the trips every vehicle makes, and the camera passes they produce.

Decisions that must agree across days (did a night-shift worker work yesterday, so that they
drive home this morning?) come from a counter-based hash of (seed, day, vehicle) instead of
a sequential generator, so any day can be generated on its own and still be the same.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .places import PlaceKind, PlaceSet
from .population import HOUR, Kind, Population
from .routes import Routes, gather

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
DAY = 86_400.0

P_WORK = 0.92  # a scheduled workday is worked (no sickness, leave, remote day)
P_WORSHIP = 0.75  # an attending vehicle goes on its worship day
P_THROUGH = 0.12  # a through-traffic vehicle crosses the city on a given day
WEEKEND_ERRANDS = 1.4
MAX_ERRANDS = 3
# kind: (visits per resident per day, hours stayed)
SENSITIVE_VISITS: dict[PlaceKind, tuple[float, float]] = {
    PlaceKind.CLINIC: (1 / 45, 1.0),
    PlaceKind.REPRODUCTIVE_HEALTH: (1 / 1500, 1.5),
    PlaceKind.IMMIGRATION_OFFICE: (1 / 4000, 2.0),
    PlaceKind.SHELTER: (1 / 8000, 2.0),
}
_WORK_STREAM = 1


def hash_uniform(seed: int, day: int, stream: int, ids: I64) -> F64:
    """A uniform in [0, 1) per id, fixed by (seed, day, stream): splitmix64 over the id."""
    mix = (seed * 1_000_003 + (day + 16) * 7_919 + stream * 104_729) & 0xFFFF_FFFF_FFFF_FFFF
    x = ids.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15) + np.uint64(mix)
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    x = x ^ (x >> np.uint64(31))
    return (x >> np.uint64(11)).astype(np.float64) * (1.0 / (1 << 53))


@dataclass
class Trips:
    vehicle: I64
    origin: I64
    dest: I64
    depart: F64  # local seconds after midnight of the day (may exceed a day)
    place: I64  # sensitive place visited at the destination, -1 otherwise


@dataclass
class Passes:
    """Camera passes of one day, unsorted; ``trip`` indexes the day's ``Trips``."""

    trip: I64
    camera: npt.NDArray[np.int32]
    t_local: F64
    heading: npt.NDArray[np.int16]


def _worked(pop: Population, seed: int, day: int, weekday: int) -> npt.NDArray[np.bool_]:
    scheduled = ((pop.workdays >> np.uint8(weekday)) & np.uint8(1)).astype(bool)
    ids = np.arange(pop.size, dtype=np.int64)
    commuter = (pop.kind == Kind.COMMUTER) | (pop.kind == Kind.NIGHT_SHIFT)
    worked = commuter & scheduled & (hash_uniform(seed, day, _WORK_STREAM, ids) < P_WORK)
    return np.asarray(worked, dtype=bool)


def day_trips(
    pop: Population,
    routes: Routes,
    places: PlaceSet,
    seed: int,
    day: int,
    weekday: int,
    rng: np.random.Generator,
) -> Trips:
    """Every trip of day ``day`` (weekday 0 = Monday): commutes, errands, visits, crossings."""
    n = pop.size
    ids = np.arange(n, dtype=np.int64)
    home, work = pop.home.astype(np.int64), pop.work.astype(np.int64)
    parts: list[tuple[I64, I64, I64, F64, I64]] = []

    def add(v: I64, o: I64, d: I64, t: F64, place: I64 | None = None) -> None:
        parts.append((v, o, d, t, place if place is not None else np.full(v.size, -1, np.int64)))

    worked = _worked(pop, seed, day, weekday)
    day_shift = worked & (pop.kind == Kind.COMMUTER)
    v = ids[day_shift]
    dep = pop.depart[v] + rng.normal(0.0, 600.0, v.size)
    back = dep + routes.trip_time(home[v], work[v]) + pop.duration[v] + rng.normal(0, 900.0, v.size)
    add(v, home[v], work[v], dep)
    add(v, work[v], home[v], back)
    home_again = np.full(n, 9.0 * HOUR)
    home_again[v] = back + routes.trip_time(work[v], home[v])

    night = pop.kind == Kind.NIGHT_SHIFT
    v = ids[worked & night]
    add(v, home[v], work[v], pop.depart[v] + rng.normal(0.0, 600.0, v.size))
    yesterday = _worked(pop, seed, day - 1, (weekday - 1) % 7) & night
    v = ids[yesterday]
    morning = pop.depart[v] + routes.trip_time(home[v], work[v]) + pop.duration[v] - DAY
    keep = morning > 0
    add(
        v[keep], work[v][keep], home[v][keep], morning[keep] + rng.normal(0, 600.0, int(keep.sum()))
    )

    resident = pop.kind != Kind.THROUGH
    rate = pop.errand_rate * (WEEKEND_ERRANDS if weekday >= 5 else 1.0) * resident
    count = np.minimum(rng.poisson(rate), MAX_ERRANDS)
    v = np.repeat(ids, count)
    shop = places.node[pop.shops[v, rng.integers(0, 3, v.size)]]
    start = np.where(
        day_shift[v],
        home_again[v] + rng.uniform(0.3, 2.5, v.size) * HOUR,
        np.where(night[v], rng.uniform(12.0, 18.0, v.size), rng.uniform(9.0, 19.5, v.size)) * HOUR,
    )
    add(v, home[v], shop, start)
    stay = rng.uniform(20.0, 90.0, v.size) * 60.0
    add(v, shop, home[v], start + routes.trip_time(home[v], shop) + stay)

    goes = (pop.worship >= 0) & (pop.worship_day == weekday) & (rng.random(n) < P_WORSHIP)
    v = ids[goes]
    place = pop.worship[v]
    node = places.node[place]
    dep = pop.worship_time[v] - routes.trip_time(home[v], node) - 600.0
    add(v, home[v], node, dep, place)
    add(v, node, home[v], pop.worship_time[v] + 1.25 * HOUR)

    for kind, (per_day, hours) in SENSITIVE_VISITS.items():
        v = ids[resident & (rng.random(n) < per_day)]
        place = pop.sensitive[kind][v]
        node = places.node[place]
        dep = rng.uniform(8.0, 17.0, v.size) * HOUR
        add(v, home[v], node, dep, place)
        add(v, node, home[v], dep + routes.trip_time(home[v], node) + hours * HOUR)

    v = ids[(pop.kind == Kind.THROUGH) & (rng.random(n) < P_THROUGH)]
    add(v, home[v], work[v], rng.uniform(6.0, 21.0, v.size) * HOUR)

    return Trips(
        vehicle=np.concatenate([p[0] for p in parts]),
        origin=np.concatenate([p[1] for p in parts]),
        dest=np.concatenate([p[2] for p in parts]),
        depart=np.concatenate([p[3] for p in parts]).astype(np.float64),
        place=np.concatenate([p[4] for p in parts]),
    )


def trip_passes(trips: Trips, routes: Routes, rng: np.random.Generator) -> Passes:
    """The camera passes of each trip: out leg, hub-to-hub chain, in leg; with traffic."""
    o, d = trips.origin, trips.dest
    pair = routes.zone[o].astype(np.int64) * routes.zones + routes.zone[d]
    pace = rng.uniform(0.92, 1.2, o.size)  # this trip's traffic
    legs = (
        (routes.out_leg, o, np.zeros(o.size)),
        (routes.pairs, pair, routes.out_leg.total[o].astype(np.float64)),
        (routes.in_leg, d, (routes.out_leg.total[o] + routes.pairs.total[pair]).astype(np.float64)),
    )
    trip, camera, t_local, heading = [], [], [], []
    for table, keys, before in legs:
        owner, pos = gather(table.offsets, keys)
        trip.append(owner)
        camera.append(table.camera[pos])
        t_local.append(trips.depart[owner] + pace[owner] * (before[owner] + table.toff[pos]))
        heading.append(table.heading[pos])
    return Passes(
        np.concatenate(trip),
        np.concatenate(camera),
        np.concatenate(t_local),
        np.concatenate(heading),
    )


def arrival(trips: Trips, routes: Routes) -> F64:
    """Nominal arrival time of each trip (local seconds), for the ground truth of visits."""
    return trips.depart + routes.trip_time(trips.origin, trips.dest).astype(np.float64)
