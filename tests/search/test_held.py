"""Held requests: judged when they run, decided by the data owner's independent supervisor,
results to the requester alone, expiry (issue 12 items 1, 5, 8, 15; issue 25 item 2)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from trustlpr.audit import parse_leaf
from trustlpr.core import AgencyType, ForbiddenError, Outcome, Purpose, Role
from trustlpr.core.errors import ConflictError, NotFoundError
from trustlpr.core.identity import Agency, User
from trustlpr.identity import make_attestation
from trustlpr.search import Status

from .conftest import NOW, World, close_world, make_world
from .test_service import form


def entries(world: World) -> list[dict]:
    return [parse_leaf(leaf) for _, leaf in world.audit.log.entries()]


def of_type(world: World, kind: str) -> list[dict]:
    return [e for e in entries(world) if e["type"] == kind]


def partner(world: World, agency_id: str, state: str, *, attested: bool = False) -> str:
    """Another agency with an agreement in force for stolen vehicles; returns its id."""
    world.identity.add_agency(agency_id, agency_id, state, AgencyType.LOCAL, actor=world.admin)
    attestation = None
    if attested:
        attestation = make_attestation(
            "MOU-1", "Chief", world.clock.now - timedelta(days=1),
            ["no_immigration_enforcement", "no_reproductive_health_investigation",
             "no_gender_affirming_care_investigation"],
        )  # fmt: skip
    proposal = world.identity.sharing.propose(
        "nhpd", grantee_agency_id=agency_id, purposes=["stolen_vehicle"],
        expires_at=world.clock.now + timedelta(days=90), actor=world.admin,
        attestation=attestation,
    )  # fmt: skip
    return world.identity.sharing.approve(proposal.id, actor=world.admin2).id


def outsider(world: World, agency_id: str, user_id: str, role: Role = Role.OFFICER) -> User:
    """A user of another agency (seeded through that agency's own approved admin)."""
    admin_id = f"{agency_id}-admin"
    if admin_id not in {u.id for u in world.identity.users(agency_id)}:
        world.identity.add_user(admin_id, agency_id, Role.ADMIN, "A", actor=world.admin)
        world.identity.approve_admin(admin_id, actor=world.admin2)
    their_admin = world.identity.user(admin_id)
    return world.identity.add_user(user_id, agency_id, role, user_id, actor=their_admin)


def agency(world: World, agency_id: str) -> Agency:
    return world.identity.agency(agency_id)


# -- item 1: judged again with the agreements, attestations and time of the moment it runs ----


def test_a_held_request_runs_only_under_the_agreement_in_force_when_it_runs(world: World) -> None:
    agreement = partner(world, "hartford-pd", "CT")
    asker = outsider(world, "hartford-pd", "hpd-ofc")
    held = world.service.request(asker, agency(world, "hartford-pd"), form(days=14))
    assert held.status is Status.PENDING
    world.identity.sharing.revoke(agreement, actor=world.admin)
    decided = world.service.decide_pending(world.supervisor, held.request_id, approve=True)
    assert decided.status is Status.DENIED and decided.results == []
    assert "sharing.no_agreement" in {r.rule for r in decided.decision.reasons}
    fetched = world.service.fetch(asker, held.request_id)
    assert fetched.status is Status.DENIED and fetched.results == []
    assert of_type(world, "search_executed") == []


def test_a_withdrawn_attestation_stops_a_held_out_of_state_request(tmp_path: Path) -> None:
    world = make_world(tmp_path, "ct-pa-26-14")
    try:
        agreement = partner(world, "boston-pd", "MA", attested=True)
        asker = outsider(world, "boston-pd", "bpd-ofc")
        held = world.service.request(asker, agency(world, "boston-pd"), form(days=14))
        assert held.status is Status.PENDING, held.decision
        world.identity.sharing.amend(agreement, drop_attestation=True, actor=world.admin)
        decided = world.service.decide_pending(world.supervisor, held.request_id, approve=True)
        assert decided.status is Status.DENIED
        assert world.service.fetch(asker, held.request_id).results == []
    finally:
        close_world(world)


def test_a_held_request_is_judged_with_the_requesters_account_as_it_is_now(
    world: World,
) -> None:
    held = world.service.request(world.officer, world.owner, form(days=14))
    world.identity.set_role("off1", Role.AUDITOR, actor=world.admin)  # may no longer search
    denied = world.service.decide_pending(world.supervisor, held.request_id, approve=True)
    assert denied.status is Status.DENIED
    assert [r.rule for r in denied.decision.reasons] == ["requester.inactive"]
    with pytest.raises(ForbiddenError):
        world.service.fetch(world.identity.user("off1"), held.request_id)
    world.identity.set_role("off1", Role.OFFICER, actor=world.admin)
    assert world.service.fetch(world.identity.user("off1"), held.request_id).results


def test_another_agencys_request_is_decided_by_the_owners_supervisor(world: World) -> None:
    partner(world, "hartford-pd", "CT")
    asker = outsider(world, "hartford-pd", "hpd-ofc")
    their_sergeant = outsider(world, "hartford-pd", "hpd-sgt", Role.SUPERVISOR)
    held = world.service.request(asker, agency(world, "hartford-pd"), form(days=14))
    with pytest.raises(ForbiddenError):
        world.service.decide_pending(their_sergeant, held.request_id, approve=True)
    with pytest.raises(ForbiddenError):
        world.service.pending(their_sergeant)
    assert [p.request_id for p in world.service.pending(world.supervisor)] == [held.request_id]
    assert (
        world.service.decide_pending(world.supervisor, held.request_id, approve=True).status
        is Status.APPROVED
    )
    assert len(world.service.fetch(asker, held.request_id).results) > 0


# -- item 5(b): a token minted by one person for another ----------------------------------------


def test_the_admin_who_minted_an_officers_token_cannot_approve_their_search(world: World) -> None:
    minted = world.identity.create_token("off1", actor=world.admin).plaintext
    officer, _ = world.identity.authenticate(minted)
    held = world.service.request(officer, world.owner, form(days=14))
    with pytest.raises(ForbiddenError, match="not independent"):
        world.service.decide_pending(world.admin, held.request_id, approve=True)
    assert world.service.pending(world.admin) == []
    # a supervisor signing with a token the same admin minted: the admin could be both
    for_sergeant = world.identity.create_token("sup1", actor=world.admin).plaintext
    sergeant, _ = world.identity.authenticate(for_sergeant)
    with pytest.raises(ForbiddenError, match="not independent"):
        world.service.decide_pending(sergeant, held.request_id, approve=True)
    # with his own token neither: the admin who may be behind the request created him
    own = world.identity.create_token("sup1", actor=world.supervisor).plaintext
    sergeant, _ = world.identity.authenticate(own)
    with pytest.raises(ForbiddenError, match="not independent"):
        world.service.decide_pending(sergeant, held.request_id, approve=True)
    # a supervisor outside that admin's chain (made by the other admin) is a second person
    world.identity.add_user("sup2", "nhpd", Role.SUPERVISOR, "S2", actor=world.admin2)
    outside = world.identity.user("sup2")
    assert [p.request_id for p in world.service.pending(outside)] == [held.request_id]
    assert (
        world.service.decide_pending(outside, held.request_id, approve=True).status
        is Status.APPROVED
    )


def test_a_password_set_by_an_admin_counts_until_its_holder_replaces_it(world: World) -> None:
    pw = "set by the admin, 16+"
    world.identity.add_user("off3", "nhpd", Role.OFFICER, "O3", actor=world.admin, password=pw)
    world.identity.add_user("sup3", "nhpd", Role.SUPERVISOR, "S3", actor=world.admin, password=pw)
    officer = world.identity.verify_password("off3", pw)[0]
    sergeant = world.identity.verify_password("sup3", pw)[0]
    held = world.service.request(officer, world.owner, form(days=14))
    with pytest.raises(ForbiddenError, match="not independent"):  # the admin could be both
        world.service.decide_pending(sergeant, held.request_id, approve=True)
    world.identity.set_password("sup3", pw + " mine", actor=sergeant)
    sergeant = world.identity.verify_password("sup3", pw + " mine")[0]
    with pytest.raises(ForbiddenError, match="not independent"):  # the officer's side still
        world.service.decide_pending(sergeant, held.request_id, approve=True)
    world.identity.set_password("off3", pw + " mine", actor=officer)
    officer = world.identity.verify_password("off3", pw + " mine")[0]
    again = world.service.request(officer, world.owner, form(days=14))
    assert (
        world.service.decide_pending(sergeant, again.request_id, approve=True).status
        is Status.APPROVED
    )


# -- item 15: the queue is for those who can decide it ------------------------------------------


def test_only_those_who_may_decide_see_the_queue(world: World) -> None:
    held = world.service.request(world.officer, world.owner, form(days=14))
    auditor = world.identity.add_user("aud1", "nhpd", Role.AUDITOR, "A", actor=world.admin)
    for nosy in (world.officer, world.officer2, auditor):
        with pytest.raises(ForbiddenError):
            world.service.pending(nosy)
    assert [p.request_id for p in world.service.pending(world.supervisor)] == [held.request_id]
    assert [p.request_id for p in world.service.mine(world.officer)] == [held.request_id]
    assert world.service.mine(world.officer2) == []


# -- issue 25 item 2: the results reach the one who asked ---------------------------------------


def test_the_requester_alone_gets_the_results_each_fetch_logged(world: World) -> None:
    held = world.service.request(world.officer, world.owner, form(days=14))
    decided = world.service.decide_pending(world.supervisor, held.request_id, approve=True)
    assert decided.status is Status.APPROVED and decided.results == []
    for other in (world.supervisor, world.officer2, world.admin):
        with pytest.raises(ForbiddenError):
            world.service.fetch(other, held.request_id)
    first = world.service.fetch(world.officer, held.request_id)
    second = world.service.fetch(world.officer, held.request_id)
    assert first.results and [s.ref for s in first.results] == [s.ref for s in second.results]
    executed = of_type(world, "search_executed")
    assert len(executed) == 2
    assert {e["public"]["request_id"] for e in executed} == {held.request_id}
    assert first.result_audit_index != second.result_audit_index


def test_a_rejected_request_never_runs_and_keeps_no_details(world: World) -> None:
    held = world.service.request(world.officer, world.owner, form(days=14))
    rejected = world.service.decide_pending(world.supervisor, held.request_id, approve=False)
    assert rejected.status is Status.REJECTED
    assert world.service.fetch(world.officer, held.request_id).status is Status.REJECTED
    assert world.service.mine(world.officer)[0].request is None
    assert of_type(world, "search_executed") == []
    blob = b"".join(p.read_bytes() for p in world.data_dir.glob("approvals.db*"))
    assert b"AB12345" not in blob and b"stolen grey Honda" not in blob


# -- item 2 (single-threaded side): one decision per request ------------------------------------


def test_a_decided_request_cannot_be_decided_again(world: World) -> None:
    held = world.service.request(world.officer, world.owner, form(days=14))
    world.service.decide_pending(world.supervisor, held.request_id, approve=False)
    with pytest.raises(ConflictError, match="already rejected"):
        world.service.decide_pending(world.admin2, held.request_id, approve=True)
    assert [e["public"]["outcome"] for e in of_type(world, "approval_decided")] == ["rejected"]
    with pytest.raises(NotFoundError):
        world.service.decide_pending(world.supervisor, "s-0000", approve=True)


# -- item 8: held requests nobody decided expire ------------------------------------------------


def test_undecided_requests_expire_logged_and_erased(world: World) -> None:
    held = world.service.request(world.officer, world.owner, form(days=14))
    approved = world.service.request(world.officer, world.owner, form(days=15))
    world.service.decide_pending(world.supervisor, approved.request_id, approve=True)
    assert held.expires_at == NOW + timedelta(days=3)
    world.clock.advance(days=3)
    assert world.service.pending(world.supervisor) == []  # no longer decidable
    expired = world.service.fetch(world.officer, approved.request_id)
    assert expired.status is Status.EXPIRED and expired.results == []
    gone = world.service.expire_pending()
    assert {g.request_id for g in gone} == {held.request_id, approved.request_id}
    outcomes = [e["public"]["outcome"] for e in of_type(world, "approval_decided")]
    assert outcomes == ["approved", "expired"]  # only the undecided one is logged as expired
    with pytest.raises(NotFoundError):
        world.service.fetch(world.officer, held.request_id)
    blob = b"".join(p.read_bytes() for p in world.data_dir.glob("approvals.db*"))
    assert b"AB12345" not in blob and b"26-004512" not in blob


def test_a_held_request_never_outlives_the_non_hit_retention(tmp_path: Path) -> None:
    world = make_world(tmp_path)
    try:
        world.service._nonhit_retention = timedelta(hours=2)
        held = world.service.request(world.officer, world.owner, form(days=14))
        assert held.expires_at == NOW + timedelta(hours=2)
    finally:
        close_world(world)


def test_a_held_request_waits_for_the_owner_purpose_check(world: World) -> None:
    """Denials stay denials: a prohibited purpose is never queued."""
    out = world.service.request(world.officer, world.owner, form(days=14, purpose=Purpose.PERSONAL))
    assert out.status is Status.DENIED and out.decision.outcome is Outcome.DENY
    assert world.service.mine(world.officer) == []
