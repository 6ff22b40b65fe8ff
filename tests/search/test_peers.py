"""A partner node's requests, in process: judged as a local one at the moment the node's clock
says, with the warrant and the agreement in force then, and polled by the asker alone
(issue 24: the peer paths' surviving mutants; over HTTP in tests/federation/test_search.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest

from tests.conftest import FakeClock
from trustlpr.core import AgencyType, ForbiddenError, Outcome, Purpose, Role
from trustlpr.core.identity import Agency
from trustlpr.core.search import Reason
from trustlpr.identity import make_attestation
from trustlpr.search import SearchForm, Status

from .conftest import NOW, World, close_world, make_world
from .test_service import form
from .test_warrants import _warrant_form

COMMITMENTS = [
    "no_immigration_enforcement",
    "no_reproductive_health_investigation",
    "no_gender_affirming_care_investigation",
]


def _partner(
    world: World,
    agency_id: str,
    state: str,
    *,
    purposes: tuple[str, ...] = ("stolen_vehicle",),
    attested: bool = False,
    lasts: timedelta = timedelta(days=90),
) -> tuple[Agency, str]:
    """A partner node's agency with an agreement in force from the identity clock's now."""
    agency = world.identity.add_agency(
        agency_id, agency_id, state, AgencyType.LOCAL, actor=world.admin
    )
    now = world.clock.now
    attestation = (
        make_attestation("MOU-1", "Chief", now - timedelta(days=1), COMMITMENTS)
        if attested
        else None
    )
    proposal = world.identity.sharing.propose(
        "nhpd", grantee_agency_id=agency_id, purposes=list(purposes), expires_at=now + lasts,
        actor=world.admin, attestation=attestation,
    )  # fmt: skip
    return agency, world.identity.sharing.approve(proposal.id, actor=world.admin2).id


def _rules(outcome: Outcome, reasons: tuple[Reason, ...]) -> tuple[Outcome, list[str]]:
    return outcome, [r.rule for r in reasons]


@pytest.fixture
def ma_world(tmp_path: Path) -> Iterator[World]:
    """Connecticut's statute: police of Massachusetts need an attestation on file."""
    made = make_world(tmp_path, "ct-pa-26-14")
    yield made
    close_world(made)


def test_judge_for_peer_judges_as_a_request_would(world: World) -> None:
    """The check before telling a partner something unasked is the decision its request would
    get: the warrant number and scope, the purpose and the agreement all count."""
    partner, _ = _partner(world, "hartford-pd", "CT", purposes=("stolen_vehicle", "violent_felony"))
    forms: list[SearchForm] = [
        form(),
        form(purpose=Purpose.MISSING_PERSON, reason="missing teen last seen in a grey Civic"),
        _warrant_form(90, 100),  # a 100-day warrant opens 90 days, after a supervisor
        _warrant_form(30, 20),  # outside the warrant's window: refused
        _warrant_form(5, 10),
    ]
    seen = set()
    for asked in forms:
        judged = world.service.judge_for_peer(partner, "p-7", Role.OFFICER, asked)
        requested = world.service.request_for_peer(partner, "p-7", Role.OFFICER, asked)
        assert _rules(judged.outcome, judged.reasons) == _rules(
            requested.decision.outcome, requested.decision.reasons
        ), asked
        seen.add(judged.outcome)
    assert seen == {Outcome.ALLOW, Outcome.DENY, Outcome.NEEDS_APPROVAL}
    scoped = world.service.judge_for_peer(partner, "p-7", Role.OFFICER, _warrant_form(90, 100))
    assert [r.rule for r in scoped.reasons] == ["approval.warrant-scope"]


def test_a_peer_request_takes_the_attestation_as_of_the_searchs_own_moment(
    tmp_path: Path,
) -> None:
    """The attestation is read at the moment the agreement is checked (the search clock's), not
    at whatever moment the sharing store would take by itself: the identity store keeps its
    own clock here, so a decision taken at any other moment shows."""
    search_clock = FakeClock(NOW + timedelta(hours=1))
    world = make_world(tmp_path, "ct-pa-26-14", search_clock=search_clock)
    try:
        _attestation_at_the_searchs_moment(world, search_clock)
    finally:
        close_world(world)


