"""The public transparency portal: no login, server-rendered, cached, readable on a phone.

Pages: ``/`` (the last 30 days in figures and charts), ``/policy`` (the law in force, its file
at ``/policy.toml`` and its dated history), ``/cameras`` (map and list; GeoJSON with OSM tags
at ``/cameras.geojson``), ``/sharing`` (every agency with access, from the agreements), and
``/verify`` (the signed checkpoint and how to recompute every figure), ``/reports`` and
``/reports/<year>`` (the statutory annual report of each year the log covers). ``/figures.json`` is
the figures exactly as ``trustlpr audit recompute-stats --json`` prints them. Static assets
are served from memory at ``/static/<name>``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from ..cameras import cameras_geojson
from ..core.errors import NotFoundError
from ..transparency import policy_file
from ..transparency.annual import FIRST_YEAR, LAST_YEAR
from . import portal_views as views
from .portal_cache import Page, PortalCache
from .portal_fast import FastPages

router = APIRouter(tags=["transparency portal"])

STATIC_DIR = Path(__file__).parent / "static"
_STATIC_TYPES = {".css": "text/css", ".js": "text/javascript", ".svg": "image/svg+xml"}


def portal_cache(request: Request) -> PortalCache:
    """The app's portal cache (made once, by ``create_app``)."""
    cache: PortalCache = request.app.state.portal
    return cache


async def _serve(
    request: Request, name: str, render: Callable[[PortalCache], str], media_type: str
) -> Response:
    cache = portal_cache(request)
    page = cache.fresh(name) or cache.stale_unless_claimed(name)
    if page is None:
        page = await run_in_threadpool(cache.build, name, lambda: render(cache), media_type)
    return _answer(request, page, source=name)


def _answer(
    request: Request, page: Page, extra: dict[str, str] | None = None, *, source: str | Page
) -> Response:
    """The page (304 for its ETag); the fast layer answers this path from now on while the
    cache's page ``source`` is fresh (web/portal_fast.py)."""
    fast: FastPages = request.app.state.fast_pages
    fast.remember(request.scope["path"], source, extra)
    headers = fast.headers_for(page, extra)
    if request.headers.get("if-none-match") == page.etag:
        return Response(status_code=304, headers=headers)
    return Response(page.body, media_type=page.media_type, headers=headers)


async def overview(request: Request) -> Response:
    """The last 30 days: reads, retained vehicles, hits, searches, denials, approvals."""
    return await _serve(request, "overview", views.overview, "text/html; charset=utf-8")


async def policy(request: Request) -> Response:
    """The policy in force in plain words, with a dated history of changes from the log."""
    return await _serve(request, "policy", views.policy_page, "text/html; charset=utf-8")


async def cameras(request: Request) -> Response:
    """The camera map (SVG, offline; on street tiles where ``map_tiles`` is set) and list,
    and what the network can reveal."""
    return await _serve(request, "cameras", views.cameras_page, "text/html; charset=utf-8")


async def sharing(request: Request) -> Response:
    """Every agency with access, from the sharing agreements in force, and their history."""
    return await _serve(request, "sharing", views.sharing_page, "text/html; charset=utf-8")


async def verify(request: Request) -> Response:
    """The latest signed checkpoint and the commands that check every figure."""
    return await _serve(request, "verify", views.verify_page, "text/html; charset=utf-8")


async def reports(request: Request) -> Response:
    """The years the log covers, each linking to its statutory annual report."""
    return await _serve(request, "reports", views.reports_page, "text/html; charset=utf-8")


async def annual(request: Request) -> Response:
    """The statutory annual report of one year, as ``trustlpr report annual`` computes it."""
    text = str(request.path_params["year"])
    year = int(text) if text.isdigit() and len(text) == 4 else 0
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise NotFoundError(f"no annual report for {text[:8]!r}: a year is four digits")

    def render(cache: PortalCache) -> str:
        return views.annual_page(cache, year)

    return await _serve(request, f"annual-{year}", render, "text/html; charset=utf-8")


@router.get("/figures.json", summary="Every portal figure, as recompute-stats prints it")
async def figures(request: Request) -> Response:
    def render(cache: PortalCache) -> str:
        return json.dumps(cache.figures(), sort_keys=True)

    return await _serve(request, "figures.json", render, "application/json")


@router.get("/policy.toml", summary="The text of the policy in force")
async def policy_text(request: Request) -> Response:
    """The TOML file of the policy in force; its SHA-256 is in the log (``policy_changed``)."""

    def render(cache: PortalCache) -> str:
        return policy_file(cache.system.policy)[0].decode("utf-8")

    return await _serve(request, "policy.toml", render, "text/plain; charset=utf-8")


@router.get("/cameras.geojson", summary="Camera inventory as GeoJSON with OpenStreetMap tags")
async def cameras_geo(request: Request) -> Response:
    def render(cache: PortalCache) -> str:
        system = cache.system
        listing = system.cameras.list(include_disabled=False)
        operators = {system.owner.id: system.owner.name}
        return json.dumps(cameras_geojson(listing, operators), sort_keys=True)

    return await _serve(request, "cameras.geojson", render, "application/geo+json")


class _Static:
    """The files of ``web/static``, read once; unknown names are 404."""

    def __init__(self, directory: Path) -> None:
        self.files: dict[str, Page] = {}
        for path in sorted(directory.glob("*")):
            kind = _STATIC_TYPES.get(path.suffix)
            if kind is None or not path.is_file():
                continue
            body = path.read_bytes()
            etag = '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'
            self.files[path.name] = Page(body, etag, f"{kind}; charset=utf-8", 0.0)


_STATIC: _Static | None = None


def _static_files() -> _Static:
    global _STATIC
    if _STATIC is None:
        _STATIC = _Static(STATIC_DIR)
    return _STATIC


async def static(request: Request) -> Response:
    name = str(request.path_params["name"])
    page = _static_files().files.get(name)
    if page is None:
        raise NotFoundError(f"no static file {name[:64]!r}")
    return _answer(request, page, {"Cache-Control": "public, max-age=86400"}, source=page)


# The pages and static files are plain Starlette routes: they take nothing but the request, and
# skipping FastAPI's parameter machinery roughly doubles the rate a cached page is served at.
for _path, _endpoint in (
    ("/", overview),
    ("/policy", policy),
    ("/cameras", cameras),
    ("/sharing", sharing),
    ("/verify", verify),
    ("/reports", reports),
    ("/reports/{year}", annual),
    ("/static/{name}", static),
):
    router.add_route(_path, _endpoint, methods=["GET"], include_in_schema=False)
