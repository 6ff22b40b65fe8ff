"""Admin API: every administrative action (``trustlpr.admin``) as ``POST /api/v1/admin/{action}``.

Two faces run the one router. The node's HTTP service takes a bearer token only (the gate has
checked it before the body is read; the console's cookie is refused for changes), and
refuses unsigned changes. The admin socket (``AdminSocket``, ``<data_dir>/admin.sock``, mode
0600) is what the CLI uses while ``serve`` runs: it also takes ``Authorization: Basic`` (user
id and console password, for ``--as``) and unsigned set-up changes, as the CLI does when it
opens the data directory itself (see ``trustlpr.admin.channel`` for why that is safe).
"""

from __future__ import annotations

import base64
import binascii
import logging
import threading
from pathlib import Path
from typing import Any

import uvicorn
from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from ..admin import ACTIONS, Credential
from ..admin.channel import bind_socket, socket_path
from ..core.errors import AuthError, InputError, NotFoundError, TooLargeError, TrustLPRError
from ..core.identity import User
from ..runtime import System
from .deps import error_response, invalid_response, node
from .json_body import parse_json

__all__ = ["AdminSocket", "router"]

log = logging.getLogger(__name__)

SOCKET_BODY_LIMIT = 8 * 1024 * 1024  # a bulk import of 10,000 cameras fits

router = APIRouter(prefix="/api/v1/admin", tags=["admin"])


@router.get("")
async def list_actions(request: Request) -> dict[str, Any]:
    """The actions and the JSON schema of each one's arguments."""
    await run_in_threadpool(_caller, request)
    return {"actions": {name: cls.model_json_schema() for name, cls in sorted(ACTIONS.items())}}


def _local(request: Request) -> bool:
    # set by both app builders: True on the admin socket, False on the HTTP app
    local: bool = request.app.state.admin_socket
    return local


def _credential(request: Request) -> Credential:
    """The admin socket's credential: a bearer token, ``Basic`` user and password, or none."""
    header = request.headers.get("authorization", "")
    if not header:
        return Credential()
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return Credential(token=value.strip())
    if scheme.lower() == "basic":
        try:
            pair = base64.b64decode(value.strip(), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise AuthError("Authorization: Basic must be base64 of 'user:password'") from None
        user, sep, password = pair.partition(":")
        if sep and user:
            return Credential(user=user, password=password)
    raise AuthError("Authorization must be 'Bearer <token>' or 'Basic <user:password>'")


def _caller(request: Request) -> User | None:
    """Who signs: over HTTP the bearer token's user (required); over the socket, see above."""
    system = node(request)
    if _local(request):
        return system.admin.actor(_credential(request))
    return system.authenticate(request)


async def _body(request: Request) -> dict[str, object]:
    received = bytearray()
    async for chunk in request.stream():
        received += chunk
        if len(received) > SOCKET_BODY_LIMIT:
            raise TooLargeError(f"the body is over {SOCKET_BODY_LIMIT} bytes")
    value = parse_json(bytes(received)) if received else {}
    if not isinstance(value, dict):
        raise InputError("must be a JSON object of the action's arguments", field="body")
    return value


@router.post("/{action}")
async def run_action(action: str, request: Request) -> JSONResponse:
    """Runs one action (see ``GET /api/v1/admin``) with the JSON body as its arguments,
    signed by the caller; the same two-person rules and audit entries as the CLI."""
    if action not in ACTIONS:
        raise NotFoundError(f"no admin action {action[:60]!r}; see GET /api/v1/admin")
    actor = await run_in_threadpool(_caller, request)
    args = await _body(request)
    result = await run_in_threadpool(node(request).admin.run, action, args, actor)
    log.info("admin %s by %s", action, actor.id if actor else "(set-up, unsigned)")
    return JSONResponse(result)


def create_socket_app(system: System) -> FastAPI:
    """The admin socket's app: the admin router alone, with the node's error answers."""
    app = FastAPI(title="TrustLPR admin socket", openapi_url=None, docs_url=None, redoc_url=None)
    app.state.system = system
    app.state.admin_socket = True

    @app.exception_handler(TrustLPRError)
    async def _trustlpr_error(_: Request, exc: TrustLPRError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return invalid_response(exc)

    app.include_router(router)
    return app


class AdminSocket:
    """Serves ``create_socket_app`` on ``<data_dir>/admin.sock`` in a thread of the service
    (uvicorn handles signals only in the main thread, where the HTTP service runs)."""

    def __init__(self, system: System, *, log_level: str = "warning") -> None:
        self.path: Path = socket_path(system.settings.data_dir)
        self._sock = bind_socket(system.settings.data_dir)
        self._inode = self.path.stat().st_ino
        config = uvicorn.Config(
            create_socket_app(system), log_level=log_level, loop="asyncio", lifespan="off"
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._sock]}, name="admin-socket"
        )

    def start(self) -> None:
        self._thread.start()

    def close(self) -> None:
        """Stops answering, then removes the socket file (unless another took its name)."""
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(30)
        self._sock.close()
        try:
            if self.path.stat().st_ino == self._inode:
                self.path.unlink()
        except FileNotFoundError:
            pass
