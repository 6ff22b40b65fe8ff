"""The suite does not depend on the machine or litter the work tree: hypothesis keeps its
examples outside the repository, and every browser test can be deselected by its marker."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from hypothesis import settings

from tests.conftest import HYPOTHESIS_DB, HYPOTHESIS_HOME

REPO = Path(__file__).parents[1]


def test_the_hypothesis_database_is_outside_the_repository() -> None:
    database = settings.default.database
    assert database is not None and Path(str(database.path)) == HYPOTHESIS_DB  # type: ignore[attr-defined]
    assert REPO not in HYPOTHESIS_HOME.parents


def test_every_browser_test_carries_the_browser_marker() -> None:
    def collected(*args: str) -> int:
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
             *args, "tests/browser"],
            cwd=REPO, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode in (0, 5), done.stdout[-2000:] + done.stderr[-2000:]
        return sum(1 for line in done.stdout.splitlines() if "::" in line)

    assert collected() > 0
    assert collected("-m", "not browser") == 0
