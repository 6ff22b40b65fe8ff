"""Camera ingest over HTTP: the native batch, OpenALPR webhooks, Plate Recognizer.

The routes use the app's ``IngestService`` (``System.ingest_service``, or an ingest
front-end's ``FrontEnd.ingest_service`` in front of the bus; built once in the composition
root with the node's limits). Every route checks, in this order and before
reading more than it must: the declared size (413), the camera key (401/403) and its rate
limit (429); then it reads the body with a cap, parses it (``json_body.parse_json``), and
answers only once the reads are durable: 200, or 207 ("partly accepted") when some results
were rejected while the others are stored (each rejected result is listed with its path and
reason), or 503 with ``Retry-After`` when the queue is full.

A camera key is taken from ``Authorization: Bearer cam_…`` (or ``Token cam_…``, as Plate
Recognizer Stream's ``webhook_header`` sends it), from ``X-Api-Key: cam_…`` (a custom header
for OpenALPR/Rekor webhooks), or from ``?key=cam_…`` for senders that can only be given a URL
(the key then appears in URLs and access logs: prefer a header).
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from fastapi.security import APIKeyHeader, APIKeyQuery, HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.formparsers import MultiPartException
from starlette.requests import Request as StarletteRequest
from starlette.types import Message

from ..cameras import RegisteredCamera, cameras_geojson
from ..core.errors import InputError, TooLargeError
from ..ingest import FormPayload, IngestResult, IngestService
from .deps import CameraIngest, Node
from .json_body import parse_json

router = APIRouter(tags=["ingest"])
inventory = APIRouter(tags=["public"])
"""The public camera inventory: served by the node, not by bus front-ends."""

_bearer = HTTPBearer(auto_error=False, description="Authorization: Bearer cam_… (camera key)")
_header = APIKeyHeader(name="X-Api-Key", auto_error=False, description="camera key")
_query = APIKeyQuery(name="key", auto_error=False, description="camera key (prefer a header)")

_RECEIPT: dict[int | str, dict[str, Any]] = {
    "200": {
        "description": "Durable: every accepted read is stored (or deliberately not kept).",
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "properties": {
                        "status": {"type": "string"},
                        "kind": {"type": "string"},
                        "camera_id": {"type": "string"},
                        "accepted": {"type": "integer"},
                        "stored": {"type": "integer"},
                        "duplicates": {"type": "integer"},
                        "expired": {"type": "integer"},
                        "rejected": {"type": "array", "items": {"type": "object"}},
                    },
                }
            }
        },
    },
    "207": {
        "description": "Partly accepted: the accepted reads are durable; `rejected` lists each "
        "refused result as {path, field, reason}.",
    },
    "401": {"description": "No or invalid camera key."},
    "403": {"description": "Camera disabled, or the payload speaks for another camera."},
    "413": {"description": "Body over the size limit."},
    "422": {"description": "Bad input; `field` names the bad value, `line` the CSV line."},
    "429": {"description": "This camera is over its rate limit; see Retry-After."},
    "503": {"description": "Ingest queue full or shutting down; see Retry-After."},
}
_NATIVE_READ = {
    "type": "object",
    "required": ["plate", "observed_at", "confidence"],
    "properties": {
        "plate": {"type": "string", "example": "ABC1234"},
        "state": {"type": "string", "example": "CT"},
        "observed_at": {"type": "string", "format": "date-time"},
        "confidence": {"type": "number", "minimum": 0, "maximum": 1},
        "camera_id": {"type": "string"},
        "agency_id": {"type": "string"},
        "lat": {"type": "number"},
        "lon": {"type": "number"},
        "direction": {"type": "number"},
        "make": {"type": "string"},
        "colour": {"type": "string"},
        "vehicle_type": {"type": "string"},
        "plate_crop_jpeg": {"type": "string", "format": "byte", "description": "plate image"},
        "uuid": {"type": "string", "description": "the sender's read id (dedupe)"},
    },
}
_NATIVE_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "required": ["reads"],
                "properties": {"reads": {"type": "array", "maxItems": 1000, "items": _NATIVE_READ}},
            }
        },
        "text/csv": {"schema": {"type": "string", "description": "header row + one read a line"}},
    },
}
_OPENALPR_BODY = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "type": "object",
                "description": "An OpenALPR/Rekor agent webhook (see docs/ingest.md).",
                "properties": {
                    "data_type": {
                        "type": "string",
                        "enum": ["alpr_results", "alpr_group", "alpr_alert", "heartbeat"],
                    },
                    "openalpr_webhook": {"type": "string"},
                    "camera_id": {"type": "integer"},
                    "epoch_time": {"type": "integer"},
                    "epoch_start": {"type": "integer"},
                    "best_plate_number": {"type": "string"},
                    "best_confidence": {"type": "number"},
                    "results": {"type": "array", "items": {"type": "object"}},
                },
            }
        }
    },
}
_PR_BODY = {
    "required": True,
    "content": {
        "multipart/form-data": {
            "schema": {
                "type": "object",
                "required": ["json"],
                "properties": {
                    "json": {"type": "string", "description": "the Stream webhook JSON"},
                    "upload": {"type": "string", "format": "binary"},
                },
            }
        },
        "application/json": {
            "schema": {
                "type": "object",
                "description": "A Snapshot response, or a Stream webhook {hook, data}.",
                "properties": {
                    "timestamp": {"type": "string"},
                    "camera_id": {"type": "string"},
                    "results": {"type": "array", "items": {"type": "object"}},
                    "data": {"type": "object"},
                    "hook": {"type": "object"},
                },
            }
        },
    },
}


def camera_key(
    request: Request,
    bearer: HTTPAuthorizationCredentials | None = Depends(_bearer),
    header: str | None = Depends(_header),
    query: str | None = Depends(_query),
) -> str | None:
    """The presented camera key, from whichever of the accepted places carries one."""
    if bearer is not None:
        return bearer.credentials
    auth = request.headers.get("authorization", "")
    if auth[:6].lower() == "token ":
        return auth[6:].strip()
    return header or query


async def _admit(request: Request, service: IngestService, key: str | None) -> RegisteredCamera:
    declared = request.headers.get("content-length", "")
    limit = service.limits.max_body_bytes
    if declared.isdigit() and int(declared) > limit:
        raise TooLargeError(f"the body is {declared} bytes; at most {limit} are accepted")
    camera = service.authenticate_recent(key)
    if camera is None:  # a legacy argon2 key hash (tens of ms) must not block the loop
        camera = await run_in_threadpool(service.authenticate, key)
    return camera


async def _body(request: Request, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise TooLargeError(f"the body is over {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


async def _form(request: Request, body: bytes) -> FormPayload:
    async def receive() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    replay = StarletteRequest(request.scope, receive)
    try:
        async with replay.form(max_files=2, max_fields=20, max_part_size=4 << 20) as form:
            fields: dict[str, str] = {}
            files: dict[str, bytes] = {}
            for name, value in form.multi_items():
                if isinstance(value, str):
                    fields[name] = value
                else:
                    files[name] = await value.read()
    except MultiPartException as exc:
        raise InputError(f"bad multipart form: {exc.message}", field="body") from None
    except HTTPException as exc:  # Starlette's own translation of a malformed form
        raise InputError(f"bad multipart form: {exc.detail}", field="body") from None
    return FormPayload(fields, files)


async def _submit(
    service: IngestService, adapter: str, payload: Any, camera: RegisteredCamera
) -> JSONResponse:
    submission = service.accept(adapter, payload, camera)
    result: IngestResult | None = None
    if submission.future is not None:
        result = await asyncio.wrap_future(submission.future)
    return JSONResponse(submission.receipt(result), status_code=207 if submission.partial else 200)


@router.post(
    "/api/v1/reads",
    summary="Submit reads in TrustLPR's native JSON batch or CSV form",
    responses=_RECEIPT,
    openapi_extra={"requestBody": _NATIVE_BODY},
)
async def post_reads(
    request: Request, ingest: CameraIngest, key: str | None = Depends(camera_key)
) -> JSONResponse:
    camera = await _admit(request, ingest, key)
    body = await _body(request, ingest.limits.max_body_bytes)
    if request.headers.get("content-type", "").lower().startswith("text/csv"):
        return await _submit(ingest, "native_csv", body, camera)
    return await _submit(ingest, "native", parse_json(body), camera)


@router.post(
    "/api/v1/ingest/openalpr",
    summary="OpenALPR / Rekor Scout agent webhook (alpr_results, alpr_group, alpr_alert, ...)",
    responses=_RECEIPT,
    openapi_extra={"requestBody": _OPENALPR_BODY},
)
async def post_openalpr(
    request: Request, ingest: CameraIngest, key: str | None = Depends(camera_key)
) -> JSONResponse:
    camera = await _admit(request, ingest, key)
    body = await _body(request, ingest.limits.max_body_bytes)
    return await _submit(ingest, "openalpr", parse_json(body), camera)


@router.post(
    "/api/v1/ingest/platerecognizer",
    summary="Plate Recognizer Snapshot result or Stream webhook (multipart json + upload)",
    responses=_RECEIPT,
    openapi_extra={"requestBody": _PR_BODY},
)
async def post_platerecognizer(
    request: Request, ingest: CameraIngest, key: str | None = Depends(camera_key)
) -> JSONResponse:
    camera = await _admit(request, ingest, key)
    body = await _body(request, ingest.limits.max_body_bytes)
    if request.headers.get("content-type", "").lower().startswith("multipart/form-data"):
        payload: Any = await _form(request, body)
    else:
        payload = parse_json(body)
    return await _submit(ingest, "platerecognizer", payload, camera)


@inventory.get(
    "/api/v1/cameras.geojson",
    summary="Public camera inventory as GeoJSON with OpenStreetMap ALPR tags",
    tags=["public"],
)
async def cameras_inventory(system: Node) -> dict[str, Any]:
    operators = {system.settings.agency_id: system.settings.agency_name}
    cameras = await run_in_threadpool(system.cameras.list)
    return cameras_geojson(cameras, operators)
