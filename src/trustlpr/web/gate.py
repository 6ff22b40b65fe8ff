"""The gate every HTTP request passes before a route reads a byte of its body.

One ASGI middleware, for every route, in this order:

1. **Size.** Each route has a body limit (``limit_for``): a ``Content-Length`` over it is
   answered 413 at once, unread; a body sent without a length (chunked) is counted as it
   arrives and cut off with 413 as soon as it passes the limit, so memory never holds more
   than the limit plus one chunk.
2. **Origin.** A change sent to the staff console (``POST /console/…``) from another site
   (``Sec-Fetch-Site``/``Origin`` naming another origin) is refused 403 unread; the console's
   form token is checked by the route as before.
3. **Who.** A change through the staff API (``POST``, ``PUT``, ``PATCH``, ``DELETE`` under
   ``/api/v1/``, camera ingest aside: its camera key is checked by the route before it reads)
   or the console must carry a valid staff credential, checked here first: an outsider's body
   is never read or parsed. The API takes only ``Authorization: Bearer`` tokens for changes —
   the console's session cookie is refused there (403), so a forged cross-site request
   carrying only the cookie changes nothing; the console checks its own forms' token.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ..core.errors import AuthError, ForbiddenError, TooLargeError, TrustLPRError
from ..identity.presented import SESSION_COOKIE
from ..runtime import System
from .console_security import check_origin
from .deps import error_response

_UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_IMPORT = re.compile(r"^/api/v1/hotlists/[^/]+/import$")
_CAMERA_ROUTES = ("/api/v1/reads", "/api/v1/ingest/")


@dataclass(frozen=True)
class BodyLimits:
    """Largest body per kind of route, in bytes. Camera ingest's limit is the node's
    ``IngestLimits.max_body_bytes``."""

    default: int = 64 * 1024  # a search, a verdict, a hot-list entry, a console form
    upload: int = 256 * 1024 * 1024  # a hot-list import (an NCIC extract)
    witness: int = 64 * 1024  # a C2SP add-checkpoint request
    admin_import: int = 8 * 1024 * 1024  # a bulk camera import, a sensitive-places layer


_BULK_ADMIN = ("/api/v1/admin/cameras.import", "/api/v1/admin/places.install")


class BodyTooLarge(HTTPException):
    """A body that passed its limit while it arrived (raised from ``receive``; FastAPI lets
    an ``HTTPException`` from the body through, the app answers it 413)."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the body is over {limit} bytes")
        self.limit = limit


class Gate:
    """The ASGI middleware; see the module docstring."""

    def __init__(self, app: ASGIApp, *, system: System, limits: BodyLimits) -> None:
        self.app = app
        self.system = system
        self.limits = limits

    def limit_for(self, path: str) -> int:
        if path.startswith(_CAMERA_ROUTES):
            return self.system.ingest_service.limits.max_body_bytes
        if _IMPORT.match(path):
            return self.limits.upload
        if path in _BULK_ADMIN:
            return self.limits.admin_import
        if path == "/log/witness/add-checkpoint":
            return self.limits.witness
        return self.limits.default

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        limit = self.limit_for(path)
        request = Request(scope)  # headers and cookies only: the body is not touched here
        declared = request.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            exc = TooLargeError(f"the body is {declared} bytes; at most {limit} are accepted")
            await error_response(exc)(scope, receive, send)
            return
        refusal = await self._refusal(request, path)
        if refusal is not None:
            await refusal(scope, receive, send)
            return
        await self.app(scope, _counted(receive, limit), send)

    async def _refusal(self, request: Request, path: str) -> Response | None:
        """The answer to a change from another site or without a valid staff credential."""
        if request.method not in _UNSAFE:
            return None
        console = path.startswith("/console/")
        api = path.startswith("/api/v1/") and not path.startswith(_CAMERA_ROUTES)
        if not (console or api):
            return None
        try:
            if console:
                check_origin(request)
                if path == "/console/login":
                    return None
            elif "authorization" not in request.headers and SESSION_COOKIE in request.cookies:
                raise ForbiddenError(
                    "the API takes changes only with 'Authorization: Bearer <token>'; the "
                    "console's session cookie is not accepted for them"
                )
            await run_in_threadpool(self.system.authenticate, request)
        except ForbiddenError as exc:
            return error_response(exc)
        except AuthError as exc:
            if console:
                return RedirectResponse("/console/login", 303, {"Cache-Control": "no-store"})
            return error_response(exc)
        except TrustLPRError as exc:
            return error_response(exc)
        return None


def _counted(receive: Receive, limit: int) -> Receive:
    """``receive`` that raises ``BodyTooLarge`` once more than ``limit`` bytes arrived."""
    received = 0

    async def counted() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise BodyTooLarge(limit)
        return message

    return counted
