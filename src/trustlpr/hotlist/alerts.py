"""Raising, delivering and verifying alerts; the counts the transparency portal publishes.

An exact match is persisted, audited (ALERT_RAISED), shown on the staff console (SSE) and
pushed to webhooks and MQTT. A possible match is persisted and shown as "possible — verify",
never pushed. In hit-only mode (``persist_possible=False``) a possible match is held in memory
for the hit-only window only: confirmed in time, it becomes a stored hit; otherwise it vanishes
with the read. Every verdict is audited (ALERT_VERIFIED) and counted by list and camera.
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from ..core.clock import Clock, parse_utc, system_clock
from ..core.errors import ConflictError, InputError, NotFoundError
from ..core.events import AuditEvent, AuditSink, EventType, ReadLink
from ..core.reads import Read
from .alertstore import AlertStore
from .delivery import AlertBroker, Dispatcher, MqttPublisher, SseEvent
from .matcher import Candidate, Match
from .records import (
    UNVERIFIED,
    AlertKind,
    AlertRecord,
    AlertStats,
    DeliveryTarget,
    Verdict,
    read_fields,
    warnings_for,
)

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
        self.dispatcher = Dispatcher(
            self.store.targets,
            self.store.record_delivery,
            clock=clock,
            transport=transport,
            backoff=retry_backoff,
        )

    # -- raising ------------------------------------------------------------------------

    def _record(
        self, read: Read, cand: Candidate, entry: dict[str, Any], kind: AlertKind, image: bool
    ) -> AlertRecord:
        return AlertRecord(
            id=uuid.uuid4().hex,
            kind=kind,
            why=cand.why.value,
            raised_at=self._clock(),
            read=read_fields(read),
            entry={**entry, "entry_id": cand.entry_id},
            has_image=image,
            warnings=warnings_for(read, cand, self._low_confidence),
        )

    def raise_matches(
        self, items: Sequence[tuple[Read, bytes | None, Match]], entry: EntryLookup
    ) -> list[AlertRecord]:
        """Persists, audits and delivers the alerts and possible matches of matched reads."""
        alerts: list[AlertRecord] = []
        possible: list[AlertRecord] = []
        images: dict[str, bytes] = {}
        kept: dict[str, tuple[Read, bytes | None]] = {}
        for read, image, match in items:
            for kind, cands, out in (
                (AlertKind.ALERT, match.alerts, alerts),
                (AlertKind.POSSIBLE, match.possible, possible),
            ):
                for cand in cands:
                    record = self._record(read, cand, entry(cand.entry_id), kind, image is not None)
                    out.append(record)
                    kept[record.id] = (read, image)
                    if image is not None:
                        images[record.id] = image
        stored = alerts + (possible if self._persist_possible else [])
        if stored:
            self.store.insert(stored, images)
        if not self._persist_possible and possible:
            deadline = (self._clock() + self._window).timestamp()
            with self._lock:
                self._expire_pending()
                for record in possible:
                    read, image = kept[record.id]
                    self._pending[record.id] = (deadline, record, read, image)
                while len(self._pending) > MAX_PENDING:  # bounded: the oldest go first
                    del self._pending[next(iter(self._pending))]
        if alerts:
            self._audit.append_many([self._raised_event(r) for r in alerts])
        for record in alerts:
            body = record.to_json()
            self.broker.publish(SseEvent("alert", record.id, json.dumps(body, sort_keys=True)))
            push = record.to_json(images.get(record.id))
            self.dispatcher.submit(record.id, json.dumps(push, sort_keys=True).encode())
        for record in possible:
            body = record.to_json()
            self.broker.publish(SseEvent("possible", record.id, json.dumps(body, sort_keys=True)))
        return alerts + possible

    def _raised_event(self, record: AlertRecord) -> AuditEvent:
        return AuditEvent(
            type=EventType.ALERT_RAISED,
            at=record.raised_at,
            agency_id=self._agency_id,
            public={"list_id": record.list_id, "category": record.category, "count": 1},
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
                "plate": record.read.get("plate"),
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

    def expire(self, before: datetime) -> int:
        """Removes alerts (with their read and image) raised before ``before``."""
        return self.store.expire(before)

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
