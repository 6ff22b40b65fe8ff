"""On a composed node, an alert's private detail (plate, camera, time) expires with its read.

Before details were sealed with the read's day key, ``detail.db`` kept a hit's plate, camera
and time forever after the read itself was purged.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.conftest import FakeClock
from trustlpr.cli.main import app
from trustlpr.core import EventType, Read, iso
from trustlpr.runtime import System, initialise
from trustlpr.settings import Settings

START = datetime(2026, 11, 2, 9, 30, tzinfo=UTC)
PLATE = "QXJ4821"
runner = CliRunner()


@pytest.fixture
def node(tmp_path: Path) -> Iterator[tuple[System, FakeClock]]:
    settings = Settings.load(tmp_path / "node", env={}, agency_id="nhpd", agency_state="CT")
    initialise(settings)
    clock = FakeClock(START)
    with System(settings, clock=clock) as system:
        system.hotlists.add_entry(
            {"plate": PLATE, "state": "CT", "category": "V", "reason": "stolen sedan",
             "case_number": "26-000077", "owner": "auto-theft",
             "expires_at": (START + timedelta(days=90)).isoformat()},
            list_id="stolen", actor="test",
        )  # fmt: skip
        yield system, clock


def _entries(system: System, kind: EventType) -> list[int]:
    log = system.audit.log
    return [i for i, _ in log.entries() if log.entry(i)["type"] == kind.value]


def _cli(data_dir: Path, *args: str) -> str:
    result = runner.invoke(app, ["--data-dir", str(data_dir), *args])
    assert result.exit_code == 0, result.output
    return result.stdout


def test_an_alert_detail_is_destroyed_when_its_read_expires(
    node: tuple[System, FakeClock],
) -> None:
    system, clock = node
    seen = START - timedelta(minutes=2, microseconds=345_679)  # its time text is a marker
    read = Read(PLATE, "CT", 0.93, seen, "cam-9", "nhpd", 41.31, -72.92)
    marker = iso(seen).encode()  # what the alert's detail says of when the read was taken
    assert system.ingest([read]) == 1
    (raised,) = _entries(system, EventType.ALERT_RAISED)
    (alert,) = system.alerts.list_alerts()
    system.alerts.verify(alert.id, "confirmed", note="plate checked on image", user="ofc-1")
    (verified,) = _entries(system, EventType.ALERT_VERIFIED)
    for index in (raised, verified):
        assert system.audit.log.detail(index).private["plate"] == PLATE
    data = system.settings.data_dir
    assert marker not in _audit_bytes(data)  # sealed from the start

    clock.advance(days=system.retention.hit.days - 1)  # still retained
    system.purge()
    assert system.audit.log.detail(raised).private["camera_id"] == "cam-9"

    clock.advance(days=2)
    system.purge()
    for index in (raised, verified):
        assert system.audit.log.detail(index).destroyed
    system.close()

    report = json.loads(_cli(data, "audit", "verify"))
    assert report["ok"] and report["details_destroyed"] == 2, report
    shown = json.loads(_cli(data, "audit", "entry", str(raised), "--detail"))
    assert "destroyed" in shown["detail"] and "private" not in shown["detail"]
    assert shown["detail"]["destroyed"].startswith(
        f"with its day key hit:{read.observed_at.date()}"
    )
    # (The plate itself stays in the hot-list change's detail: the list's record, not a read's.)
    assert marker not in _audit_bytes(data)


def _audit_bytes(data: Path) -> bytes:
    return b"".join(p.read_bytes() for p in (data / "audit").rglob("*") if p.is_file())
