"""RFC 9421 HTTP Message Signatures between nodes, by the ``http-message-signatures`` library.

Every request one node sends another is signed with Ed25519 under one label (``sig1``) and the
application tag ``trustlpr``, covering ``@method``, ``@target-uri``, ``content-digest``
(RFC 9530, ``sha-256``) and ``content-type``, with the parameters ``created``, ``expires``
(at most ``WINDOW`` after ``created``), ``nonce`` (random, single use), ``keyid`` (the signing
key's RFC 7638 thumbprint) and ``alg="ed25519"``. An answer is signed the same way, covering
``@status``, ``content-digest``, ``content-type`` and, from the request it answers,
``"@method";req``, ``"@target-uri";req`` and — for a signed request — ``"signature";req;
key="sig1"``: an answer cannot be replayed to another request.

``verify`` is the one check of a received message (request or answer). It raises
``SignatureRefused`` with the first cause found, in this order: unsigned; malformed (not our
tag, missing parameters, wrong algorithm); the key (``resolve`` decides: unknown, not
approved, removed, retired); components not covered; outside the window (by the injected
clock); bad signature; body not matching its digest. Replayed nonces are the caller's check
(``NonceCache``), made only after the signature verified.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping, MutableMapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import http_sf
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from http_message_signatures import (
    ContentDigest,
    HTTPMessageSignaturesException,
    HTTPMessageSigner,
    HTTPMessageVerifier,
    HTTPSignatureKeyResolver,
    InvalidSignature,
)
from http_message_signatures.algorithms import ED25519

from ..core.errors import SignatureRefused
from .refusal import Refusal, refuse

TAG = "trustlpr"
LABEL = "sig1"
WINDOW = timedelta(minutes=5)
"""The longest a signature is valid: ``expires - created`` at most this."""
CLOCK_SKEW = timedelta(seconds=30)
"""How far apart two nodes' clocks may be."""
REQUEST_COMPONENTS = ("@method", "@target-uri", "content-digest", "content-type")
ANSWER_COMPONENTS = ("@status", "content-digest", "content-type", '"@method";req',
                     '"@target-uri";req')  # fmt: skip
BOUND_ANSWER = f'"signature";req;key="{LABEL}"'
_PARAMS = frozenset({"created", "expires", "nonce", "keyid", "alg", "tag"})
_MAX_NONCE = 128


@dataclass
class Request:
    """An HTTP request as the library reads it: method, absolute URL, headers."""

    method: str
    url: str
    headers: MutableMapping[str, str] = field(default_factory=dict)


@dataclass
class Answer:
    """An HTTP response as the library reads it; ``request`` is the request it answers."""

    status_code: int
    headers: MutableMapping[str, str] = field(default_factory=dict)
    request: Request | None = None


@dataclass(frozen=True, slots=True)
class Verified:
    """What a verified signature says: which key, its nonce, and until when it holds."""

    key_id: str
    nonce: str
    created: datetime
    expires: datetime


class _OneKey(HTTPSignatureKeyResolver):
    def __init__(self, key_id: str, private: Ed25519PrivateKey | None = None,
                 public: Ed25519PublicKey | None = None) -> None:  # fmt: skip
        self._key_id, self._private, self._public = key_id, private, public

    def resolve_private_key(self, key_id: str) -> Ed25519PrivateKey:
        if key_id != self._key_id or self._private is None:
            raise KeyError(key_id)
        return self._private

    def resolve_public_key(self, key_id: str) -> Ed25519PublicKey | None:
        return self._public if key_id == self._key_id else None


class _Verifier(HTTPMessageVerifier):
    """The library's verifier with its wall-clock window check off: ``verify`` checks the
    window itself, by the node's injected clock, before any key is looked up."""

    def validate_created_and_expires(self, sig_input: Any, max_age: Any = None) -> None:
        return None


def sign(
    message: Request | Answer,
    body: bytes,
    *,
    key_id: str,
    key: Ed25519PrivateKey,
    now: datetime,
    label: str = LABEL,
) -> None:
    """Adds ``Content-Digest``, ``Signature-Input`` and ``Signature`` to ``message``.
    ``Content-Type`` must be set. Several keys sign one answer by calling this once per key
    with labels ``sig1``, ``sig2``… (a rotating node's document)."""
    if isinstance(message, Request):
        covered: tuple[str, ...] = REQUEST_COMPONENTS
    else:
        covered = ANSWER_COMPONENTS
        if message.request is not None and "signature" in _lower(message.request.headers):
            covered += (BOUND_ANSWER,)
    signer = HTTPMessageSigner(signature_algorithm=ED25519, key_resolver=_OneKey(key_id, key))
    appending = label != LABEL
    signer.sign(
        message,
        key_id=key_id,
        created=now,
        expires=now + WINDOW,
        nonce=secrets.token_urlsafe(16),
        label=label,
        tag=TAG,
        covered_component_ids=covered,
        body=None if appending else body,
        use_existing_digest=appending,
        append_if_signature_exists=appending,
    )


