"""Opening hours: a node that serves its public portal before staff may use it.

A fresh demo replays its past month before it runs live (``trustlpr.demo_history``). Rather
than keep the visitor waiting for the whole replay, it serves the public portal at once —
figures computed from the log as it grows, with a notice saying which day is being replayed —
and holds back everything else (console, APIs, ingest) with ``503 Service Unavailable`` and
``Retry-After`` until the node runs live: a search judged on the replay's clock, or a camera
posting into a day being replayed, would not be what it seems.
"""

from __future__ import annotations

import json
import threading
from html import escape

from starlette.types import ASGIApp, Receive, Scope, Send

PUBLIC_PATHS = frozenset(
    {"/", "/policy", "/cameras", "/sharing", "/verify", "/figures.json", "/policy.toml",
     "/cameras.geojson", "/healthz", "/favicon.ico"}
)  # fmt: skip
PUBLIC_PREFIXES = ("/static/", "/log/")
RETRY_AFTER = 5


class Opening:
    """Whether staff may use the node yet, and the notice the portal shows first."""

    def __init__(self, notice: str | None = None, *, live: bool = True) -> None:
        self._lock = threading.Lock()
        self._notice = notice
        self._live = live

    @property
    def notice(self) -> str | None:
        return self._notice

    @property
    def live(self) -> bool:
        return self._live

    def hold(self, notice: str) -> None:
        """Staff wait; the portal says ``notice`` (e.g. which day is being replayed)."""
        with self._lock:
            self._notice, self._live = notice, False

    def open(self, notice: str | None) -> None:
        """The node runs live: everything is served; the portal says ``notice``."""
        with self._lock:
            self._notice, self._live = notice, True


def is_public(path: str) -> bool:
    """A path the public portal serves, open while staff are held back."""
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


class HoldUntilOpen:
    """ASGI middleware: while ``opening`` is not live, only public paths pass; the rest get
    503 with ``Retry-After`` (for the console a page that reloads itself, JSON for the APIs)."""

    def __init__(self, app: ASGIApp, *, opening: Opening) -> None:
        self.app = app
        self.opening = opening

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or self.opening.live or is_public(scope["path"]):
            await self.app(scope, receive, send)
            return
        why = self.opening.notice or "The node is starting."
        wait = f"{why} Staff pages and the APIs open when it runs live."
        if scope["path"].startswith("/console"):
            body = (
                '<!doctype html><html lang="en"><head><meta charset="utf-8">'
                '<meta name="viewport" content="width=device-width, initial-scale=1">'
                f'<meta http-equiv="refresh" content="{RETRY_AFTER}">'
                '<title>Opening soon</title><link rel="stylesheet" href="/static/portal.css">'
                '</head><body><main id="main"><h1>The console opens shortly</h1>'
                f'<p class="notice" role="status">{escape(wait)}</p>'
                '<p><a href="/">The public portal</a> is open meanwhile.</p></main></body></html>'
            ).encode()
            kind = b"text/html; charset=utf-8"
        else:
            # the shape of web/deps.error_response
            body = json.dumps({"error": "Starting", "detail": wait}).encode()
            kind = b"application/json"
        await send(
            {
                "type": "http.response.start",
                "status": 503,
                "headers": [
                    (b"content-type", kind),
                    (b"content-length", str(len(body)).encode()),
                    (b"retry-after", str(RETRY_AFTER).encode()),
                    (b"cache-control", b"no-store"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})
