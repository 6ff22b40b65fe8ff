"""Exact-plate lookups across a 30-day window: our encrypted, day-partitioned store (one
blind-index probe and decryption per day) against a plaintext indexed SQLite table holding
the same rows, measured in the same run.

    python bench/lookup.py --days 30 --reads-per-day 200000 --json
"""

from __future__ import annotations

import argparse
import gc
import random
import secrets
import sqlite3
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from _common import T0, emit, percentile, plates
from trustlpr.core import Read
from trustlpr.store import SQLiteReadStore
from trustlpr.store.codec import to_us
from trustlpr.store.factory import key_rings

BATCH = 20_000


def populate(
    root: Path, days: int, per_day: int, fleet: list[str]
) -> tuple[SQLiteReadStore, sqlite3.Connection]:
    store = SQLiteReadStore(
        root / "reads", key_rings(root, secrets.token_bytes(32)), synchronous="NORMAL"
    )
    raw = sqlite3.connect(root / "raw.db")
    raw.execute("PRAGMA journal_mode=WAL")
    raw.execute("PRAGMA synchronous=NORMAL")
    raw.execute(
        "CREATE TABLE reads (plate TEXT, t INTEGER, camera TEXT, confidence REAL,"
        " lat REAL, lon REAL)"
    )
    raw.execute("CREATE INDEX reads_plate_t ON reads (plate, t)")
    rng = random.Random(3)
    step = 86400 / per_day
    for day in range(days):
        for offset in range(0, per_day, BATCH):
            batch = [
                Read(
                    plate=fleet[rng.randrange(len(fleet))],
                    state="CT",
                    confidence=0.9,
                    observed_at=T0 + timedelta(days=day, seconds=(offset + i) * step),
                    camera_id=f"cam-{i % 50}",
                    agency_id="a",
                    latitude=41.3,
                    longitude=-72.9,
                )
                for i in range(min(BATCH, per_day - offset))
            ]
            store.append(batch)
            with raw:
                raw.executemany(
                    "INSERT INTO reads VALUES (?, ?, ?, ?, ?, ?)",
                    [
                        (
                            r.plate,
                            to_us(r.observed_at),
                            r.camera_id,
                            r.confidence,
                            r.latitude,
                            r.longitude,
                        )
                        for r in batch
                    ],
                )
        print(f"  populated day {day + 1}/{days}", flush=True)
    return store, raw


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--reads-per-day", type=int, default=50_000)
    parser.add_argument("--lookups", type=int, default=2000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    fleet = plates(max(1000, args.reads_per_day // 4))
    with tempfile.TemporaryDirectory() as tmp:
        store, raw = populate(Path(tmp), args.days, args.reads_per_day, fleet)
        gc.collect()
        gc.freeze()  # as `trustlpr serve` does after start-up: long-lived objects leave the GC
        rng = random.Random(11)
        start, end = T0, T0 + timedelta(days=args.days)
        ours, base, found = [], [], 0
        for _ in range(args.lookups):
            plate = fleet[rng.randrange(len(fleet))]
            t = time.perf_counter()
            found += len(store.lookup(plate, start, end))
            ours.append((time.perf_counter() - t) * 1000)
            t = time.perf_counter()
            raw.execute(
                "SELECT * FROM reads WHERE plate = ? AND t >= ? AND t < ?",
                (plate, to_us(start), to_us(end)),
            ).fetchall()
            base.append((time.perf_counter() - t) * 1000)
        store.close()
        raw.close()
    emit(
        {
            "days": args.days,
            "reads_per_day": args.reads_per_day,
            "mean_results": round(found / args.lookups, 2),
            "p50_ms": round(percentile(ours, 0.5), 3),
            "p99_ms": round(percentile(ours, 0.99), 3),
            "raw_p50_ms": round(percentile(base, 0.5), 3),
            "raw_p99_ms": round(percentile(base, 0.99), 3),
            "ratio_p99": round(percentile(ours, 0.99) / percentile(base, 0.99), 2),
        },
        args.json,
    )


if __name__ == "__main__":
    main()
