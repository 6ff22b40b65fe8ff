"""Sharing agreements: two-person approval, narrowing at once, expiry, attestations, history."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from trustlpr.core.errors import (
    AuthError,
    ConflictError,
    ForbiddenError,
    InputError,
    NotFoundError,
    PolicyDenied,
)
from trustlpr.core.events import EventType
from trustlpr.core.identity import Role
from trustlpr.core.search import Purpose
from trustlpr.identity import Attestation, Commitment, SharingAgreement, Status, make_attestation

from .conftest import ListSink, Node

OWNER = "hartford-pd"
CT_PROMISES = [
    "no_immigration_enforcement",
    "no_reproductive_health_investigation",
    "no_gender_affirming_care_investigation",
]


def later(node: Node, days: int) -> datetime:
    return node.clock.now + timedelta(days=days)


def attestation(node: Node, promises: list[str] | None = None) -> Attestation:
    return make_attestation(
        "MOU-2026-07",
        "Chief of Boston Police",
        node.clock.now,
        CT_PROMISES if promises is None else promises,
    )


def in_force(node: Node, grantee: str = "boston-pd", **terms: object) -> SharingAgreement:
    """An agreement proposed by alice and approved by bob."""
    options: dict[str, object] = {
        "purposes": ["stolen_vehicle", "amber_alert"],
        "expires_at": later(node, 180),
    }
    options.update(terms)
    if "grantee_state" not in options:
        options["grantee_agency_id"] = grantee
    proposed = node.store.sharing.propose(OWNER, actor=node.alice, **options)  # type: ignore[arg-type]
    return node.store.sharing.approve(proposed.id, actor=node.bob)


def test_a_proposal_grants_nothing_until_another_admin_approves(node: Node) -> None:
    sharing = node.store.sharing
    proposed = sharing.propose(
        OWNER,
        grantee_agency_id="boston-pd",
        purposes=["stolen_vehicle"],
        expires_at=later(node, 90),
        actor=node.alice,
    )
    assert proposed.status is Status.PENDING
    assert sharing.agreements(OWNER) == []
    assert sharing.grantees(OWNER) == []
    assert [p.id for p in sharing.pending(OWNER)] == [proposed.id]
    with pytest.raises(ForbiddenError, match="two-person"):
        sharing.approve(proposed.id, actor=node.alice)
    node.clock.advance(minutes=5)
    approved = sharing.approve(proposed.id, actor=node.bob)
    assert approved.status is Status.ACTIVE
    assert approved.effective_from == node.clock.now
    assert (approved.proposed_by, approved.decided_by) == ("alice", "bob")
    assert [a.id for a in sharing.agreements(OWNER)] == [proposed.id]
    assert sharing.agreements(OWNER, node.clock.now - timedelta(minutes=1)) == []
    with pytest.raises(NotFoundError):
        sharing.approve(proposed.id, actor=node.carol)  # nothing pending any more


def test_only_admins_of_the_owner_may_change_agreements(node: Node) -> None:
    sharing = node.store.sharing
    for outsider in (node.olivia, node.sam, node.audrey, node.boston_admin):
        with pytest.raises(ForbiddenError):
            sharing.propose(
                OWNER,
                grantee_agency_id="boston-pd",
                purposes=["stolen_vehicle"],
                expires_at=later(node, 90),
                actor=outsider,
            )
    proposed = sharing.propose(
        OWNER,
        grantee_agency_id="boston-pd",
        purposes=["stolen_vehicle"],
        expires_at=later(node, 90),
        actor=node.alice,
    )
    for outsider in (node.sam, node.boston_admin):
        with pytest.raises(ForbiddenError):
            sharing.approve(proposed.id, actor=outsider)
    node.store.disable("bob", actor=node.carol)
    with pytest.raises(ForbiddenError):
        sharing.approve(proposed.id, actor=node.bob)
    assert sharing.approve(proposed.id, actor=node.carol).status is Status.ACTIVE


def test_admins_made_by_the_proposer_are_never_the_second_person(node: Node) -> None:
    """Issue 12 item 5(a): alice makes an admin whose password she set (and a third through
    it), and approves her own proposal with it — at no time, after no wait."""
    store, pw = node.store, "mallory's password, set by alice"
    proposed = store.sharing.propose(
        OWNER,
        grantee_agency_id="boston-pd",
        purposes=["stolen_vehicle"],
        expires_at=later(node, 90),
        actor=node.alice,
    )
    store.add_user("mallory", OWNER, Role.ADMIN, "Mallory", actor=node.alice, password=pw)
    node.clock.advance(days=8)
    with pytest.raises(AuthError):  # a proposed admin cannot even sign in before approval
        store.verify_password("mallory", pw)
    assert store.approve_admin("mallory", actor=node.bob).active
    mallory = store.verify_password("mallory", pw)[0]
    store.set_password("mallory", pw + " changed", actor=mallory)  # "her own" password now
    mallory = store.verify_password("mallory", pw + " changed")[0]
    store.add_user("trent", OWNER, Role.ADMIN, "Trent", actor=mallory, password=pw)
    store.approve_admin("trent", actor=node.bob)
    store.set_role("sam", Role.ADMIN, actor=node.alice)
    store.approve_admin("sam", actor=node.carol)
    node.clock.advance(days=5)
    trent = store.verify_password("trent", pw)[0]
    for puppet in (mallory, trent, store.user("sam")):
        with pytest.raises(ForbiddenError, match="not independent"):
            store.sharing.approve(proposed.id, actor=puppet)
    assert store.sharing.get(proposed.id).status is Status.PENDING
    assert store.sharing.approve(proposed.id, actor=node.bob).status is Status.ACTIVE


def test_an_admin_grant_needs_an_independent_second_admin(node: Node) -> None:
    store = node.store
    dave = store.add_user("dave", OWNER, Role.ADMIN, "Dave", actor=node.alice)
    assert not dave.active and [p.user_id for p in store.admin_proposals()] == ["dave"]
    with pytest.raises(ForbiddenError, match="someone else"):
        store.approve_admin("dave", actor=node.alice)
    with pytest.raises(ForbiddenError):  # another agency's admin is not ours
        store.approve_admin("dave", actor=node.boston_admin)
    with pytest.raises(ConflictError, match="already waiting"):
        store.enable("dave", actor=node.bob)  # a proposed admin is not switched on by hand
    # carol was proposed by bob: she may approve alice's grant, never bob's
    store.set_role("olivia", Role.ADMIN, actor=node.bob)
    with pytest.raises(ForbiddenError, match="not independent"):
        store.approve_admin("olivia", actor=node.carol)
    assert store.approve_admin("dave", actor=node.carol).active
    store.reject_admin("olivia", actor=node.alice)
    assert store.user("olivia").role is Role.OFFICER and store.admin_proposals() == []
    store.disable("dave", actor=node.bob)
    assert not store.enable("dave", actor=node.alice).active  # re-enabling is a grant too
    node.clock.advance(days=15)
    with pytest.raises(ConflictError, match="older than 14 days"):
        store.approve_admin("dave", actor=node.bob)


def test_narrowing_applies_at_once_widening_waits(node: Node, sink: ListSink) -> None:
    sharing = node.store.sharing
    first = in_force(node)
    shorter = later(node, 30)
    narrowed = sharing.amend(
        first.id, purposes=["amber_alert"], expires_at=shorter, actor=node.alice
    )
    assert (narrowed.version, narrowed.status) == (2, Status.ACTIVE)
    assert sharing.versions(first.id)[0].status is Status.SUPERSEDED
    (current,) = sharing.agreements(OWNER)
    assert current.purposes == {Purpose.AMBER_ALERT}
    # widening: an added purpose, then a later expiry, each only proposed
    node.clock.advance(minutes=1)
    wider = sharing.amend(first.id, purposes=["amber_alert", "missing_person"], actor=node.alice)
    assert wider.status is Status.PENDING
    assert sharing.agreements(OWNER)[0].purposes == {Purpose.AMBER_ALERT}
    with pytest.raises(ConflictError, match="pending"):
        sharing.amend(first.id, expires_at=later(node, 10), actor=node.bob)
    approved = sharing.approve(first.id, actor=node.carol)
    assert approved.purposes == {Purpose.AMBER_ALERT, Purpose.MISSING_PERSON}
    longer = sharing.amend(first.id, expires_at=later(node, 300), actor=node.alice)
    assert longer.status is Status.PENDING
    assert sharing.agreements(OWNER)[0].expires_at == shorter  # unchanged so far
    sharing.reject(first.id, actor=node.bob)
    actions = [e.public["action"] for e in sink.of(EventType.SHARING_CHANGED)]
    assert actions == [
        "proposed",
        "approved",
        "narrowed",
        "proposed",
        "approved",
        "proposed",
        "rejected",
    ]
    with pytest.raises(InputError, match="same"):
        sharing.amend(first.id, expires_at=shorter, actor=node.alice)


def test_an_attestation_is_on_file_only_after_approval(node: Node) -> None:
    sharing = node.store.sharing
    agreement = in_force(node)
    assert not sharing.attestation_on_file(OWNER, "boston-pd")
    pending = sharing.attest(agreement.id, attestation(node), actor=node.alice)
    assert pending.status is Status.PENDING
    assert not sharing.attestation_on_file(OWNER, "boston-pd")
    sharing.approve(agreement.id, actor=node.bob)
    assert sharing.attestation_on_file(OWNER, "boston-pd")
    assert sharing.attestation_on_file(OWNER, node.store.agency("boston-pd"))
    assert not sharing.attestation_on_file(OWNER, "providence-pd")
    assert not sharing.attestation_on_file(OWNER, "no-such-agency")
    # withdrawing it is a narrowing: at once, by one admin
    sharing.amend(agreement.id, drop_attestation=True, actor=node.alice)
    assert not sharing.attestation_on_file(OWNER, "boston-pd")


def test_an_incomplete_attestation_is_not_on_file(node: Node) -> None:
    partial = attestation(node, ["no_immigration_enforcement", "no_onward_sharing"])
    in_force(node, attestation=partial)
    assert node.store.sharing.listing(OWNER)[0].attestation == partial
    assert not node.store.sharing.attestation_on_file(OWNER, "boston-pd")


def test_a_state_grant_covers_that_states_police_only(node: Node) -> None:
    sharing = node.store.sharing
    in_force(node, grantee_state="ma", attestation=attestation(node))
    covered = {a.id for a in node.store.agencies() if sharing.attestation_on_file(OWNER, a)}
    assert covered == {"boston-pd", "ma-state-police"}  # not FBI, not the vendor, not RI
    (grantee,) = sharing.grantees(OWNER)
    assert (grantee.agency_id, grantee.state, grantee.name) == (
        None,
        "MA",
        "MA police (any agency)",
    )


def test_expiry_ends_access_and_past_moments_stay_answerable(node: Node) -> None:
    sharing = node.store.sharing
    agreement = in_force(node, expires_at=later(node, 10))
    start = node.clock.now
    node.clock.advance(days=5)
    sharing.revoke(agreement.id, actor=node.alice)
    assert sharing.agreements(OWNER) == []
    assert [a.id for a in sharing.agreements(OWNER, start + timedelta(days=1))] == [agreement.id]
    second = in_force(node, grantee="providence-pd", expires_at=later(node, 2))
    node.clock.advance(days=2)
    assert sharing.agreements(OWNER) == []
    latest = {a.id: a for a in sharing.listing(OWNER)}
    assert latest[second.id].status is Status.ACTIVE
    assert latest[second.id].status_at(node.clock.now) == "expired"
    assert latest[agreement.id].status_at(node.clock.now) == "revoked"
    assert [a.id for a in sharing.agreements(OWNER, node.clock.now - timedelta(days=1))] == [
        second.id
    ]
    with pytest.raises(ConflictError, match="not in force"):
        sharing.revoke(agreement.id, actor=node.alice)


def test_revoking_also_drops_a_pending_widening(node: Node) -> None:
    sharing = node.store.sharing
    agreement = in_force(node)
    sharing.amend(
        agreement.id, purposes=["stolen_vehicle", "amber_alert", "missing_person"], actor=node.alice
    )
    revoked = sharing.revoke(agreement.id, actor=node.carol)
    assert revoked.status is Status.REVOKED
    assert [v.status for v in sharing.versions(agreement.id)] == [Status.REVOKED, Status.REJECTED]
    with pytest.raises(NotFoundError):
        sharing.approve(agreement.id, actor=node.bob)


def test_rejecting_and_stale_proposals(node: Node) -> None:
    sharing = node.store.sharing
    proposed = sharing.propose(
        OWNER,
        grantee_agency_id="boston-pd",
        purposes=["stolen_vehicle"],
        expires_at=later(node, 90),
        actor=node.alice,
    )
    assert sharing.reject(proposed.id, actor=node.alice).status is Status.REJECTED  # withdrawn
    assert sharing.agreements(OWNER) == []
    again = sharing.propose(
        OWNER,
        grantee_agency_id="boston-pd",
        purposes=["stolen_vehicle"],
        expires_at=later(node, 90),
        actor=node.alice,
    )
    node.clock.advance(days=15)
    with pytest.raises(ConflictError, match="older than 14 days"):
        sharing.approve(again.id, actor=node.bob)


def test_one_open_agreement_per_grantee(node: Node) -> None:
    in_force(node)
    with pytest.raises(ConflictError, match="already covers"):
        node.store.sharing.propose(
            OWNER,
            grantee_agency_id="boston-pd",
            purposes=["parking"],
            expires_at=later(node, 9),
            actor=node.alice,
        )


@pytest.mark.parametrize(
    ("terms", "error", "field"),
    [
        ({"purposes": []}, InputError, "purposes"),
        ({"purposes": ["stalking"]}, InputError, "purposes"),
        ({"expires_at": "2026-11-01T00:00:00Z"}, InputError, "expires_at"),
        ({"expires_at": "2040-01-01T00:00:00Z"}, InputError, "expires_at"),
        ({"expires_at": "2027-01-01T00:00:00"}, InputError, "expires_at"),
        ({"grantee_state": "MA"}, InputError, "grantee"),
        ({"grantee_agency_id": None}, InputError, "grantee"),
        ({"grantee_agency_id": "hartford-pd"}, InputError, "grantee"),
        ({"grantee_agency_id": None, "grantee_state": "ZZ"}, InputError, "grantee_state"),
        ({"grantee_agency_id": "atlantis-pd"}, NotFoundError, None),
        ({"purposes": ["immigration_enforcement"], "attestation": True}, InputError, "purposes"),
    ],
)
def test_bad_terms_are_refused_precisely(
    node: Node, terms: dict[str, object], error: type[Exception], field: str | None
) -> None:
    options: dict[str, object] = {
        "grantee_agency_id": "boston-pd",
        "purposes": ["stolen_vehicle"],
        "expires_at": later(node, 90),
    }
    options.update(terms)
    if options.get("attestation") is True:
        options["attestation"] = attestation(node)
    with pytest.raises(error) as caught:
        node.store.sharing.propose(OWNER, actor=node.alice, **options)  # type: ignore[arg-type]
    if field is not None:
        assert getattr(caught.value, "field", None) == field
    assert node.store.sharing.listing() == []


def test_bad_attestations_are_refused(node: Node) -> None:
    with pytest.raises(InputError) as caught:
        make_attestation("MOU", "Chief", node.clock.now, ["no_speeding"])
    assert caught.value.field == "commitments"
    with pytest.raises(InputError) as caught:
        make_attestation("", "Chief", node.clock.now, CT_PROMISES)
    assert caught.value.field == "document_ref"
    future = make_attestation("MOU", "Chief", later(node, 1), CT_PROMISES)
    with pytest.raises(InputError) as caught:
        node.store.sharing.propose(
            OWNER,
            grantee_agency_id="boston-pd",
            purposes=["parking"],
            expires_at=later(node, 9),
            actor=node.alice,
            attestation=future,
        )
    assert caught.value.field == "attested_at"


def test_require_agreement_denies_with_reasons(node: Node) -> None:
    sharing = node.store.sharing
    boston, providence = node.store.agency("boston-pd"), node.store.agency("providence-pd")
    agreement = in_force(node)
    assert sharing.require_agreement(OWNER, boston, Purpose.AMBER_ALERT).id == agreement.id
    with pytest.raises(PolicyDenied) as caught:
        sharing.require_agreement(OWNER, boston, Purpose.PARKING)
    assert caught.value.reasons[0].startswith("[sharing.purpose_not_covered]")
    with pytest.raises(PolicyDenied) as caught:
        sharing.require_agreement(OWNER, providence, Purpose.AMBER_ALERT)
    assert caught.value.reasons[0].startswith("[sharing.no_agreement]")
    with pytest.raises(InputError):
        sharing.require_agreement(OWNER, node.store.agency(OWNER), Purpose.AMBER_ALERT)


def test_grantees_come_from_the_agreements(node: Node) -> None:
    in_force(node, attestation=attestation(node))
    in_force(node, grantee="fbi-boston", purposes=["terrorism"])
    grantees = {g.agency_id: g for g in node.store.sharing.grantees(OWNER)}
    assert set(grantees) == {"boston-pd", "fbi-boston"}
    boston = grantees["boston-pd"].public()
    assert boston["name"] == "Boston Police"
    assert boston["purposes"] == ["amber_alert", "stolen_vehicle"]
    assert boston["attestation_on_file"] is True
    assert grantees["fbi-boston"].public()["type"] == "federal"
    assert node.store.sharing.grantees("boston-pd") == []


def test_the_published_history_is_a_diff_without_people(node: Node, sink: ListSink) -> None:
    sharing = node.store.sharing
    agreement = in_force(node, attestation=attestation(node))
    sharing.amend(agreement.id, purposes=["amber_alert"], actor=node.bob)
    history = [c.public() for c in sharing.history(OWNER)]
    assert [h["action"] for h in history] == ["proposed", "approved", "narrowed"]
    assert history[1]["two_person"] is True
    assert history[2]["purposes_removed"] == ["stolen_vehicle"]
    assert history[2]["purposes_added"] == []
    assert history[2]["attestation"] is True and history[2]["attestation_before"] is True
    assert sharing.history("boston-pd") == []
    events = sink.of(EventType.SHARING_CHANGED)
    assert [e.agency_id for e in events] == [OWNER] * 3
    assert events[2].private["actor"] == "bob"
    for published in [*history, *(dict(e.public) for e in events)]:
        text = repr(published)
        for personal in ("alice", "bob", "Chief of Boston", "MOU-2026-07"):
            assert personal not in text


def test_commitments_enum_matches_the_statutes() -> None:
    assert {c.value for c in Commitment} >= set(CT_PROMISES)
