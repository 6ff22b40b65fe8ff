"""The federation face of one node: its document, its keys, its peers, and the check every
signed message passes.

``verify_request`` is what the ``/federation/v1/`` routes call before they read a declaration:
the signature (``signatures.verify``) by a key pinned for an approved peer, then the nonce
(``NonceCache``). A refusal is audited as a ``federation_refused`` event whose public part is
the reason code and, when the key is pinned, the peer agency — nothing the message carried —
and is raised as ``SignatureRefused`` (401). ``sign_request`` and ``sign_answer`` sign what
this node sends with its active key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from ..core.clock import Clock, system_clock
from ..core.errors import SignatureRefused
from ..core.events import AuditEvent, AuditSink, EventType, PublicValue
from ..core.identity import Agency, User
from ..identity.roles import require_admin
from ..keys.signing import PublicKeyInfo, SigningKeys, parse_public_key
from .document import DocAgency, DocLog, DocPolicy, NodeDocument, build_document
from .peers import Peer, PeerRegistry
from .replay import NonceCache
from .signatures import CLOCK_SKEW, Answer, Request, Verified, sign, verify

JSON = "application/json"
DEFAULT_URL = "http://127.0.0.1:8080"
"""Where a node's endpoints are said to be when ``public_url`` is not configured and no request
tells (``trustlpr federation identity``): ``trustlpr serve``'s default address."""


@dataclass(frozen=True, slots=True)
class NodeFacts:
    """What the document says besides keys: the policy in force and the log's public state."""

    policy: DocPolicy
    log: DocLog


@dataclass(frozen=True, slots=True)
class SignedBy:
    """A verified request: the peer that sent it and what its signature said."""

    peer: Peer
    signature: Verified


class Federation:
    """This node among its peers (see the module docstring); built once in ``runtime``."""

    def __init__(
        self,
        *,
        owner: Agency,
        keys: SigningKeys,
        peers: PeerRegistry,
        nonces: NonceCache,
        audit: AuditSink,
        public_url: str | None,
        clock: Clock = system_clock,
    ) -> None:
        self.owner = owner
        self.keys = keys
        self.peers = peers
        self._nonces = nonces
        self._audit = audit
        self.public_url = public_url
        self._clock = clock

    # -- the node document ------------------------------------------------------------------------

    def document(self, facts: NodeFacts, base_url: str | None = None) -> NodeDocument:
        agency = DocAgency(
            id=self.owner.id, name=self.owner.name, state=self.owner.state, type=self.owner.type
        )
        return build_document(
            agency=agency,
            keys=self.keys.published(self._clock()),
            policy=facts.policy,
            log=facts.log,
            base_url=self.public_url or base_url or DEFAULT_URL,
        )

    def now(self) -> datetime:
        return self._clock()

    def rotate_key(self, overlap: timedelta, *, actor: User) -> PublicKeyInfo:
        """A new signing key; the old one stays published and valid for ``overlap``."""
        require_admin(actor, self.owner.id)
        before = [k.key_id for k in self.keys.published(self._clock())]
        new = self.keys.rotate(overlap)
        self._audit.append(
            AuditEvent(
                type=EventType.FEDERATION_CHANGED,
                at=self._clock(),
                agency_id=self.owner.id,
                public={"action": "key_rotated", "peer_keys": [new.key_id, *before]},
                private={"actor": actor.id, "overlap_s": int(overlap.total_seconds())},
            )
        )
        return new

    # -- signing ----------------------------------------------------------------------------------

    def sign_request(
        self, method: str, url: str, body: bytes, content_type: str = JSON
    ) -> dict[str, str]:
        """The headers of a signed request (``Content-Type``, ``Content-Digest``,
        ``Signature-Input``, ``Signature``)."""
        message = Request(method.upper(), url, {"Content-Type": content_type})
        active = self.keys.active
        sign(message, body, key_id=active.key_id, key=self.keys.private_key(active.key_id),
             now=self._clock())  # fmt: skip
        return dict(message.headers)

    def sign_answer(
        self,
        status: int,
        body: bytes,
        request: Request | None,
        *,
        content_type: str = JSON,
        every_key: bool = False,
    ) -> dict[str, str]:
        """The headers of a signed answer to ``request``; ``every_key`` signs with each key in
        force (the document, so peers that pinned an older key can follow a rotation)."""
        message = Answer(status, {"Content-Type": content_type}, request)
        now = self._clock()
        keys = self.keys.published(now) if every_key else [self.keys.active]
        for number, info in enumerate(keys, start=1):
            sign(message, body, key_id=info.key_id, key=self.keys.private_key(info.key_id),
                 now=now, label=f"sig{number}")  # fmt: skip
        return dict(message.headers)

    # -- verifying --------------------------------------------------------------------------------

    def verify_request(
        self, method: str, url: str, headers: Mapping[str, str], body: bytes
    ) -> SignedBy:
        """The peer behind a signed request, or ``SignatureRefused`` (audited)."""
        now = self._clock()
        found: dict[str, Peer] = {}

        def resolve(key_id: str) -> Ed25519PublicKey:
            peer, key = self.peers.pinned(key_id)
            found["peer"] = peer
            return parse_public_key(key.public_key)

        message = Request(method.upper(), url, dict(headers))
        try:
            verified = verify(message, body, resolve=resolve, now=now)
            keep = verified.expires + CLOCK_SKEW
            try:
                self._nonces.claim(verified.key_id, verified.nonce, keep_until=keep, now=now)
            except SignatureRefused as exc:
                raise SignatureRefused(exc.message, reason=exc.reason,
                                       peer=found["peer"].agency_id) from None  # fmt: skip
        except SignatureRefused as exc:
            peer = exc.peer or (found["peer"].agency_id if "peer" in found else None)
            self._refused(exc.reason, peer, method, url, now)
            raise
        return SignedBy(found["peer"], verified)

    def verify_answer(self, peer: Peer, answer: Answer, body: bytes) -> Verified:
        """Checks a peer's answer to our request: signed by one of that peer's keys in force
        and bound to the request. Refusals here are ours to act on; they are not audited (the
        caller records the exchange)."""

        def resolve(key_id: str) -> Ed25519PublicKey:
            pinned_peer, key = self.peers.pinned(key_id)
            if pinned_peer.agency_id != peer.agency_id:
                raise SignatureRefused(
                    "signature refused (unknown_key): the answer is signed by another peer's key",
                    reason="unknown_key",
                    peer=peer.agency_id,
                )
            return parse_public_key(key.public_key)

        return verify(answer, body, resolve=resolve, now=self._clock())

    def _refused(self, reason: str, peer: str | None, method: str, url: str, now: datetime) -> None:
        public: dict[str, PublicValue] = {"action": "refused", "reasons": [reason]}
        if peer is not None:
            public["peer_agency"] = peer
        self._audit.append(
            AuditEvent(
                type=EventType.FEDERATION_REFUSED,
                at=now,
                agency_id=self.owner.id,
                public=public,
                private={"method": method[:16], "path": _path(url)},
            )
        )


def _path(url: str) -> str:
    """The path of a refused request, for the private detail (no query: it could hold data)."""
    rest = url.split("://", 1)[-1]
    path = "/" + rest.split("/", 1)[1] if "/" in rest else "/"
    return path.split("?", 1)[0][:200]
