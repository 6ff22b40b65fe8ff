"""Hit-only mode: late hits are stored by the ingest pipeline's one writer, once each."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.hotlist.taps import logged
from trustlpr.audit import parse_leaf
from trustlpr.cameras import CameraSettings
from trustlpr.core import Read
from trustlpr.runtime import System, initialise
from trustlpr.settings import Settings
from trustlpr.store import RetentionClass

NOW = datetime.now(UTC).replace(microsecond=0)


def _entry(plate: str) -> dict[str, str]:
    return {"plate": plate, "state": "NH", "category": "A", "reason": "amber alert",
            "case_number": "26-000002", "owner": "state police",
            "expires_at": (NOW + timedelta(days=1)).isoformat()}  # fmt: skip


@pytest.fixture
def node(tmp_path: Path) -> Iterator[System]:
    settings = Settings.load(
        tmp_path / "node", env={}, policy="nh-rsa-261-75b", agency_id="nhpd", agency_state="NH"
    )
    initialise(settings)
    with System(settings) as system:
        system.hotlists.add_entry(_entry("AB1234"), list_id="amber", actor="test")
        # New Hampshire collects only from attended vehicle-mounted readers
        system.cameras.add("Cruiser 1", 43.2, -71.5, agency_id="nhpd", camera_id="cam-1",
                           settings=CameraSettings(mobile=True))  # fmt: skip
        system.cameras.attend("cam-1", "off1")
        yield system


def _written(node: System) -> None:
    deadline = time.monotonic() + 10
    while node.pipeline.pending:
        assert time.monotonic() < deadline, "the pipeline did not write the late hit"
        time.sleep(0.01)


def _reads_counted(node: System) -> int:
    return sum(
        int(parse_leaf(leaf)["public"]["count"])
        for _, leaf in node.audit.log.entries()
        if parse_leaf(leaf)["type"] == "reads_ingested"
    )


def test_a_late_hit_handed_over_twice_is_stored_once_by_the_pipeline(node: System) -> None:
    read = Read("A81234", "NH", 0.9, NOW - timedelta(seconds=30), "cam-1", "nhpd", 43.2, -71.5)
    assert node.ingest([read], {0: b"jpeg"}) == 1
    (possible,) = node.alerts.list_alerts()  # memory only, in hit-only mode
    assert possible.kind.value == "possible"
    # a new entry names the read's plate exactly: the buffered read is a late hit
    node.hotlists.add_entry(_entry("A81234"), list_id="local", actor="test")
    _written(node)
    # and the officer, looking at the first possible match, confirms it too
    node.alerts.verify(possible.id, "confirmed", note="image shows the amber-alert car", user="o")
    _written(node)
    stored = node.store.lookup("A81234", NOW - timedelta(hours=1), NOW + timedelta(hours=1))
    assert [s.retention for s in stored] == [RetentionClass.HIT]
    assert node.store.image(stored[0].ref) == b"jpeg"
    assert node.pipeline.stats["stored"] == 1  # through the pipeline's writer
    assert _reads_counted(node) == 1  # counted once, when it arrived
    assert logged(node.audit.log)["alert_raised"] == 1


def test_a_sink_that_refuses_does_not_fail_the_entry_and_loses_no_late_hit(
    tmp_path: Path,
) -> None:
    from tests.conftest import FakeClock
    from tests.hotlist.conftest import ListAudit
    from trustlpr.core.errors import OverloadedError
    from trustlpr.hotlist import BufferedRead, HotlistService

    def closing(late: object) -> None:
        raise OverloadedError("ingest is shutting down; retry shortly", retry_after=5.0)

    clock = FakeClock(NOW)
    service = HotlistService.open(
        tmp_path, audit=ListAudit(), agency_id="nhpd", clock=clock,
        hit_only_window=timedelta(minutes=3), late_hit_sink=closing,
    )  # fmt: skip
    try:
        read = Read("A81234", "NH", 0.9, NOW, "cam-1", "nhpd", 43.2, -71.5)
        assert service.buffer is not None and service.buffer.add(read)
        service.add_entry(_entry("A81234"), list_id="local", actor="test")  # does not raise
        assert service.drain_late_hits() == [BufferedRead(read)]
    finally:
        service.close()
