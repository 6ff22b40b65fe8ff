"""Fixtures every test package may use: the shared models/data directory and a clock; the
hypothesis example database outside the repository; every browser test marked ``browser``."""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import settings
from hypothesis.configuration import set_hypothesis_home_dir
from hypothesis.database import DirectoryBasedExampleDatabase

SHARED_DIR = Path(os.environ.get("TRUSTLPR_SHARED_DIR", Path(__file__).parents[2] / "shared"))
BROWSER_TESTS = Path(__file__).parent / "browser"

# Hypothesis keeps failing examples (and caches) to replay them; under the temp directory,
# not in the work tree (a .hypothesis/ there is litter in every checkout).
HYPOTHESIS_HOME = Path(tempfile.gettempdir()) / f"trustlpr-hypothesis-{os.getuid()}"
HYPOTHESIS_DB = HYPOTHESIS_HOME / "examples"
set_hypothesis_home_dir(HYPOTHESIS_HOME)
# No per-example deadline: on shared cores (a mutation run at nice 19) an example's time says
# nothing about the code, and a test must not depend on the machine.
settings.register_profile(
    "trustlpr", database=DirectoryBasedExampleDatabase(str(HYPOTHESIS_DB)), deadline=None
)
settings.load_profile("trustlpr")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """A browser test without its ``browser`` marker would escape ``-m "not browser"``."""
    for item in items:
        if BROWSER_TESTS in item.path.parents and item.get_closest_marker("browser") is None:
            raise pytest.UsageError(f"{item.nodeid} drives Chromium: mark it browser")


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """``../shared`` or ``TRUSTLPR_SHARED_DIR``: models and data, read by path, never copied."""
    if not (SHARED_DIR / "models").is_dir():
        pytest.fail(f"shared models/data not found at {SHARED_DIR}; set TRUSTLPR_SHARED_DIR")
    return SHARED_DIR


class FakeClock:
    """A clock tests move forward instead of sleeping."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> datetime:
        self.now += timedelta(**kwargs)
        return self.now


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()
