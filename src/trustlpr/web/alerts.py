"""Staff API for alerts and hot lists: list, live stream (SSE), verify, stop outcomes, stats,
list changes.

The routes use the node's ``HotlistService`` and ``System.authenticate(request)`` (the
signed-in staff user; ``AuthError`` when there is none). EventSource cannot send headers, so
the console's session cookie is what the alert stream will usually read.

Who may do what: officers, supervisors, auditors and admins of this agency read alerts and
stats; officers and supervisors verify and record what came of a confirmed alert; supervisors
and admins change hot lists.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from typing import Any

from fastapi import APIRouter, Body, Depends, File, Path, Query, Request, Response, UploadFile
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from ..core.clock import parse_duration
from ..core.errors import InputError, NotFoundError, TooLargeError
from ..core.identity import Role, User
from ..hotlist import AlertKind, HotlistService
from ..hotlist.delivery import SseEvent
from ..identity import require_role, require_same_agency
from .deps import node
from .json_body import JsonRoute

router = APIRouter(tags=["alerts"], route_class=JsonRoute)

KEEPALIVE_SECONDS = 15.0
MAX_UPLOAD = 256 * 1024 * 1024
_VIEW = (Role.OFFICER, Role.SUPERVISOR, Role.AUDITOR, Role.ADMIN)
_VERIFY = (Role.OFFICER, Role.SUPERVISOR)
_MANAGE = (Role.SUPERVISOR, Role.ADMIN)


def hotlists(request: Request) -> HotlistService:
    return node(request).hotlists


def current_user(request: Request) -> User:
    """The staff user, from ``System.authenticate(request)`` (see the module docstring)."""
    return node(request).authenticate(request)


def _staff(*roles: Role) -> Callable[..., User]:
    def check(request: Request, user: User = Depends(current_user)) -> User:
        require_role(user, *roles)
        require_same_agency(user, hotlists(request).agency_id)
        return user

    return check


Viewer = Depends(_staff(*_VIEW))
Verifier = Depends(_staff(*_VERIFY))
Manager = Depends(_staff(*_MANAGE))


@router.get("/api/v1/alerts")
def list_alerts(
    request: Request,
    user: User = Viewer,
    kind: AlertKind | None = Query(None, description="alert or possible"),
    status: str | None = Query(
        None, description="unverified, confirmed, misread or not_the_vehicle"
    ),
    list_id: str | None = Query(None, max_length=64),
    camera_id: str | None = Query(None, max_length=200),
    days: int | None = Query(None, ge=1, le=3660, description="only the last N days"),
    limit: int = Query(100, ge=1, le=1000),
) -> dict[str, Any]:
    """Alerts and possible matches, newest first."""
    records = hotlists(request).alerts.list_alerts(
        kind=kind, status=status, list_id=list_id, camera_id=camera_id, days=days, limit=limit
    )
    return {"alerts": [r.to_json() for r in records]}


@router.get("/api/v1/alerts/stats")
def alert_stats(
    request: Request, user: User = Viewer, days: int = Query(30, ge=1, le=3660)
) -> dict[str, Any]:
    """Hits, confirmed hits, misread rate and lists alerted on, for the portal."""
    return hotlists(request).alerts.stats(days).to_json()


@router.get("/api/v1/alerts/stream")
async def alert_stream(request: Request, user: User = Viewer) -> StreamingResponse:
    """Server-sent events: ``alert``, ``possible`` and ``verified``, each with the alert JSON.
    A client reconnecting with ``Last-Event-ID`` first gets the alerts it missed."""
    service = hotlists(request)
    subscription = service.alerts.broker.subscribe()
    last_id = request.headers.get("last-event-id", "")[:64]
    replay = await run_in_threadpool(service.alerts.replay_after, last_id) if last_id else []

    async def events() -> AsyncIterator[str]:
        try:
            yield f"retry: 3000\n: {len(replay)} missed\n\n"
            for record in replay:
                body = json.dumps(record.to_json(), sort_keys=True)
                yield SseEvent(record.kind.value, record.id, body).encode()
            while not await request.is_disconnected():
                item = await subscription.get(KEEPALIVE_SECONDS)
                if subscription.lagged:
                    yield "event: lagged\ndata: {}\n\n"
                    return
                yield ": keep-alive\n\n" if item is None else item.encode()
        finally:
            subscription.close()

    return StreamingResponse(
        events(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@router.get("/api/v1/alerts/{alert_id}")
def get_alert(alert_id: str, request: Request, user: User = Viewer) -> dict[str, Any]:
    return hotlists(request).alerts.get(alert_id).to_json()


@router.get("/api/v1/alerts/{alert_id}/image")
def alert_image(alert_id: str, request: Request, user: User = Viewer) -> Response:
    image = hotlists(request).alerts.image(alert_id)
    if image is None:
        raise NotFoundError("this alert has no image")
    return Response(image, media_type="image/jpeg", headers={"Cache-Control": "no-store"})


@router.post("/api/v1/alerts/{alert_id}/verify")
def verify_alert(
    alert_id: str,
    request: Request,
    body: dict[str, Any] = Body(
        ..., examples=[{"outcome": "confirmed", "note": "plate and car match the image"}]
    ),
    user: User = Verifier,
) -> dict[str, Any]:
    """Records ``confirmed``, ``misread`` or ``not_the_vehicle`` with a note (audited)."""
    record = hotlists(request).alerts.verify(
        alert_id, str(body.get("outcome", "")), note=body.get("note", ""), user=user.id
    )
    return record.to_json()


@router.post("/api/v1/alerts/{alert_id}/outcome")
def record_outcome(
    alert_id: str,
    request: Request,
    body: dict[str, Any] = Body(
        ..., examples=[{"outcome": "recovery", "note": "vehicle recovered, owner notified"}]
    ),
    user: User = Verifier,
) -> dict[str, Any]:
    """Records what came of a confirmed alert, once: ``no_contact``, ``stop``, ``arrest``,
    ``recovery``, ``wrong_vehicle`` or ``other`` (with a note). Counted on the portal; the
    note stays in the private log. 409 if the alert is not confirmed or has an outcome."""
    unknown = sorted(set(body) - {"outcome", "note"})
    if unknown:
        raise InputError("unknown field; give outcome and note", field=str(unknown[0])[:40])
    outcome, note = body.get("outcome", ""), body.get("note", "")
    if not isinstance(outcome, str):
        raise InputError("must be text", field="outcome")
    if not isinstance(note, str):
        raise InputError("must be text", field="note")
    record = hotlists(request).alerts.record_outcome(alert_id, outcome, note=note, user=user.id)
    return record.to_json()


@router.get("/api/v1/hotlists")
def list_hotlists(request: Request, user: User = Viewer) -> dict[str, Any]:
    return {"lists": [i.to_json() for i in hotlists(request).lists()]}


@router.get("/api/v1/hotlists/{list_id}/entries")
def list_entries(
    list_id: str,
    request: Request,
    user: User = Manager,
    limit: int = Query(100, ge=1, le=10_000),
    offset: int = Query(0, ge=0, le=10**9),
) -> dict[str, Any]:
    entries = hotlists(request).entries(list_id, limit=limit, offset=offset)
    return {"entries": [e.to_json() for e in entries]}


@router.post("/api/v1/hotlists/{list_id}/entries", status_code=201)
def add_entry(
    list_id: str,
    request: Request,
    body: dict[str, Any] = Body(
        ...,
        examples=[
            {
                "plate": "ABC1234",
                "state": "CT",
                "category": "V",
                "reason": "stolen vehicle, reported by owner",
                "case_number": "2026-001234",
                "owner": "Det. J. Doe",
                "expires_at": "2026-12-31",
            }
        ],
    ),
    user: User = Manager,
) -> dict[str, Any]:
    """Adds one entry (all of plate, state, category, reason, case_number, owner, expires_at)."""
    source = body.pop("source_agency", None)
    stored = hotlists(request).add_entry(body, list_id=list_id, actor=user.id, source_agency=source)
    return stored.to_json()


@router.delete("/api/v1/hotlists/{list_id}/entries/{entry_id}")
def remove_entry(
    list_id: str,
    request: Request,
    entry_id: int = Path(..., ge=1, le=2**63 - 1),
    note: str = Query(..., min_length=1, max_length=500, description="why it is removed"),
    user: User = Manager,
) -> dict[str, Any]:
    stored = hotlists(request).remove_entry(list_id, entry_id, actor=user.id, note=note)
    return {"removed": stored.id}


@router.post("/api/v1/hotlists/{list_id}/import")
async def import_list(
    list_id: str,
    request: Request,
    file: UploadFile = File(..., description="NCIC fixed-width extract or CSV"),
    format: str = Query(..., pattern="^(ncic|csv)$"),
    mode: str = Query("replace", pattern="^(replace|add)$"),
    valid_for: str = Query("1d", max_length=20, description="NCIC entries' validity"),
    skip_invalid: bool = Query(False, description="import good lines, report bad ones"),
    source_agency: str | None = Query(None, max_length=64),
    user: User = Manager,
) -> dict[str, Any]:
    """Imports a file into a list; replaces the list atomically unless ``mode=add``."""
    chunks, size = [], 0
    while chunk := await file.read(1 << 20):
        size += len(chunk)
        if size > MAX_UPLOAD:
            raise TooLargeError(f"the upload is over {MAX_UPLOAD} bytes")
        chunks.append(chunk)
    validity = parse_duration(valid_for, field="valid_for")
    if validity <= timedelta(0):
        raise InputError("must be positive", field="valid_for")
    report = await run_in_threadpool(
        lambda: hotlists(request).import_bytes(
            b"".join(chunks),
            list_id=list_id,
            fmt=format,
            actor=user.id,
            replace=mode == "replace",
            source_agency=source_agency,
            valid_for=validity,
            skip_invalid=skip_invalid,
        )
    )
    return report.to_json()
