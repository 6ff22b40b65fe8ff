"""Searches and the protected-plates registry (issue 15 item 1): a search that would return a
protected plate waits for two independent supervisors, and no other agency ever receives one."""

from __future__ import annotations

from datetime import timedelta

import pytest

from trustlpr.audit import parse_leaf
from trustlpr.core import LegalBasis, Purpose, Query, Role
from trustlpr.core import SearchType as T
from trustlpr.core.errors import ForbiddenError
from trustlpr.search import SearchForm, Status

from .conftest import NOW, World
from .test_held import agency, of_type, outsider, partner
from .test_service import form

PROTECTED = "AB12346"  # in the store every day (see conftest)


def protect(world: World, plate: str = PROTECTED, category: str = "undercover") -> None:
    entry = world.protected.propose(
        plate, category=category, expires_at=NOW + timedelta(days=90), actor=world.admin
    )
    world.protected.approve(entry.id, actor=world.admin2)


def second_supervisor(world: World) -> object:
    world.identity.add_user("sup2", "nhpd", Role.SUPERVISOR, "Sgt Two", actor=world.admin)
    return world.identity.user("sup2")


def test_an_exact_search_for_a_protected_plate_needs_two_supervisors(world: World) -> None:
    protect(world)
    sup2 = second_supervisor(world)
    held = world.service.request(world.officer, world.owner, form(PROTECTED))
    assert held.status is Status.PENDING and held.results == []
    assert "approval.protected-plate" in {r.rule for r in held.decision.reasons}
    first = world.service.decide_pending(world.supervisor, held.request_id, approve=True)
    assert first.status is Status.PENDING  # one supervisor is not enough
    assert world.service.fetch(world.officer, held.request_id).results == []
    with pytest.raises(ForbiddenError, match="someone else"):
        world.service.decide_pending(world.supervisor, held.request_id, approve=True)
    # the admin who created the first supervisor's account is not a second person
    with pytest.raises(ForbiddenError, match="not independent"):
        world.service.decide_pending(world.admin, held.request_id, approve=True)
    assert held.request_id not in {p.request_id for p in world.service.pending(world.supervisor)}
    done = world.service.decide_pending(sup2, held.request_id, approve=True)  # type: ignore[arg-type]
    assert done.status is Status.APPROVED
    got = world.service.fetch(world.officer, held.request_id)
    assert got.status is Status.COMPLETED and {s.plate for s in got.results} == {PROTECTED}
    outcomes = [e["public"]["outcome"] for e in of_type(world, "approval_decided")]
    assert outcomes == ["approved_first", "approved"]


def test_an_unprotected_plate_is_not_held(world: World) -> None:
    protect(world)
    done = world.service.request(world.officer, world.owner, form("XY99887"))
    assert done.status is Status.COMPLETED and done.results


def test_a_search_whose_results_hold_a_protected_plate_waits_again(world: World) -> None:
    """A partial search is approved by one supervisor; when it runs, a protected plate is among
    its results: nothing is returned, and it waits for a second supervisor."""
    protect(world)
    sup2 = second_supervisor(world)
    held = world.service.request(
        world.officer, world.owner, form(None, kind=T.PARTIAL, pattern="AB1234?", days=5)
    )
    world.service.decide_pending(world.supervisor, held.request_id, approve=True)
    again = world.service.fetch(world.officer, held.request_id)
    assert again.status is Status.PENDING and again.results == []
    assert again.decision.reasons[-1].rule == "approval.protected-plate"
    run = of_type(world, "search_executed")[-1]
    assert run["public"]["result_count"] == 0
    withheld = world.audit.log.detail(last_index(world, "search_executed")).private
    assert len(withheld["withheld_protected"]) == 5  # one read a day in the 5-day window
    world.service.decide_pending(sup2, held.request_id, approve=True)  # type: ignore[arg-type]
    got = world.service.fetch(world.officer, held.request_id)
    assert got.status is Status.COMPLETED
    assert {s.plate for s in got.results} == {"AB12345", PROTECTED}


def test_a_fresh_area_search_that_finds_a_protected_plate_is_held(world: World) -> None:
    protect(world, "XY99887")
    area = SearchForm(
        purpose=Purpose.VIOLENT_FELONY, case_number="26-004512", legal_basis=LegalBasis.WARRANT,
        warrant_id="W-2026-118", offense_code="homicide",
        reason="shooting on Elm St, dark sedan seen leaving the scene",
        query=Query(type=T.AREA, cameras=("cam-0",), window_start=NOW - timedelta(hours=4),
                    window_end=NOW),
    )  # fmt: skip
    out = world.service.request(world.officer, world.owner, area)
    assert out.status is Status.PENDING and out.results == []
    executed = of_type(world, "search_executed")[-1]
    assert executed["public"]["result_count"] == 0  # the run is logged; nothing left
    index = last_index(world, "search_executed")
    assert len(world.audit.log.detail(index).private["withheld_protected"]) == 1
    sup2 = second_supervisor(world)
    world.service.decide_pending(world.supervisor, out.request_id, approve=True)
    world.service.decide_pending(sup2, out.request_id, approve=True)  # type: ignore[arg-type]
    got = world.service.fetch(world.officer, out.request_id)
    assert {s.plate for s in got.results} == {"AB12345", "XY99887"}


def last_index(world: World, kind: str) -> int:
    return [i for i, leaf in world.audit.log.entries() if parse_leaf(leaf)["type"] == kind][-1]


def test_another_agency_never_receives_a_protected_plate(world: World) -> None:
    protect(world)
    partner(world, "hartford-pd", "CT")
    asker = outsider(world, "hartford-pd", "hpd1")
    out = world.service.request(asker, agency(world, "hartford-pd"), form(PROTECTED))
    # no hold, no reason: the other agency cannot tell it from a plate never seen
    assert out.status is Status.COMPLETED and out.results == []
    assert "approval.protected-plate" not in {r.rule for r in out.decision.reasons}
    other = world.service.request(asker, agency(world, "hartford-pd"), form("AB12345"))
    assert other.status is Status.COMPLETED and {s.plate for s in other.results} == {"AB12345"}


def test_old_reads_of_a_not_recorded_plate_are_guarded_too(world: World) -> None:
    protect(world, category="survivor")  # not_recorded here; the store holds older reads
    held = world.service.request(world.officer, world.owner, form(PROTECTED))
    assert held.status is Status.PENDING
