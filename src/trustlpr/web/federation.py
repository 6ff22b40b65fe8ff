"""Federation routes: the public node document and the signed ``/federation/v1/`` API.

``GET /.well-known/trustlpr`` is public and signed with every key in force (RFC 9421 answer
signatures), so a peer that pinned an older key can follow a rotation. Every route under
``/federation/v1/`` takes the ``Signed`` dependency: the request's signature, key and nonce are
checked (``Federation.verify_request``, audited when refused) before the route reads a field,
and the answer is signed (``signed_json``), bound to the request it answers.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from ..core.clock import iso
from ..core.errors import SignatureRefused
from ..federation import Federation, SignedBy
from ..federation import Request as SignedRequest
from ..federation.document import DOCUMENT_PATH
from .deps import node

router = APIRouter(tags=["federation"])


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
