"""Raising alerts after the commit, from an outbox that survives a crash.

Matching a batch is pure (``Matched``: hit flags and the alert records it would raise). Only
once the batch's reads are durable does the pipeline call ``Matched.committed()``: the alerts
and possible matches are written to ``alerts.db`` in one transaction, each alert with an outbox
row that notes the audit log's size; possible matches are published to the console's event
stream (they are never audited or pushed). ``Outbox.drain`` then, for the alerts:

1. appends ``alert_raised``. After a crash, recovery reads the log from the noted size and does
   not append an entry that made it;
2. queues one ``pending`` delivery per webhook/MQTT target and clears the outbox row (one
   transaction), then publishes to the console's event stream; the dispatcher delivers what
   is pending, after a restart too.

Alert ids come from the read and the entry (``records.alert_id``), so a write retried job by
job, a read sent twice, or a drain repeated after a crash raises each alert once. Webhook
receivers see at-least-once delivery with a stable ``X-TrustLPR-Alert-Id`` (a crash while a
request is in flight sends it again after the restart).
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Collection, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from ..audit import Detail
from ..core.clock import Clock, parse_utc
from ..core.events import AuditEvent, AuditSink, EventType, ReadLink
from ..core.reads import Read
from .alertstore import AlertStore
from .delivery import AlertBroker, Dispatcher, SseEvent
from .records import AlertRecord

log = logging.getLogger(__name__)


class RaisedLog(Protocol):
    """What recovery reads of the audit log (``AuditLog``): its size and the private details
    from an index on, to find the ``alert_raised`` entries appended before a crash."""

    @property
    def size(self) -> int: ...

    def details(self, start: int = 0, end: int | None = None) -> Iterable[Detail]: ...


@dataclass(frozen=True, slots=True)
class Matched:
    """A batch judged against the hot lists, nothing raised yet (see the module docstring).

    ``hits[i]`` is True when ``reads[i]`` raised an alert; ``held`` are the reads and images
    of possible matches hit-only mode keeps in memory only.
    """

    hits: Sequence[bool]
    alerts: Sequence[AlertRecord] = ()
    possible: Sequence[AlertRecord] = ()
    images: dict[str, bytes] = field(default_factory=dict)
    held: dict[str, tuple[Read, bytes | None]] = field(default_factory=dict)
    commit: Callable[[Matched], None] | None = None

    def committed(self) -> None:
        """Raises the alerts; call once the batch's reads are durable (repeating is harmless)."""
        if self.commit is not None and (self.alerts or self.possible):
            self.commit(self)


def raised_event(record: AlertRecord, agency_id: str) -> AuditEvent:
    """The ``alert_raised`` entry of one alert; an alert on the plate text alone (no state was
    read) says so publicly with ``action=state_not_read``: the portal counts those apart."""
    public: dict[str, str | int] = {"list_id": record.list_id, "category": record.category}
    if record.state_not_read:
        public["action"] = "state_not_read"
    public["count"] = 1
    return AuditEvent(
        type=EventType.ALERT_RAISED,
        at=record.raised_at,
        agency_id=agency_id,
        public=public,
        private={
            "alert_id": record.id,
            "plate": record.read["plate"],
            "state": record.read["state"],
            "camera_id": record.camera_id,
            "observed_at": record.read["observed_at"],
            "confidence": record.read["confidence"],
            "entry_id": record.entry["entry_id"],
            "case_number": record.entry.get("case_number"),
        },
        describes_read=ReadLink("hit", parse_utc(record.read["observed_at"])),
    )


class Outbox:
    """Works through ``alerts.db``'s outbox; ``drain`` is thread-safe and idempotent."""

    def __init__(
        self,
        store: AlertStore,
        *,
        audit: AuditSink,
        broker: AlertBroker,
        dispatcher: Dispatcher,
        agency_id: str,
        clock: Clock,
        audit_log: RaisedLog | None = None,
        max_pending: int = 10_000,
    ) -> None:
        self._store = store
        self._audit = audit
        self._broker = broker
        self._dispatcher = dispatcher
        self._agency_id = agency_id
        self._clock = clock
        self._log = audit_log
        self._max_pending = max_pending
        self._lock = threading.Lock()
        self._appended: set[str] = set()  # audited by this process, outbox row not yet cleared
        self.on_raised: Callable[[Sequence[AlertRecord]], None] | None = None
        """Told of alerts once raised (audited, fanned out): a shared list's hit reports
        (``federation.hotlist_subscribe``); set by the composition root."""

    def mark(self) -> int | None:
        """The audit log's size now, noted with alerts being stored (None without the log)."""
        return self._log.size if self._log is not None else None

    def drain(self, fresh: Collection[str] = ()) -> int:
        """Audits and fans out every alert the outbox holds; returns how many. ``fresh``: ids
        this process has just stored, whose ``alert_raised`` cannot be in the log yet."""
        with self._lock:
            rows = self._store.outbox()
            if not rows:
                return 0
            unaudited = [(record, mark) for record, mark in rows if record.id not in self._appended]
            if unaudited:
                self._audit_once(unaudited, fresh)
            ids = [record.id for record, _ in rows]
            self._store.fan_out(ids, max_pending=self._max_pending, at=self._clock())
            self._appended.difference_update(ids)
        for record, _ in rows:
            body = json.dumps(record.to_json(), sort_keys=True)
            self._broker.publish(SseEvent(record.kind.value, record.id, body))
        self._dispatcher.wake()
        if self.on_raised is not None:
            self.on_raised([record for record, _ in rows])
        return len(rows)

    def _audit_once(
        self, rows: Sequence[tuple[AlertRecord, int | None]], fresh: Collection[str]
    ) -> None:
        done = self._in_log(
            [(r.id, mark) for r, mark in rows if mark is not None and r.id not in fresh]
        )
        todo = [r for r, _ in rows if r.id not in done]
        if todo:
            self._audit.append_many([raised_event(r, self._agency_id) for r in todo])
        self._appended.update(r.id for r, _ in rows)

    def _in_log(self, marked: Sequence[tuple[str, int]]) -> set[str]:
        """Which of these alerts already have their ``alert_raised`` entry (a crash came
        between the append and the clearing of the outbox row), looking from the log size
        noted when they were stored. Without the log to read, none: the entry is appended
        again (at least once)."""
        if not marked or self._log is None:
            return set()
        wanted = {alert_id for alert_id, _ in marked}
        found: set[str] = set()
        for detail in self._log.details(min(mark for _, mark in marked)):
            if detail.type == EventType.ALERT_RAISED.value:
                alert_id = detail.private.get("alert_id")
                if alert_id in wanted:
                    found.add(str(alert_id))
        if found:
            log.warning("%d alert(s) were audited before a crash; not audited again", len(found))
        return found
