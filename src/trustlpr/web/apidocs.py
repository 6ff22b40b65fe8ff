"""``/docs``: Swagger UI for the OpenAPI schema, served from this node.

FastAPI's default page loads Swagger UI from a CDN, so an offline node (or one whose staff
network blocks it) shows a blank page, and every visit tells a third party that someone opened
the API docs. The assets come from the ``swagger-ui-bundle-v2`` package (Swagger UI 5, which
reads the OpenAPI 3.1 schema FastAPI writes; Apache-2.0, see THIRD_PARTY.md) and are read from
the installed package once; nothing is fetched at run time. ReDoc, CDN-only, is not offered.
"""

from __future__ import annotations

import hashlib
from functools import cache

import swagger_ui_bundle
from fastapi import APIRouter, Request
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse, Response

from ..core.errors import NotFoundError

router = APIRouter(include_in_schema=False)

ASSETS = "/docs/assets"
_TYPES = {
    "swagger-ui-bundle.js": "text/javascript; charset=utf-8",
    "swagger-ui.css": "text/css; charset=utf-8",
    "favicon-32x32.png": "image/png",
}


@cache
def _asset(name: str) -> tuple[bytes, str]:
    """The file's bytes and ETag, read from the installed package once."""
    body = (swagger_ui_bundle.swagger_ui_path / name).read_bytes()
    return body, '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'


@router.get("/docs")
async def swagger_ui(request: Request) -> HTMLResponse:
    return get_swagger_ui_html(
        openapi_url=request.app.openapi_url,
        title=f"{request.app.title} API",
        oauth2_redirect_url="/docs/oauth2-redirect",
        swagger_js_url=f"{ASSETS}/swagger-ui-bundle.js",
        swagger_css_url=f"{ASSETS}/swagger-ui.css",
        swagger_favicon_url=f"{ASSETS}/favicon-32x32.png",
    )


@router.get("/docs/oauth2-redirect")
async def oauth2_redirect() -> HTMLResponse:
    return get_swagger_ui_oauth2_redirect_html()


@router.get(ASSETS + "/{name}")
async def asset(name: str, request: Request) -> Response:
    kind = _TYPES.get(name)
    if kind is None:
        raise NotFoundError(f"no API docs asset {name[:64]!r}")
    body, etag = _asset(name)
    headers = {"ETag": etag, "Cache-Control": "public, max-age=86400"}
    if request.headers.get("if-none-match") == etag:
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=kind, headers=headers)
