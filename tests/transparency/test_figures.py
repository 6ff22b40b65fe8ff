"""The figures: exact counts per kind of event, the 30-day window, incremental = whole, and the
Merkle root they are tied to — all over a real audit log."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trustlpr.audit import AuditService
from trustlpr.core.errors import FormatError
from trustlpr.core.events import AuditEvent, EventType
from trustlpr.transparency import Tally, compute_figures

T0 = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def decided(decision: str, purpose: str, reasons: list[str], *, outside: str | None = None,
            at: datetime = T0, offense_class: str | None = None) -> AuditEvent:  # fmt: skip
    public: dict[str, object] = {
        "purpose": purpose,
        "decision": decision,
        "reasons": reasons,
        "search_type": "exact",
        "requester_agency": outside or "ctpd",
        "requester_state": "NY" if outside else "CT",
        "requester_type": "local",
        "out_of_agency": outside is not None,
        "request_id": "s-1",
        "window_hours": 24,
    }
    if offense_class is not None:  # entries logged before the class was carried have none
        public["offense_class"] = offense_class
    return AuditEvent(EventType.SEARCH_DECIDED, at, "ctpd", public, {"plate": "SECRET1"})


def events() -> list[AuditEvent]:
    ev = AuditEvent
    return [
        ev(EventType.POLICY_CHANGED, T0 - timedelta(days=40), "ctpd",
           {"action": "adopted", "policy": "ct-pa-26-14", "digest": "a" * 64}),
        ev(EventType.READS_INGESTED, T0 - timedelta(days=40), "ctpd",
           {"camera_counts": {"cam-old": 500}, "count": 500}),  # outside the window
        ev(EventType.READS_INGESTED, T0, "ctpd",
           {"camera_counts": {"c1": 7, "c2": 3}, "count": 10}),
        ev(EventType.READS_INGESTED, T0 - timedelta(days=1), "ctpd",
           {"camera_counts": {"c1": 5}, "count": 5}),
        ev(EventType.ALERT_RAISED, T0, "ctpd", {"list_id": "stolen", "category": "V", "count": 1}),
        ev(EventType.ALERT_RAISED, T0, "ctpd", {"list_id": "stolen", "category": "V", "count": 1}),
        ev(EventType.ALERT_RAISED, T0, "ctpd", {"list_id": "amber", "category": "A", "count": 1}),
        ev(EventType.ALERT_VERIFIED, T0, "ctpd", {"list_id": "stolen", "category": "V",
           "outcome": "confirmed", "action": "verify_alert", "count": 1}),
        ev(EventType.ALERT_VERIFIED, T0, "ctpd", {"list_id": "stolen", "category": "V",
           "outcome": "misread", "action": "verify_alert", "count": 1}),
        ev(EventType.ALERT_VERIFIED, T0, "ctpd", {"list_id": "amber", "category": "A",
           "outcome": "misread", "action": "verify_alert", "count": 1}),
        ev(EventType.ALERT_VERIFIED, T0, "ctpd", {"list_id": "amber", "category": "A",
           "outcome": "confirmed", "action": "verify_possible", "count": 1}),
        decided("allow", "stolen_vehicle", ["permit"], offense_class="felony"),
        decided("deny", "immigration_enforcement", ["purpose.prohibited", "reason.immigration"],
                offense_class="civil"),
        decided("deny", "personal", ["purpose.prohibited"], offense_class="none"),
        decided("needs_approval", "stolen_vehicle", ["approval.partial-plate"],
                offense_class="felony"),
        decided("allow", "stolen_vehicle", ["permit"], outside="nycpd"),
        decided("deny", "reproductive_health", ["sharing.no_agreement"], outside="txso"),
        ev(EventType.SEARCH_EXECUTED, T0, "ctpd", {"search_type": "exact", "result_count": 4}),
        ev(EventType.SEARCH_EXECUTED, T0, "ctpd", {"search_type": "exact", "result_count": 2}),
        ev(EventType.APPROVAL_DECIDED, T0, "ctpd", {"outcome": "approved"}),
        ev(EventType.APPROVAL_DECIDED, T0, "ctpd", {"outcome": "rejected"}),
        ev(EventType.APPROVAL_DECIDED, T0, "ctpd", {"outcome": "approved"}),
        ev(EventType.PURGE, T0, None, {"days": ["nonhit:2026-10-29"], "key_ids": ["k1", "k2"],
                                       "count": 77}),
        ev(EventType.STATS_SNAPSHOT, T0 - timedelta(days=2), None,
           {"action": "retained_vehicles", "count": 40, "days": 21}),
        ev(EventType.STATS_SNAPSHOT, T0, None,
           {"action": "retained_vehicles", "count": 42, "days": 21}),
        ev(EventType.SHARING_CHANGED, T0, "ctpd", {"action": "approved", "agreement_id": "shr-1",
           "version": 1, "grantee_agency": "nycpd", "agency_state": "NY",
           "purposes": ["amber_alert", "stolen_vehicle"], "two_person": True}),
        ev(EventType.CAMERA_CHANGED, T0, "ctpd", {"action": "added", "count": 1}),
        ev(EventType.CAMERA_CHANGED, T0, "ctpd", {"action": "places_installed", "count": 3,
           "active_by_category": {"school": 2, "courthouse": 1}, "digest": "b" * 64}),
        ev(EventType.CAMERA_CHANGED, T0, "ctpd",
           {"action": "placement_refused", "category": "school", "count": 1}),
        ev(EventType.CAMERA_CHANGED, T0, "ctpd",
           {"action": "placement_refused", "category": "school", "count": 1}),
        ev(EventType.READS_NOT_COLLECTED, T0, "ctpd", {"category": "courthouse", "count": 4}),
    ]  # fmt: skip


@pytest.fixture
def audit(tmp_path: Path) -> Iterator[AuditService]:
    service = AuditService(tmp_path)
    service.append_many(events())
    yield service
    service.close()


def test_each_figure_counts_what_it_names(audit: AuditService) -> None:
    f = compute_figures(audit.log.entries())
    assert f["window"] == {
        "days": 30,
        "start": "2026-10-22",
        "end": "2026-11-20",
        "dates": f["window"]["dates"],
    }
    assert f["reads"]["total"] == 15 and f["reads"]["cameras_reporting"] == 2
    assert f["reads"]["daily"][-2:] == [5, 10] and sum(f["reads"]["daily"]) == 15
    assert f["hotlist"]["hits"] == 3 and f["hotlist"]["verified"] == 3
    assert (f["hotlist"]["confirmed"], f["hotlist"]["misreads"]) == (1, 2)
    assert f["hotlist"]["misread_rate"] == round(2 / 3, 4)
    assert f["hotlist"]["possible_confirmed"] == 1
    assert f["hotlist"]["lists"]["stolen/V"]["hits"] == 2
    s = f["searches"]
    assert (s["total"], s["allowed"], s["denied"], s["held"], s["run"]) == (6, 2, 3, 1, 2)
    assert s["results_returned"] == 6
    assert s["by_purpose"]["stolen_vehicle"] == {"allow": 2, "deny": 0, "needs_approval": 1}
    assert s["denial_reasons"] == {
        "purpose.prohibited": 2,
        "reason.immigration": 1,
        "sharing.no_agreement": 1,
    }
    assert s["held_reasons"] == {"approval.partial-plate": 1}
    assert s["by_offense_class"] == {
        "civil": {"allow": 0, "deny": 1, "needs_approval": 0},
        "felony": {"allow": 1, "deny": 0, "needs_approval": 1},
        "none": {"allow": 0, "deny": 1, "needs_approval": 0},
        "not_recorded": {"allow": 1, "deny": 1, "needs_approval": 0},  # the two without one
    }
    assert f["approvals"] == {"approved": 2, "rejected": 1}
    out = f["out_of_agency"]
    assert (out["requests"], out["allowed"], out["denied"]) == (2, 1, 1)
    assert out["by_agency"]["txso"] == {
        "state": "NY",
        "type": "local",
        "allow": 0,
        "deny": 1,
        "needs_approval": 0,
    }
    assert f["retention"] == {"purges": 1, "reads_purged": 77, "keys_destroyed": 2}
    assert f["retained_vehicles"]["latest"]["count"] == 42
    assert f["retained_vehicles"]["daily"][-3:] == [40, None, 42]
    assert [c["policy"] for c in f["changes"]["policy"]] == ["ct-pa-26-14"]
    sharing = f["changes"]["sharing"][0]
    assert (sharing["grantee"], sharing["grantee_state"]) == ("nycpd", "NY")
    assert (sharing["agreement"], sharing["purposes"]) == ("shr-1:v1", 2)
    assert f["changes"]["cameras_in_window"] == 1  # refusals and the layer are counted apart
    places = f["sensitive_places"]
    assert (places["placements_refused"], places["refused_by_category"]) == (2, {"school": 2})
    assert (places["reads_not_collected"], places["not_collected_by_category"]) == (
        4,
        {"courthouse": 4},
    )
    assert places["layers_installed_in_window"] == 1
    assert places["layer"]["places"] == 3 and places["layer"]["digest"] == "b" * 64
    assert places["layer"]["by_category"] == {"courthouse": 1, "school": 2}
    assert f["events"]["search_decided"] == 6
    assert f["log"]["size"] == audit.log.size


def test_window_can_end_on_another_day(audit: AuditService) -> None:
    f = Tally().feed(audit.log.entries()).figures(as_of=date(2026, 10, 12), days=7)
    assert f["window"]["start"] == "2026-10-06" and f["reads"]["total"] == 500
    assert f["searches"]["total"] == 0


def test_empty_log_has_zero_figures() -> None:
    f = Tally().figures()
    assert f["log"]["size"] == 0 and f["window"]["days"] == 0
    assert f["reads"]["total"] == 0 and f["hotlist"]["misread_rate"] is None


def test_root_hash_is_the_logs_root(audit: AuditService) -> None:
    tally = Tally()
    for index, leaf in audit.log.entries():
        tally.add(index, leaf)
        assert tally.root_hash == audit.log.root(index + 1)


@settings(max_examples=25, deadline=None)
@given(cuts=st.lists(st.integers(min_value=0, max_value=len(events())), max_size=5))
def test_counting_in_steps_equals_counting_at_once(tmp_path_factory: pytest.TempPathFactory,
                                                   cuts: list[int]) -> None:  # fmt: skip
    with AuditService(tmp_path_factory.mktemp("steps")) as service:
        service.append_many(events())
        leaves = list(service.log.entries())
    whole = compute_figures(leaves)
    tally, done = Tally(), 0
    for cut in [*sorted(cuts), len(leaves)]:
        tally.feed(leaves[done:cut])
        done = max(done, cut)
        assert tally.figures() == compute_figures(leaves[:done])
    assert tally.figures() == whole


def test_leaves_out_of_order_or_malformed_are_refused(audit: AuditService) -> None:
    leaves = list(audit.log.entries())
    with pytest.raises(FormatError, match="expected entry 0"):
        Tally().feed(leaves[1:])
    tally = Tally()
    with pytest.raises(FormatError, match=r"entry 0.*not a version-1"):
        tally.add(0, b'{"v": 2}')
    bad = b'{"v":1,"type":"reads_ingested","time":"2026-11-20T12:00:00Z","public":{"count":-3}}'
    with pytest.raises(FormatError, match="entry 0: public 'count'"):
        Tally().add(0, bad)
    undated = b'{"v":1,"type":"purge","time":"yesterday","public":{}}'
    with pytest.raises(FormatError, match="UTC minute"):
        Tally().add(0, undated)
    assert tally.size == 0
