"""Exact-plate lookups across a 30-day window: our encrypted, day-partitioned store (one
blind-index probe and decryption per day) against a plaintext indexed SQLite table holding
the same rows, measured in the same run.

    python bench/lookup.py --days 30 --reads-per-day 20000 --json

Both stores are filled once; then each round times ``--lookups`` exact lookups of random
fleet plates on each side, the two alternated round by round (``_rounds.alternate``) over
the same plates. ``ratio`` is the median of ours / raw p99 per round (lower is better).
The long-lived heap is frozen out of the GC first, as ``trustlpr serve`` does; the page cache
is warm (both stores were just written; the first, unrecorded round warms what is left).
"""

from __future__ import annotations

import argparse
import gc
import random
import secrets
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from _common import T0, emit, percentile, plates
from _rounds import alternate
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
        print(f"  populated day {day + 1}/{days}", file=sys.stderr, flush=True)
    return store, raw


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--reads-per-day", type=int, default=20_000)
    parser.add_argument("--lookups", type=int, default=400, help="lookups per round and side")
    parser.add_argument("--rounds", type=int, default=5, help="alternated rounds")
    parser.add_argument("--json", action="store_true", help="only the JSON line")
    args = parser.parse_args()
    fleet = plates(max(1000, args.reads_per_day // 4))
    rng = random.Random(11)
    picks = [[fleet[rng.randrange(len(fleet))] for _ in range(args.lookups)]
             for _ in range(args.rounds + 1)]  # fmt: skip
    start, end = T0, T0 + timedelta(days=args.days)
    found: list[int] = []
    p50: dict[str, list[float]] = {"ours": [], "raw": []}
    with tempfile.TemporaryDirectory() as tmp:
        store, raw = populate(Path(tmp), args.days, args.reads_per_day, fleet)
        gc.collect()
        gc.freeze()  # as `trustlpr serve` does after start-up: long-lived objects leave the GC

        def ours(k: int) -> float:
            times = []
            for plate in picks[k]:
                t = time.perf_counter()
                found.append(len(store.lookup(plate, start, end)))
                times.append((time.perf_counter() - t) * 1000)
            p50["ours"].append(percentile(times, 0.5))
            return percentile(times, 0.99)

        def base(k: int) -> float:
            times = []
            for plate in picks[k]:
                t = time.perf_counter()
                raw.execute(
                    "SELECT * FROM reads WHERE plate = ? AND t >= ? AND t < ?",
                    (plate, to_us(start), to_us(end)),
                ).fetchall()
                times.append((time.perf_counter() - t) * 1000)
            p50["raw"].append(percentile(times, 0.5))
            return percentile(times, 0.99)

        rounds = alternate(ours, base, args.rounds, warmup=True)
        store.close()
        raw.close()
    ours_p99, raw_p99 = rounds.medians()
    emit(
        {
            "days": args.days,
            "reads_per_day": args.reads_per_day,
            "lookups": args.lookups * args.rounds,
            "mean_results": round(sum(found) / len(found), 2),
            "p50_ms": round(statistics.median(p50["ours"][1:]), 3),
            "p99_ms": round(ours_p99, 3),
            "raw_p50_ms": round(statistics.median(p50["raw"][1:]), 3),
            "raw_p99_ms": round(raw_p99, 3),
            **rounds.ratio(2),
        },
        args.json,
    )


if __name__ == "__main__":
    main()
