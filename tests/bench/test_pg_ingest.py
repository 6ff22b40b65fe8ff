"""bench/pg_ingest.py runs end to end against the local PostgreSQL at a tiny size (a smoke
test: it asserts what the bench reports and that it cleans up, never how fast anything is)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import psycopg
import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench" / "pg_ingest.py"
SERVER = "postgresql://postgres@127.0.0.1:5432/postgres"


def databases() -> set[str]:
    with psycopg.connect(SERVER, autocommit=True) as conn:
        return {r[0] for r in conn.execute("SELECT datname FROM pg_database").fetchall()}


@pytest.mark.postgres
def test_pg_ingest_reports_both_sides_and_finds_the_stored_reads() -> None:
    done = subprocess.run(
        [sys.executable, str(BENCH), "--url", SERVER, "--reads", "3000", "--batch", "1000",
         "--rounds", "2", "--days", "3", "--reads-per-day", "2000", "--lookups", "20", "--json"],
        capture_output=True, text=True, timeout=600, env={**os.environ, "COLUMNS": "40"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-2000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    for key in ("ours_reads_per_s", "copy_reads_per_s", "ratio", "ratio_min", "ratio_max",
                "lookup_p99_ms"):  # fmt: skip
        assert figures[key] > 0, key
    assert figures["ratio_min"] <= figures["ratio"] <= figures["ratio_max"]
    assert figures["rounds"] == 2
    # 2000 reads a day over a fleet of 1000 plates: a fleet plate is seen ~2 times a day
    assert figures["mean_results"] > 1
    (name,) = re.findall(r"throwaway database (bench_[0-9a-f]+)", done.stderr)
    assert name not in databases()  # dropped at the end
