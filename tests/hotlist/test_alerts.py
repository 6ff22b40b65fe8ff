"""Alerts: what is persisted and audited, officers' verdicts, and the counts for the portal."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.conftest import FakeClock
from tests.hotlist.conftest import ENTRY, ListAudit, make_read
from trustlpr.core.errors import ConflictError, InputError, NotFoundError
from trustlpr.core.events import EventType
from trustlpr.hotlist import AlertKind, HotlistService


@pytest.fixture
def listed(service: HotlistService) -> HotlistService:
    service.add_entry(ENTRY, list_id="ncic", actor="sup")
    service.add_entry({**ENTRY, "plate": "XYZ999", "category": "A"}, list_id="amber", actor="sup")
    return service


def test_exact_read_raises_a_persisted_audited_alert_with_image_and_entry(
    listed: HotlistService, audit: ListAudit, clock: FakeClock
) -> None:
    read = make_read("ABC1234", "CT", clock.now, confidence=0.62)
    assert listed.on_reads([read], {0: b"\xff\xd8jpeg"}) == [True]
    (alert,) = listed.alerts.list_alerts()
    body = alert.to_json()
    assert body["kind"] == "alert" and body["status"] == "unverified"
    assert body["read"]["plate"] == "ABC1234" and body["confidence"] == 0.62
    assert body["entry"]["case_number"] == "2026-000123" and body["entry"]["owner"]
    assert body["warnings"] == ["low_confidence"]
    assert "confirm" in body["label"]
    assert listed.alerts.image(alert.id) == b"\xff\xd8jpeg"
    (raised,) = audit.of(EventType.ALERT_RAISED)
    assert dict(raised.public) == {"list_id": "ncic", "category": "V", "count": 1}
    assert raised.private["plate"] == "ABC1234" and raised.private["alert_id"] == alert.id


def test_possible_match_is_stored_labelled_and_not_audited_as_an_alert(
    listed: HotlistService, audit: ListAudit, clock: FakeClock
) -> None:
    assert listed.on_reads([make_read("A8C1234", "CT", clock.now)]) == [False]
    (possible,) = listed.alerts.list_alerts()
    assert possible.kind is AlertKind.POSSIBLE
    assert possible.to_json()["label"] == "possible — verify"
    assert possible.warnings == ["confusion"]
    assert audit.of(EventType.ALERT_RAISED) == []


def test_verification_is_audited_counted_and_final(
    listed: HotlistService, audit: ListAudit, clock: FakeClock
) -> None:
    listed.on_reads([make_read("ABC1234", "CT", clock.now, camera="cam-1")])
    (alert,) = listed.alerts.list_alerts()
    done = listed.alerts.verify(alert.id, "confirmed", note="checked NCIC, car matches", user="o1")
    assert (done.status, done.verified_by, done.verified_at) == ("confirmed", "o1", clock.now)
    (event,) = audit.of(EventType.ALERT_VERIFIED)
    assert dict(event.public) == {
        "list_id": "ncic",
        "category": "V",
        "outcome": "confirmed",
        "action": "verify_alert",
        "count": 1,
    }
    assert event.private["note"] == "checked NCIC, car matches"
    with pytest.raises(ConflictError):
        listed.alerts.verify(alert.id, "misread", note="second thoughts", user="o2")
    assert len(audit.of(EventType.ALERT_VERIFIED)) == 1


def test_bad_verifications_are_refused(listed: HotlistService, clock: FakeClock) -> None:
    listed.on_reads([make_read("ABC1234", "CT", clock.now)])
    (alert,) = listed.alerts.list_alerts()
    with pytest.raises(InputError) as info:
        listed.alerts.verify(alert.id, "maybe", note="x", user="o")
    assert info.value.field == "outcome"
    with pytest.raises(InputError) as info:
        listed.alerts.verify(alert.id, "misread", note="  ", user="o")
    assert info.value.field == "note"
    with pytest.raises(NotFoundError):
        listed.alerts.verify("nope", "misread", note="x", user="o")
    assert listed.alerts.get(alert.id).status == "unverified"


def test_misread_possible_match_is_redacted_but_counted(
    listed: HotlistService, clock: FakeClock
) -> None:
    listed.on_reads([make_read("A8C1234", "CT", clock.now)], {0: b"innocent-car"})
    (possible,) = listed.alerts.list_alerts()
    done = listed.alerts.verify(possible.id, "not_the_vehicle", note="different car", user="o")
    assert done.read["plate"] == "A******"
    assert listed.alerts.image(possible.id) is None
    assert listed.alerts.stats().possible == 1


def test_stats_count_hits_confirmed_and_misreads_by_list_and_camera(
    listed: HotlistService, clock: FakeClock
) -> None:
    reads = [
        make_read("ABC1234", "CT", clock.now, camera="cam-1"),
        make_read("ABC1234", "CT", clock.now, camera="cam-2"),
        make_read("ABC1234", "CT", clock.now + timedelta(seconds=40), camera="cam-2"),
        make_read("XYZ999", "CT", clock.now, camera="cam-1"),
        make_read("A8C1234", "CT", clock.now, camera="cam-1"),
    ]
    assert listed.on_reads(reads) == [True, True, True, True, False]
    alerts = {(a.camera_id, a.list_id): a for a in listed.alerts.list_alerts(kind=AlertKind.ALERT)}
    ids = [a.id for a in listed.alerts.list_alerts(kind=AlertKind.ALERT, list_id="ncic")]
    listed.alerts.verify(ids[0], "confirmed", note="ok", user="o")
    listed.alerts.verify(ids[1], "misread", note="7 read as 1", user="o")
    listed.alerts.verify(alerts[("cam-1", "amber")].id, "not_the_vehicle", note="x", user="o")
    stats = listed.alerts.stats(30)
    assert (stats.hits, stats.confirmed, stats.misreads, stats.not_the_vehicle) == (4, 1, 1, 1)
    assert (stats.unverified, stats.possible, stats.verified) == (1, 1, 3)
    assert stats.misread_rate == pytest.approx(1 / 3)
    assert stats.false_hit_rate == pytest.approx(2 / 3)
    by_list = {(r["list_id"], r["category"]): r for r in stats.by_list}
    assert by_list[("ncic", "V")]["hits"] == 3 and by_list[("ncic", "V")]["misreads"] == 1
    assert by_list[("amber", "A")]["not_the_vehicle"] == 1
    by_camera = {r["camera_id"]: r["hits"] for r in stats.by_camera}
    assert by_camera == {"cam-1": 2, "cam-2": 2}
    body = stats.to_json()
    assert body["lists_alerted_on"] == stats.by_list and body["misread_rate"] == stats.misread_rate
    clock.advance(days=31)
    assert listed.alerts.stats(30).hits == 0
    assert listed.alerts.stats(60).hits == 4
    with pytest.raises(InputError):
        listed.alerts.stats(0)


def test_list_filters_and_replay(listed: HotlistService, clock: FakeClock) -> None:
    listed.on_reads([make_read("ABC1234", "CT", clock.now)])
    first = listed.alerts.list_alerts()[0]
    listed.on_reads([make_read("XYZ999", "CT", clock.now, camera="cam-9")])
    assert [a.camera_id for a in listed.alerts.list_alerts(camera_id="cam-9")] == ["cam-9"]
    assert [a.list_id for a in listed.alerts.replay_after(first.id)] == ["amber"]
    assert listed.alerts.replay_after("unknown") == []
    with pytest.raises(InputError):
        listed.alerts.list_alerts(limit=0)


def test_delivery_targets_are_validated_and_audited(
    listed: HotlistService, audit: ListAudit
) -> None:
    alerts = listed.alerts
    with pytest.raises(InputError, match="secret"):
        alerts.add_target("https://cad.example/hook", actor="adm", secret="short")
    with pytest.raises(InputError):
        alerts.add_target("ftp://x", actor="adm")
    hook = alerts.add_target("https://cad.example/hook", actor="adm", secret="s" * 20)
    mqtt = alerts.add_target("mqtt://127.0.0.1:1883/agency/alerts", actor="adm")
    assert [t.kind for t in alerts.store.targets()] == ["webhook", "mqtt"]
    assert "s" * 20 not in repr(hook)
    alerts.remove_target(mqtt.id, actor="adm")
    with pytest.raises(NotFoundError):
        alerts.remove_target(mqtt.id, actor="adm")
    actions = [e.public["action"] for e in audit.of(EventType.SHARING_CHANGED)]
    assert actions == ["alert_target_added", "alert_target_added", "alert_target_removed"]
