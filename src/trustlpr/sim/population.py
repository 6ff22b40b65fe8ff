"""The fleet: who lives where, works where, and keeps which habits.

Every vehicle is a row in parallel arrays (millions fit in memory; no per-vehicle objects).
Kinds: day commuters, night-shift commuters, home-based drivers (retired, remote, carers),
and through traffic with out-of-town plates. Residents have a home node, preferred shops,
and nearest sensitive places; some attend a place of worship weekly. Workplaces follow a
gravity model between zones (jobs × exp(−distance / L)). The shares below are assumptions,
documented in docs/sim.md, not measurements.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import numpy.typing as npt

from .places import PlaceKind, PlaceSet
from .plategen import (
    COLOUR_WEIGHTS,
    MAKE_WEIGHTS,
    TYPE_WEIGHTS,
    PlateArray,
    make_plates,
    pick,
    state_codes,
    state_mix,
)
from .roads import RoadNet
from .routes import Routes

I32 = npt.NDArray[np.int32]
F32 = npt.NDArray[np.float32]
HOUR = 3600.0

KIND_SHARES = (0.62, 0.05, 0.25, 0.08)  # day commuter, night shift, home-based, through
WORSHIP_SHARE = 0.30
WORSHIP_DAYS = (6, 5, 4)  # Sunday, Saturday, Friday (Monday = 0)
WORSHIP_DAY_SHARES = (0.75, 0.12, 0.13)


class Kind(IntEnum):
    COMMUTER = 0
    NIGHT_SHIFT = 1
    HOME_BASED = 2
    THROUGH = 3


@dataclass
class Population:
    """Parallel per-vehicle arrays; index i is vehicle ``v{i:07d}``."""

    codes: tuple[str, ...]
    plate: PlateArray
    state: npt.NDArray[np.int8]
    make: npt.NDArray[np.int8]
    colour: npt.NDArray[np.int8]
    vtype: npt.NDArray[np.int8]
    kind: npt.NDArray[np.int8]
    home: I32
    home_xy: npt.NDArray[np.float64]
    work: I32  # node, -1 for none
    work_xy: npt.NDArray[np.float64]  # NaN for none
    depart: F32  # habitual departure to work, local seconds
    duration: F32  # time spent at work
    workdays: npt.NDArray[np.uint8]  # bit d set = works on weekday d (Monday = 0)
    errand_rate: F32  # errands per day
    shops: npt.NDArray[np.int64]  # (n, 3) preferred shop place indices
    worship: npt.NDArray[np.int64]  # place index, -1 for none
    worship_day: npt.NDArray[np.int8]
    worship_time: F32
    sensitive: dict[PlaceKind, npt.NDArray[np.int64]]  # nearest place of each kind

    @property
    def size(self) -> int:
        return int(self.plate.size)

    def plate_text(self, index: int) -> str:
        return bytes(self.plate[index]).decode("ascii")

    def vehicle_id(self, index: int) -> str:
        return f"v{index:07d}"


def _gravity_zones(roads: RoadNet, routes: Routes, home_zone: I32, rng: np.random.Generator) -> I32:
    """A work zone per vehicle: P(z | home zone) ∝ jobs(z) · exp(−d / L)."""
    z = routes.zones
    jobs = np.bincount(routes.zone, weights=roads.jobs, minlength=z)
    hub_xy = roads.xy[routes.hubs]
    d = np.sqrt(((hub_xy[:, None, :] - hub_xy[None, :, :]) ** 2).sum(axis=2))
    side = math.sqrt(np.ptp(roads.xy[:, 0]) * np.ptp(roads.xy[:, 1]))
    scale = min(12_000.0, max(3_000.0, 0.25 * side))
    attraction = jobs[None, :] * np.exp(-d / scale)
    cdf = np.cumsum(attraction, axis=1)
    cdf /= cdf[:, -1:]
    cdf[:, -1] = 1.0
    flat = (cdf + np.arange(z)[:, None]).ravel()
    u = 1.0 - rng.random(home_zone.size)
    found = np.searchsorted(flat, home_zone + u, side="left")
    return (found - home_zone.astype(np.int64) * z).astype(np.int32)


def _node_in_zone(
    routes: Routes, weights: npt.NDArray[np.float64], zones: I32, rng: np.random.Generator
) -> I32:
    """A node inside each given zone, drawn by ``weights``."""
    order = np.argsort(routes.zone, kind="stable")
    zone_sorted = routes.zone[order]
    w = weights[order]
    cum = np.cumsum(w)
    starts = np.searchsorted(zone_sorted, np.arange(routes.zones), side="left")
    ends = np.searchsorted(zone_sorted, np.arange(routes.zones), side="right")
    base = np.concatenate([[0.0], cum])[starts]
    span = np.concatenate([[0.0], cum])[ends] - base
    frac = (cum - np.repeat(base, ends - starts)) / np.repeat(span, ends - starts)
    last = ends - 1
    frac[last[ends > starts]] = 1.0
    flat = frac + zone_sorted
    u = 1.0 - rng.random(zones.size)
    return order[np.searchsorted(flat, zones + u, side="left")].astype(np.int32)


def build_population(
    roads: RoadNet,
    routes: Routes,
    places: PlaceSet,
    count: int,
    home_state: str,
    rng: np.random.Generator,
) -> Population:
    """Draws ``count`` vehicles with homes, workplaces, habits and plates."""
    codes = state_codes(home_state)
    kind = rng.choice(len(KIND_SHARES), size=count, p=KIND_SHARES).astype(np.int8)
    through = kind == Kind.THROUGH
    state = np.where(
        through,
        rng.choice(len(codes), size=count, p=state_mix(codes, resident=False)),
        rng.choice(len(codes), size=count, p=state_mix(codes, resident=True)),
    ).astype(np.int8)
    plate = make_plates(state, codes, rng)
    home = rng.choice(roads.size, size=count, p=roads.residents).astype(np.int32)
    edge = np.flatnonzero(
        (roads.row == roads.row.min()) | (roads.row == roads.row.max())
        | (roads.col == roads.col.min()) | (roads.col == roads.col.max())
    )  # fmt: skip
    home[through] = edge[rng.integers(0, edge.size, int(through.sum()))]
    home_zone = routes.zone[home]
    jitter = rng.uniform(-0.45, 0.45, (count, 2)) * roads.spacing
    home_xy = roads.xy[home] + jitter
    works = (kind == Kind.COMMUTER) | (kind == Kind.NIGHT_SHIFT)
    work = np.full(count, -1, dtype=np.int32)
    work_zone = _gravity_zones(roads, routes, home_zone[works], rng)
    work[works] = _node_in_zone(routes, roads.jobs, work_zone, rng)
    work[through] = edge[rng.integers(0, edge.size, int(through.sum()))]  # where they head
    work_xy = np.full((count, 2), np.nan)
    work_xy[works] = (
        roads.xy[work[works]] + rng.uniform(-0.45, 0.45, (int(works.sum()), 2)) * roads.spacing
    )
    night = kind == Kind.NIGHT_SHIFT
    depart = (
        np.where(
            night,
            rng.normal(21.5, 1.0, count).clip(18.0, 23.5),
            rng.normal(7.75, 0.8, count).clip(5.0, 10.5),
        )
        * HOUR
    )
    duration = (
        np.where(night, rng.normal(8.5, 0.5, count), rng.normal(9.0, 0.75, count)).clip(4.0, 11.5)
        * HOUR
    )
    pattern = rng.choice(3, size=count, p=(0.8, 0.1, 0.1))
    four = np.array([0b11111 ^ (1 << d) for d in range(5)], dtype=np.uint8)  # one weekday off
    workdays = np.select(
        [pattern == 0, pattern == 1],
        [np.uint8(0b0011111), four[rng.integers(0, 5, count)]],
        np.uint8(0b0111110),
    ).astype(np.uint8)
    errand_rate = rng.gamma(2.0, 0.35, count) * np.where(kind == Kind.HOME_BASED, 1.5, 1.0)
    shops = places.nearest[PlaceKind.SHOP][home_zone[:, None], rng.integers(0, 6, (count, 3))]
    attends = (rng.random(count) < WORSHIP_SHARE) & ~through
    worship = np.where(
        attends,
        places.nearest[PlaceKind.PLACE_OF_WORSHIP][home_zone, rng.integers(0, 3, count)],
        -1,
    )
    day_choice = rng.choice(3, size=count, p=WORSHIP_DAY_SHARES)
    worship_day = np.asarray(WORSHIP_DAYS, dtype=np.int8)[day_choice]
    worship_time = (
        np.choose(
            day_choice,
            [
                rng.uniform(9.0, 11.5, count),
                rng.uniform(9.0, 10.5, count),
                rng.uniform(12.0, 19.0, count),
            ],
        )
        * HOUR
    )
    sensitive = {
        kind_: places.nearest[kind_][home_zone, rng.integers(0, 2, count)]
        for kind_ in (PlaceKind.CLINIC, PlaceKind.REPRODUCTIVE_HEALTH,
                      PlaceKind.IMMIGRATION_OFFICE, PlaceKind.SHELTER)
    }  # fmt: skip
    return Population(
        codes=codes,
        plate=plate,
        state=state,
        make=pick(MAKE_WEIGHTS, count, rng),
        colour=pick(COLOUR_WEIGHTS, count, rng),
        vtype=pick(TYPE_WEIGHTS, count, rng),
        kind=kind,
        home=home,
        home_xy=home_xy,
        work=work,
        work_xy=work_xy,
        depart=depart.astype(np.float32),
        duration=duration.astype(np.float32),
        workdays=workdays,
        errand_rate=errand_rate.astype(np.float32),
        shops=shops.astype(np.int64),
        worship=worship.astype(np.int64),
        worship_day=worship_day,
        worship_time=worship_time.astype(np.float32),
        sensitive=sensitive,
    )
