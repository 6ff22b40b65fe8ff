"""Traffic with vehicle attributes, and a 30-day store of it built the fastest honest way.

A fleet of vehicles, each with a make, colour and body type drawn from rough US shares and
sent in the spellings cameras use ("Chevrolet", "chevy", "gray"); one read in ten carries no
attributes (a camera that sends none). Readers are spread over a city of about 11 km by
11 km: ``FIXED`` cameras at fixed positions, ``MOBILE`` patrol cars driving a loop route
(each read at the car's position at that moment). ``build`` writes ``days`` days of
``per_day`` reads into a ``SQLiteReadStore`` through its own ``append`` (the same sealing
and blind indexes as ingest; synchronous=NORMAL, since how durable the build is does not
change a search over it) in day-sized bulk batches, one worker process per core, each on its
own days; and the same reads in plain text (canonical values, position and its plain grid
cell) into an indexed SQLite table, the baseline.

Positions come from the camera and the time alone (no draw of the seeded generator), so the
reads' plates, times, cameras and attributes are what they were before positions were spread.
"""

from __future__ import annotations

import itertools
import math
import multiprocessing
import random
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from _common import plates
from trustlpr.core import Read
from trustlpr.core.vehicle import BODY_TYPES, COLOURS, MAKES, canonical
from trustlpr.geo.cells import cell_of
from trustlpr.store import SQLiteReadStore
from trustlpr.store.factory import key_rings

CAMERAS = [f"cam-{i}" for i in range(50)]
FIXED, MOBILE = CAMERAS[:40], CAMERAS[40:]
SOUTH, WEST, NORTH, EAST = 41.26, -72.99, 41.36, -72.86  # about 11 km by 11 km
_grid = random.Random(3)
FIXED_AT = {
    cam: (_grid.uniform(SOUTH, NORTH), _grid.uniform(WEST, EAST)) for cam in FIXED
}  # fmt: skip
ROUTE = ((41.27, -72.98), (41.35, -72.97), (41.35, -72.90), (41.31, -72.87), (41.27, -72.91),
         (41.30, -72.94), (41.27, -72.98))  # fmt: skip
"""The patrol loop the mobile units drive, one lap an hour, spaced evenly along it."""
_LAP_S = 3600.0
CHUNK = 50_000
_SHARES = {
    "make": {"toyota": 14, "ford": 13, "chevrolet": 12, "honda": 9, "nissan": 7, "hyundai": 5,
             "jeep": 5, "kia": 5, "subaru": 4, "ram": 4, "gmc": 4},
    "colour": {"white": 24, "black": 22, "grey": 18, "silver": 14, "blue": 9, "red": 8,
               "brown": 2, "green": 1},
    "vehicle_type": {"sedan": 35, "suv": 35, "pickup": 15, "van": 5, "hatchback": 4,
                     "wagon": 2},
}  # fmt: skip
_WORDS = {"make": MAKES, "colour": COLOURS, "vehicle_type": BODY_TYPES}


@dataclass(frozen=True, slots=True)
class Vehicle:
    plate: str
    sent: tuple[str, str, str]  # as its camera spells them
    canonical: tuple[str, str, str]


def fleet(size: int, seed: int = 11) -> list[Vehicle]:
    rng = random.Random(seed)
    out = []
    for plate in plates(size, seed):
        sent, canon = [], []
        for kind in ("make", "colour", "vehicle_type"):
            words = list(_WORDS[kind])
            weights = [_SHARES[kind].get(w, 1) for w in words]
            value = rng.choices(words, weights)[0]
            sent.append(rng.choice((value, value.title(), value.upper(), *_WORDS[kind][value])))
            canon.append(value)
        out.append(Vehicle(plate, (sent[0], sent[1], sent[2]), (canon[0], canon[1], canon[2])))
    return out


