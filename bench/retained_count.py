"""How fast the node counts the distinct vehicles it retains (the portal's retained-vehicles
figure, logged hourly by the service and daily by the demo's replay).

The count decrypts every retained read. ``ReadStore.vehicles`` opens only the plate and state
of each row; the baseline, measured in the same run and alternated with it, is the same count
over ``ReadStore.scan`` (whole ``Read`` objects, as before): ``ratio`` = baseline seconds /
our seconds (above 1: faster).

    python bench/retained_count.py --json
"""

from __future__ import annotations

import argparse
import secrets
import tempfile
import time
from datetime import timedelta
from pathlib import Path

from _common import T0, emit, raw_reads
from trustlpr.core.reads import read_from_mapping
from trustlpr.store import SQLiteReadStore
from trustlpr.store.factory import key_rings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reads", type=int, default=30_000, help="reads stored")
    parser.add_argument("--days", type=int, default=21, help="days they span")
    parser.add_argument("--rounds", type=int, default=3, help="alternated pairs of counts")
    parser.add_argument("--json", action="store_true", help="print only the JSON line")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        store = SQLiteReadStore(root / "reads", key_rings(root, secrets.token_bytes(32)))
        try:
            traffic = raw_reads(args.reads, days=args.days, fleet=5000)
            reads = [read_from_mapping(r) for r in traffic]
            for i in range(0, len(reads), 2000):
                store.append(reads[i : i + 2000])
            end = T0 + timedelta(days=args.days + 1)
            ours: list[float] = []
            base: list[float] = []
            for _ in range(args.rounds):
                began = time.perf_counter()
                old = len({hash((s.read.plate, s.read.state)) for s in store.scan(T0, end)})
                base.append(time.perf_counter() - began)
                began = time.perf_counter()
                new = len({hash(pair) for pair in store.vehicles(T0, end)})
                ours.append(time.perf_counter() - began)
                if old != new:
                    raise SystemExit(f"the counts differ: {old} by scan, {new} by vehicles")
        finally:
            store.close()
    emit(
        {
            "reads": args.reads,
            "vehicles": new,
            "count_ms": round(1000 * min(ours), 1),
            "baseline_count_ms": round(1000 * min(base), 1),
            "ratio": round(min(base) / min(ours), 2),
        },
        args.json,
    )


if __name__ == "__main__":
    main()
