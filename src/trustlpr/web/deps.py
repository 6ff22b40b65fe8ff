"""FastAPI dependencies shared by the routers: the node's components, typed, and error translation.

Every route names the component it uses with one of the ``Annotated`` aliases below
(``audit: Audit``, ``searches: Searches`` …), each read from the ``System`` the app was created
with, so a component the node lacks is a type error, not a silent default.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse

from ..audit import AuditService
from ..core.errors import (
    InputError,
    OverloadedError,
    PolicyDenied,
    SignatureRefused,
    TrustLPRError,
)
from ..federation.outbound import FederatedSearch
from ..hotlist import AlertService, HotlistService
from ..ingest import IngestService
from ..runtime import System
from ..search import OwnerRequests, SearchService


def node(request: Request) -> System:
    """The composed node (``trustlpr.runtime.System``) the app was created with."""
    system: System = request.app.state.system
    return system


def _audit(request: Request) -> AuditService:
    return node(request).audit


def _searches(request: Request) -> SearchService:
    return node(request).search


def _federated(request: Request) -> FederatedSearch:
    return node(request).federated


def _owner_requests(request: Request) -> OwnerRequests:
    return node(request).owner_requests


def _hotlists(request: Request) -> HotlistService:
    return node(request).hotlists


def _alerts(request: Request) -> AlertService:
    return node(request).hotlists.alerts


def camera_ingest(request: Request) -> IngestService:
    """The node's camera ingest; a bus front-end's app (``create_ingest_app``) overrides this
    dependency with its own ``IngestService``, which publishes to the bus."""
    return node(request).ingest_service


Node = Annotated[System, Depends(node)]
Audit = Annotated[AuditService, Depends(_audit)]
Searches = Annotated[SearchService, Depends(_searches)]
Federated = Annotated[FederatedSearch, Depends(_federated)]
OwnerDesk = Annotated[OwnerRequests, Depends(_owner_requests)]
Hotlists = Annotated[HotlistService, Depends(_hotlists)]
Alerts = Annotated[AlertService, Depends(_alerts)]
CameraIngest = Annotated[IngestService, Depends(camera_ingest)]


def error_response(exc: TrustLPRError) -> JSONResponse:
    """A ``TrustLPRError`` as a JSON answer with its HTTP status and precise message."""
    body: dict[str, Any] = {"error": type(exc).__name__, "detail": exc.message}
    headers: dict[str, str] = {}
    if isinstance(exc, InputError):
        body["field"] = exc.field
        body["line"] = exc.line
    if isinstance(exc, PolicyDenied):
        body["reasons"] = exc.reasons
    if isinstance(exc, SignatureRefused):
        body["reason"] = exc.reason
    if isinstance(exc, OverloadedError):
        headers["Retry-After"] = str(max(1, round(exc.retry_after)))
    return JSONResponse(body, status_code=exc.http_status, headers=headers)


def invalid_response(exc: RequestValidationError) -> JSONResponse:
    """A request that failed validation, as a 422 in the shape of ``error_response``: each
    problem's field and message, never the offending input (it may be huge, or hold lone
    surrogates that no JSON encoder will write)."""
    problems = [
        {
            "field": _dotted(error.get("loc", ())),
            "detail": str(error.get("msg", "invalid")).removeprefix("Value error, "),
        }
        for error in exc.errors()
    ]
    first = problems[0] if problems else {"field": None, "detail": "invalid request"}
    where = f"field {first['field']!r}: " if first["field"] else ""
    body = {
        "error": "InputError",
        "detail": f"{where}{first['detail']}",
        "field": first["field"],
        "line": None,
        "problems": problems[:20],
    }
    return JSONResponse(body, status_code=422)


def _dotted(location: Sequence[object]) -> str | None:
    """``("body", "query", "plate")`` → ``"query.plate"``; list positions as ``[i]``."""
    parts = list(location)
    if parts and parts[0] in ("body", "query", "path", "header", "cookie"):
        parts = parts[1:]
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or None
