"""``bench/search.py`` runs end to end at a tiny size and reports every figure it promises
(its numbers are the bench's business; no timing is asserted here)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"


def test_the_search_bench_reports_exact_attribute_area_and_ingest_figures() -> None:
    tiny = ["--days", "2", "--reads-per-day", "300", "--searches", "10", "--rounds", "1",
            "--attribute-reads-per-day", "3000", "--attribute-searches", "10",
            "--area-searches", "10",
            "--build-workers", "1", "--ingest-reads", "2000", "--ingest-rounds", "1",
            "--protected-entries", "10", "--json"]  # fmt: skip
    done = subprocess.run(
        [sys.executable, str(BENCH / "search.py"), *tiny],
        capture_output=True, text=True, timeout=600, check=False,
        env={**os.environ, "COLUMNS": "40"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    figures = json.loads(done.stdout.strip().splitlines()[-1])
    assert figures["attribute_store_rows"] == 2 * 3000
    assert figures["attribute_searches"] == 10 and figures["attribute_mean_results"] > 0
    for name in ("ratio", "attribute_search_to_raw_p50_ratio", "protected_check_ratio",
                 "attribute_indexes_ratio", "attribute_search_p99_ms"):  # fmt: skip
        assert figures[name] > 0, name
    assert figures["area_store_rows"] == 2 * 3000 and figures["area_searches"] == 10
    assert figures["area_mean_results"] > 0 and 0 < figures["area_max_km2"] <= 2
    for name in ("area_p50_ms", "area_p99_ms", "area_search_to_raw_p50_ratio"):
        assert figures[name] > 0, name
    assert (
        figures["area_search_to_raw_p50_ratio_min"]
        <= figures["area_search_to_raw_p50_ratio"]
        <= figures["area_search_to_raw_p50_ratio_max"]
    )
    assert figures["protected_entries"] == 10
    for name in ("protected_check", "attribute_indexes"):
        assert (
            figures[f"{name}_ratio_min"] <= figures[f"{name}_ratio"] <= figures[f"{name}_ratio_max"]
        )
