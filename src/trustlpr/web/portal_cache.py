"""The portal's caches: the running tally of the public log, and the rendered pages.

A page is rendered at most once per ``ttl`` seconds, whoever asks; meanwhile every request gets
the same bytes (with an ETag), and while one request re-renders a stale page the others keep
getting the stale copy. The tally reads only the entries appended since it last looked, so a
refresh costs what the log grew by, not its size. Figures are therefore always those of an
exact log size, which the pages print, so anyone can recompute them for that size.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ..transparency import Tally
from .portal_exposure import ExposureCache

DEFAULT_TTL = 5.0


@dataclass(frozen=True, slots=True)
class Page:
    body: bytes
    etag: str
    media_type: str
    built: float


class PortalCache:
    """Per-app state of the portal (kept in ``app.state.portal``)."""

    def __init__(self, system: Any, *, ttl: float = DEFAULT_TTL, exposure: bool = True) -> None:
        self.system = system
        self.ttl = ttl
        self.tally = Tally()
        self._tally_lock = threading.Lock()
        self._figures: dict[str, Any] = {}
        self._figures_size = -1
        self._pages: dict[str, Page] = {}
        self._building: set[str] = set()
        self._lock = threading.Lock()
        self._build_locks: dict[str, threading.Lock] = {}
        self.exposure = ExposureCache(system.settings.data_dir / "portal", enabled=exposure)

    # -- figures -----------------------------------------------------------------------------

    def figures(self) -> dict[str, Any]:
        """The figures of the log as it is now (reads only the new entries)."""
        with self._tally_lock:
            log = self.system.audit.log
            for index, leaf in log.entries(self.tally.size):
                self.tally.add(index, leaf)
            if self.tally.size != self._figures_size:
                self._figures = self.tally.figures()
                self._figures_size = self.tally.size
            return self._figures

    # -- pages -------------------------------------------------------------------------------

    def fresh(self, name: str) -> Page | None:
        page = self._pages.get(name)
        if page is not None and time.monotonic() - page.built < self.ttl:
            return page
        return None

    def stale_unless_claimed(self, name: str) -> Page | None:
        """The old copy if someone else is already re-rendering it; else ``None`` and the
        caller renders (and owns the claim until ``build`` returns)."""
        with self._lock:
            page = self._pages.get(name)
            if page is not None and name in self._building:
                return page
            self._building.add(name)
            return None

    def build(self, name: str, render: Callable[[], str], media_type: str = "text/html") -> Page:
        """Renders ``name`` unless a fresh copy appeared meanwhile; releases the claim."""
        with self._lock:
            lock = self._build_locks.setdefault(name, threading.Lock())
        try:
            with lock:
                page = self.fresh(name)
                if page is not None:
                    return page
                body = render().encode("utf-8")
                etag = '"' + hashlib.blake2b(body, digest_size=12).hexdigest() + '"'
                page = Page(body, etag, media_type, time.monotonic())
                self._pages[name] = page
                return page
        finally:
            with self._lock:
                self._building.discard(name)

    def invalidate(self) -> None:
        """Forgets every rendered page (the next request renders anew)."""
        with self._lock:
            self._pages.clear()

    def close(self) -> None:
        self.exposure.close()
