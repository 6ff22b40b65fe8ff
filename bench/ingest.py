"""Ingest throughput: the full pipeline (normalise, encrypt, blind index, store) against plain
batched sqlite3 inserts of the same rows in plaintext, measured in the same run.

    python bench/ingest.py --reads 200000 --json
"""

from __future__ import annotations

import argparse
import secrets
import sqlite3
import tempfile
import time
from itertools import islice
from pathlib import Path

from _common import emit, peak_rss_mb, raw_reads
from trustlpr.core import read_from_mapping
from trustlpr.store import SQLiteReadStore
from trustlpr.store.factory import key_rings

BATCH = 10_000


def ours(root: Path, n: int) -> float:
    store = SQLiteReadStore(root / "reads", key_rings(root, secrets.token_bytes(32)))
    source = raw_reads(n)
    start = time.perf_counter()
    while batch := list(islice(source, BATCH)):
        store.append([read_from_mapping(raw) for raw in batch])
    elapsed = time.perf_counter() - start
    store.close()
    return n / elapsed


def raw(root: Path, n: int) -> float:
    conn = sqlite3.connect(root / "raw.db")
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute(
        "CREATE TABLE reads (id INTEGER PRIMARY KEY, plate TEXT, state TEXT, t TEXT, camera TEXT,"
        " confidence REAL, lat REAL, lon REAL)"
    )
    conn.execute("CREATE INDEX reads_plate_t ON reads (plate, t)")
    source = raw_reads(n)
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
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reads", type=int, default=200_000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        baseline = raw(root, args.reads)
        rss_before = peak_rss_mb()
        ours_rate = ours(root, args.reads)
        rss_after = peak_rss_mb()
    emit(
        {
            "reads": args.reads,
            "ours_reads_per_s": round(ours_rate),
            "raw_sqlite_reads_per_s": round(baseline),
            "ratio": round(ours_rate / baseline, 3),
            "peak_rss_mb": round(rss_after, 1),
            "rss_growth_mb": round(rss_after - rss_before, 1),
        },
        args.json,
    )


if __name__ == "__main__":
    main()
