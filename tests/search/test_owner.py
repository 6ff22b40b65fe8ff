"""A resident's request for their own vehicle's reads (issue 21 item 2): proof checked by one
staff member, approved by a second independent one, never wider than the registered plate and
the retention window, every step in the log."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest

from trustlpr.audit import parse_leaf
from trustlpr.core import ForbiddenError, InputError, Purpose, Read, Role
from trustlpr.core.errors import ConflictError, PolicyDenied
from trustlpr.core.search import LegalBasis, Query, Requester, SearchRequest, SearchType
from trustlpr.search import OwnerRequests, OwnerRequestStore, OwnerStatus, Status
from trustlpr.search.owner_store import DB_FILE

from .conftest import NOW, World, close_world, make_world
from .test_service import form

PROOF = "CT DMV registration certificate no. 4471102, name matches the driver's licence shown"
CHECKED = "registration 4471102 looked up in the DMV record: registered owner matches"


class Desk:
    def __init__(self, world: World, policy_permits: bool = True) -> None:
        self.world = world
        self.store = OwnerRequestStore(world.data_dir)
        permitted = {Purpose.OWNER_REQUEST} if policy_permits else set()
        self.requests = OwnerRequests(
            search=world.service,
            store=self.store,
            people=world.identity,
            audit=world.audit,
            owner_agency_id="nhpd",
            permitted=permitted,
            policy_name="ct-pa-26-14",
            retention=timedelta(days=21),
            clock=world.clock,
        )


@pytest.fixture
def ct(tmp_path: Path) -> Iterator[tuple[World, OwnerRequests]]:
    world = make_world(tmp_path, "ct-pa-26-14")
    # the same plate text from another state, and without a state: someone else's car
    other = [
        Read("AB12345", "NY", 0.93, NOW - timedelta(days=2), "cam-1", "nhpd", 41.3, -72.9),
        Read("AB12345", None, 0.93, NOW - timedelta(days=3), "cam-1", "nhpd", 41.3, -72.9),
        # older than the 21-day retention window (not yet purged)
        Read("AB12345", "CT", 0.93, NOW - timedelta(days=25), "cam-1", "nhpd", 41.3, -72.9),
    ]
    world.store.append(other)
    desk = Desk(world)
    yield world, desk.requests
    desk.store.close()
    close_world(world)


def entries(world: World) -> list[dict]:
    return [parse_leaf(leaf) for _, leaf in world.audit.log.entries()]


def steps(world: World) -> list[str]:
    return [e["public"]["action"] for e in entries(world) if e["type"] == "owner_request"]


def searches(world: World) -> list[dict]:
    return [e for e in entries(world) if e["type"] in ("search_decided", "search_executed")]


def opened(world: World, desk: OwnerRequests, plate: str = "AB12345") -> str:
    return desk.open(world.officer, plate=plate, state="CT", proof=PROOF).request_id


# -- allowed: verified proof and an independent second approval ---------------------------------


def test_a_verified_request_approved_by_a_second_person_gets_the_plate_only(ct) -> None:
    world, desk = ct
    request_id = opened(world, desk, "ab-12345")
    verified = desk.verify(world.officer, request_id, note=CHECKED)
    assert verified.status is OwnerStatus.VERIFIED and verified.verifier == "off1"
    answer = desk.approve(world.supervisor, request_id, note="proof and lookup seen; approved")
    assert answer.outcome is not None and answer.outcome.status is Status.COMPLETED
    results = answer.outcome.results
    # make_world has one CT read of AB12345 a day for 20 days: all inside the 21-day window
    assert len(results) == 20
    assert {(s.plate, s.state) for s in results} == {("AB12345", "CT")}
    assert min(s.observed_at for s in results) >= NOW - timedelta(days=21)
    assert answer.request.status is OwnerStatus.ANSWERED and answer.request.result_count == 20
    assert steps(world) == ["opened", "verified", "approved"]
    decided, executed = searches(world)
    assert decided["public"]["purpose"] == "owner_request"
    assert decided["public"]["decision"] == "allow" and decided["public"]["search_type"] == "exact"
    assert executed["public"]["result_count"] == 20
    # closed: the plate, state and proof are gone from the record
    closed = desk.get(world.officer, request_id)
    assert (closed.plate, closed.state, closed.proof) == (None, None, None)


def test_each_step_is_logged_before_it_takes_effect_with_the_detail_private(ct) -> None:
    world, desk = ct
    request_id = opened(world, desk)
    desk.verify(world.officer, request_id, note=CHECKED)
    desk.approve(world.supervisor, request_id, note="approved after review")
    kinds = [e["type"] for e in entries(world)]
    at = kinds.index("owner_request")
    assert kinds[at:] == ["owner_request"] * 3 + ["search_decided", "search_executed"]
    for entry in entries(world)[at : at + 3]:
        assert set(entry["public"]) == {"action", "request_id"}
        assert "AB12345" not in str(entry) and "4471102" not in str(entry)


# -- refused without: unverified proof, the regular search form, a law without the right --------


def test_a_stalker_with_an_unverified_plate_gets_nothing(ct) -> None:
    world, desk = ct
    request_id = opened(world, desk, "XY99887")
    with pytest.raises(ForbiddenError, match="not been verified"):
        desk.approve(world.supervisor, request_id, note="looks fine to me")
    assert desk.get(world.officer, request_id).status is OwnerStatus.OPENED
    assert searches(world) == [] and steps(world) == ["opened"]
    refused = desk.refuse(world.officer, request_id, note="registration names someone else")
    assert refused.status is OwnerStatus.REFUSED and refused.plate is None
    with pytest.raises(ConflictError):
        desk.verify(world.officer, request_id, note=CHECKED)
    assert searches(world) == [] and steps(world) == ["opened", "refused"]


def test_the_ordinary_search_form_cannot_use_the_owner_purpose(ct) -> None:
    world, _ = ct
    outcome = world.service.request(
        world.officer, world.owner,
        form(purpose=Purpose.OWNER_REQUEST, basis=LegalBasis.CONSENT, days=14,
             reason="my own car, registered to me, please show it"),
    )  # fmt: skip
    assert outcome.status is Status.DENIED and outcome.results == []
    assert "owner-request.unverified" in {r.rule for r in outcome.decision.reasons}
    assert [e["public"]["decision"] for e in searches(world)] == ["deny"]


def test_a_policy_without_the_right_refuses_to_open_one(tmp_path: Path) -> None:
    world = make_world(tmp_path, "strict-default")
    desk = Desk(world, policy_permits=False)
    try:
        with pytest.raises(PolicyDenied, match="no right"):
            opened(world, desk.requests)
        assert steps(world) == []
    finally:
        desk.store.close()
        close_world(world)


def test_a_policy_that_does_not_permit_it_denies_the_search_even_if_opened(tmp_path) -> None:
    world = make_world(tmp_path, "va-2-2-5517")  # the desk is told it is permitted: the policy
    desk = Desk(world)  # still judges the search, and denies it
    try:
        request_id = opened(world, desk.requests)
        desk.requests.verify(world.officer, request_id, note=CHECKED)
        answer = desk.requests.approve(world.supervisor, request_id, note="approved")
        assert answer.outcome is not None and answer.outcome.status is Status.DENIED
        assert answer.outcome.results == [] and answer.request.status is OwnerStatus.REFUSED
        assert "purpose.not-permitted" in {r.rule for r in answer.outcome.decision.reasons}
        assert [e["type"] for e in searches(world)] == ["search_decided"]
    finally:
        desk.store.close()
        close_world(world)


# -- the two-person rule: the same person twice, a second account, a minted token ---------------


def test_the_verifier_cannot_approve_their_own_verification(ct) -> None:
    world, desk = ct
    request_id = opened(world, desk)
    desk.verify(world.supervisor, request_id, note=CHECKED)
    with pytest.raises(ForbiddenError, match="someone other"):
        desk.approve(world.supervisor, request_id, note="approving my own check")
    assert searches(world) == []


def test_an_admin_cannot_approve_what_an_account_they_made_verified(ct) -> None:
    world, desk = ct
    request_id = opened(world, desk)
    desk.verify(world.officer, request_id, note=CHECKED)  # off1 was created by adm1
    with pytest.raises(ForbiddenError, match="not independent"):
        desk.approve(world.admin, request_id, note="second account of the same person")
    assert searches(world) == []


def test_a_token_minted_for_the_approver_by_the_verifiers_maker_does_not_count(ct) -> None:
    world, desk = ct
    request_id = opened(world, desk)
    desk.verify(world.officer, request_id, note=CHECKED)
    minted = world.identity.create_token("sup1", actor=world.admin).plaintext
    sergeant, _ = world.identity.authenticate(minted)
    with pytest.raises(ForbiddenError, match="not independent"):
        desk.approve(sergeant, request_id, note="approved with a token the admin minted")
    assert searches(world) == []
    # the sergeant with a credential of their own is independent: the request runs
    own = world.identity.create_token("sup1", actor=world.supervisor).plaintext
    sergeant, _ = world.identity.authenticate(own)
    answer = desk.approve(sergeant, request_id, note="approved with my own token")
    assert answer.outcome is not None and answer.outcome.status is Status.COMPLETED


def test_a_request_is_answered_once(ct) -> None:
    world, desk = ct
    request_id = opened(world, desk)
    desk.verify(world.officer, request_id, note=CHECKED)
    desk.approve(world.supervisor, request_id, note="approved")
    with pytest.raises(ConflictError):
        desk.approve(world.admin2, request_id, note="approved again")
    assert [e["type"] for e in searches(world)] == ["search_decided", "search_executed"]


def test_an_officer_may_verify_but_not_approve_and_an_auditor_neither(ct) -> None:
    world, desk = ct
    request_id = opened(world, desk)
    desk.verify(world.officer, request_id, note=CHECKED)
    with pytest.raises(ForbiddenError):
        desk.approve(world.officer2, request_id, note="an officer approving")
    auditor = world.person("aud1", "nhpd", Role.AUDITOR)
    with pytest.raises(ForbiddenError):
        desk.verify(auditor, opened(world, desk), note=CHECKED)


# -- never wider than the plate and the retention window -----------------------------------------


def test_the_search_is_fixed_by_the_request_not_by_anything_the_caller_passes(ct) -> None:
    world, desk = ct
    # the approval takes a note and nothing else: no variants, cameras, window or pattern
    with pytest.raises(TypeError):
        desk.approve(world.supervisor, "OR-1", note="x", cameras=["cam-1"])  # type: ignore[call-arg]
    request_id = opened(world, desk)
    desk.verify(world.officer, request_id, note=CHECKED)
    answer = desk.approve(world.supervisor, request_id, note="approved")
    assert answer.outcome is not None
    # the confusion variant A812345 and the neighbour AB12346 were read at the same cameras
    assert {s.plate for s in answer.outcome.results} == {"AB12345"}


@pytest.mark.parametrize(
    "widen",
    [
        {"include_variants": True},
        {"cameras": ("cam-1",)},
        {"window_start": NOW - timedelta(days=40)},
        {"type": SearchType.PARTIAL, "plate": None, "pattern": "AB123*"},
    ],
    ids=["variants", "cameras", "window", "partial"],
)
def test_a_verified_owner_request_wider_than_its_scope_is_denied_by_the_policy(
    ct, widen: dict
) -> None:
    world, _ = ct
    engine = world.service._judge
    base = Query(SearchType.EXACT, NOW - timedelta(days=21), NOW, plate="AB12345", state="CT")
    verified = replace(
        form(purpose=Purpose.OWNER_REQUEST, basis=LegalBasis.CONSENT),
        query=replace(base, **widen),
    )
    request = SearchRequest(
        id="s-1",
        requester=Requester("nhpd", "CT", world.owner.type, "off1", world.officer.role),
        purpose=Purpose.OWNER_REQUEST,
        offense_code=None,
        case_number="OR-20261110-482113",
        legal_basis=LegalBasis.CONSENT,
        warrant_id=None,
        reason=verified.reason,
        query=verified.query,
        now=NOW,
        owner_agency_id="nhpd",
        owner_verified=True,
    )
    decision = engine.decide(request, approved=True)
    assert not decision.allowed
    assert "owner-request.scope" in {r.rule for r in decision.reasons}
    assert engine.decide(replace(request, query=base), approved=True).allowed


# -- hostile input: a precise error, nothing stored ----------------------------------------------


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"plate": "\u0410B12345"}, "plate"),  # Cyrillic A
        ({"plate": "AB 12345; DROP"}, "plate"),
        ({"plate": ""}, "plate"),
        ({"state": "XX"}, "state"),
        ({"state": "C\u200bT"}, "state"),
        ({"proof": "ok"}, "proof"),
        ({"proof": "registration\u202e 4471102 shown"}, "proof"),
        ({"proof": "x" * 2001}, "proof"),
        ({"proof": "registration \ud800 4471102"}, "proof"),  # a lone surrogate
    ],
)
def test_hostile_input_is_refused_with_the_field_and_nothing_is_kept(ct, fields, field) -> None:
    world, desk = ct
    args = {"plate": "AB12345", "state": "CT", "proof": PROOF} | fields
    with pytest.raises(InputError) as caught:
        desk.open(world.officer, **args)
    assert caught.value.field == field
    assert desk.waiting(world.officer) == [] and steps(world) == []


# -- lapse: open requests go, logged, and leave nothing in the file ------------------------------


def test_an_open_request_lapses_logged_and_its_plate_leaves_the_file(ct) -> None:
    world, desk = ct
    request_id = opened(world, desk, "QZ77441")
    world.clock.advance(days=4)  # past the 3-day lifetime
    with pytest.raises(ConflictError, match="lapsed"):
        desk.verify(world.officer, request_id, note=CHECKED)
    gone = desk.expire()
    assert [r.request_id for r in gone] == [request_id]
    assert steps(world) == ["opened", "expired"]
    raw = b"".join(p.read_bytes() for p in world.data_dir.glob(DB_FILE + "*") if p.is_file())
    assert b"QZ77441" not in raw
