"""The signed HTTP client a node talks to its peers with (httpx).

``post`` signs a JSON request with this node's active key, sends it to a pinned peer with a
deadline, and believes the answer only if it is signed by that peer's key in force and bound
to the request (``Federation.verify_answer``); a peer that is down, slow or answers unsigned
raises ``PeerUnavailableError`` or ``SignatureRefused`` — never a half-trusted answer.
``fetch_document`` reads a node document before it is pinned (``peer add``) and checks that it
is signed by a key it lists (whoever served it holds that key); ``refresh`` reads a pinned
peer's document and accepts it only when signed by a key already pinned.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import httpx

from ..core.errors import FormatError, InputError, PeerUnavailableError, SignatureRefused
from ..keys.signing import parse_public_key
from .document import DOCUMENT_PATH, NodeDocument, parse_document
from .peers import Peer
from .refusal import Refusal, refuse
from .service import JSON, Federation
from .signatures import Answer, Request, verify

DEFAULT_DEADLINE = 5.0
MAX_ANSWER = 4 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class PeerAnswer:
    """A verified answer from a peer: its status and JSON body."""

    status: int
    body: Any


def document_url(url: str) -> str:
    """The document URL of a node given by its base URL or by the document URL itself."""
    url = url.strip()
    if not url.startswith(("http://", "https://")):
        raise InputError("must be an http:// or https:// URL", field="url")
    return url if url.rstrip("/").endswith(DOCUMENT_PATH) else url.rstrip("/") + DOCUMENT_PATH


class PeerClient:
    """Signed requests from this node (``federation``) to its peers."""

    def __init__(
        self,
        federation: Federation,
        *,
        deadline: float = DEFAULT_DEADLINE,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._federation = federation
        self._client = httpx.Client(timeout=deadline, transport=transport, follow_redirects=False)

    def post(self, peer: Peer, path: str, payload: Any) -> PeerAnswer:
        """Sends ``payload`` as signed JSON to ``path`` of ``peer``; the verified answer."""
        body = json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()
        return self._exchange(peer, "POST", path, body, {})

    def get(self, peer: Peer, path: str, *, if_none_match: str | None = None) -> PeerAnswer:
        """A signed GET of ``path`` (with its query) from ``peer``; the verified answer. A
        ``304 Not Modified`` (RFC 9110) answer, signed like any other, has body ``None``."""
        extra = {"If-None-Match": if_none_match} if if_none_match else {}
        return self._exchange(peer, "GET", path, b"", extra)

    def _exchange(
        self, peer: Peer, method: str, path: str, body: bytes, extra: dict[str, str]
    ) -> PeerAnswer:
        url = peer.url.rstrip("/") + path
        headers = self._federation.sign_request(method, url, body)
        sent = Request(method, url, headers)
        response = self._send(method, url, {**headers, **extra}, body, peer.agency_id)
        answer = Answer(response.status_code, dict(response.headers), sent)
        self._federation.verify_answer(peer, answer, response.content)
        if response.status_code == 304 and not response.content:
            return PeerAnswer(304, None)
        value = _json(response.content, peer.agency_id)
        if response.status_code == 401 and isinstance(value, dict):
            reason = str(value.get("reason", "unknown"))[:40]
            raise SignatureRefused(
                f"{peer.agency_id} refused this node's signature ({reason})",
                reason=reason,
                peer=peer.agency_id,
            )
        return PeerAnswer(response.status_code, value)

    def fetch_document(self, url: str) -> NodeDocument:
        """A node's document, checked to be signed by one of the keys it lists."""
        target = document_url(url)
        response = self._send("GET", target, {}, b"", None)
        if response.status_code != 200:
            raise PeerUnavailableError(f"{target} answered {response.status_code}")
        document = parse_document(response.content)
        offered = document.key_pairs()

        def resolve(key_id: str) -> Any:
            if key_id not in offered:
                raise refuse(Refusal.UNKNOWN_KEY)
            return parse_public_key(offered[key_id])

        answer = Answer(response.status_code, dict(response.headers), Request("GET", target, {}))
        verify(answer, response.content, resolve=resolve, now=self._federation.now())
        return document

    def refresh(self, peer: Peer) -> NodeDocument:
        """A pinned peer's current document, signed by a key of it pinned and in force."""
        target = document_url(peer.url)
        response = self._send("GET", target, {}, b"", peer.agency_id)
        answer = Answer(response.status_code, dict(response.headers), Request("GET", target, {}))
        self._federation.verify_answer(peer, answer, response.content)
        return parse_document(response.content)

    def _send(
        self, method: str, url: str, headers: dict[str, str], body: bytes, peer: str | None
    ) -> httpx.Response:
        who = peer or url
        try:
            response = self._client.request(method, url, headers=headers, content=body or None)
        except httpx.TimeoutException as exc:
            raise PeerUnavailableError(f"{who} did not answer in time") from exc
        except httpx.HTTPError as exc:
            raise PeerUnavailableError(f"{who} could not be reached: {type(exc).__name__}") from exc
        if len(response.content) > MAX_ANSWER:
            raise PeerUnavailableError(f"{who} answered with more than {MAX_ANSWER} bytes")
        return response

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> PeerClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _json(raw: bytes, peer: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise FormatError(f"{peer} answered with a signed body that is not JSON") from exc


__all__ = ["JSON", "PeerAnswer", "PeerClient", "document_url"]
