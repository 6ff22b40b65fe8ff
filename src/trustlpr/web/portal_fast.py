"""Fresh cached portal pages answered straight from the ASGI layer.

Under 200 concurrent clients a cached page costs the server what the framework does around
it: the middleware stack, FastAPI's route matching and a new ``Response`` with its headers
encoded again each time — about 50 µs of the 60 a request takes in the app, the same for a
static file. ``FastPages`` sits inside ``HoldUntilOpen`` and before the gate; for a bodiless
``GET`` of a path the portal's routes already answered, whose page is still fresh in the
``PortalCache``, it sends the headers encoded once per page (the same ``Response`` would make
them) and the body's bytes. Everything else — a stale or missing page, another method, a
request with a body, any other path — goes on to the app, which renders and claims as before.
Paths are learnt from the routes (``remember``), so no second table of them exists here.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from .portal_cache import Page, PortalCache

_BODY_HEADERS = (b"content-length", b"transfer-encoding")


@dataclass(frozen=True, slots=True)
class _Encoded:
    page: Page
    ok: list[tuple[bytes, bytes]]
    not_modified: list[tuple[bytes, bytes]]


@dataclass(slots=True)
class _Known:
    source: str | Page  # the cache's page name, or a fixed page (a static file)
    extra: dict[str, str]
    encoded: _Encoded | None = None


class FastPages:
    """The paths the portal serves from its cache, with each page's answer encoded once."""

    def __init__(self, cache: PortalCache, headers: dict[str, str]) -> None:
        self.cache = cache
        self.headers = headers  # every page's headers (``tile_map.page_headers``)
        self._known: dict[str, _Known] = {}

    def remember(self, path: str, source: str | Page, extra: dict[str, str] | None) -> None:
        """``path`` is answered from the cache's page named ``source`` (or the fixed page
        ``source``) with ``extra`` headers: the routes call this once they have answered."""
        if path not in self._known:
            self._known[path] = _Known(source, dict(extra or {}))

    def headers_for(self, page: Page, extra: dict[str, str] | None) -> dict[str, str]:
        return {**self.headers, "ETag": page.etag, **(extra or {})}

    def answer(self, path: str) -> _Encoded | None:
        """The encoded answer for ``path`` if its page is fresh in the cache (or fixed)."""
        known = self._known.get(path)
        if known is None:
            return None
        source = known.source
        page = self.cache.fresh(source) if isinstance(source, str) else source
        if page is None:
            return None
        encoded = known.encoded
        if encoded is None or encoded.page is not page:
            headers = self.headers_for(page, known.extra)
            ok = Response(page.body, media_type=page.media_type, headers=headers).raw_headers
            not_modified = Response(status_code=304, headers=headers).raw_headers
            encoded = known.encoded = _Encoded(page, ok, not_modified)
        return encoded


class FastPagesMiddleware:
    """ASGI middleware answering fresh cached pages (see the module docstring)."""

    def __init__(self, app: ASGIApp, *, pages: FastPages) -> None:
        self.app = app
        self.pages = pages

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        encoded = self.pages.answer(scope["path"])
        if encoded is None:
            await self.app(scope, receive, send)
            return
        etag = None
        for key, value in scope["headers"]:
            if key in _BODY_HEADERS:  # a GET with a body: the gate judges it
                await self.app(scope, receive, send)
                return
            if key == b"if-none-match":
                etag = value
        if etag is not None and etag.decode("latin-1") == encoded.page.etag:
            await send({"type": "http.response.start", "status": 304,
                        "headers": encoded.not_modified})  # fmt: skip
            await send({"type": "http.response.body", "body": b""})
            return
        await send({"type": "http.response.start", "status": 200, "headers": encoded.ok})
        await send({"type": "http.response.body", "body": encoded.page.body})
