"""Ingest throughput: the full pipeline (normalise, encrypt, blind index, store) against plain
batched sqlite3 inserts of the same rows into an indexed plaintext table, in the same run.

    python bench/ingest.py --reads 40000 --rounds 5 --json

Each round inserts ``--reads`` fresh rows on each side (a new store and a new table, both
WAL with synchronous=FULL), alternating the two (``_rounds.alternate``); ``ratio`` is the
median of ours / raw reads/s per round (goal >= 0.8, issue 19). Generating the native dicts
is timed on both sides alike. ``rss_growth_mb`` is the peak-RSS growth over the first round of
ours (information: peak memory must stay flat in N).
"""

from __future__ import annotations

import argparse
import secrets
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Callable
from itertools import islice
from pathlib import Path

from _common import emit, peak_rss_mb, raw_reads
from _rounds import alternate
from trustlpr.core import read_from_mapping
from trustlpr.store import SQLiteReadStore
from trustlpr.store.factory import key_rings

BATCH = 10_000


def ours(root: Path, n: int, seed: int = 1) -> float:
    store = SQLiteReadStore(root / "reads", key_rings(root, secrets.token_bytes(32)))
    source = raw_reads(n, seed=seed)
    start = time.perf_counter()
    while batch := list(islice(source, BATCH)):
        store.append([read_from_mapping(raw) for raw in batch])
    elapsed = time.perf_counter() - start
    store.close()
    return n / elapsed


def raw(root: Path, n: int, seed: int = 1) -> float:
    conn = sqlite3.connect(root / "raw.db")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute(
        "CREATE TABLE reads (id INTEGER PRIMARY KEY, plate TEXT, state TEXT, t TEXT, camera TEXT,"
        " confidence REAL, lat REAL, lon REAL)"
    )
    conn.execute("CREATE INDEX reads_plate_t ON reads (plate, t)")
    source = raw_reads(n, seed=seed)
    start = time.perf_counter()
    while batch := list(islice(source, BATCH)):
        with conn:
            conn.executemany(
                "INSERT INTO reads (plate, state, t, camera, confidence, lat, lon) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        r["plate"],
                        r["state"],
                        r["observed_at"],
                        r["camera_id"],
                        r["confidence"],
                        r["lat"],
                        r["lon"],
                    )
                    for r in batch
                ],
            )
    elapsed = time.perf_counter() - start
    conn.close()
    return n / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reads", type=int, default=40_000, help="reads per round and side")
    parser.add_argument("--rounds", type=int, default=5, help="alternated rounds")
    parser.add_argument("--json", action="store_true", help="only the JSON line")
    args = parser.parse_args()
    rss: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:

        def side(fn: Callable[[Path, int, int], float], name: str) -> Callable[[int], float]:
            def run(k: int) -> float:
                root = Path(tmp) / f"{name}-{k + 1}"
                root.mkdir()
                if name == "ours" and k == 0:
                    rss.append(peak_rss_mb())
                rate = fn(root, args.reads, k + 2)
                if name == "ours" and k == 0:
                    rss.append(peak_rss_mb())
                shutil.rmtree(root)
                return rate

            return run

        rounds = alternate(side(ours, "ours"), side(raw, "raw"), args.rounds)
    ours_rate, baseline = rounds.medians()
    emit(
        {
            "reads": args.reads,
            "ours_reads_per_s": round(ours_rate),
            "raw_sqlite_reads_per_s": round(baseline),
            **rounds.ratio(),
            "peak_rss_mb": round(peak_rss_mb(), 1),
            "rss_growth_mb": round(rss[1] - rss[0], 1),
            "ratio_goal": 0.8,
        },
        args.json,
    )


if __name__ == "__main__":
    main()
