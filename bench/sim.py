"""Simulator throughput for the state-size city (2,000 cameras, 2,000,000 vehicles).

``reads_per_s`` counts reads generated as columns (trips → camera passes → OCR noise → sorted
day batches), the form the simulator hands to every consumer. The baseline, measured in the
same run, is a naive generator: one Python tuple (plate, camera, time, confidence) per read
from the ``random`` module, with no city behind it. The native-dict and JSON Lines rates are
given too, since a streaming or file-writing consumer pays for them.

Each round simulates the next day and then builds the baseline's tuples (the order swapped
every round, ``_rounds.alternate``); ``ratio`` is the median over rounds of simulator reads/s
/ baseline tuples/s. ``--days`` is the number of rounds.

    python bench/sim.py --json                 # state size, one simulated day
    python bench/sim.py --size town --days 5
"""

from __future__ import annotations

import argparse
import random
import string
import time

import numpy as np

from _common import emit, peak_rss_mb
from _rounds import alternate
from trustlpr.sim import STATE, TOWN, ReadFormatter, Simulation
from trustlpr.sim.city import ReadBatch

_ALNUM = string.ascii_uppercase + string.digits


def python_tuples(n: int, seed: int = 1) -> float:
    """Rate of the naive baseline: random plates, cameras, times and confidences as tuples."""
    rng = random.Random(seed)
    start = time.perf_counter()
    rows = [
        ("".join(rng.choices(_ALNUM, k=7)), rng.randrange(2000), rng.random() * 86400, rng.random())
        for _ in range(n)
    ]
    elapsed = time.perf_counter() - start
    assert len(rows) == n
    return n / elapsed


def numpy_values(n: int) -> float:
    """Raw numpy RNG throughput (uniform doubles per second): a ceiling, not a simulator."""
    rng = np.random.default_rng(1)
    start = time.perf_counter()
    rng.random(n)
    return n / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=("state", "town"), default="state")
    parser.add_argument("--days", type=int, default=1, help="simulated days to time (rounds)")
    parser.add_argument("--sample", type=int, default=1_000_000, help="reads to format")
    parser.add_argument("--json", action="store_true", help="print only the JSON line")
    args = parser.parse_args()
    config = STATE if args.size == "state" else TOWN

    start = time.perf_counter()
    sim = Simulation(config)
    build_s = time.perf_counter() - start

    reads: list[int] = []
    samples: list[ReadBatch] = []

    def simulate(day: int) -> float:
        start = time.perf_counter()
        count = 0
        for batch in sim.batches(1, first=day):
            count += len(batch)
            if not samples:
                samples.append(batch.select(np.arange(min(args.sample, len(batch)))))
        reads.append(count)
        return count / (time.perf_counter() - start)

    # the baseline builds as many tuples as the last simulated day had reads
    rounds = alternate(simulate, lambda _k: python_tuples(reads[-1]), args.days)
    sample = samples[0]
    fmt = ReadFormatter(sim)
    start = time.perf_counter()
    dicts = fmt.dicts(sample)
    dict_rate = len(dicts) / (time.perf_counter() - start)
    del dicts
    start = time.perf_counter()
    text = fmt.jsonl(sample)
    jsonl_rate = len(sample) / (time.perf_counter() - start)
    del text

    reads_per_s, baseline = rounds.medians()
    result = {
        "size": args.size,
        "cameras": len(sim.cameras),
        "vehicles": config.vehicles,
        "days": args.days,
        "reads": sum(reads),
        "reads_per_vehicle_day": round(sum(reads) / config.vehicles / args.days, 2),
        "build_s": round(build_s, 1),
        "reads_per_s": round(reads_per_s),
        "dicts_per_s": round(dict_rate),
        "jsonl_per_s": round(jsonl_rate),
        "baseline_python_tuples_per_s": round(baseline),
        **rounds.ratio(2),
        "dicts_ratio": round(dict_rate / baseline, 2),
        "numpy_rng_values_per_s": round(numpy_values(20_000_000)),
        "goal_reads_per_s": 200_000,
        "peak_rss_mb": round(peak_rss_mb()),
    }
    emit(result, args.json)


if __name__ == "__main__":
    main()
