"""FastAPI dependencies shared by the routers: the running system, and error translation."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse

from ..core.errors import InputError, OverloadedError, PolicyDenied, TrustLPRError


def get_system(request: Request) -> Any:
    """The composed system (``trustlpr.runtime.System``) the app was created with."""
    return request.app.state.system


def error_response(exc: TrustLPRError) -> JSONResponse:
    """A ``TrustLPRError`` as a JSON answer with its HTTP status and precise message."""
    body: dict[str, Any] = {"error": type(exc).__name__, "detail": exc.message}
    headers: dict[str, str] = {}
    if isinstance(exc, InputError):
        body["field"] = exc.field
        body["line"] = exc.line
    if isinstance(exc, PolicyDenied):
        body["reasons"] = exc.reasons
    if isinstance(exc, OverloadedError):
        headers["Retry-After"] = str(max(1, round(exc.retry_after)))
    return JSONResponse(body, status_code=exc.http_status, headers=headers)
