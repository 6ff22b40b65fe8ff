"""Stop outcomes (issue 15 item 6): recorded once, only after a confirmed alert; the public part
of the audit entry is the outcome and a count; the note goes with the read's retention."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import FakeClock
from tests.hotlist.conftest import ENTRY, ListAudit, make_read
from trustlpr.core import Read
from trustlpr.core.errors import ConflictError, InputError, NotFoundError, TrustLPRError
from trustlpr.core.events import EventType
from trustlpr.core.hotlist import StopOutcome
from trustlpr.hotlist import AlertRecord, HotlistService
from trustlpr.runtime import System
from trustlpr.transparency import compute_figures


@pytest.fixture
def listed(service: HotlistService) -> HotlistService:
    service.add_entry(ENTRY, list_id="ncic", actor="sup")
    return service


def _alert(service: HotlistService, clock: FakeClock, *, camera: str = "cam-1") -> AlertRecord:
    service.on_reads([make_read("ABC1234", "CT", clock.now, camera=camera)])
    return service.alerts.list_alerts(camera_id=camera)[0]


def test_an_outcome_follows_a_confirmation_once_with_only_the_outcome_public(
    listed: HotlistService, audit: ListAudit, clock: FakeClock
) -> None:
    alert = _alert(listed, clock)
    with pytest.raises(ConflictError, match="only after an officer confirmed"):
        listed.alerts.record_outcome(alert.id, "arrest", user="o1")
    listed.alerts.verify(alert.id, "confirmed", note="NCIC hit confirmed", user="o1")
    clock.advance(minutes=7)
    done = listed.alerts.record_outcome(
        alert.id, "recovery", note="car recovered on Elm St, owner J. Doe called", user="o2"
    )
    assert (done.stop_outcome, done.outcome_by, done.outcome_at) == (
        StopOutcome.RECOVERY,
        "o2",
        clock.now,
    )
    body = listed.alerts.get(alert.id).to_json()["stop_outcome"]
    assert body["outcome"] == "recovery" and body["note"].startswith("car recovered")
    assert "recovered" in body["label"]
    (event,) = audit.of(EventType.ALERT_OUTCOME)
    assert dict(event.public) == {"outcome": "recovery", "count": 1}
    assert event.private["note"] == "car recovered on Elm St, owner J. Doe called"
    assert (event.private["alert_id"], event.private["user"]) == (alert.id, "o2")
    assert event.private["confirmed_by"] == "o1" and event.private["plate"] == "ABC1234"
    # the detail lives as long as the read it describes, a hit
    assert event.describes_read is not None and event.describes_read.retention == "hit"
    with pytest.raises(ConflictError, match="already has the outcome recovery"):
        listed.alerts.record_outcome(alert.id, "arrest", user="o3")
    assert len(audit.of(EventType.ALERT_OUTCOME)) == 1
    assert listed.alerts.get(alert.id).stop_outcome is StopOutcome.RECOVERY


def test_a_rejected_alert_or_possible_match_gets_no_outcome(
    listed: HotlistService, audit: ListAudit, clock: FakeClock
) -> None:
    alert = _alert(listed, clock)
    listed.alerts.verify(alert.id, "misread", note="8 not B", user="o1")
    with pytest.raises(ConflictError, match="is misread"):
        listed.alerts.record_outcome(alert.id, "stop", user="o1")
    listed.on_reads([make_read("A8C1234", "CT", clock.now, camera="cam-2")])
    (possible,) = listed.alerts.list_alerts(camera_id="cam-2")
    with pytest.raises(ConflictError):
        listed.alerts.record_outcome(possible.id, "stop", user="o1")
    # a possible match an officer confirmed is a hit like any other
    listed.alerts.verify(possible.id, "confirmed", note="photo shows ABC1234", user="o1")
    assert listed.alerts.record_outcome(possible.id, "no_contact", user="o1").stop_outcome
    assert [dict(e.public) for e in audit.of(EventType.ALERT_OUTCOME)] == [
        {"outcome": "no_contact", "count": 1}
    ]


@pytest.mark.parametrize(
    ("outcome", "note", "field"),
    [
        ("arrested", "", "outcome"),
        ("", "", "outcome"),
        ("STOP ", "", "outcome"),
        ("other", "", "note"),
        ("other", "   ", "note"),
        ("stop", "x" * 1001, "note"),
        ("stop", "line\x00break", "note"),
        ("stop", "esc\x1b[31m", "note"),
    ],
)
def test_bad_outcomes_are_refused_and_change_nothing(
    listed: HotlistService, audit: ListAudit, clock: FakeClock, outcome: str, note: str, field: str
) -> None:
    alert = _alert(listed, clock)
    listed.alerts.verify(alert.id, "confirmed", note="ok", user="o1")
    with pytest.raises(InputError) as info:
        listed.alerts.record_outcome(alert.id, outcome, note=note, user="o1")
    assert info.value.field == field
    assert listed.alerts.get(alert.id).stop_outcome is None
    assert audit.of(EventType.ALERT_OUTCOME) == []
    with pytest.raises(NotFoundError):
        listed.alerts.record_outcome("no-such-alert", "stop", user="o1")


def test_two_officers_racing_record_one_outcome(
    listed: HotlistService, audit: ListAudit, clock: FakeClock
) -> None:
    alert = _alert(listed, clock)
    listed.alerts.verify(alert.id, "confirmed", note="ok", user="o1")
    start = threading.Barrier(8)
    won: list[str] = []
    lost: list[TrustLPRError] = []

    def record(n: int) -> None:
        start.wait()
        try:
            listed.alerts.record_outcome(alert.id, "stop", note=f"officer {n}", user=f"o{n}")
            won.append(f"o{n}")
        except ConflictError as exc:
            lost.append(exc)

    threads = [threading.Thread(target=record, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert len(won) == 1 and len(lost) == 7
    assert len(audit.of(EventType.ALERT_OUTCOME)) == 1
    assert listed.alerts.get(alert.id).outcome_by == won[0]


def test_the_outcome_and_its_note_leave_alerts_db_with_the_alert(
    listed: HotlistService, clock: FakeClock, tmp_path: Path
) -> None:
    alert = _alert(listed, clock)
    listed.alerts.verify(alert.id, "confirmed", note="ok", user="o1")
    secret = "witness Zebediah Quarterman-4471"
    listed.alerts.record_outcome(alert.id, "arrest", note=secret, user="o1")
    files = [p for p in tmp_path.rglob("alerts.db*") if p.is_file()]
    assert any(secret.encode() in p.read_bytes() for p in files)
    later = clock.now + timedelta(days=1)
    assert listed.alerts.expire(hit_before=later, nonhit_before=later) == 1
    for path in (p for p in tmp_path.rglob("*") if p.is_file()):
        assert secret.encode() not in path.read_bytes(), path


def test_on_a_node_the_note_is_never_plain_outside_alerts_db_and_goes_with_the_hit(
    node: System,
) -> None:
    now = datetime.now(UTC).replace(microsecond=0)
    read = Read("AB1234", "CT", 0.9, now - timedelta(minutes=5), "cam-1", "nhpd", 41.3, -72.9)
    assert node.ingest([read]) == 1
    (alert,) = node.alerts.list_alerts()
    node.alerts.verify(alert.id, "confirmed", note="NCIC confirmed", user="o1")
    secret = "passenger Philomena Ashgrove-9182 detained"
    node.alerts.record_outcome(alert.id, "arrest", note=secret, user="o1")
    data = node.settings.data_dir
    holding = {p.name for p in data.rglob("*") if p.is_file() and secret.encode() in p.read_bytes()}
    assert holding and holding <= {"alerts.db", "alerts.db-wal"}, holding
    figures = compute_figures(node.audit.log.entries())["hotlist"]
    assert figures["outcomes"]["arrest"] == 1 and figures["outcomes_recorded"] == 1
    assert sum(figures["outcomes"].values()) == 1

    node.purge(now + node.retention.hit + timedelta(minutes=1))
    assert node.alerts.list_alerts() == []
    for path in (p for p in data.rglob("*") if p.is_file()):
        assert secret.encode() not in path.read_bytes(), path
    # the public count stays: the log keeps the outcome, not the stop
    kept = compute_figures(node.audit.log.entries(), as_of=now.date())["hotlist"]
    assert kept["outcomes"]["arrest"] == 1
