"""Why a signed message between nodes was refused: one code per cause, one fixed sentence each.

The sentence goes back to the sender in the 401 and into the audit log; it names the cause
and at most the peer agency, never anything the message carried.
"""

from __future__ import annotations

from enum import StrEnum

from ..core.errors import SignatureRefused


class Refusal(StrEnum):
    UNSIGNED = "unsigned"
    MALFORMED = "malformed_signature"
    NOT_COVERED = "components_not_covered"
    UNKNOWN_KEY = "unknown_key"
    PEER_NOT_APPROVED = "peer_not_approved"
    PEER_REMOVED = "peer_removed"
    KEY_RETIRED = "key_retired"
    BAD_SIGNATURE = "bad_signature"
    OUTSIDE_WINDOW = "outside_window"
    REPLAYED = "replayed_nonce"
    DIGEST_MISMATCH = "digest_mismatch"


_TEXT = {
    Refusal.UNSIGNED: "the message carries no RFC 9421 Signature and Signature-Input",
    Refusal.MALFORMED: "the Signature or Signature-Input header is not a valid RFC 9421 "
    "signature with alg ed25519, created, expires, nonce and keyid",
    Refusal.NOT_COVERED: "the signature must cover @method, @target-uri, content-digest and "
    "content-type (answers: @status, content-digest and content-type)",
    Refusal.UNKNOWN_KEY: "the signing key is not pinned by this node",
    Refusal.PEER_NOT_APPROVED: "the peer of this key awaits a second admin's approval",
    Refusal.PEER_REMOVED: "the peer of this key was removed",
    Refusal.KEY_RETIRED: "the signing key was rotated out and its overlap has ended",
    Refusal.BAD_SIGNATURE: "the signature does not verify with the pinned key",
    Refusal.OUTSIDE_WINDOW: "the signature is outside its validity window (created/expires, "
    "at most 5 minutes, clocks within 5 minutes)",
    Refusal.REPLAYED: "the signature's nonce was already used",
    Refusal.DIGEST_MISMATCH: "the body does not match its Content-Digest (RFC 9530 sha-256)",
}


def refuse(code: Refusal, peer: str | None = None) -> SignatureRefused:
    """The error for ``code``; ``peer`` is the agency behind the key, when known."""
    return SignatureRefused(f"signature refused ({code.value}): {_TEXT[code]}", reason=code.value,
                            peer=peer)  # fmt: skip
