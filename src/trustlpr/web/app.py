"""The one FastAPI app: each area contributes a router; ``TrustLPRError`` maps to its status."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from fastapi import APIRouter, FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from .. import __version__
from ..core.errors import InputError, SignatureRefused, TooLargeError, TrustLPRError
from ..runtime import FrontEnd, System
from .deps import camera_ingest, error_response, invalid_response
from .federation import signed_refusal
from .gate import BodyLimits, BodyTooLarge, Gate
from .opening import HoldUntilOpen, Opening
from .portal_cache import DEFAULT_TTL, PortalCache
from .portal_fast import FastPages, FastPagesMiddleware
from .tile_map import TileLayer, page_headers, tile_layer


def create_app(
    system: System,
    *,
    portal_ttl: float = DEFAULT_TTL,
    exposure: bool = True,
    monotonic: Callable[[], float] = time.monotonic,
    limits: BodyLimits = BodyLimits(),
    notice: str | None = None,
    opening: Opening | None = None,
    tiles: TileLayer | None = None,
) -> FastAPI:
    """Builds the app around a composed ``System`` (kept in ``app.state.system``) and the
    portal's page cache (``app.state.portal``): ``portal_ttl`` seconds per rendered page,
    ``exposure`` off for tests and benchmarks that need no exposure worker, ``monotonic`` the
    cache's clock, ``limits`` the body size per kind of route (``web/gate.py``: every request
    passes the gate's size and credential checks before a route reads its body), ``notice`` a
    sentence every portal page shows first (the demo says there what is simulated), ``opening``
    instead a notice that changes and whether staff may use the node yet (``web/opening.py``:
    the demo serves its portal while it replays its past), ``tiles`` the street maps' tile
    layer (default: the ``map_tiles`` setting; ``web/tile_map.py``). The cache's worker stops
    when the app shuts down."""
    opening = opening or Opening(notice)
    tiles = tiles or tile_layer(system.settings)
    portal = PortalCache(
        system, ttl=portal_ttl, exposure=exposure, monotonic=monotonic, opening=opening,
        tiles=tiles,
    )  # fmt: skip

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            portal.close()  # stops a running exposure computation

    app = FastAPI(
        title="TrustLPR",
        version=__version__,
        description="License plate reads with enforced privacy rules and a public audit log.",
        lifespan=lifespan,
        docs_url=None,  # FastAPI's pages load Swagger UI and ReDoc from a CDN: web/apidocs.py
        redoc_url=None,
    )
    app.state.system = system
    app.state.portal = portal
    app.state.tiles = tiles
    app.state.page_headers = page_headers(tiles)
    app.state.fast_pages = fast_pages = FastPages(portal, app.state.page_headers)
    app.state.admin_socket = False  # the admin socket's own app says True (web/admin.py)

    @app.exception_handler(TrustLPRError)
    async def _trustlpr_error(_: Request, exc: TrustLPRError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(SignatureRefused)
    async def _refused(request: Request, exc: SignatureRefused) -> Response:
        return signed_refusal(system.federation, request, exc)

    @app.exception_handler(BodyTooLarge)
    async def _too_large(_: Request, exc: BodyTooLarge) -> JSONResponse:
        return error_response(TooLargeError(str(exc.detail)))

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException) -> Response:
        if exc.status_code == 400 and isinstance(exc.__cause__, TrustLPRError):
            return error_response(exc.__cause__)  # parse_json's refusal, raised in FastAPI
        if exc.status_code == 400 and exc.__cause__ is not None:  # FastAPI: unparseable body
            cause = str(exc.__cause__)[:120]
            return error_response(InputError(f"the body is not valid: {cause}", field="body"))
        return await http_exception_handler(request, exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return invalid_response(exc)

    app.add_middleware(Gate, system=system, limits=limits)
    app.add_middleware(FastPagesMiddleware, pages=fast_pages)  # fresh cached pages, bodiless
    app.add_middleware(HoldUntilOpen, opening=opening)  # outermost: before the gate reads

    for router in _routers():
        app.include_router(router)
    return app


def _routers() -> list[APIRouter]:
    # One line per area router; each module owns its routes.
    from .admin import router as admin
    from .alerts import router as alerts
    from .apidocs import router as apidocs
    from .console import router as console
    from .federation import router as federation
    from .federation_hotlists import router as federation_hotlists
    from .health import router as health
    from .ingest import inventory
    from .ingest import router as ingest
    from .log import router as log
    from .owner import router as owner
    from .portal import router as portal
    from .search import router as search
    from .status import router as status

    # The portal first: its cached pages are the hot path (route matching is linear).
    return [
        portal,
        health,
        status,
        ingest,
        inventory,
        alerts,
        search,
        owner,
        admin,
        log,
        console,
        federation,
        federation_hotlists,
        apidocs,
    ]


def create_ingest_app(front: FrontEnd) -> FastAPI:
    """The app of an ingest front-end (``serve --role ingest``): the camera ingest routes and
    ``/healthz`` only, over ``front.ingest_service`` (which publishes to the bus). The routes
    check the body size and the camera key before reading, as on the node."""
    from .health import router as health
    from .ingest import router as ingest

    app = FastAPI(
        title="TrustLPR ingest front-end",
        version=__version__,
        description="Camera ingest in front of the node's NATS JetStream bus.",
        docs_url=None,  # no pages that load scripts from a CDN; /openapi.json stays
        redoc_url=None,
    )
    app.dependency_overrides[camera_ingest] = lambda: front.ingest_service

    @app.exception_handler(TrustLPRError)
    async def _trustlpr_error(_: Request, exc: TrustLPRError) -> JSONResponse:
        return error_response(exc)

    @app.exception_handler(RequestValidationError)
    async def _invalid(_: Request, exc: RequestValidationError) -> JSONResponse:
        return invalid_response(exc)

    app.include_router(health)
    app.include_router(ingest)
    return app