def verify(
    message: Request | Answer,
    body: bytes,
    *,
    resolve: Callable[[str], Ed25519PublicKey],
    now: datetime,
) -> Verified:
    """Checks ``message``'s signature (see the module docstring); ``resolve`` maps a key id
    to its pinned public key or raises ``SignatureRefused``."""
    headers = _lower(message.headers)
    if "signature-input" not in headers or "signature" not in headers:
        raise refuse(Refusal.UNSIGNED)
    label, params, covered, public = _select(headers, resolve)
    required: tuple[str, ...] = (
        ANSWER_COMPONENTS if isinstance(message, Answer) else REQUEST_COMPONENTS
    )
    asked = message.request if isinstance(message, Answer) else None
    if asked is not None and "signature" in _lower(asked.headers):
        required += (BOUND_ANSWER,)
    if not set(_identities(required)) <= set(covered):
        raise refuse(Refusal.NOT_COVERED)
    created = datetime.fromtimestamp(params["created"], UTC)
    expires = datetime.fromtimestamp(params["expires"], UTC)
    if not timedelta(0) < expires - created <= WINDOW:
        raise refuse(Refusal.OUTSIDE_WINDOW)
    if now < created - CLOCK_SKEW or now > expires + CLOCK_SKEW:
        raise refuse(Refusal.OUTSIDE_WINDOW)
    key_id = str(params["keyid"])
    verifier = _Verifier(signature_algorithm=ED25519, key_resolver=_OneKey(key_id, public=public))
    try:
        results = verifier.verify(
            message, max_age=None, expect_tag=TAG, expect_label=label, require_components=required
        )
    except (InvalidSignature, HTTPMessageSignaturesException) as exc:
        raise refuse(Refusal.BAD_SIGNATURE) from exc
    try:
        if not ContentDigest.verify_components(results[0].covered_components, body):
            raise refuse(Refusal.NOT_COVERED)
    except (InvalidSignature, HTTPMessageSignaturesException) as exc:
        raise refuse(Refusal.DIGEST_MISMATCH) from exc
    return Verified(key_id, str(params["nonce"]), created, expires)


def _select(
    headers: Mapping[str, str], resolve: Callable[[str], Ed25519PublicKey]
) -> tuple[str, dict[str, Any], list[str], Ed25519PublicKey]:
    """The label, parameters and covered component identities of the signature to check:
    the one with our tag whose key ``resolve`` accepts (a document may carry one signature per
    key in force; a peer knows some of them). The first refusal stands if none is accepted."""
    try:
        inputs = _sf(headers["signature-input"].encode("latin-1"), "dictionary")
    except (ValueError, TypeError, UnicodeError) as exc:
        raise refuse(Refusal.MALFORMED) from exc
    if not isinstance(inputs, dict) or not inputs:
        raise refuse(Refusal.MALFORMED)
    candidates = []
    for label, member in inputs.items():
        items, params = member
        if not isinstance(items, list) or params.get("tag") != TAG:
            continue
        if set(params) - _PARAMS or params.get("alg") != "ed25519":
            raise refuse(Refusal.MALFORMED)
        for name, kind in (("created", int), ("expires", int), ("nonce", str), ("keyid", str)):
            if type(params.get(name)) is not kind:
                raise refuse(Refusal.MALFORMED)
        if not 0 < len(params["nonce"]) <= _MAX_NONCE or len(params["keyid"]) > _MAX_NONCE:
            raise refuse(Refusal.MALFORMED)
        covered = [_identity(value, item_params) for value, item_params in items]
        candidates.append((label, params, covered))
    if not candidates:
        raise refuse(Refusal.MALFORMED)
    first_refusal: SignatureRefused | None = None
    for label, params, covered in candidates:
        try:
            public = resolve(str(params["keyid"]))
        except SignatureRefused as exc:  # try the next key; the first reason stands
            first_refusal = first_refusal or exc
            continue
        return label, params, covered, public
    assert first_refusal is not None
    raise first_refusal


def _identity(value: object, params: Mapping[str, object]) -> str:
    text = f'"{value}"'
    for name in sorted(params):
        flag = params[name]
        text += f";{name}" if flag is True else f';{name}="{flag}"'
    return text


def _identities(components: tuple[str, ...]) -> list[str]:
    out = []
    for component in components:
        if component.startswith('"'):
            value, params = _sf(component.encode(), "item")
            out.append(_identity(value, params))
        else:
            out.append(_identity(component, {}))
    return out


def _sf(raw: bytes, kind: str) -> Any:
    """A structured field (RFC 9651) parsed by http-sf; its union of shapes is checked by the
    callers, which refuse anything but the expected one."""
    return http_sf.parse(raw, tltype=kind)


def _lower(headers: Mapping[str, str]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}
