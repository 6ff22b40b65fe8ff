"""Reads out of the simulation: native dicts, ``core.Read`` objects, JSONL, and the truth.

The native field set is the one ``core.reads.read_from_mapping`` accepts. Formatting is done
column-wise with per-camera and per-state fragments rendered once, because turning millions
of reads into text is the slow part of the simulator, not simulating them.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any, TextIO

import numpy as np
import numpy.typing as npt

from ..core.reads import Read
from .city import ReadBatch, Simulation
from .ocr import StateError, TextError
from .plategen import COLOURS, MAKES, VEHICLE_TYPES

NATIVE_FIELDS = (
    "plate", "state", "observed_at", "camera_id", "agency_id", "confidence", "lat", "lon",
    "direction", "make", "colour", "vehicle_type",
)  # fmt: skip
ObjArray = npt.NDArray[np.object_]


def _objects(values: Iterable[Any]) -> ObjArray:
    items = list(values)
    out = np.empty(len(items), dtype=object)
    out[:] = items
    return out


class ReadFormatter:
    """Renders ``ReadBatch`` rows of one simulation; build once, reuse for every batch."""

    def __init__(self, sim: Simulation) -> None:
        sites = sim.sites
        pop = sim.population
        self._pop = pop
        self.camera_id = _objects(s.id for s in sites)
        self.agency_id = _objects(s.agency_id for s in sites)
        self.lat = _objects(s.lat for s in sites)
        self.lon = _objects(s.lon for s in sites)
        self.state = _objects([*pop.codes, None])  # index -1 → None
        self.make = _objects(MAKES)
        self.colour = _objects(COLOURS)
        self.vtype = _objects(VEHICLE_TYPES)
        self._camera_json = _objects(
            ",".join(
                f"{json.dumps(k)}:{json.dumps(v)}"
                for k, v in (
                    ("camera_id", s.id),
                    ("agency_id", s.agency_id),
                    ("lat", s.lat),
                    ("lon", s.lon),
                )
            )
            for s in sites
        )
        self._state_json = _objects([*(json.dumps(c) for c in pop.codes), "null"])
        self._make_json = _objects(json.dumps(m) for m in MAKES)
        self._colour_json = _objects(json.dumps(c) for c in COLOURS)
        self._vtype_json = _objects(json.dumps(v) for v in VEHICLE_TYPES)

    @staticmethod
    def observed_at(batch: ReadBatch) -> list[str]:
        """ISO 8601 UTC text with 'Z', rendered once per distinct second."""
        seconds, inverse = np.unique(batch.t.astype(np.int64), return_inverse=True)
        text = np.datetime_as_string(seconds.astype("datetime64[s]"), unit="s")
        return list(_objects(f"{s}Z" for s in text.tolist())[inverse].tolist())

    def _columns(self, batch: ReadBatch) -> dict[str, list[Any]]:
        vehicle = batch.vehicle
        direction = batch.heading.astype(object)
        direction[batch.heading < 0] = None
        return {
            "plate": batch.plate.astype("U8").tolist(),
            "state": self.state[batch.state].tolist(),
            "observed_at": self.observed_at(batch),
            "camera_id": self.camera_id[batch.camera].tolist(),
            "agency_id": self.agency_id[batch.camera].tolist(),
            "confidence": batch.confidence.astype(np.float64).round(3).tolist(),
            "lat": self.lat[batch.camera].tolist(),
            "lon": self.lon[batch.camera].tolist(),
            "direction": direction.tolist(),
            "make": self.make[self._pop.make[vehicle]].tolist(),
            "colour": self.colour[self._pop.colour[vehicle]].tolist(),
            "vehicle_type": self.vtype[self._pop.vtype[vehicle]].tolist(),
        }

    def dicts(self, batch: ReadBatch) -> list[dict[str, Any]]:
        """Each read as a dict of the native field set (what a camera would send)."""
        cols = self._columns(batch)
        return [
            dict(zip(NATIVE_FIELDS, row, strict=True)) for row in zip(*cols.values(), strict=True)
        ]

    def reads(self, batch: ReadBatch) -> list[Read]:
        """Each read as a validated ``core.Read`` (slower; for in-process pipelines)."""
        cols = self._columns(batch)
        times = [datetime.fromtimestamp(int(t), UTC) for t in batch.t.tolist()]
        return [
            Read(plate=p, state=s, confidence=c, observed_at=t, camera_id=cam, agency_id=ag,
                 latitude=la, longitude=lo, direction=None if d is None else float(d),
                 make=mk, colour=co, vehicle_type=vt)
            for p, s, c, t, cam, ag, la, lo, d, mk, co, vt in zip(
                cols["plate"], cols["state"], cols["confidence"], times, cols["camera_id"],
                cols["agency_id"], cols["lat"], cols["lon"], cols["direction"], cols["make"],
                cols["colour"], cols["vehicle_type"], strict=True,
            )
        ]  # fmt: skip

    def jsonl(self, batch: ReadBatch) -> str:
        """The batch as JSON Lines text (one native read object per line)."""
        vehicle = batch.vehicle
        direction = np.where(batch.heading < 0, "null", batch.heading.astype(str).astype(object))
        rows = zip(
            batch.plate.astype("U8").tolist(),
            self._state_json[batch.state].tolist(),
            self.observed_at(batch),
            self._camera_json[batch.camera].tolist(),
            batch.confidence.astype(np.float64).round(3).tolist(),
            direction.tolist(),
            self._make_json[self._pop.make[vehicle]].tolist(),
            self._colour_json[self._pop.colour[vehicle]].tolist(),
            self._vtype_json[self._pop.vtype[vehicle]].tolist(),
            strict=True,
        )
        return "".join(
            f'{{"plate":"{p}","state":{s},"observed_at":"{t}",{cam},"confidence":{c},'
            f'"direction":{d},"make":{mk},"colour":{co},"vehicle_type":{vt}}}\n'
            for p, s, t, cam, c, d, mk, co, vt in rows
        )

    def truth(self, batch: ReadBatch) -> list[dict[str, Any]]:
        """Ground truth per read, in the same order: vehicle, true plate/state, error kinds."""
        pop = self._pop
        vehicle = batch.vehicle
        return [
            {"vehicle_id": f"v{v:07d}", "true_plate": p, "true_state": pop.codes[s],
             "text_error": TextError(te).name.lower(), "state_error": StateError(se).name.lower(),
             "hit": h}
            for v, p, s, te, se, h in zip(
                vehicle.tolist(), pop.plate[vehicle].astype("U8").tolist(),
                pop.state[vehicle].tolist(), batch.text_error.tolist(),
                batch.state_error.tolist(), batch.hit.tolist(), strict=True,
            )
        ]  # fmt: skip


def write_jsonl(
    sim: Simulation,
    batches: Iterable[ReadBatch],
    out: TextIO,
    *,
    truth: TextIO | None = None,
    on_batch: Callable[[ReadBatch], None] | None = None,
) -> int:
    """Writes every read as one JSON line to ``out`` (and its truth, line for line, to
    ``truth``); returns the number of reads written."""
    fmt = ReadFormatter(sim)
    count = 0
    for batch in batches:
        out.write(fmt.jsonl(batch))
        if truth is not None:
            truth.writelines(json.dumps(row, sort_keys=True) + "\n" for row in fmt.truth(batch))
        count += len(batch)
        if on_batch is not None:
            on_batch(batch)
    return count


def iter_reads(sim: Simulation, days: int, *, first: int = 0) -> Iterable[dict[str, Any]]:
    """Every read of ``days`` days as native dicts, in time order."""
    fmt = ReadFormatter(sim)
    for batch in sim.batches(days, first=first):
        yield from fmt.dicts(batch)
