"""The simulated city as one object: build it from a config, then ask for days of reads.

Reads come out as ``ReadBatch`` columns (numpy arrays), one per simulated day, sorted by
time; the ground truth (which vehicle, what was wrong) rides along in the same batch but is
never part of the read dicts. Same config and day → identical batch, on any machine with the
same numpy major version: each day draws from its own generator seeded by (seed, day).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import numpy.typing as npt

from ..core.errors import InputError
from .config import CameraSite, CityConfig, check_days
from .ocr import read_plates
from .places import Place, choose_places
from .plategen import COLOURS, MAKES, VEHICLE_TYPES
from .population import Kind, build_population
from .roads import aim_cameras, build_roads, place_cameras
from .routes import build_routes, headings_by_camera, plan_routes
from .sites import load_sites
from .trips import arrival, day_trips, trip_passes

_CITY_STREAM = 0
_DAY_STREAM = 1
_RANK_STREAM = 2


@dataclass
class ReadBatch:
    """Reads of one day as columns. ``vehicle``, ``text_error``, ``state_error`` and the
    ``visit_*`` columns are ground truth for tests and the exposure analysis."""

    day: int
    t: npt.NDArray[np.float64]  # UTC epoch seconds
    camera: npt.NDArray[np.int32]
    plate: npt.NDArray[np.bytes_]  # what the camera read
    state: npt.NDArray[np.int8]  # index into Simulation.state_codes, -1 unread
    confidence: npt.NDArray[np.float32]
    heading: npt.NDArray[np.int16]  # vehicle heading in degrees, -1 unknown
    hit: npt.NDArray[np.bool_]  # read text equals a planted stolen plate
    vehicle: npt.NDArray[np.int32]
    text_error: npt.NDArray[np.int8]
    state_error: npt.NDArray[np.int8]
    visit_vehicle: npt.NDArray[np.int64]
    visit_place: npt.NDArray[np.int64]
    visit_t: npt.NDArray[np.float64]

    def __len__(self) -> int:
        return int(self.t.size)

    def select(self, index: npt.NDArray[np.integer] | npt.NDArray[np.bool_]) -> ReadBatch:
        """The reads at ``index`` (visits are kept whole)."""
        cols = {
            f.name: getattr(self, f.name)[index] for f in fields(self) if _is_read_column(f.name)
        }
        return replace(self, **cols)


def _is_read_column(name: str) -> bool:
    return name not in ("day",) and not name.startswith("visit_")


class Simulation:
    """A built city: roads, cameras, places, fleet. Cheap to query, deterministic per day."""

    def __init__(self, config: CityConfig) -> None:
        config.validate()
        self.config = config
        rng = np.random.default_rng([config.seed, _CITY_STREAM])
        sites = list(config.sites) if config.sites is not None else None
        self.roads = build_roads(config, rng, sites)
        cameras = place_cameras(self.roads, config, rng, sites)
        plan = plan_routes(self.roads)
        self.routes = build_routes(self.roads, cameras, plan)
        if sites is None:  # face the busiest approach, then route again with aimed cameras
            cameras = aim_cameras(cameras, headings_by_camera(self.routes, len(cameras)))
            self.routes = build_routes(self.roads, cameras, plan)
        self.cameras = cameras
        self.places = choose_places(self.roads, self.routes.hubs, config.vehicles, rng)
        self.population = build_population(
            self.roads, self.routes, self.places, config.vehicles, config.home_state, rng
        )
        commuters = np.flatnonzero(self.population.kind == Kind.COMMUTER)
        count = min(config.stolen, config.vehicles)
        pool = commuters if commuters.size >= count else np.arange(config.vehicles)
        self.stolen = np.sort(rng.choice(pool, size=count, replace=False))
        self._stolen_plates = self.population.plate[self.stolen]
        self._tz = ZoneInfo(config.timezone)
        xy = self.roads.projection.to_xy(
            np.array([c.site.lat for c in self.cameras]),
            np.array([c.site.lon for c in self.cameras]),
        )
        self.camera_xy = xy
        order = np.arange(len(self.cameras))
        if sites is not None:  # real sites have no ranking: thin them out in a seeded order
            order = np.random.default_rng([config.seed, _RANK_STREAM]).permutation(order)
        self.camera_rank = np.empty_like(order)
        self.camera_rank[order] = np.arange(order.size)

    @classmethod
    def for_place(
        cls, config: CityConfig, shared_dir: Path, place: str, *, agency_id: str | None = None
    ) -> Simulation:
        """A city around the real cameras of ``place`` (a state or an operator name)."""
        sites, state = load_sites(shared_dir, place, agency_id=agency_id)
        return cls(replace(config, sites=tuple(sites), home_state=state))

    @property
    def state_codes(self) -> tuple[str, ...]:
        return self.population.codes

    @property
    def sites(self) -> list[CameraSite]:
        return [c.site for c in self.cameras]

    @property
    def sensitive_places(self) -> list[Place]:
        return self.places.sensitive

    def midnight(self, day: int) -> float:
        """UTC epoch seconds of local midnight starting simulated day ``day``."""
        local = datetime.combine(self.config.start + timedelta(days=day), time(), self._tz)
        return local.timestamp()

    def weekday(self, day: int) -> int:
        return (self.config.start + timedelta(days=day)).weekday()

    def day(self, day: int) -> ReadBatch:
        """All reads caused by trips that start on ``day`` (some may end after midnight)."""
        rng = np.random.default_rng([self.config.seed, _DAY_STREAM, day])
        pop = self.population
        trips = day_trips(
            pop, self.routes, self.places, self.config.seed, day, self.weekday(day), rng
        )
        passes = trip_passes(trips, self.routes, rng)
        seen = np.flatnonzero(
            rng.random(passes.trip.size, dtype=np.float32) >= self.config.noise.miss
        )
        seconds = np.round(passes.t_local[seen]).astype(np.int64)
        # unique keys (second, then pass index) give one order whatever the sort algorithm
        rows = seen[np.argsort(seconds * (1 << 27) + np.arange(seen.size), kind="quicksort")]
        vehicle = trips.vehicle[passes.trip[rows]].astype(np.int32)
        ocr = read_plates(
            pop.plate[vehicle], pop.state[vehicle], len(pop.codes), self.config.noise, rng
        )
        hit = np.isin(vehicle, self.stolen) & (ocr.plate_error == 0)
        misread = np.flatnonzero(ocr.plate_error != 0)
        hit[misread] = np.isin(ocr.plate[misread], self._stolen_plates)  # a misread can hit too
        visit = trips.place >= 0
        return ReadBatch(
            day=day,
            t=self.midnight(day) + np.round(passes.t_local[rows]),
            camera=passes.camera[rows],
            plate=ocr.plate,
            state=ocr.state,
            confidence=ocr.confidence,
            heading=passes.heading[rows],
            hit=hit,
            vehicle=vehicle,
            text_error=ocr.plate_error,
            state_error=ocr.state_error,
            visit_vehicle=trips.vehicle[visit],
            visit_place=trips.place[visit],
            visit_t=self.midnight(day) + arrival(trips, self.routes)[visit],
        )

    def batches(self, days: int, *, first: int = 0) -> Iterator[ReadBatch]:
        """Days ``first .. first+days-1`` in time order: reads after midnight move to the next
        batch, so the concatenation of the batches is sorted by time."""
        check_days(days)
        carry: ReadBatch | None = None
        for day in range(first, first + days):
            batch = self.day(day)
            if carry is not None and len(carry):
                batch = _merge(carry, batch)
            cut = int(np.searchsorted(batch.t, self.midnight(day + 1), side="left"))
            if day < first + days - 1:
                carry = batch.select(np.arange(cut, len(batch)))
                batch = batch.select(np.arange(cut))
            yield batch

    def window(self, since: datetime, until: datetime) -> Iterator[ReadBatch]:
        """The reads observed in ``[since, until)``, in time order: the simulated days that
        cover it, cut at both ends. ``trustlpr sim`` asks for a window that ends now, so it
        never writes a read from the future. ``since`` must not be before day 0."""
        first = self._day_of(since)
        if first < 0:
            raise InputError("the window starts before the simulation's first day", field="start")
        lo, hi = since.timestamp(), until.timestamp()
        if hi <= lo:
            return
        days = self._day_of(until) - first + 1
        # from the day before: its trips that end after midnight are reads of the first day
        begin = max(0, first - 1)
        for batch in self.batches(days + first - begin, first=begin):
            if len(batch) and (batch.t[0] >= lo and batch.t[-1] < hi):
                yield batch
                continue
            keep = np.flatnonzero((batch.t >= lo) & (batch.t < hi))
            if keep.size:
                yield batch.select(keep)

    def _day_of(self, moment: datetime) -> int:
        """The simulated day (local date) ``moment`` falls in; negative before day 0."""
        return (moment.astimezone(self._tz).date() - self.config.start).days

    def stolen_records(self) -> list[dict[str, str]]:
        """The planted hot-list plates (NCIC category V, stolen vehicle), for the demo."""
        pop = self.population
        return [
            {
                "plate": pop.plate_text(i),
                "state": pop.codes[int(pop.state[i])],
                "category": "V",
                "vehicle_id": pop.vehicle_id(i),
                "make": MAKES[int(pop.make[i])],
                "colour": COLOURS[int(pop.colour[i])],
                "vehicle_type": VEHICLE_TYPES[int(pop.vtype[i])],
            }
            for i in self.stolen.tolist()
        ]

    def hotlist_entries(
        self, *, owner: str, expires_at: datetime, case_prefix: str = "SIM-", first_case: int = 1
    ) -> list[dict[str, str]]:
        """The planted plates as hot-list entries, in the fields ``trustlpr hotlist import``
        reads from CSV (and ``HotlistService.add_entry`` takes): stolen vehicles, category V,
        with a case number each and the given owner and expiry."""
        return [
            {
                "plate": record["plate"],
                "state": record["state"],
                "category": "V",
                "reason": f"stolen {record['colour']} {record['make']}",
                "case_number": f"{case_prefix}{first_case + i:06d}",
                "owner": owner,
                "expires_at": expires_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
                "make": record["make"],
                "colour": record["colour"],
            }
            for i, record in enumerate(self.stolen_records())
        ]

    def camera_records(self) -> list[dict[str, object]]:
        """The camera list to register: id, name, lat, lon, direction (facing), agency."""
        return [
            {
                "id": s.id,
                "name": s.name,
                "lat": s.lat,
                "lon": s.lon,
                "direction": s.facing,
                "agency_id": s.agency_id,
            }
            for s in self.sites
        ]


def _merge(a: ReadBatch, b: ReadBatch) -> ReadBatch:
    cols: dict[str, Any] = {
        f.name: np.concatenate([getattr(a, f.name), getattr(b, f.name)])
        for f in fields(ReadBatch)
        if _is_read_column(f.name)
    }
    merged = replace(b, **cols)
    return merged.select(np.argsort(merged.t, kind="stable"))


def simulate_sites(config: CityConfig, sites: Sequence[CameraSite]) -> Simulation:
    """A city laid around given camera sites (e.g. a live network's registered cameras)."""
    return Simulation(replace(config, sites=tuple(sites)))
