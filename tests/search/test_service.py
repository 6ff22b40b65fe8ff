from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from trustlpr.audit import parse_leaf
from trustlpr.core import (
    AgencyType,
    ForbiddenError,
    InputError,
    LegalBasis,
    Outcome,
    Purpose,
    Query,
    Read,
    Role,
)
from trustlpr.core import SearchType as T
from trustlpr.core.vehicle import VehicleAttributes
from trustlpr.search import SearchForm, Status

from .conftest import NOW, World, close_world, make_world


def form(
    plate: str | None = "AB12345",
    *,
    days: int = 7,
    purpose: Purpose = Purpose.STOLEN_VEHICLE,
    kind: T = T.EXACT,
    reason: str = "stolen grey Honda Civic reported by owner on 11/2",
    basis: LegalBasis = LegalBasis.NONE,
    pattern: str | None = None,
    cameras: tuple[str, ...] | None = None,
    warrant: str | None = None,
    variants: bool = False,
) -> SearchForm:
    return SearchForm(
        purpose=purpose,
        case_number="26-004512",
        legal_basis=basis,
        reason=reason,
        warrant_id=warrant,
        query=Query(
            type=kind,
            plate=plate,
            pattern=pattern,
            cameras=cameras,
            window_start=NOW - timedelta(days=days),
            window_end=NOW,
            include_variants=variants,
        ),
    )


def public_entries(world: World) -> list[dict]:
    return [parse_leaf(leaf) for _, leaf in world.audit.log.entries()]


def test_allowed_exact_search_is_logged_before_and_after_and_minimised(world: World) -> None:
    out = world.service.request(world.officer, world.owner, form())
    assert out.status is Status.COMPLETED, out.decision
    assert out.results and {s.plate for s in out.results} == {"AB12345"}
    assert all(NOW - timedelta(days=7) <= s.observed_at < NOW for s in out.results)
    entries = public_entries(world)
    decided, executed = entries[out.audit_index], entries[out.result_audit_index]
    assert out.audit_index < out.result_audit_index
    assert decided["type"] == "search_decided" and decided["public"]["decision"] == "allow"
    assert executed["public"]["result_count"] == len(out.results)
    blob = b"".join(leaf for _, leaf in world.audit.log.entries())
    assert b"AB12345" not in blob and b"26-004512" not in blob and b"off1" not in blob
    detail = world.audit.log.detail(out.audit_index)
    assert detail.private["plate"] == "AB12345"


def test_variant_search_adds_confusion_class_only(world: World) -> None:
    out = world.service.request(world.officer, world.owner, form(variants=True))
    assert {s.plate for s in out.results} == {"AB12345", "A812345"}


def test_denied_search_never_touches_the_store(world: World) -> None:
    out = world.service.request(
        world.officer,
        world.owner,
        form(purpose=Purpose.IMMIGRATION_ENFORCEMENT, reason="assist ICE ERO with removal case"),
    )
    assert out.status is Status.DENIED and out.results == []
    assert out.decision.outcome is Outcome.DENY and out.decision.reasons
    types = [e["type"] for e in public_entries(world)]
    assert types == ["search_decided"]


def test_banned_reason_words_deny_an_allowed_purpose(world: World) -> None:
    out = world.service.request(
        world.officer, world.owner, form(reason="per HSI agent, I.C.E. detainer follow-up")
    )
    assert out.status is Status.DENIED


def test_audit_entry_is_durable_before_the_query_runs(world: World) -> None:
    seen_sizes = []
    real_lookup = world.store.lookup

    def watching_lookup(*args: object, **kwargs: object) -> object:
        seen_sizes.append(world.audit.log.size)
        return real_lookup(*args, **kwargs)  # type: ignore[arg-type]

    world.store.lookup = watching_lookup  # type: ignore[method-assign]
    out = world.service.request(world.officer, world.owner, form())
    assert seen_sizes == [out.audit_index + 1]