def position(camera: str, at: datetime) -> tuple[float, float]:
    """``(lat, lon)`` of a read: a fixed camera's own, or where a patrol car is on its lap."""
    if camera in FIXED_AT:
        return FIXED_AT[camera]
    lap = (at.timestamp() / _LAP_S + MOBILE.index(camera) / len(MOBILE)) % 1.0
    legs = [math.dist(a, b) for a, b in itertools.pairwise(ROUTE)]
    along = lap * sum(legs)
    for (a, b), leg in zip(itertools.pairwise(ROUTE), legs, strict=True):
        if along <= leg:
            f = along / leg
            return a[0] + (b[0] - a[0]) * f, a[1] + (b[1] - a[1]) * f
        along -= leg
    return ROUTE[-1]


def day_reads(vehicles: list[Vehicle], start: datetime, count: int, seed: int) -> Iterator[Read]:
    """One day's reads, in time order, in a fixed pseudo-random order of vehicles."""
    rng = random.Random(seed)
    step = 86400 / count
    for i in range(count):
        v = vehicles[rng.randrange(len(vehicles))]
        make, colour, vtype = v.sent if rng.random() >= 0.1 else (None, None, None)
        at, camera = start + timedelta(seconds=i * step), CAMERAS[rng.randrange(len(CAMERAS))]
        lat, lon = position(camera, at)
        yield Read(v.plate, "CT", 0.9, at, camera, "nhpd", lat, lon,
                   make=make, colour=colour, vehicle_type=vtype)  # fmt: skip


_RAW_TABLE = ("CREATE TABLE reads (plate TEXT, t REAL, camera TEXT, make TEXT, colour TEXT, "
              "vehicle_type TEXT, lat REAL, lon REAL, cell TEXT)")  # fmt: skip


def _build_days(job: tuple[Path, bytes, int, list[int], int, datetime]) -> int:
    root, root_key, fleet_size, days, per_day, t0 = job
    vehicles = fleet(fleet_size)
    store = SQLiteReadStore(root / "reads", key_rings(root, root_key), synchronous="NORMAL")
    raw = sqlite3.connect(root / f"raw-{days[0]}.db")
    raw.execute("PRAGMA journal_mode=WAL")
    raw.execute(_RAW_TABLE)
    written = 0
    for day in days:
        source = day_reads(vehicles, t0 + timedelta(days=day), per_day, seed=1000 + day)
        while chunk := [r for _, r in zip(range(CHUNK), source, strict=False)]:
            store.append(chunk)
            with raw:
                raw.executemany(
                    "INSERT INTO reads VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    [(r.plate, r.observed_at.timestamp(), r.camera_id,
                      canonical("make", r.make), canonical("colour", r.colour),
                      canonical("vehicle_type", r.vehicle_type), r.latitude, r.longitude,
                      cell_of(r.latitude, r.longitude)) for r in chunk],
                )  # fmt: skip
            written += len(chunk)
    store.close()
    raw.close()
    return written


def build(
    root: Path, root_key: bytes, *, days: int, per_day: int, t0: datetime, workers: int
) -> sqlite3.Connection:
    """Builds the store under ``root`` and returns the plaintext baseline's connection."""
    fleet_size = max(1000, per_day // 4)
    shares = [list(range(w, days, workers)) for w in range(workers)]
    jobs = [(root, root_key, fleet_size, share, per_day, t0) for share in shares if share]
    with multiprocessing.get_context("fork").Pool(len(jobs)) as pool:
        pool.map(_build_days, jobs)
    raw = sqlite3.connect(root / "raw.db")
    raw.execute(_RAW_TABLE)
    for job in jobs:
        part = root / f"raw-{job[3][0]}.db"
        raw.execute("ATTACH DATABASE ? AS part", (str(part),))
        with raw:
            raw.execute("INSERT INTO reads SELECT * FROM part.reads")
        raw.execute("DETACH DATABASE part")
    for column in ("make", "colour", "vehicle_type", "cell"):
        raw.execute(f"CREATE INDEX reads_{column} ON reads ({column}, t)")
    raw.commit()
    return raw
