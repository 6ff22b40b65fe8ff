"""Shared helpers for the benchmarks: synthetic traffic, memory readings, JSON output.

The alternation of ours and a baseline lives in ``_rounds.py``."""

from __future__ import annotations

import json
import os
import random
import resource
import socket
import string
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

T0 = datetime(2026, 11, 1, tzinfo=UTC)
_ALNUM = string.ascii_uppercase + string.digits


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def native_batches(
    total: int, seed: int, batch: int, base: datetime, seconds: tuple[float, float]
) -> list[dict]:
    """Native-format batches of fresh plates (no duplicates), each read observed at ``base``
    plus a random offset within ``seconds``."""
    fleet = plates(total, seed)
    rng = random.Random(seed)
    return [
        {
            "reads": [
                {
                    "plate": fleet[i],
                    "state": "CT",
                    "observed_at": (base + timedelta(seconds=rng.uniform(*seconds))).isoformat(),
                    "confidence": round(rng.uniform(0.5, 1.0), 3),
                }
                for i in range(start, min(start + batch, total))
            ]
        }
        for start in range(0, total, batch)
    ]


def plates(count: int, seed: int = 7) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choices(_ALNUM, k=rng.choice((5, 6, 7)))) for _ in range(count)]


def raw_reads(n: int, *, days: int = 1, fleet: int = 50_000, seed: int = 1) -> Iterator[dict]:
    """Native-format read dicts: a fleet of plates that repeat like real traffic."""
    rng = random.Random(seed)
    fleet_plates = plates(fleet, seed)
    span = days * 86400
    for i in range(n):
        yield {
            "plate": fleet_plates[rng.randrange(fleet)],
            "state": "CT",
            "observed_at": (T0 + timedelta(seconds=span * i / n)).isoformat(),
            "camera_id": f"cam-{i % 50}",
            "confidence": 0.9,
            "lat": 41.3,
            "lon": -72.9,
        }


def cpu_s(pid: int) -> float:
    """The CPU seconds (user + system, all threads) process ``pid`` has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def emit(result: dict, as_json: bool) -> None:
    """Prints the figures (unless ``as_json``) and, last, one JSON line; the machine's load
    average (1 and 5 min) and core count go with them, since they set the absolute figures."""
    one, five, _ = os.getloadavg()
    result = {**result, "load_average_1m": round(one, 2), "load_average_5m": round(five, 2),
              "cpus": os.cpu_count()}  # fmt: skip
    if not as_json:
        for key, value in result.items():
            print(f"{key:>28}: {value}")
    print(json.dumps(result, sort_keys=True))
