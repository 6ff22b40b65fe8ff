"""Fixtures every test package may use: the shared models/data directory and a clock."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

SHARED_DIR = Path(os.environ.get("TRUSTLPR_SHARED_DIR", Path(__file__).parents[2] / "shared"))


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
