"""Hot-list sharing routes under ``/federation/v1/hotlists``, signed both ways like every
federation route (``web/federation.py``): the lists this node offers the signing peer, one list
(whole, or its changes ``?since=`` a version, 304 when unchanged), and partners' hit reports."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from ..core.errors import TrustLPRError
from ..federation import Federation
from ..federation import Request as SignedRequest
from ..federation.hotlist_publish import HotlistDesk
from ..federation.hotlist_wire import HITS_PATH, HOTLISTS_PATH, HitReport, etag
from ..federation.wire import WIRE_VERSION
from .deps import node
from .federation import Fed, Signed, parse_signed, signed_error, signed_json

router = APIRouter(tags=["federation"])


def _desk(request: Request) -> HotlistDesk:
    return node(request).hotlist_desk


Desk = Annotated[HotlistDesk, Depends(_desk)]


@router.get(HOTLISTS_PATH)
async def offered_lists(request: Request, federation: Fed, desk: Desk, signed: Signed) -> Response:
    """The hot lists this node's agreements let the signing peer pull."""
    try:
        offers = await run_in_threadpool(desk.offers, signed.peer)
    except TrustLPRError as exc:
        return signed_error(federation, request, exc)
    body = {
        "trustlpr_federation": WIRE_VERSION,
        "agency": federation.owner.id,
        "lists": [o.model_dump(mode="json") for o in offers],
    }
    return signed_json(federation, request, body)


@router.post(HITS_PATH)
async def hit_report(request: Request, federation: Fed, desk: Desk, signed: Signed) -> Response:
    """A partner's report that an entry of one of this node's shared lists was seen."""
    raw = await request.body()
    try:
        report = parse_signed(HitReport, raw)
        fresh = await run_in_threadpool(desk.receive, signed.peer, report)
    except TrustLPRError as exc:
        return signed_error(federation, request, exc)
    body = {"agency": federation.owner.id, "report_id": report.report_id, "new": fresh}
    return signed_json(federation, request, body, 201 if fresh else 200)


@router.get(HOTLISTS_PATH + "/{list_id}")
async def shared_list(
    request: Request,
    federation: Fed,
    desk: Desk,
    signed: Signed,
    list_id: str,
    since: Annotated[int | None, Query(ge=1, le=2**62)] = None,
) -> Response:
    """One shared list: its changes since ``since`` when this node served that version, the
    whole list otherwise, or ``304`` when ``since`` (or ``If-None-Match``) is current."""
    if since is None:
        since = _version_of(request.headers.get("if-none-match"), list_id)
    try:
        version = await run_in_threadpool(desk.version, signed.peer, list_id, since)
    except TrustLPRError as exc:
        return signed_error(federation, request, exc)
    if version is None:
        return _not_modified(federation, request)
    body = version.model_dump(mode="json")
    response = signed_json(federation, request, body)
    response.headers["ETag"] = etag(version.list_id, version.version)
    return response


def _not_modified(federation: Federation, request: Request) -> Response:
    """A signed ``304`` with no body: the version the peer holds is current."""
    asked = SignedRequest(request.method, str(request.url), dict(request.headers))
    headers = federation.sign_answer(304, b"", asked)
    return Response(b"", status_code=304, headers=headers, media_type=None)


def _version_of(tag: str | None, list_id: str) -> int | None:
    """The version an ``If-None-Match`` names, when it is one of this list's ETags."""
    for item in (tag or "").split(",")[:8]:
        text = item.strip().removeprefix("W/")
        prefix = f'"{list_id}.'
        if text.startswith(prefix) and text.endswith('"') and text[len(prefix) : -1].isdigit():
            return int(text[len(prefix) : -1])
    return None