def test_long_window_waits_for_a_supervisor_of_the_same_agency(world: World) -> None:
    out = world.service.request(world.officer, world.owner, form(days=14))
    assert out.status is Status.PENDING and out.results == []
    pending = world.service.pending(world.supervisor)
    assert [p.request_id for p in pending] == [out.request_id]
    with pytest.raises(ForbiddenError):
        world.service.decide_pending(world.officer2, out.request_id, approve=True)
    done = world.service.decide_pending(world.supervisor, out.request_id, approve=True, note="ok")
    assert done.status is Status.APPROVED and done.results == []  # the decision, no sightings
    got = world.service.fetch(world.officer, out.request_id)
    assert got.status is Status.COMPLETED
    assert {s.plate for s in got.results} == {"AB12345"}
    assert any(s.observed_at < NOW - timedelta(days=7) for s in got.results)
    types = [e["type"] for e in public_entries(world)]
    assert types == ["search_decided", "approval_decided", "search_executed"]
    assert world.service.pending(world.supervisor) == []


def test_rejected_request_is_logged_and_not_run(world: World) -> None:
    out = world.service.request(world.officer, world.owner, form(days=14))
    done = world.service.decide_pending(world.supervisor, out.request_id, approve=False)
    assert done.status is Status.REJECTED and done.results == []
    assert [e["public"].get("outcome") for e in public_entries(world)][-1] == "rejected"


def test_partial_search_returns_only_matching_plates(world: World) -> None:
    out = world.service.request(
        world.officer, world.owner, form(None, kind=T.PARTIAL, pattern="AB1234?", days=5)
    )
    assert out.status is Status.PENDING  # partial plates need a supervisor under strict-default
    world.service.decide_pending(world.supervisor, out.request_id, approve=True)
    done = world.service.fetch(world.officer, out.request_id)
    assert {s.plate for s in done.results} == {"AB12345", "AB12346"}


def test_area_search_needs_a_warrant(world: World) -> None:
    area = form(None, kind=T.AREA, cameras=("cam-1",))
    out = world.service.request(world.officer, world.owner, area)
    assert out.status is Status.DENIED


def test_out_of_state_agency_without_agreement_is_denied(world: World) -> None:
    outsider = world.identity.add_agency(
        "tx-sheriff", "A Texas sheriff", "TX", AgencyType.LOCAL, actor=world.admin
    )
    user = world.identity.add_user(
        "tx1", "tx-sheriff", Role.OFFICER, "TX deputy", actor=world.admin
    )
    out = world.service.request(user, outsider, form())
    assert out.status is Status.DENIED
    decided = public_entries(world)[-1]["public"]
    assert decided["out_of_agency"] is True and decided["requester_state"] == "TX"


def test_auditors_cannot_search(world: World) -> None:
    auditor = world.identity.add_user("aud1", "nhpd", Role.AUDITOR, "Auditor", actor=world.admin)
    with pytest.raises(ForbiddenError):
        world.service.request(auditor, world.owner, form())


def test_a_sharing_denial_does_not_claim_that_every_rule_passed(world: World) -> None:
    """Issue 25: a denial showed "[permit] ... all 43 rules passed" beside the sharing rule."""
    other = world.identity.add_agency(
        "hartford-pd", "Hartford Police", "CT", AgencyType.LOCAL, actor=world.admin
    )
    user = world.identity.add_user("hfd1", "hartford-pd", Role.OFFICER, "Det.", actor=world.admin)
    out = world.service.request(user, other, form())
    assert out.status is Status.DENIED
    rules = [r.rule for r in out.decision.reasons]
    assert rules == ["sharing.no_agreement"]
    assert not any("passed" in r.text for r in out.decision.reasons)


def _attribute_form(basis: LegalBasis, *, purpose: Purpose = Purpose.VIOLENT_FELONY) -> SearchForm:
    return SearchForm(
        purpose=purpose,
        case_number="26-004513",
        legal_basis=basis,
        reason="homicide on Elm St, witness saw a dark blue Chevrolet pickup leave",
        offense_code="homicide",
        warrant_id="SW-2026-0413" if basis is LegalBasis.WARRANT else None,
        query=Query(
            type=T.ATTRIBUTE,
            window_start=NOW - timedelta(hours=20),
            window_end=NOW,
            cameras=("cam-1", "cam-2"),
            vehicle=VehicleAttributes.parse(make="chevy", colour="navy"),
        ),
    )


