"""No collection near sensitive places: reads taken too near one are never kept.

Washington's ESSB 6002 forbids *collecting* near schools, places of worship, courthouses and
the like. The camera registry refuses a fixed camera standing too near one
(``cameras.PlaceGuard``); a mobile unit drives past them, so each of its reads is judged where
it was taken, by the same rule (the policy's ``[sensitive_locations] no_cameras`` and
``camera_distance_m`` over the agency's places layer). A read inside the distance is dropped
by ``IngestService`` before it is queued — before the bus, the hot lists, the hit-only buffer
and the store — and only its place's category is counted.

The counts reach the public log as one ``reads_not_collected`` entry per agency and category
when ``flush`` runs (hourly on a running node, and when it closes): a category and a count, no
camera, no plate and no time finer than the hour, so the public log cannot be read as where a
patrol car was when.

New Hampshire allows only readers attended by an officer (the policy's ``[collection]
attended``): with ``attended`` given, a read from a camera nobody is recorded operating
(``CameraRegistry.attend``) is dropped the same way and counted as ``unattended``.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Mapping, Sequence

from ..cameras import PlaceGuard
from ..core.clock import Clock, system_clock
from ..core.events import AuditEvent, AuditSink, EventType
from ..core.reads import Read

UNATTENDED = "unattended"
"""The category counting reads of a unit nobody was recorded operating."""

FLUSH_INTERVAL = 3600.0
"""Seconds between the public entries that count what was not collected."""

NotCollected = Mapping[str, Mapping[str, int]]
"""Reads not collected: agency id → place category → how many."""


class CollectionRule:
    """Which reads the places rule forbids collecting, and their tally by category.

    ``guard`` returns the rule in force now (``PlacesLayer.guard``: None when there is no places
    layer or the policy sets no distance). ``audit`` None (an ingest front-end, which has no
    log writer) keeps the tally in ``stats`` only. ``attended`` (camera id → whether someone
    operates it now) is given when the policy collects only from attended units."""

    def __init__(
        self,
        guard: Callable[[], PlaceGuard | None],
        *,
        audit: AuditSink | None = None,
        clock: Clock = system_clock,
        attended: Callable[[str], bool] | None = None,
    ) -> None:
        self._guard = guard
        self._attended = attended
        self._audit = audit
        self._clock = clock
        self._lock = threading.Lock()
        self._pending: dict[str, Counter[str]] = {}
        self.stats: Counter[str] = Counter()

    def screen(self, reads: Sequence[Read]) -> list[int]:
        """The indexes of the reads that may be collected; the others are tallied."""
        keep, dropped = self.split(reads)
        self.add(dropped)
        return keep

    def split(self, reads: Sequence[Read]) -> tuple[list[int], dict[str, dict[str, int]]]:
        """The indexes of the reads that may be collected, and the count of the others (not
        tallied: ``add`` them once the submission they belong to is committed)."""
        guard = self._guard()
        if guard is None and self._attended is None:
            return list(range(len(reads))), {}
        attended: dict[str, bool] = {}  # one look-up per camera of the submission
        keep: list[int] = []
        dropped: dict[str, dict[str, int]] = {}
        for i, read in enumerate(reads):
            category: str | None = None
            if self._attended is not None:
                if read.camera_id not in attended:
                    attended[read.camera_id] = self._attended(read.camera_id)
                if not attended[read.camera_id]:
                    category = UNATTENDED
            if category is None and guard is not None:
                near = guard.nearest(read.latitude, read.longitude)
                category = None if near is None else near[0].category
            if category is None:
                keep.append(i)
            else:
                counts = dropped.setdefault(read.agency_id, {})
                counts[category] = counts.get(category, 0) + 1
        return keep, dropped

    def add(self, counts: NotCollected) -> None:
        """Tallies reads not collected (by this node, or by a front-end whose batch carried
        them) for the next ``flush``."""
        if not counts:
            return
        with self._lock:
            for agency, by_category in counts.items():
                pending = self._pending.setdefault(agency, Counter())
                pending.update(by_category)
                self.stats.update(by_category)

    def flush(self) -> int:
        """Appends the tally since the last flush to the public log; returns how many reads it
        counts. A refused append keeps the tally for the next flush."""
        if self._audit is None:
            return 0
        with self._lock:
            pending, self._pending = self._pending, {}
        if not pending:
            return 0
        now = self._clock()
        events = [
            AuditEvent(
                type=EventType.READS_NOT_COLLECTED,
                at=now,
                agency_id=agency or None,
                public={"category": category, "count": count},
            )
            for agency, counts in sorted(pending.items())
            for category, count in sorted(counts.items())
        ]
        try:
            self._audit.append_many(events)
        except BaseException:
            with self._lock:
                for agency, counts in pending.items():
                    self._pending.setdefault(agency, Counter()).update(counts)
            raise
        return sum(counts.total() for counts in pending.values())

    def close(self) -> None:
        """Flushes what is tallied (a closing node logs its last counts)."""
        self.flush()
