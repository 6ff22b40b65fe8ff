from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from trustlpr.core import Read
from trustlpr.store import ReadStore, SQLiteReadStore
from trustlpr.store.factory import key_rings
from trustlpr.store.postgres import PostgresReadStore

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


PG_URL = os.environ.get("TRUSTLPR_TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ReadStore]:
    rings = key_rings(tmp_path, secrets.token_bytes(32))
    if request.param == "sqlite":
        backend: ReadStore = SQLiteReadStore(tmp_path / "reads", rings)
        yield backend
        backend.close()
        return
    pg = PostgresReadStore(PG_URL, rings, schema=f"t_{secrets.token_hex(6)}")
    try:
        yield pg
    finally:
        pg.drop_schema()
        pg.close()


def week_of_reads() -> list[Read]:
    """Seven days, three cameras, a handful of plates that repeat like real traffic."""
    plates = ["AB1234", "XY9876", "OS1Z2", "0512", "CT4455"]
    reads = []
    for hour in range(7 * 24):
        at = T0 + timedelta(hours=hour, minutes=7)
        reads.append(make_read(plates[hour % len(plates)], at, camera=f"cam-{hour % 3}"))
    return reads
