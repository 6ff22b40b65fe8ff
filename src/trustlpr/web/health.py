"""Liveness and the state of each ingest subsystem, with no personal data.

``/healthz`` answers 200 while every subsystem is healthy, and 503 (same body) when one is not
(the MQTT subscriber disconnected or refused, for instance): a process that is up but no
longer ingests is not healthy. Counts are by cause; messages name causes, never plates.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from .. import __version__

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz(request: Request) -> JSONResponse:
    body: dict[str, Any] = {"status": "ok", "version": __version__}
    service = getattr(request.app.state, "ingest_service", None)
    if service is not None:
        ingest = service.health.snapshot()
        body["ingest"] = ingest["subsystems"]
        if not ingest["healthy"]:
            body["status"] = "degraded"
    return JSONResponse(body, status_code=200 if body["status"] == "ok" else 503)
