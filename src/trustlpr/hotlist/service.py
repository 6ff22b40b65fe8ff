"""The hot-list stage of the pipeline: import under policy, match every read, raise alerts.

``HotlistService`` ties together the list store (``hotlists.db``), the in-memory matcher, the
alert service (``alerts.db``) and, in hit-only mode, the ``HitOnlyBuffer``. The ingest pipeline
calls ``judge(reads, images) -> Matched`` per batch, inside its write: ``hits[i]`` marks a hit
(store it in the hit class), and nothing is raised until the pipeline calls
``Matched.committed()`` after the reads are durable. In hit-only mode the pipeline gives the
non-hits to ``buffer.add``; when entries are added later (here or by another process) the
buffer is re-matched and the late hits go to ``late_hit_sink`` (the pipeline, which stores
them and raises their alerts the same way) or wait in ``drain_late_hits()``.

Policy is injected, not looked up: ``allowed_category(code) -> bool`` (or a set of codes)
comes from the jurisdiction policy (default: the NCIC codes only),
``sharing_agreement(source_agency) -> bool`` says whether a list shared by another agency may
be used (default: none may), and ``reason_check(reason)`` lists what the policy's reason
screening finds in an entry's reason (default: any prohibited purpose). Anything but ``True``
(or an empty list) refuses; refusals are ``PolicyDenied``.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from .. import assets
from ..core.clock import Clock, parse_utc, system_clock
from ..core.errors import InputError, PolicyDenied, TrustLPRError
from ..core.events import AuditSink
from ..core.hotlist import NCIC_CATEGORIES
from ..core.plateformats import PlateFormats
from ..core.reads import Read
from ..policy.screening import prohibited_topics
from .alerts import AlertService
from .buffer import BufferedRead, HitOnlyBuffer
from .importer import ImportReport, ReasonCheck, digest, read_file, refuse_reason, screen
from .matcher import HotlistMatcher, ListIndex, Match
from .outbox import Matched, RaisedLog
from .parse import ParsedEntry, check_list_id, entry_from_mapping
from .records import AlertRecord, ListInfo, StoredEntry
from .store import HotlistStore

log = logging.getLogger(__name__)
LateHitSink = Callable[[Sequence[BufferedRead]], None]
PromoteStored = Callable[[str, str, datetime], None]
Provenance = Callable[[str], Mapping[str, Any] | None]
"""Moves a stored read (plate, camera, time) into the hit class: a confirmed possible match."""


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pauses the cyclic garbage collector (imports create no cycles; this is 3x faster)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


class HotlistService:
    """See the module docstring. Build with ``HotlistService.open(data_dir, ...)``."""

    def __init__(
        self,
        store: HotlistStore,
        alerts: AlertService,
        *,
        agency_id: str,
        clock: Clock = system_clock,
        allowed_category: Callable[[str], bool] | Collection[str] | None = None,
        sharing_agreement: Callable[[str], bool] | None = None,
        reason_check: ReasonCheck = prohibited_topics,
        buffer: HitOnlyBuffer | None = None,
        late_hit_sink: LateHitSink | None = None,
        promote_stored: PromoteStored | None = None,
        max_validity: timedelta = timedelta(days=366),
        refresh_interval: float = 1.0,
        alert_unknown_state: bool = False,
        plate_formats: PlateFormats | None = None,
    ) -> None:
        self.store = store
        self.alerts = alerts
        self.buffer = buffer
        formats = assets.plate_formats() if plate_formats is None else plate_formats
        self.matcher = HotlistMatcher(
            clock, alert_unknown_state=alert_unknown_state, formats=formats
        )
        self.agency_id = agency_id
        self.late_hit_sink = late_hit_sink
        self.promote_stored = promote_stored
        self.max_validity = max_validity
        self._clock = clock
        allowed = frozenset(NCIC_CATEGORIES) if allowed_category is None else allowed_category
        self._allowed = allowed
        self._sharing = sharing_agreement
        self._reason_check = reason_check
        self._refresh_interval = refresh_interval
        self._late: list[BufferedRead] = []
        self._lock = threading.RLock()
        self._generations: dict[str, int] = {}
        self._data_version = -1
        self._last_refresh = float("-inf")
        alerts.on_confirmed_possible = self._confirmed_possible
        self.provenance: Provenance | None = None
        """Where a list came from (a partner's list: owner agency, list, version), kept on
        every alert it raises; set by the composition root."""
        self.refresh(force=True)

    @classmethod
    def open(
        cls,
        data_dir: Path,
        *,
        audit: AuditSink,
        agency_id: str,
        clock: Clock = system_clock,
        hit_only_window: timedelta | None = None,
        audit_log: RaisedLog | None = None,
        **options: Any,
    ) -> HotlistService:
        """Opens ``hotlists.db`` and ``alerts.db`` in ``data_dir``; ``hit_only_window`` turns
        on hit-only mode (a buffer of that window; possible matches kept in memory only).
        ``audit_log`` (the ``AuditLog`` behind ``audit``) lets crash recovery see which
        ``alert_raised`` entries were appended; without it they are appended at least once."""
        store = HotlistStore(
            data_dir / "hotlists.db", audit=audit, agency_id=agency_id, clock=clock
        )
        hit_only = hit_only_window is not None
        alerts = AlertService(
            data_dir / "alerts.db",
            audit=audit,
            agency_id=agency_id,
            clock=clock,
            persist_possible=not hit_only,
            possible_window=hit_only_window or timedelta(minutes=3),
            transport=options.pop("transport", None),
            retry_backoff=options.pop("retry_backoff", 0.5),
            audit_log=audit_log,
        )
        buffer = HitOnlyBuffer(hit_only_window, clock) if hit_only_window else None
        return cls(store, alerts, agency_id=agency_id, clock=clock, buffer=buffer, **options)

    # -- policy gates -------------------------------------------------------------------

    def category_allowed(self, category: str) -> bool:
        if callable(self._allowed):
            return self._allowed(category) is True
        return category in self._allowed

    def _check_source(self, source_agency: str | None) -> str:
        source = source_agency or self.agency_id
        if source != self.agency_id and (
            self._sharing is None or self._sharing(source) is not True
        ):
            raise PolicyDenied(
                f"no sharing agreement lets this agency use hot lists from {source!r}",
                reasons=["hotlist.sharing_agreement"],
            )
        return source

    # -- changes ------------------------------------------------------------------------

    def import_bytes(
        self,
        data: bytes,
        *,
        list_id: str,
        fmt: str,
        actor: str,
        replace: bool = True,
        source_agency: str | None = None,
        valid_for: timedelta = timedelta(days=1),
        skip_invalid: bool = False,
        progress: Callable[[int], None] | None = None,
    ) -> ImportReport:
        """Imports an NCIC extract or a CSV file into ``list_id``, replacing it atomically
        unless ``replace`` is False. Faulty lines abort the import (nothing changes) unless
        ``skip_invalid``; expired entries are skipped and counted; entries of categories the
        policy does not allow are refused (``PolicyDenied``) unless ``skip_invalid``."""
        check_list_id(list_id)
        source = self._check_source(source_agency)
        now = self._clock()
        report = ImportReport(list_id, fmt, replace, sha256=digest(data))
        with _gc_paused():  # a million tuples would trigger many slow full collections
            self._import(data, report, source, actor, now, valid_for, skip_invalid, progress)
        return report

    def _import(
        self,
        data: bytes,
        report: ImportReport,
        source: str,
        actor: str,
        now: datetime,
        valid_for: timedelta,
        skip_invalid: bool,
        progress: Callable[[int], None] | None,
    ) -> None:
        list_id, fmt = report.list_id, report.format
        items = read_file(
            data,
            fmt=fmt,
            list_id=list_id,
            now=now,
            valid_for=valid_for,
            max_validity=self.max_validity,
        )
        detail = {"format": fmt, "sha256": report.sha256}
        self._install(items, report, source, actor, now, skip_invalid, progress, detail)

    def install_shared(
        self,
        list_id: str,
        raws: Sequence[Mapping[str, Any]],
        *,
        source_agency: str,
        actor: str,
        detail: Mapping[str, Any],
    ) -> ImportReport:
        """Replaces ``list_id`` with a partner's list, screened by this node's policy exactly
        as an import is (categories, reasons; all or nothing). The caller
        (``federation.hotlist_subscribe``) has checked the partner's signed grant: a list
        pulled over federation is covered by the owner's agreement, not by one in this node's
        registry, so ``sharing_agreement`` is not asked."""
        check_list_id(list_id)
        now = self._clock()
        report = ImportReport(list_id, "federation", True)
        items: list[ParsedEntry | InputError] = []
        for line, raw in enumerate(raws, start=1):
            try:
                parsed = entry_from_mapping(
                    raw, list_id=list_id, now=now, max_validity=self.max_validity, line=line
                )
            except InputError as exc:
                items.append(exc)
                continue
            items.append(parsed)
        with _gc_paused():
            self._install(items, report, source_agency, actor, now, False, None, dict(detail))
        return report

    def _install(
        self,
        items: Iterable[ParsedEntry | InputError],
        report: ImportReport,
        source: str,
        actor: str,
        now: datetime,
        skip_invalid: bool,
        progress: Callable[[int], None] | None,
        detail: dict[str, Any],
    ) -> None:
        list_id, replace = report.list_id, report.replaced
        entries = screen(
            items,
            report,
            allowed=self.category_allowed,
            now=now,
            skip_invalid=skip_invalid,
            progress=progress,
            reason_check=self._reason_check,
        )
        detail_private = {**detail, "expired_skipped": report.expired}
        with self._lock:
            old = self.matcher.get(list_id)
            if replace:
                report.generation, ids = self.store.replace_list(
                    list_id, entries, source_agency=source, actor=actor, detail=detail_private
                )
                index = ListIndex(list_id)
            else:
                report.generation, ids = self.store.add_entries(
                    list_id, entries, source_agency=source, actor=actor, detail=detail_private
                )
                index = old or ListIndex(list_id)
            fresh = self._fill(index, entries, ids, new=index is not old)
            self.matcher.install(index)
            self._generations[list_id] = report.generation
        self._rematch(fresh, old if replace else None)

    @staticmethod
    def _fill(
        index: ListIndex, entries: Sequence[ParsedEntry], ids: Sequence[int], *, new: bool
    ) -> ListIndex:
        """Adds entries to ``index``; returns an index of just them (for re-matching): the
        index itself when it was ``new``."""
        fresh = index if new else ListIndex(index.list_id)
        add = index.add
        for pid, e in zip(ids, entries, strict=True):
            add(pid, e.plate, e.state, e.category, e.expires_ts)
            if not new:
                fresh.add(pid, e.plate, e.state, e.category, e.expires_ts)
        return fresh

    def add_entry(
        self, raw: Mapping[str, Any], *, list_id: str, actor: str, source_agency: str | None = None
    ) -> StoredEntry:
        """Adds one manual entry (fields as in a CSV row); it matches at once, including the
        reads still held in the hit-only buffer."""
        check_list_id(list_id)
        source = self._check_source(source_agency or self.store.source_of(list_id))
        parsed = entry_from_mapping(
            raw, list_id=list_id, now=self._clock(), max_validity=self.max_validity
        )
        if parsed.expires_at <= self._clock():
            raise InputError("is already in the past", field="expires_at")
        if not self.category_allowed(parsed.category):
            raise PolicyDenied(
                f"category {parsed.category!r} is not allowed by the jurisdiction policy",
                reasons=["hotlist.category_not_allowed"],
            )
        refused = self._reason_check(parsed.reason)
        if refused:
            raise refuse_reason(refused, None)
        with self._lock:
            generation, ids = self.store.add_entries(
                list_id, [parsed], source_agency=source, actor=actor, detail={"via": "manual"}
            )
            existing = self.matcher.get(list_id)
            index = existing or ListIndex(list_id)
            fresh = self._fill(index, [parsed], ids, new=existing is None)
            self.matcher.install(index)
            self._generations[list_id] = generation
        self._rematch(fresh, None)
        return self.store.entry(ids[0])

    def remove_entry(self, list_id: str, entry_id: int, *, actor: str, note: str) -> StoredEntry:
        """Removes one entry (case cleared, vehicle recovered); it stops matching at once."""
        if not isinstance(note, str) or not note.strip():
            raise InputError("say why the entry is removed", field="note")
        with self._lock:
            stored = self.store.remove_entry(list_id, entry_id, actor=actor, note=note.strip())
            index = self.matcher.get(list_id)
            if index is not None:
                index.retire(entry_id, stored.entry.plate)
            self._generations[list_id] = self.store.generations().get(list_id, 0)
        return stored

    def delete_list(self, list_id: str, *, actor: str) -> int:
        with self._lock:
            count = self.store.delete_list(list_id, actor=actor)
            self.matcher.remove(list_id)
            self._generations.pop(list_id, None)
        return count

    def prune(self, *, actor: str) -> int:
        """Deletes expired entries from the database (they already stopped matching)."""
        return self.store.prune(actor=actor)

    # -- other processes' changes -------------------------------------------------------

    def refresh(self, *, force: bool = False) -> list[str]:
        """Reloads lists another process changed; returns their ids. Cheap when nothing did."""
        with self._lock:
            version = self.store.data_version()
            if not force and version == self._data_version:
                return []
            self._data_version = version
            current = self.store.generations()
            changed = [lid for lid, gen in current.items() if self._generations.get(lid) != gen]
            gone = [lid for lid in self._generations if lid not in current]
            fresh_indexes: list[tuple[ListIndex, ListIndex | None]] = []
            for list_id in changed:
                index = self.store.load_index(list_id)
                old = self.matcher.install(index)
                self._generations[list_id] = current[list_id]
                fresh_indexes.append((index, old))
            for list_id in gone:
                self.matcher.remove(list_id)
                del self._generations[list_id]
        if not force:
            for index, old in fresh_indexes:
                self._rematch(index, old)
        return changed + gone

    def tick(self) -> None:
        """Periodic housekeeping: pick up other processes' changes, expire the buffer, finish
        what the alert outbox holds (after a crash or a refused audit append)."""
        self._last_refresh = time.monotonic()
        self.refresh()
        if self.buffer is not None:
            self.buffer.expire()
        self.alerts.resume()

    # -- matching -----------------------------------------------------------------------

    def match(self, read: Read) -> Match:
        return self.matcher.match(read)

    def judge(
        self,
        reads: Sequence[Read],
        images: Mapping[int, bytes] | None = None,
        *,
        late: bool = False,
    ) -> Matched:
        """Judges a batch without raising anything (the pipeline's ``HitHook``): call
        ``committed()`` on the result once the reads are stored. ``late``: reads handed back
        from the hit-only buffer, all hits; only their exact alerts are raised."""
        if not late and time.monotonic() - self._last_refresh >= self._refresh_interval:
            self.tick()
        images = images or {}
        match = self.matcher.match
        flags: list[bool] = []
        matched: list[tuple[Read, bytes | None, Match]] = []
        for i, read in enumerate(reads):
            result = match(read)
            flags.append(late or result.hit)
            if result:
                matched.append((read, images.get(i), result))
        return self.alerts.prepare(matched, self._entry_fields, hits=flags, late=late)

    def on_reads(
        self, reads: Sequence[Read], images: Mapping[int, bytes] | None = None
    ) -> list[bool]:
        """Matches a batch and raises its alerts at once (for callers that store nothing in
        between; the pipeline uses ``judge``); returns the hit flags."""
        matched = self.judge(reads, images)
        matched.committed()
        return list(matched.hits)

    def _entry_fields(self, entry_id: int) -> dict[str, Any]:
        stored = self.store.entry(entry_id)
        fields = stored.to_json()
        fields.pop("id", None)
        origin = self.provenance(stored.entry.list_id) if self.provenance else None
        if origin is not None:
            fields["provenance"] = dict(origin)
        return fields

    def _rematch(self, fresh: ListIndex, old: ListIndex | None) -> None:
        """Matches the hit-only buffer against entries that are new (not in ``old``)."""
        if self.buffer is None or len(self.buffer) == 0:
            return
        now = self._clock().timestamp()
        if old is not None:
            only_new = ListIndex(fresh.list_id)
            for entry_id, plate, state, category, expires in fresh.active(now):
                if not old.contains(plate, state, now):
                    only_new.add(entry_id, plate, state, category, expires)
            fresh = only_new
        probe = HotlistMatcher(
            self._clock,
            alert_unknown_state=self.matcher.alert_unknown_state,
            formats=self.matcher.formats,
        )
        probe.install(fresh)
        found = self.buffer.rematch(probe.match)
        if not found:
            return
        # possible matches are shown now (hit-only mode keeps them in memory); the late hits'
        # alerts are raised by the pipeline once it has stored them
        shown = [(b.read, b.image, Match(possible=m.possible)) for b, m in found if m.possible]
        if shown:
            hits = [False] * len(shown)
            self.alerts.prepare(shown, self._entry_fields, hits=hits).committed()
        late = [b for b, m in found if m.hit]
        if late:
            self._hand_over(late)

    def _confirmed_possible(
        self, record: AlertRecord, read: Read | None, image: bytes | None
    ) -> None:
        if read is not None and self.buffer is not None:
            self.buffer.discard(read)
            self._hand_over([BufferedRead(read, image)])
        elif self.promote_stored is not None:
            # Stored as a non-hit already: an officer's confirmation makes it a hit, kept as long
            # as hits are.
            seen = record.read
            self.promote_stored(
                str(seen["plate"]), str(seen["camera_id"]), parse_utc(str(seen["observed_at"]))
            )

    def _hand_over(self, late: list[BufferedRead]) -> None:
        if self.late_hit_sink is not None:
            try:
                self.late_hit_sink(late)
                return
            except TrustLPRError as exc:  # the pipeline is closing: keep them for a drain
                log.error("late hits wait in memory: %s: %s", type(exc).__name__, exc)
        with self._lock:
            self._late.extend(late)

    def drain_late_hits(self) -> list[BufferedRead]:
        """Late hits not yet handed to a sink; the pipeline stores them in the hit class."""
        with self._lock:
            late, self._late = self._late, []
        return late

    # -- reading ------------------------------------------------------------------------

    def lists(self) -> list[ListInfo]:
        return self.store.lists()

    def entries(self, list_id: str, *, limit: int = 100, offset: int = 0) -> list[StoredEntry]:
        if not 1 <= limit <= 10_000 or not 0 <= offset <= 10**9:
            raise InputError("limit must be 1..10000 and offset 0..10^9", field="limit")
        return self.store.entries(list_id, limit=limit, offset=offset)

    def close(self) -> None:
        self.alerts.close()
        self.store.close()
