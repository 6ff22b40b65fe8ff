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

from ..core.errors import NotFoundError
from ..runtime import System
from ..transparency import Tally
from ..transparency.annual import annual_report, policy_in_force, years_of
from ..transparency.statutes import STATUTES
from .opening import Opening
from .portal_exposure import ExposureCache
from .tile_map import TileLayer

DEFAULT_TTL = 5.0


@dataclass(frozen=True, slots=True)
class Page:
    body: bytes
    etag: str
    media_type: str
    built: float


class PortalCache:
    """Per-app state of the portal (made by ``create_app``, kept in ``app.state.portal``)."""

    def __init__(
        self,
        system: System,
        *,
        ttl: float = DEFAULT_TTL,
        exposure: bool = True,
        monotonic: Callable[[], float] = time.monotonic,
        opening: Opening | None = None,
        tiles: TileLayer | None = None,
    ) -> None:
        self.system = system
        self.tiles = tiles  # the street maps' tile layer, or None for SVG maps only
        self.opening = opening or Opening()
        self.ttl = ttl
        self._monotonic = monotonic  # injected so tests move time instead of sleeping
        self._exposure_enabled = exposure
        self._exposure: ExposureCache | None = None
        self.tally = Tally()
        self._tally_lock = threading.Lock()
        self._figures: dict[str, Any] = {}
        self._figures_size = -1
        self._pages: dict[str, Page] = {}
        self._building: set[str] = set()
        self._lock = threading.Lock()
        self._build_locks: dict[str, threading.Lock] = {}

    @property
    def notice(self) -> str | None:
        """The sentence every page shows first (``web/opening.py``)."""
        return self.opening.notice

    @property
    def exposure(self) -> ExposureCache:
        """The exposure result's cache, opened on first use (only the camera pages need it),
        once, under the lock."""
        with self._lock:
            if self._exposure is None:
                directory = self.system.settings.data_dir / "portal"
                self._exposure = ExposureCache(directory, enabled=self._exposure_enabled)
            return self._exposure

    # -- figures -----------------------------------------------------------------------------

    def _catch_up(self) -> None:
        log = self.system.audit.log
        for index, leaf in log.entries(self.tally.size):
            self.tally.add(index, leaf)

    def annual(self, year: int) -> dict[str, Any]:
        """The annual report of ``year`` for the policy the log says was in force then (else
        the policy running now), from the log as it is now."""
        with self._tally_lock:
            self._catch_up()
            policy = policy_in_force(self.tally, year) or self.system.policy.name
            if policy not in STATUTES:
                raise NotFoundError(f"no annual report is defined for policy {policy!r}")
            return annual_report(self.tally, year, policy)

    def years(self) -> list[int]:
        """The years the log has entries in, newest first."""
        with self._tally_lock:
            self._catch_up()
            return years_of(self.tally)

    def figures(self) -> dict[str, Any]:
        """The figures of the log as it is now (reads only the new entries)."""
        with self._tally_lock:
            self._catch_up()
            if self.tally.size != self._figures_size:
                self._figures = self.tally.figures()
                self._figures_size = self.tally.size
            return self._figures

    # -- pages -------------------------------------------------------------------------------

    def fresh(self, name: str) -> Page | None:
        page = self._pages.get(name)
        if page is not None and self._monotonic() - page.built < self.ttl:
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
                page = Page(body, etag, media_type, self._monotonic())
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
        with self._lock:
            exposure = self._exposure
            self._exposure_enabled = False  # nothing starts after close
        if exposure is not None:
            exposure.close()
