"""Federation routes: the public node document and the signed ``/federation/v1/`` API.

``GET /.well-known/trustlpr`` is public and signed with every key in force (RFC 9421 answer
signatures), so a peer that pinned an older key can follow a rotation. Every route under
``/federation/v1/`` takes the ``Signed`` dependency: the request's signature, key and nonce are
checked (``Federation.verify_request``, audited when refused) before the route reads a field,
and the answer is signed (``signed_json``), bound to the request it answers.
"""

from __future__ import annotations

import json
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool

from ..core.clock import iso
from ..core.errors import InputError, SignatureRefused, TrustLPRError
from ..federation import Federation, SignedBy
from ..federation import Request as SignedRequest
from ..federation.document import DOCUMENT_PATH
from ..federation.inbound import SearchDesk
from ..federation.wire import (
    POLL_PATH,
    SEARCH_PATH,
    TERMS_PATH,
    FederatedAsk,
    FederatedPoll,
    TermsAsk,
    answer_json,
)
from ..search import SearchOutcome, Status
from .deps import node

router = APIRouter(tags=["federation"])
M = TypeVar("M", bound=BaseModel)


def _federation(request: Request) -> Federation:
    return node(request).federation


Fed = Annotated[Federation, Depends(_federation)]


async def _signed(request: Request, federation: Fed) -> SignedBy:
    body = await request.body()
    return await run_in_threadpool(
        federation.verify_request, request.method, str(request.url), request.headers, body
    )


Signed = Annotated[SignedBy, Depends(_signed)]


def signed_json(federation: Federation, request: Request, value: Any, status: int = 200,
                *, every_key: bool = False) -> Response:  # fmt: skip
    """``value`` as a JSON answer signed by this node, bound to ``request``."""
    body = json.dumps(value, sort_keys=True, separators=(",", ":")).encode()
    asked = SignedRequest(request.method, str(request.url), dict(request.headers))
    headers = federation.sign_answer(status, body, asked, every_key=every_key)
    return Response(body, status_code=status, headers=headers, media_type=None)


def signed_refusal(federation: Federation, request: Request, exc: SignatureRefused) -> Response:
    """The 401 of a refused signature, itself signed: the sender can tell our refusal from
    someone else's."""
    body = {"error": type(exc).__name__, "detail": exc.message, "reason": exc.reason}
    return signed_json(federation, request, body, exc.http_status)


@router.get(DOCUMENT_PATH)
def node_document(request: Request, federation: Fed) -> Response:
    """This node's document (public): agency, keys, policy, log, endpoints."""
    document = federation.document(node(request).node_facts(), str(request.base_url))
    return signed_json(federation, request, document.model_dump(mode="json"), every_key=True)


@router.post("/federation/v1/ping")
def ping(request: Request, federation: Fed, signed: Signed) -> Response:
    """A signed echo: proves both nodes' keys and clocks agree (``federation peer check``)."""
    answer = {
        "agency": federation.owner.id,
        "peer": signed.peer.agency_id,
        "key_id": signed.signature.key_id,
        "at": iso(federation.now()),
    }
    return signed_json(federation, request, answer)


_STATUS_CODE = {
    Status.COMPLETED: 200,
    Status.APPROVED: 200,
    Status.PENDING: 202,
    Status.DENIED: 403,
    Status.REJECTED: 403,
    Status.EXPIRED: 410,
}
"""As the local search API answers (``web/search.py``): the decision is in the body as well."""


def _desk(request: Request) -> SearchDesk:
    return node(request).search_desk


Desk = Annotated[SearchDesk, Depends(_desk)]


def parse_signed(model: type[M], raw: bytes) -> M:
    try:
        return model.model_validate_json(raw)
    except ValidationError as exc:
        first = exc.errors()[0] if exc.errors() else {"loc": (), "msg": "invalid"}
        where = ".".join(str(part) for part in first["loc"]) or "body"
        raise InputError(f"{first['msg']}"[:300], field=where[:80]) from None


def signed_error(federation: Federation, request: Request, exc: TrustLPRError) -> Response:
    """A refusal after the signature verified (a bad body, a declaration that does not match
    the pin, an unknown held request), signed like every answer."""
    body = {"error": type(exc).__name__, "detail": exc.message}
    return signed_json(federation, request, body, exc.http_status)


def _outcome(federation: Federation, request: Request, outcome: SearchOutcome) -> Response:
    body = answer_json(outcome, federation.owner.id)
    return signed_json(federation, request, body, _STATUS_CODE[outcome.status])


@router.post(SEARCH_PATH)
async def federated_search(
    request: Request, federation: Fed, desk: Desk, signed: Signed
) -> Response:
    """A partner's search of this node's data, judged by this node's policy and agreements."""
    raw = await request.body()
    try:
        ask = parse_signed(FederatedAsk, raw)
        outcome = await run_in_threadpool(desk.ask, signed.peer, ask)
    except TrustLPRError as exc:
        return signed_error(federation, request, exc)
    return _outcome(federation, request, outcome)


@router.post(POLL_PATH)
async def federated_poll(request: Request, federation: Fed, desk: Desk, signed: Signed) -> Response:
    """A partner's poll of its held request: judged again and, once approved, run."""
    raw = await request.body()
    try:
        poll = parse_signed(FederatedPoll, raw)
        outcome = await run_in_threadpool(desk.poll, signed.peer, poll)
    except TrustLPRError as exc:
        return signed_error(federation, request, exc)
    return _outcome(federation, request, outcome)


@router.post(TERMS_PATH)
async def federated_terms(
    request: Request, federation: Fed, desk: Desk, signed: Signed
) -> Response:
    """The purposes this node's agreements in force grant the asking peer (its own only)."""
    raw = await request.body()
    try:
        parse_signed(TermsAsk, raw)
        purposes = await run_in_threadpool(desk.terms, signed.peer, federation.now())
    except TrustLPRError as exc:
        return signed_error(federation, request, exc)
    body = {"agency": federation.owner.id, "peer": signed.peer.agency_id, "purposes": purposes}
    return signed_json(federation, request, body)
