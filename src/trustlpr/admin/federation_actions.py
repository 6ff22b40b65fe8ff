"""Federation's changes as admin actions (``federation.peers.add`` …), so a leaked peer key
can be revoked (``federation.peers.remove``) while ``trustlpr serve`` runs: over the admin
socket from the CLI, or ``POST /api/v1/admin/{action}``, in the process whose peer registry
and signing keys answer the network, so the change holds from the next request on.

The peer registry keeps the two-admin rule for adding a peer and audits each change; the
actions only fetch what a change needs over HTTP (a peer's document) in the node doing it.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from ..core.clock import iso, parse_duration
from ..core.identity import User
from ..federation import Peer
from ..federation.client import PeerClient, document_url
from ..federation.document import DOCUMENT_PATH
from .actions import Action, AdminService, IdText, Result, _action, _signed

Deadline = Annotated[float, Field(gt=0, le=120)]


def peer_row(admin: AdminService, peer: Peer) -> Result:
    """A peer as every face shows it (``peer list --json``'s row)."""
    return peer.public(admin.federation.now())


@_action("federation.peers.add")
class PeerAdd(Action):
    """Propose a peer at ``url``, pinning ``keys`` (KEYID → public key, each in the peer's
    document); none given pins every key its document lists (``peer add --yes``)."""

    url: str = Field(min_length=1, max_length=500)
    keys: dict[str, str] | None = Field(None, max_length=16)
    deadline: Deadline = 10.0

    def run(self, admin: AdminService, actor: User | None) -> Result:
        user = _signed(actor)
        with PeerClient(admin.federation, deadline=self.deadline) as client:
            document = client.fetch_document(self.url)
        pins = self.keys if self.keys else document.key_pairs()
        base = document_url(self.url).removesuffix(DOCUMENT_PATH)  # as typed, not as claimed
        peer = admin.federation.peers.propose(document, base, pins, actor=user)
        return peer_row(admin, peer)


@_action("federation.peers.approve")
class PeerApprove(Action):
    agency: IdText

    def run(self, admin: AdminService, actor: User | None) -> Result:
        return peer_row(admin, admin.federation.peers.approve(self.agency, actor=_signed(actor)))


@_action("federation.peers.reject")
class PeerReject(Action):
    agency: IdText

    def run(self, admin: AdminService, actor: User | None) -> Result:
        return peer_row(admin, admin.federation.peers.reject(self.agency, actor=_signed(actor)))


@_action("federation.peers.remove")
class PeerRemove(Action):
    agency: IdText

    def run(self, admin: AdminService, actor: User | None) -> Result:
        return peer_row(admin, admin.federation.peers.remove(self.agency, actor=_signed(actor)))


@_action("federation.peers.refresh")
class PeerRefresh(Action):
    """Follow a peer's key rotation; unsigned as before, since it only believes a document
    signed by a key already pinned."""

    agency: IdText
    deadline: Deadline = 10.0

    def run(self, admin: AdminService, actor: User | None) -> Result:
        peers = admin.federation.peers
        with PeerClient(admin.federation, deadline=self.deadline) as client:
            document = client.refresh(peers.peer(self.agency))
        return peer_row(admin, peers.rotate(self.agency, document))


@_action("federation.rotate_key")
class RotateKey(Action):
    overlap: str = Field("1d", min_length=1, max_length=32)

    def run(self, admin: AdminService, actor: User | None) -> Result:
        period = parse_duration(self.overlap, field="overlap")
        new = admin.federation.rotate_key(period, actor=_signed(actor))
        return {
            "key_id": new.key_id,
            "public_key": new.public_key,
            "previous_retire": iso(admin.federation.now() + period),
        }
