"""Traffic with vehicle attributes, and a 30-day store of it built the fastest honest way.

A fleet of vehicles, each with a make, colour and body type drawn from rough US shares and
sent in the spellings cameras use ("Chevrolet", "chevy", "gray"); one read in ten carries no
attributes (a camera that sends none). ``build`` writes ``days`` days of ``per_day`` reads
into a ``SQLiteReadStore`` through its own ``append`` (the same sealing and blind indexes as
ingest; synchronous=NORMAL, since how durable the build is does not change a search over it)
in day-sized bulk batches, one worker process per core, each on its own days; and the same
reads in plain text (canonical values) into an indexed SQLite table, the baseline.
"""

from __future__ import annotations

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
from trustlpr.store import SQLiteReadStore
from trustlpr.store.factory import key_rings

CAMERAS = [f"cam-{i}" for i in range(50)]
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


def day_reads(vehicles: list[Vehicle], start: datetime, count: int, seed: int) -> Iterator[Read]:
    """One day's reads, in time order, in a fixed pseudo-random order of vehicles."""
    rng = random.Random(seed)
    step = 86400 / count
    for i in range(count):
        v = vehicles[rng.randrange(len(vehicles))]
        make, colour, vtype = v.sent if rng.random() >= 0.1 else (None, None, None)
        yield Read(v.plate, "CT", 0.9, start + timedelta(seconds=i * step),
                   CAMERAS[rng.randrange(len(CAMERAS))], "nhpd", 41.3, -72.9,
                   make=make, colour=colour, vehicle_type=vtype)  # fmt: skip


def _build_days(job: tuple[Path, bytes, int, list[int], int, datetime]) -> int:
    root, root_key, fleet_size, days, per_day, t0 = job
    vehicles = fleet(fleet_size)
    store = SQLiteReadStore(root / "reads", key_rings(root, root_key), synchronous="NORMAL")
    raw = sqlite3.connect(root / f"raw-{days[0]}.db")
    raw.execute("PRAGMA journal_mode=WAL")
    raw.execute("CREATE TABLE reads (plate TEXT, t REAL, camera TEXT, make TEXT, colour TEXT, "
                "vehicle_type TEXT)")  # fmt: skip
    written = 0
    for day in days:
        source = day_reads(vehicles, t0 + timedelta(days=day), per_day, seed=1000 + day)
        while chunk := [r for _, r in zip(range(CHUNK), source, strict=False)]:
            store.append(chunk)
            with raw:
                raw.executemany(
                    "INSERT INTO reads VALUES (?, ?, ?, ?, ?, ?)",
                    [(r.plate, r.observed_at.timestamp(), r.camera_id,
                      canonical("make", r.make), canonical("colour", r.colour),
                      canonical("vehicle_type", r.vehicle_type)) for r in chunk],
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
    raw.execute("CREATE TABLE reads (plate TEXT, t REAL, camera TEXT, make TEXT, colour TEXT, "
                "vehicle_type TEXT)")  # fmt: skip
    for job in jobs:
        part = root / f"raw-{job[3][0]}.db"
        raw.execute("ATTACH DATABASE ? AS part", (str(part),))
        with raw:
            raw.execute("INSERT INTO reads SELECT * FROM part.reads")
        raw.execute("DETACH DATABASE part")
    for column in ("make", "colour", "vehicle_type"):
        raw.execute(f"CREATE INDEX reads_{column} ON reads ({column}, t)")
    raw.commit()
    return raw
