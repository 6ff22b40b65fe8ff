"""mutmut runs pytest more than once in one process (its clean pass, then its stats pass), so a
test module is imported once and its module fixtures run twice. The schemathesis module must
hold up to that: its service used to be opened at import and closed by the first run's
teardown, and the second run failed with "Cannot operate on a closed database"."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# one route per run is enough: the fixture is what a second run reaches first
_TWICE = """
import sys, pytest

class FirstRouteOnly:
    def pytest_collection_modifyitems(self, items):
        del items[1:]

args = ["-q", "-p", "no:cacheprovider", "tests/hotlist/test_schemathesis.py"]
runs = [pytest.main(args, plugins=[FirstRouteOnly()]) for _ in range(2)]
sys.exit(max(int(code) for code in runs))
"""


def test_the_fuzz_module_runs_twice_in_one_process() -> None:
    done = subprocess.run(
        [sys.executable, "-c", _TWICE], cwd=ROOT, capture_output=True, text=True, timeout=600
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert done.stdout.count("1 passed") == 2, done.stdout[-3000:]
