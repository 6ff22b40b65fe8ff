"""The delivery side of ``alerts.db``: the outbox, delivery targets and deliveries, and the
row codec ``AlertStore`` shares (it owns the connection and mixes this class in).

An outbox row says that a stored alert is still to be audited (``alert_raised``) and fanned out
(a delivery queued per target); its ``audit_mark`` is the audit log's size when the alert was
stored, where recovery looks for an entry appended before a crash. A delivery is ``pending``
until it was ``sent``, ``failed`` or ``dropped``. See ``outbox.py`` for the order of the steps.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from ..core.clock import parse_utc
from ..core.errors import NotFoundError, StoreError
from ..core.hotlist import StopOutcome
from .records import AlertKind, AlertRecord, DeliveryTarget

PENDING = "pending"
ALERT_COLUMNS = (
    "id, kind, why, raised_at, read_json, entry_json, image IS NOT NULL, warnings, status, "
    "verified_by, verified_at, note, stop_outcome, outcome_by, outcome_at, outcome_note"
)


_JOINED_COLUMNS = ", ".join(
    c if c.startswith("image IS") else f"a.{c}" for c in ALERT_COLUMNS.split(", ")
).replace("image IS NOT NULL", "a.image IS NOT NULL")
"""``ALERT_COLUMNS`` of the alert row ``a`` in a join."""


def _dt(ts: float | None) -> datetime | None:
    return None if ts is None else datetime.fromtimestamp(ts, UTC)


def alert_from_row(row: Sequence[Any]) -> AlertRecord:
    raised = _dt(row[3])
    assert raised is not None
    return AlertRecord(
        id=row[0],
        kind=AlertKind(row[1]),
        why=row[2],
        raised_at=raised,
        read=json.loads(row[4]),
        entry=json.loads(row[5]),
        has_image=bool(row[6]),
        warnings=json.loads(row[7]),
        status=row[8],
        verified_by=row[9],
        verified_at=_dt(row[10]),
        note=row[11],
        stop_outcome=StopOutcome(row[12]) if row[12] else None,
        outcome_by=row[13],
        outcome_at=_dt(row[14]),
        outcome_note=row[15],
    )


def alert_row(r: AlertRecord, image: bytes | None) -> tuple[Any, ...]:
    return (
        r.id,
        r.kind.value,
        r.why,
        r.raised_at.timestamp(),
        r.list_id,
        r.category,
        r.camera_id,
        json.dumps(r.read, sort_keys=True),
        json.dumps(r.entry, sort_keys=True),
        json.dumps(r.warnings),
        image,
        r.status,
        r.verified_by,
        r.verified_at.timestamp() if r.verified_at else None,
        r.note,
        parse_utc(str(r.read["observed_at"])).timestamp(),
    )


class DeliveryTables:
    """Outbox, targets and deliveries over the connection of the ``AlertStore`` subclass."""

    _db: sqlite3.Connection
    _lock: threading.RLock

    def _run(self, sql: str, args: Sequence[Any] = ()) -> list[Any]:
        with self._lock:
            try:
                return self._db.execute(sql, args).fetchall()
            except sqlite3.Error as exc:
                raise StoreError(f"alert database failed: {exc}") from exc

    def _many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                self._db.executemany(sql, rows)
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise StoreError(f"alert database failed: {exc}") from exc

    # -- the outbox ---------------------------------------------------------------------

    def outbox(self) -> list[tuple[AlertRecord, int | None]]:
        """Alerts still to be audited and fanned out, with their audit mark, oldest first."""
        rows = self._run(
            f"SELECT {_JOINED_COLUMNS}, o.audit_mark FROM outbox o JOIN alerts a "
            "ON a.id = o.alert_id ORDER BY a.seq"
        )
        return [(alert_from_row(r), r[-1]) for r in rows]

    def fan_out(self, alert_ids: Sequence[str], *, max_pending: int, at: datetime) -> None:
        """Queues a ``pending`` delivery of each alert to every target and clears its outbox
        row, in one transaction. Past ``max_pending`` waiting
        deliveries, new ones are recorded as ``dropped`` (a dead receiver must not make the
        queue grow without end)."""
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                targets = [r[0] for r in self._db.execute("SELECT id FROM targets ORDER BY id")]
                waiting = self._db.execute(
                    "SELECT count(*) FROM deliveries WHERE status=?", (PENDING,)
                ).fetchone()[0]
                for alert in alert_ids:
                    for target in targets:
                        full = waiting >= max_pending
                        waiting += not full
                        self._db.execute(
                            "INSERT OR IGNORE INTO deliveries VALUES (?,?,?,0,?,?)",
                            (
                                alert,
                                target,
                                "dropped" if full else PENDING,
                                "delivery queue full" if full else None,
                                at.timestamp(),
                            ),
                        )
                self._db.executemany(
                    "DELETE FROM outbox WHERE alert_id=?", [(a,) for a in alert_ids]
                )
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise StoreError(f"cannot queue alert deliveries: {exc}") from exc

    def pending_deliveries(
        self, limit: int = 50
    ) -> list[tuple[AlertRecord, bytes | None, DeliveryTarget]]:
        """Deliveries not yet made, oldest first, with their alert, image and target."""
        rows = self._run(
            f"SELECT {_JOINED_COLUMNS}, a.image, t.id, t.kind, t.url, t.secret FROM deliveries d "
            "JOIN alerts a ON a.id = d.alert_id JOIN targets t ON t.id = d.target_id "
            "WHERE d.status = ? ORDER BY d.rowid LIMIT ?",
            (PENDING, limit),
        )
        return [
            (
                alert_from_row(r),
                bytes(r[-5]) if r[-5] is not None else None,
                DeliveryTarget(int(r[-4]), r[-3], r[-2], r[-1]),
            )
            for r in rows
        ]

    def pending_count(self) -> int:
        return int(self._run("SELECT count(*) FROM deliveries WHERE status=?", (PENDING,))[0][0])

    # -- delivery targets and outcomes --------------------------------------------------

    def add_target(
        self, kind: str, url: str, secret: str | None, *, actor: str, at: datetime
    ) -> DeliveryTarget:
        with self._lock:
            self._run(
                "INSERT INTO targets (kind, url, secret, created_at, created_by) "
                "VALUES (?,?,?,?,?)",
                (kind, url, secret, at.timestamp(), actor),
            )
            row = self._run("SELECT max(id) FROM targets")[0]
        return DeliveryTarget(int(row[0]), kind, url, secret)

    def targets(self) -> list[DeliveryTarget]:
        rows = self._run("SELECT id, kind, url, secret FROM targets ORDER BY id")
        return [DeliveryTarget(int(r[0]), r[1], r[2], r[3]) for r in rows]

    def remove_target(self, target_id: int) -> DeliveryTarget:
        with self._lock:
            found = [t for t in self.targets() if t.id == target_id]
            if not found:
                raise NotFoundError(f"there is no delivery target {target_id}")
            self._run("DELETE FROM targets WHERE id=?", (target_id,))
            self._run(
                "UPDATE deliveries SET status='dropped', error='target removed' "
                "WHERE target_id=? AND status=?",
                (target_id, PENDING),
            )
        return found[0]

    def record_delivery(
        self,
        alert_id: str,
        target_id: int,
        status: str,
        attempts: int,
        error: str | None,
        at: datetime,
    ) -> None:
        self._run(
            "INSERT INTO deliveries VALUES (?,?,?,?,?,?) ON CONFLICT (alert_id, target_id) "
            "DO UPDATE SET status=excluded.status, attempts=excluded.attempts, "
            "error=excluded.error, at=excluded.at",
            (alert_id, target_id, status, attempts, error, at.timestamp()),
        )

    def deliveries(self, alert_id: str) -> list[dict[str, Any]]:
        rows = self._run(
            "SELECT target_id, status, attempts, error FROM deliveries WHERE alert_id=? "
            "ORDER BY rowid",
            (alert_id,),
        )
        return [{"target_id": r[0], "status": r[1], "attempts": r[2], "error": r[3]} for r in rows]
