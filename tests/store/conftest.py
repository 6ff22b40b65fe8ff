from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from trustlpr.core import Read
from trustlpr.store import ReadStore, SQLiteReadStore
from trustlpr.store.factory import key_rings

T0 = datetime(2026, 11, 1, tzinfo=UTC)


def make_read(plate: str, at: datetime, camera: str = "cam-1", **extra: object) -> Read:
    return Read(
        plate=plate,
        state="CT",
        confidence=0.91,
        observed_at=at,
        camera_id=camera,
        agency_id="nhpd",
        latitude=41.30,
        longitude=-72.92,
        **extra,  # type: ignore[arg-type]
    )


@pytest.fixture(params=["sqlite"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ReadStore]:
    root = secrets.token_bytes(32)
    backend: ReadStore = SQLiteReadStore(tmp_path / "reads", key_rings(tmp_path, root))
    yield backend
    backend.close()


def week_of_reads() -> list[Read]:
    """Seven days, three cameras, a handful of plates that repeat like real traffic."""
    plates = ["AB1234", "XY9876", "OS1Z2", "0512", "CT4455"]
    reads = []
    for hour in range(7 * 24):
        at = T0 + timedelta(hours=hour, minutes=7)
        reads.append(make_read(plates[hour % len(plates)], at, camera=f"cam-{hour % 3}"))
    return reads