def _with_vehicles(world: World) -> None:
    at = NOW - timedelta(hours=2)
    world.store.append(
        [
            Read("BL11111", "CT", 0.9, at, "cam-1", "nhpd", 41.3, -72.9, make="Chevrolet",
                 colour="Blue"),
            Read("BL22222", "CT", 0.9, at, "cam-2", "nhpd", 41.3, -72.9, make="CHEVY",
                 colour="dark blue"),
            Read("RD33333", "CT", 0.9, at, "cam-1", "nhpd", 41.3, -72.9, make="Chevrolet",
                 colour="red"),
            Read("BL44444", "CT", 0.9, at, "cam-0", "nhpd", 41.3, -72.9, make="Chevrolet",
                 colour="blue"),  # a camera the search does not name
            Read("BL55555", "CT", 0.9, NOW - timedelta(days=2), "cam-1", "nhpd", 41.3, -72.9,
                 make="Chevrolet", colour="blue"),  # before the window
        ]
    )  # fmt: skip


def test_attribute_search_needs_a_warrant_under_the_strict_default(world: World) -> None:
    _with_vehicles(world)
    refused = world.service.request(world.officer, world.owner, _attribute_form(LegalBasis.EXIGENT))
    assert refused.status is Status.DENIED and refused.results == []
    assert "legal-basis.insufficient" in {r.rule for r in refused.decision.reasons}
    minor = _attribute_form(LegalBasis.WARRANT, purpose=Purpose.STOLEN_VEHICLE)
    minor = replace(minor, offense_code="larceny_motor_vehicle")
    out = world.service.request(world.officer, world.owner, minor)
    assert out.status is Status.DENIED
    assert "purpose.search-type" in {r.rule for r in out.decision.reasons}
    allowed = world.service.request(world.officer, world.owner, _attribute_form(LegalBasis.WARRANT))
    assert allowed.status is Status.COMPLETED
    assert sorted(s.plate for s in allowed.results) == ["BL11111", "BL22222"]


def test_attribute_search_on_exigency_waits_for_a_supervisor_under_a_statute(
    tmp_path: Path,
) -> None:
    world = make_world(tmp_path, "ct-pa-26-14")
    try:
        _with_vehicles(world)
        out = world.service.request(world.officer, world.owner, _attribute_form(LegalBasis.EXIGENT))
        assert out.status is Status.PENDING and out.results == []
        assert "approval.search-type" in {r.rule for r in out.decision.reasons}
        world.service.decide_pending(world.supervisor, out.request_id, approve=True)
        done = world.service.fetch(world.officer, out.request_id)
        assert sorted(s.plate for s in done.results) == ["BL11111", "BL22222"]
        none = world.service.request(world.officer, world.owner, _attribute_form(LegalBasis.NONE))
        assert none.status is Status.DENIED
    finally:
        close_world(world)


def test_attribute_search_is_not_allowed_under_new_hampshire(tmp_path: Path) -> None:
    world = make_world(tmp_path, "nh-rsa-261-75b")
    try:
        out = world.service.request(world.officer, world.owner, _attribute_form(LegalBasis.WARRANT))
        assert out.status is Status.DENIED
        assert {r.rule for r in out.decision.reasons} == {"search-type.not-allowed"}
    finally:
        close_world(world)


def test_an_attribute_search_without_attributes_is_refused_before_the_policy(
    world: World,
) -> None:
    empty = _attribute_form(LegalBasis.WARRANT)
    empty = replace(empty, query=replace(empty.query, vehicle=None))
    with pytest.raises(InputError):
        world.service.request(world.officer, world.owner, empty)
    assert public_entries(world) == []
