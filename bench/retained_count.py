"""How fast the node counts the distinct vehicles it retains (the portal's retained-vehicles
figure, logged hourly by the service and daily by the demo's replay).

The count decrypts every retained read. ``ReadStore.vehicles`` opens only the plate and state
of each row; the baseline, measured in the same run and alternated with it (the order swapped
every round, ``_rounds.alternate``), is the same count over ``ReadStore.scan`` (whole ``Read``
objects, as before): ``ratio`` is the median over rounds of baseline seconds / our seconds
(above 1: faster), with ``ratio_min``/``ratio_max``.

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
from _rounds import alternate
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
            counts: dict[str, int] = {}

            def by_vehicles(_k: int) -> float:
                began = time.perf_counter()
                counts["vehicles"] = len({hash(pair) for pair in store.vehicles(T0, end)})
                return 1 / (time.perf_counter() - began)  # counts per second

            def by_scan(_k: int) -> float:
                began = time.perf_counter()
                counts["scan"] = len(
                    {hash((s.read.plate, s.read.state)) for s in store.scan(T0, end)}
                )
                return 1 / (time.perf_counter() - began)

            rounds = alternate(by_vehicles, by_scan, args.rounds)
            if counts["scan"] != counts["vehicles"]:
                raise SystemExit(f"the counts differ: {counts['scan']} by scan, "
                                 f"{counts['vehicles']} by vehicles")  # fmt: skip
        finally:
            store.close()
    emit(
        {
            "reads": args.reads,
            "vehicles": counts["vehicles"],
            "count_ms": round(1000 / rounds.medians()[0], 1),
            "baseline_count_ms": round(1000 / rounds.medians()[1], 1),
            **rounds.ratio(2),
        },
        args.json,
    )


if __name__ == "__main__":
    main()
