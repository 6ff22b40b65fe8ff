"""The one FastAPI app: each area contributes a router; ``TrustLPRError`` maps to its status."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from .. import __version__
from ..core.errors import TrustLPRError
from .deps import error_response


def create_app(system: Any) -> FastAPI:
    """Builds the app around a composed ``System`` (kept in ``app.state.system``)."""
    app = FastAPI(
        title="TrustLPR",
        version=__version__,
        description="License plate reads with enforced privacy rules and a public audit log.",
    )
    app.state.system = system

    @app.exception_handler(TrustLPRError)
    async def _trustlpr_error(_: Request, exc: TrustLPRError) -> JSONResponse:
        return error_response(exc)

    for router in _routers():
        app.include_router(router)
    return app


def _routers() -> list[Any]:
    # One line per area router; each module owns its routes.
    from .alerts import router as alerts
    from .console import router as console
    from .health import router as health
    from .ingest import router as ingest
    from .log import router as log
    from .portal import router as portal
    from .search import router as search
    from .status import router as status

    # The portal first: its cached pages are the hot path (route matching is linear).
    return [portal, health, status, ingest, alerts, search, log, console]
