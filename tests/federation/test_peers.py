"""Peers: adding one is the two-admin rule of sharing agreements (the identity store's
independence check), pinned keys must be the peer's own, and every change is audited."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conftest import FakeClock
from trustlpr.core.errors import ConflictError, ForbiddenError, SignatureRefused
from trustlpr.core.identity import Role
from trustlpr.federation import PeerStatus
from trustlpr.keys.signing import SigningKeys

from .conftest import FedNode


def test_adding_a_peer_needs_a_second_independent_admin(
    make_node: Callable[..., FedNode],
) -> None:
    ct, ma = make_node("ct-town"), make_node("ma-town", "MA", policy="strict-default")
    peers = ct.system.federation.peers
    doc = ma.document()
    key_id = ma.system.federation.keys.active.key_id
    proposed = peers.propose(doc, "http://127.0.0.1:1", doc.key_pairs(), actor=ct.alice)
    assert proposed.status is PeerStatus.PENDING
    with pytest.raises(SignatureRefused) as pending:
        peers.pinned(key_id)
    assert pending.value.reason == "peer_not_approved"
    with pytest.raises(ForbiddenError, match="two-person rule"):
        peers.approve("ma-town", actor=ct.alice)
    # an admin alice appointed is not independent of her either
    ids = ct.system.identity
    ids.add_user("carol", "ct-town", Role.ADMIN, "Carol", actor=ct.alice)
    carol = ids.approve_admin("carol", actor=ct.bob)
    with pytest.raises(ForbiddenError, match="not independent"):
        peers.approve("ma-town", actor=carol)
    officer = ids.add_user("olivia", "ct-town", Role.OFFICER, "Olivia", actor=ct.bob)
    with pytest.raises(ForbiddenError):
        peers.approve("ma-town", actor=officer)
    approved = peers.approve("ma-town", actor=ct.bob)
    assert approved.status is PeerStatus.ACTIVE
    assert peers.pinned(key_id)[0].agency_id == "ma-town"
    with pytest.raises(ConflictError, match="already a peer"):
        peers.propose(doc, "http://127.0.0.1:1", doc.key_pairs(), actor=ct.alice)

    changes = [e["public"] for e in ct.events("federation_changed")]
    assert changes == [
        {"action": "proposed", "peer_agency": "ma-town", "agency_state": "MA",
         "agency_type": "local", "peer_keys": [key_id]},
        {"action": "approved", "peer_agency": "ma-town", "agency_state": "MA",
         "agency_type": "local", "two_person": True},
    ]  # fmt: skip


def test_only_the_peers_own_keys_are_pinned(make_node: Callable[..., FedNode]) -> None:
    ct, ma = make_node("ct-town"), make_node("ma-town", "MA", policy="strict-default")
    doc = ma.document()
    ((key_id, public),) = doc.key_pairs().items()
    other = SigningKeys.create_or_open(ct.settings.data_dir / "elsewhere").active
    peers = ct.system.federation.peers
    with pytest.raises(ConflictError, match="not in the peer's document"):
        peers.propose(doc, "http://x", {key_id: other.public_key}, actor=ct.alice)
    with pytest.raises(ConflictError, match="not in the peer's document"):
        peers.propose(doc, "http://x", {other.key_id: other.public_key}, actor=ct.alice)
    assert peers.peers() == []
    assert peers.propose(doc, "http://x", {key_id: public}, actor=ct.alice).keys[0].key_id == key_id


def test_a_rejected_or_removed_peer_can_be_proposed_again_and_is_refused_meanwhile(
    make_node: Callable[..., FedNode],
) -> None:
    ct, ma = make_node("ct-town"), make_node("ma-town", "MA", policy="strict-default")
    peers = ct.system.federation.peers
    doc = ma.document()
    key_id = ma.system.federation.keys.active.key_id
    peers.propose(doc, "http://x", doc.key_pairs(), actor=ct.alice)
    peers.reject("ma-town", actor=ct.bob)
    with pytest.raises(SignatureRefused) as rejected:
        peers.pinned(key_id)
    assert rejected.value.reason == "peer_removed"
    ct.pin(ma)
    peers.remove("ma-town", actor=ct.bob)  # one admin suffices to take access away
    with pytest.raises(SignatureRefused) as removed:
        peers.pinned(key_id)
    assert removed.value.reason == "peer_removed"
    assert [e["public"]["action"] for e in ct.events("federation_changed")] == [
        "proposed", "rejected", "proposed", "approved", "removed"
    ]  # fmt: skip


def test_a_proposal_lapses_after_14_days(
    make_node: Callable[..., FedNode], fed_clock: FakeClock
) -> None:
    ct, ma = make_node("ct-town"), make_node("ma-town", "MA", policy="strict-default")
    doc = ma.document()
    ct.system.federation.peers.propose(doc, "http://x", doc.key_pairs(), actor=ct.alice)
    fed_clock.advance(days=14, seconds=1)
    with pytest.raises(ConflictError, match="older than 14 days"):
        ct.system.federation.peers.approve("ma-town", actor=ct.bob)
