"""Raising, delivering and verifying alerts; the counts the transparency portal publishes.

An alert is persisted, audited (ALERT_RAISED), shown on the staff console (SSE) and pushed to
webhooks and MQTT — after the read is stored, through the outbox (``outbox.py``). A possible
match is persisted and shown as "possible — verify", never pushed. In hit-only mode
(``persist_possible=False``) a possible match is held in memory for the hit-only window only:
confirmed in time, it becomes a stored hit; otherwise it vanishes with the read. Every verdict
is audited (ALERT_VERIFIED) and counted by list and camera. What came of a confirmed alert
(``StopOutcome``: no contact, stop, arrest, recovery, wrong vehicle, other) is recorded once,
stored with the alert (so it goes with the read's retention) and audited (ALERT_OUTCOME) with
only the outcome and a count public.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Collection, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from ..core.clock import Clock, parse_utc, system_clock
from ..core.errors import ConflictError, InputError, NotFoundError, TrustLPRError
from ..core.events import AuditEvent, AuditSink, EventType, ReadLink
from ..core.hotlist import StopOutcome
from ..core.plates import mask_plate
from ..core.reads import Read
from .alertstore import AlertStore
from .delivery import AlertBroker, Dispatcher, MqttPublisher, SseEvent
from .matcher import Candidate, Match
from .outbox import Matched, Outbox, RaisedLog
from .records import (
    UNVERIFIED,
    AlertKind,
    AlertRecord,
    AlertStats,
    DeliveryTarget,
    Verdict,
    alert_id,
    outcome_conflict,
    read_fields,
    warnings_for,
)

log = logging.getLogger(__name__)

EntryLookup = Callable[[int], dict[str, Any]]
ConfirmedHook = Callable[[AlertRecord, Read | None, bytes | None], None]
_MAX_NOTE = 1000
MAX_PENDING = 10_000
"""In hit-only mode, at most this many unverified possible matches are held in memory."""


class AlertService:
    """Alerts over ``<data_dir>/alerts.db``; thread-safe; see the module docstring."""

    def __init__(
        self,
        path: Path,
        *,
        audit: AuditSink,
        agency_id: str,
        clock: Clock = system_clock,
        persist_possible: bool = True,
        possible_window: timedelta = timedelta(minutes=3),
        low_confidence: float = 0.8,
        on_confirmed_possible: ConfirmedHook | None = None,
        transport: httpx.BaseTransport | None = None,
        retry_backoff: float = 0.5,
        audit_log: RaisedLog | None = None,
    ) -> None:
        self.store = AlertStore(path)
        self.broker = AlertBroker()
        self._audit = audit
        self._agency_id = agency_id
        self._clock = clock
        self._persist_possible = persist_possible
        self._window = possible_window
        self._low_confidence = low_confidence
        self.on_confirmed_possible = on_confirmed_possible
        self._pending: dict[str, tuple[float, AlertRecord, Read, bytes | None]] = {}
        self._lock = threading.Lock()
        self._outcome_lock = threading.Lock()  # check, audit and store one outcome at a time
        self.dispatcher = Dispatcher(
            self.store, clock=clock, transport=transport, backoff=retry_backoff
        )
        self.outbox = Outbox(
            self.store,
            audit=audit,
            broker=self.broker,
            dispatcher=self.dispatcher,
            agency_id=agency_id,
            clock=clock,
            audit_log=audit_log,
        )

    # -- raising ------------------------------------------------------------------------

    def _record(
        self, read: Read, cand: Candidate, entry: dict[str, Any], kind: AlertKind, image: bool
    ) -> AlertRecord:
        return AlertRecord(
            id=alert_id(self.store.id_key, read, cand.entry_id, kind),
            kind=kind,
            why=cand.why.value,
            raised_at=self._clock(),
            read=read_fields(read),
            entry={**entry, "entry_id": cand.entry_id},
            has_image=image,
            warnings=warnings_for(read, cand, self._low_confidence),
        )

    def prepare(
        self,
        items: Sequence[tuple[Read, bytes | None, Match]],
        entry: EntryLookup,
        *,
        hits: Sequence[bool],
        late: bool = False,
    ) -> Matched:
        """The alerts and possible matches of matched reads, raised by nothing yet: call
        ``committed()`` on the result once the reads are durable. ``late``: the reads are hits
        handed back from the hit-only buffer; their possible matches were shown already."""
        alerts: list[AlertRecord] = []
        possible: list[AlertRecord] = []
        images: dict[str, bytes] = {}
        held: dict[str, tuple[Read, bytes | None]] = {}
        entries: dict[int, dict[str, Any]] = {}
        for read, image, match in items:
            for kind, cands, out in (
                (AlertKind.ALERT, match.alerts, alerts),
                (AlertKind.POSSIBLE, () if late else match.possible, possible),
            ):
                for cand in cands:
                    if cand.entry_id not in entries:
                        entries[cand.entry_id] = entry(cand.entry_id)
                    record = self._record(
                        read, cand, entries[cand.entry_id], kind, image is not None
                    )
                    out.append(record)
                    if image is not None:
                        images[record.id] = image
                    if kind is AlertKind.POSSIBLE and not self._persist_possible:
                        held[record.id] = (read, image)
        return Matched(hits, alerts, possible, images, held, self.commit)

    def commit(self, matched: Matched) -> None:
        """Raises what ``prepare`` found, once its reads are durable: alerts (and possible
        matches, unless hit-only mode keeps those in memory) go into ``alerts.db``, the alerts
        with outbox rows, and the outbox is drained. A drain that fails (the audit log
        refusing) is logged and retried by ``resume``; the alerts are safe in the outbox."""
        stored = [*matched.alerts, *(matched.possible if self._persist_possible else ())]
        new: list[AlertRecord] = []
        if stored:
            new = self.store.stage(stored, matched.images, audit_mark=self.outbox.mark())
        for record in new:
            if record.kind is AlertKind.POSSIBLE:
                body = json.dumps(record.to_json(), sort_keys=True)
                self.broker.publish(SseEvent("possible", record.id, body))
        if matched.held:
            self._hold([r for r in matched.possible if r.id in matched.held], matched)
        fresh = {r.id for r in new if r.kind is AlertKind.ALERT}
        if fresh:
            self._drain(fresh)

    def resume(self) -> None:
        """Finishes what the outbox holds and wakes the dispatcher for pending deliveries
        (after a restart too); ``HotlistService.tick`` calls it every few seconds."""
        self._drain(())
        try:
            if self.store.pending_count():
                self.dispatcher.wake()
        except TrustLPRError as exc:
            log.error("cannot look for pending alert deliveries: %s", exc)

    def _drain(self, fresh: Collection[str]) -> None:
        try:
            self.outbox.drain(fresh)
        except TrustLPRError as exc:
            log.error("raising alerts is delayed: %s: %s", type(exc).__name__, exc)

    def _hold(self, possible: Sequence[AlertRecord], matched: Matched) -> None:
        """Hit-only mode: possible matches wait in memory for the window, shown on the console."""
        deadline = (self._clock() + self._window).timestamp()
        shown: list[AlertRecord] = []
        with self._lock:
            self._expire_pending()
            for record in possible:
                if record.id in self._pending:
                    continue
                read, image = matched.held[record.id]
                self._pending[record.id] = (deadline, record, read, image)
                shown.append(record)
            while len(self._pending) > MAX_PENDING:  # bounded: the oldest go first
                del self._pending[next(iter(self._pending))]
        for record in shown:
            body = json.dumps(record.to_json(), sort_keys=True)
            self.broker.publish(SseEvent("possible", record.id, body))

    # -- verification -------------------------------------------------------------------

    def verify(self, alert_id: str, outcome: str, *, note: str, user: str) -> AlertRecord:
        """Records an officer's verdict (``confirmed``/``misread``/``not_the_vehicle``)."""
        try:
            verdict = Verdict(outcome)
        except ValueError:
            choices = ", ".join(v.value for v in Verdict)
            raise InputError(f"must be one of {choices}", field="outcome") from None
        if not isinstance(note, str) or not note.strip():
            raise InputError("a verification needs a note saying what was checked", field="note")
        if len(note) > _MAX_NOTE or any(ord(ch) < 32 and ch not in "\n\t" for ch in note):
            raise InputError(f"must be at most {_MAX_NOTE} printable characters", field="note")
        now = self._clock()
        with self._lock:
            self._expire_pending()
            pending = self._pending.pop(alert_id, None)
        if pending is not None:
            _, record, read, image = pending
            record = _verdict(record, verdict, user, note.strip(), now)
            self._audit.append(self._verified_event(record, verdict, user, note))
            if verdict is Verdict.CONFIRMED:
                self.store.insert([record], {record.id: image} if image else {})
        else:
            record = self.store.get(alert_id)
            if record.status != UNVERIFIED:
                raise ConflictError(f"alert {alert_id} was already verified as {record.status}")
            self._audit.append(self._verified_event(record, verdict, user, note))
            record = self.store.verify(alert_id, verdict, user=user, note=note.strip(), at=now)
            read, image = None, None
        body = json.dumps(record.to_json(), sort_keys=True)
        self.broker.publish(SseEvent("verified", record.id, body))
        if (
            verdict is Verdict.CONFIRMED
            and record.kind is AlertKind.POSSIBLE
            and self.on_confirmed_possible is not None
        ):
            self.on_confirmed_possible(record, read, image)
        return record

    def record_outcome(
        self, alert_id: str, outcome: str, *, note: str = "", user: str
    ) -> AlertRecord:
        """Records what came of a confirmed alert (a ``StopOutcome`` value), once, by the
        officer ``user``; ``other`` needs a note saying what. ``ConflictError`` if the alert is
        not confirmed or already has an outcome; the faces check the officer's role."""
        try:
            stop = StopOutcome(outcome)
        except ValueError:
            choices = ", ".join(v.value for v in StopOutcome)
            raise InputError(f"must be one of {choices}", field="outcome") from None
        if not isinstance(note, str):
            raise InputError("must be text", field="note")
        if len(note) > _MAX_NOTE or any(ord(ch) < 32 and ch not in "\n\t" for ch in note):
            raise InputError(f"must be at most {_MAX_NOTE} printable characters", field="note")
        if stop is StopOutcome.OTHER and not note.strip():
            raise InputError("an outcome of 'other' needs a note saying what", field="note")
        with self._outcome_lock:
            record = self.get(alert_id)
            conflict = outcome_conflict(record)
            if conflict is not None:
                raise ConflictError(conflict)
            now = self._clock()
            self._audit.append(self._outcome_event(record, stop, user, note.strip(), now))
            record = self.store.record_outcome(
                alert_id, stop, user=user, note=note.strip() or None, at=now
            )
        body = json.dumps(record.to_json(), sort_keys=True)
        self.broker.publish(SseEvent("outcome", record.id, body))
        return record

    def _outcome_event(
        self, record: AlertRecord, stop: StopOutcome, user: str, note: str, at: datetime
    ) -> AuditEvent:
        # Public: the outcome and a count only (no list, camera or time finer than the
        # leaf's minute), so the counts cannot be joined back to one stop.
        return AuditEvent(
            type=EventType.ALERT_OUTCOME,
            at=at,
            agency_id=self._agency_id,
            public={"outcome": stop.value, "count": 1},
            private={
                "alert_id": record.id,
                "user": user,
                "note": note,
                "confirmed_by": record.verified_by,
                "list_id": record.list_id,
                "category": record.category,
                "camera_id": record.camera_id,
                "plate": record.read.get("plate"),
            },
            describes_read=ReadLink("hit", parse_utc(record.read["observed_at"])),
        )

    def _verified_event(
        self, record: AlertRecord, verdict: Verdict, user: str, note: str
    ) -> AuditEvent:
        return AuditEvent(
            type=EventType.ALERT_VERIFIED,
            at=self._clock(),
            agency_id=self._agency_id,
            public={
                "list_id": record.list_id,
                "category": record.category,
                "outcome": verdict.value,
                "action": f"verify_{record.kind.value}",
                "count": 1,
            },
            private={
                "alert_id": record.id,
                "user": user,
                "note": note,
                "camera_id": record.camera_id,
                # a possible match judged not to be the vehicle was most likely an innocent
                # car: its plate is masked here as in alerts.db
                "plate": record.read.get("plate")
                if record.kind is AlertKind.ALERT or verdict is Verdict.CONFIRMED
                else mask_plate(str(record.read.get("plate") or "")),
            },
            # Goes with the read: a hit, or a possible match confirmed (and so promoted).
            describes_read=ReadLink(
                "hit"
                if record.kind is AlertKind.ALERT or verdict is Verdict.CONFIRMED
                else "nonhit",
                parse_utc(record.read["observed_at"]),
            ),
        )

    # -- reading ------------------------------------------------------------------------

    def _expire_pending(self) -> None:
        now = self._clock().timestamp()
        for key in [k for k, v in self._pending.items() if v[0] <= now]:
            del self._pending[key]

    def get(self, alert_id: str) -> AlertRecord:
        with self._lock:
            self._expire_pending()
            pending = self._pending.get(alert_id)
        return pending[1] if pending else self.store.get(alert_id)

    def image(self, alert_id: str) -> bytes | None:
        with self._lock:
            self._expire_pending()
            pending = self._pending.get(alert_id)
        return pending[3] if pending else self.store.image(alert_id)

    def list_alerts(
        self,
        *,
        kind: AlertKind | None = None,
        status: str | None = None,
        list_id: str | None = None,
        camera_id: str | None = None,
        days: int | None = None,
        limit: int = 100,
    ) -> list[AlertRecord]:
        """Newest first; in hit-only mode the in-memory possible matches come first."""
        if not 1 <= limit <= 1000:
            raise InputError("must be between 1 and 1000", field="limit")
        since = None if days is None else self._clock() - timedelta(days=_days(days))
        with self._lock:
            self._expire_pending()
            pending = [
                v[1]
                for v in sorted(self._pending.values(), key=lambda v: -v[1].raised_at.timestamp())
                if kind in (None, AlertKind.POSSIBLE)
                and status in (None, UNVERIFIED)
                and list_id in (None, v[1].list_id)
                and camera_id in (None, v[1].camera_id)
            ]
        stored = self.store.find(
            since=since, kind=kind, status=status, list_id=list_id, camera_id=camera_id, limit=limit
        )
        return (pending + stored)[:limit]

    def replay_after(self, alert_id: str) -> list[AlertRecord]:
        """Stored alerts raised after ``alert_id`` (an SSE client reconnecting)."""
        return self.store.after(alert_id)

    def stats(self, days: int = 30) -> AlertStats:
        """Hits, confirmations, misreads and lists alerted on in the last ``days`` days."""
        days = _days(days)
        return self.store.stats(self._clock() - timedelta(days=days), days)

    # -- delivery targets ---------------------------------------------------------------

    def add_target(self, url: str, *, actor: str, secret: str | None = None) -> DeliveryTarget:
        """Adds a webhook (``https://…``, with a signing secret) or an ``mqtt://…`` target."""
        parts = urlsplit(url) if isinstance(url, str) else None
        if parts is None or len(url) > 500:
            raise InputError("must be a URL of at most 500 characters", field="url")
        if parts.scheme in ("http", "https") and parts.hostname:
            if not secret or len(secret) < 16:
                raise InputError(
                    "a webhook needs a signing secret of 16+ characters", field="secret"
                )
            kind = "webhook"
        elif parts.scheme == "mqtt":
            MqttPublisher(url)  # validates host and topic
            kind, secret = "mqtt", None
        else:
            raise InputError("must be http(s)://… (webhook) or mqtt://host:port/topic", field="url")
        self._audit.append(self._target_event("alert_target_added", kind, url, actor))
        return self.store.add_target(kind, url, secret, actor=actor, at=self._clock())

    def remove_target(self, target_id: int, *, actor: str) -> DeliveryTarget:
        found = [t for t in self.store.targets() if t.id == target_id]
        if not found:
            raise NotFoundError(f"there is no delivery target {target_id}")
        self._audit.append(
            self._target_event("alert_target_removed", found[0].kind, found[0].url, actor)
        )
        return self.store.remove_target(target_id)

    def _target_event(self, action: str, kind: str, url: str, actor: str) -> AuditEvent:
        # Alert destinations are a data flow (plates, images): changed visibly, like sharing.
        return AuditEvent(
            type=EventType.SHARING_CHANGED,
            at=self._clock(),
            agency_id=self._agency_id,
            public={"action": action, "count": 1},
            private={"kind": kind, "url": url, "actor": actor},
        )

    def expire(self, *, hit_before: datetime, nonhit_before: datetime) -> int:
        """Removes what is past retention, with read and image: alerts and confirmed possible
        matches before ``hit_before``, other possible matches (non-hits) before
        ``nonhit_before``."""
        return self.store.expire(hit_before=hit_before, nonhit_before=nonhit_before)

    def close(self) -> None:
        self.dispatcher.close()
        self.store.close()


def _days(days: int) -> int:
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= 3660:
        raise InputError("must be a whole number of days between 1 and 3660", field="days")
    return days


def _verdict(
    record: AlertRecord, verdict: Verdict, user: str, note: str, at: datetime
) -> AlertRecord:
    return replace(record, status=verdict.value, verified_by=user, verified_at=at, note=note)