def _attestation_at_the_searchs_moment(ma_world: World, search_clock: FakeClock) -> None:
    partner, _ = _partner(ma_world, "boston-pd", "MA", attested=True)
    service = ma_world.service
    ma_world.clock.advance(days=100)  # for the sharing store, the agreement has ended
    judged = service.judge_for_peer(partner, "p-1", Role.OFFICER, form())
    assert judged.outcome is Outcome.ALLOW, judged.reasons
    asked = service.request_for_peer(partner, "p-1", Role.OFFICER, form())
    assert asked.status is Status.COMPLETED and asked.results, asked.decision

    held = service.request_for_peer(partner, "p-1", Role.OFFICER, form(days=14))
    assert held.status is Status.PENDING, held.decision
    approved = service.decide_pending(ma_world.supervisor, held.request_id, approve=True)
    assert approved.status is Status.APPROVED, approved.decision
    search_clock.advance(hours=1)
    fetched = service.fetch_for_peer("boston-pd", "p-1", held.request_id)
    assert fetched.status is Status.COMPLETED and fetched.results, fetched.decision

    search_clock.advance(days=100)  # now the search's own moment is past the agreement too
    late = service.judge_for_peer(partner, "p-1", Role.OFFICER, form())
    assert late.outcome is Outcome.DENY


def test_a_peer_held_request_is_judged_again_as_of_the_poll(world: World) -> None:
    """An agreement that ended between the approval and the partner's poll stops the search."""
    partner, _ = _partner(world, "hartford-pd", "CT", lasts=timedelta(days=2))
    held = world.service.request_for_peer(partner, "p-2", Role.OFFICER, form(days=14))
    assert held.status is Status.PENDING, held.decision
    approved = world.service.decide_pending(world.supervisor, held.request_id, approve=True)
    assert approved.status is Status.APPROVED
    world.clock.advance(days=2, hours=1)  # the agreement has ended; the hold has not expired
    fetched = world.service.fetch_for_peer("hartford-pd", "p-2", held.request_id)
    assert fetched.status is Status.DENIED and fetched.results == []
    assert "sharing.no_agreement" in {r.rule for r in fetched.decision.reasons}


def test_a_peer_held_request_is_judged_again_with_the_attestation_on_file_now(
    ma_world: World,
) -> None:
    partner, agreement = _partner(ma_world, "boston-pd", "MA", attested=True)
    held = ma_world.service.request_for_peer(partner, "p-3", Role.OFFICER, form(days=14))
    assert held.status is Status.PENDING, held.decision
    approved = ma_world.service.decide_pending(ma_world.supervisor, held.request_id, approve=True)
    assert approved.status is Status.APPROVED
    ma_world.clock.advance(minutes=5)
    ma_world.identity.sharing.amend(agreement, drop_attestation=True, actor=ma_world.admin)
    ma_world.clock.advance(minutes=5)
    fetched = ma_world.service.fetch_for_peer("boston-pd", "p-3", held.request_id)
    assert fetched.status is Status.DENIED and fetched.results == []
    assert "sharing.attestation-missing" in {r.rule for r in fetched.decision.reasons}


def test_only_the_partner_user_who_asked_may_poll(world: World) -> None:
    partner, _ = _partner(world, "hartford-pd", "CT")
    _partner(world, "bristol-pd", "CT")
    held = world.service.request_for_peer(partner, "p-4", Role.OFFICER, form(days=14))
    world.service.decide_pending(world.supervisor, held.request_id, approve=True)
    for agency_id, user_id in [("hartford-pd", "p-5"), ("bristol-pd", "p-4"), ("nhpd", "p-4")]:
        with pytest.raises(ForbiddenError, match="only the person who asked"):
            world.service.fetch_for_peer(agency_id, user_id, held.request_id)
    assert world.service.fetch_for_peer("hartford-pd", "p-4", held.request_id).results
