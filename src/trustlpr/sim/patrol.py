"""Patrol cars: mobile units that drive loops through the city and read the cars parked on it.

A fixed camera sees vehicles that pass it; a patrol car's reader sees the vehicles parked
along the streets it drives — in the evening and at night mostly at their owners' homes —
which is why mobile readers reveal where people live. Each unit drives, during its shift, a
loop through a few of the city's camera corners (the fastest road path between them, on
the same road graph the traffic uses), and at each corner it passes reads the vehicles
whose home is that corner and which are at home then (not at work), each with some chance.

Every read carries its own position (the corner, a few metres along the road), the car's
heading towards the next corner and its speed, as a mobile camera's reads must (see
docs/ingest.md, "Mobile cameras"). Deterministic per (seed, day), like the rest of the city.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import networkx as nx
import numpy as np
import numpy.typing as npt

from ..core.errors import InputError
from .city import Simulation
from .ocr import read_plates
from .population import Kind, Population
from .sites import bearing

_PATROL_STREAM = 3
MAX_PATROLS = 200
SHIFT = (15 * 3600.0, 23 * 3600.0)
"""The patrol shift in local seconds of the day (a swing shift: 15:00–23:00)."""
SEEN = 0.6
"""The chance that the reader gets a parked car it drives past."""


@dataclass(frozen=True)
class PatrolUnit:
    """One mobile unit: its camera id and name, its base (the loop's first corner), and the
    loop as road nodes with the seconds from the loop's start at each."""

    id: str
    name: str
    lat: float
    lon: float
    route: npt.NDArray[np.int64]
    times: npt.NDArray[np.float64]


@dataclass
class PatrolReads:
    """One day's patrol reads as columns; ``vehicle`` and ``node`` are ground truth."""

    t: npt.NDArray[np.float64]  # UTC epoch seconds
    unit: npt.NDArray[np.int32]
    lat: npt.NDArray[np.float64]
    lon: npt.NDArray[np.float64]
    heading: npt.NDArray[np.int16]
    speed: npt.NDArray[np.float32]  # km/h
    plate: npt.NDArray[np.bytes_]
    state: npt.NDArray[np.int8]
    confidence: npt.NDArray[np.float32]
    vehicle: npt.NDArray[np.int32]
    node: npt.NDArray[np.int64]
    text_error: npt.NDArray[np.int8]
    hit: npt.NDArray[np.bool_]  # read text equals a planted stolen plate

    def __len__(self) -> int:
        return int(self.t.size)


class Patrols:
    """``count`` patrol cars of ``sim``'s agency; ``day`` gives a day's reads."""

    def __init__(self, sim: Simulation, count: int, *, stops: int = 4) -> None:
        if not 0 <= count <= MAX_PATROLS:
            raise InputError(f"{count} is outside 0..{MAX_PATROLS}", field="patrols")
        self.sim = sim
        rng = np.random.default_rng([sim.config.seed, _PATROL_STREAM])
        corners = np.array(sorted({c.node for c in sim.cameras}), dtype=np.int64)
        self.units = [self._unit(i, corners, min(stops, corners.size), rng) for i in range(count)]
        pop = sim.population
        parked = np.flatnonzero(pop.kind != Kind.THROUGH)  # through traffic lives elsewhere
        order = parked[np.argsort(pop.home[parked], kind="stable")]
        self._by_home = order
        self._home_sorted = pop.home[order]

    def _unit(
        self, index: int, corners: npt.NDArray[np.int64], stops: int, rng: np.random.Generator
    ) -> PatrolUnit:
        graph = self.sim.roads.graph
        chosen = rng.choice(corners, size=stops, replace=False).tolist()
        route: list[int] = [int(chosen[0])]
        times: list[float] = [0.0]
        for a, b in zip(chosen, chosen[1:] + chosen[:1], strict=True):
            if a == b:
                continue
            path = nx.shortest_path(graph, int(a), int(b), weight="time")
            for u, v in itertools.pairwise(path):
                route.append(int(v))
                times.append(times[-1] + float(graph[u][v]["time"]))
        lat, lon = self.sim.roads.latlon(np.array(route[:1]))
        number = index + 1
        return PatrolUnit(
            f"patrol-{number}",
            f"Patrol car {number}",
            float(lat[0]),
            float(lon[0]),
            np.array(route, dtype=np.int64),
            np.array(times, dtype=np.float64),
        )

    def day(self, day: int) -> PatrolReads:
        """The reads of every unit's shift on simulated ``day``, sorted by time."""
        sim, pop = self.sim, self.sim.population
        rng = np.random.default_rng([sim.config.seed, _PATROL_STREAM, day])
        weekday = sim.weekday(day)
        cols: dict[str, list[npt.NDArray[Any]]] = {k: [] for k in ("t", "unit", "v", "node", "nxt")}
        for u, unit in enumerate(self.units):
            loop = float(unit.times[-1])
            if loop <= 0:
                continue
            start = SHIFT[0] + rng.uniform(0, 600)
            laps = np.arange(int((SHIFT[1] - start) // loop))
            at = (start + laps[:, None] * loop + unit.times[None, :-1]).ravel()
            node = np.tile(unit.route[:-1], laps.size)
            nxt = np.tile(unit.route[1:], laps.size)
            lo = np.searchsorted(self._home_sorted, node, side="left")
            hi = np.searchsorted(self._home_sorted, node, side="right")
            counts = hi - lo
            visit = np.repeat(np.arange(node.size), counts)
            offsets = np.arange(visit.size) - np.repeat(np.cumsum(counts) - counts, counts)
            vehicle = self._by_home[lo[visit] + offsets]
            home = _at_home(pop, vehicle, at[visit], weekday)
            seen = home & (rng.random(visit.size) < SEEN)
            cols["t"].append(at[visit][seen])
            cols["unit"].append(np.full(int(seen.sum()), u, dtype=np.int32))
            cols["v"].append(vehicle[seen].astype(np.int32))
            cols["node"].append(node[visit][seen])
            cols["nxt"].append(nxt[visit][seen])

        def joined(key: str, dtype: type[np.generic]) -> npt.NDArray[Any]:
            return np.concatenate(cols[key]).astype(dtype) if cols[key] else np.empty(0, dtype)

        t_local = joined("t", np.float64)
        order = np.argsort(t_local, kind="stable")
        t_local = t_local[order]
        unit_ix: npt.NDArray[np.int32] = joined("unit", np.int32)[order]
        vehicle = joined("v", np.int32)[order]
        node = joined("node", np.int64)[order]
        nxt = joined("nxt", np.int64)[order]
        roads = sim.roads
        delta = roads.xy[nxt] - roads.xy[node]
        length = np.hypot(delta[:, 0], delta[:, 1])
        along = rng.uniform(0.0, 15.0, node.size)  # a few metres past the corner
        frac = np.divide(along, length, out=np.zeros_like(along), where=length > 0)
        lat, lon = roads.projection.to_latlon(roads.xy[node] + delta * frac[:, None])
        edge = np.array(
            [roads.graph[a][b]["time"] for a, b in zip(node.tolist(), nxt.tolist(), strict=True)]
        )
        speed = np.divide(length * 3.6, edge, out=np.zeros_like(length), where=edge > 0)
        ocr = read_plates(pop.plate[vehicle], pop.state[vehicle], len(pop.codes),
                          sim.config.noise, rng)  # fmt: skip
        return PatrolReads(
            t=sim.midnight(day) + np.round(t_local),
            unit=unit_ix,
            lat=lat,
            lon=lon,
            heading=np.round(bearing(delta[:, 0], delta[:, 1])).astype(np.int16) % 360,
            speed=np.minimum(speed, 130.0).astype(np.float32),
            plate=ocr.plate,
            state=ocr.state,
            confidence=ocr.confidence,
            vehicle=vehicle,
            node=node,
            text_error=ocr.plate_error,
            hit=np.isin(ocr.plate, pop.plate[sim.stolen]),
        )

    def read_dicts(
        self, reads: PatrolReads, rows: Sequence[int] | None = None
    ) -> list[dict[str, object]]:
        """The reads (those at ``rows``, else all) in the native ingest fields, each with its
        own position."""
        codes = self.sim.state_codes
        agency = self.sim.config.agency_id
        return [
            {
                "plate": bytes(reads.plate[i]).decode("ascii"),
                "state": codes[int(reads.state[i])] if reads.state[i] >= 0 else None,
                "confidence": round(float(reads.confidence[i]), 3),
                "observed_at": datetime.fromtimestamp(float(reads.t[i]), UTC).isoformat(),
                "camera_id": self.units[int(reads.unit[i])].id,
                "agency_id": agency,
                "lat": round(float(reads.lat[i]), 7),
                "lon": round(float(reads.lon[i]), 7),
                "direction": float(reads.heading[i]),
                "speed": round(float(reads.speed[i]), 1),
            }
            for i in (range(len(reads)) if rows is None else rows)
        ]


def _at_home(
    pop: Population, vehicle: npt.NDArray[np.int64], t_local: npt.NDArray[np.float64], weekday: int
) -> npt.NDArray[np.bool_]:
    """Whether each vehicle is parked at home at local second ``t_local`` of the day: not
    during its work shift on a workday (a night shift runs past midnight)."""
    works = (pop.work[vehicle] >= 0) & ((pop.workdays[vehicle] >> weekday) & 1).astype(bool)
    begin = pop.depart[vehicle].astype(np.float64)
    end = begin + pop.duration[vehicle]
    inside = ((t_local >= begin) & (t_local < end)) | (t_local + 86_400.0 < end)
    away: npt.NDArray[np.bool_] = works & inside
    return ~away
