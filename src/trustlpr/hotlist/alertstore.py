"""``<data_dir>/alerts.db``: alerts, their verification, delivery targets and delivery outcomes.

Only hits and possible matches are written here, never other reads. The file is mode 0600 and
deleted or redacted content is overwritten (``secure_delete``). A possible match that an
officer marks ``misread`` or ``not_the_vehicle`` is redacted: the read's plate is masked and
its image deleted, because it was most likely an innocent vehicle; the counts remain.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..core.errors import ConflictError, NotFoundError, StoreError
from ..core.plates import mask_plate
from ..privatedb import PrivateDB
from .records import UNVERIFIED, AlertKind, AlertRecord, AlertStats, DeliveryTarget, Verdict

_SCHEMA = """
CREATE TABLE IF NOT EXISTS alerts (
    seq INTEGER PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    why TEXT NOT NULL,
    raised_at REAL NOT NULL,
    list_id TEXT NOT NULL,
    category TEXT NOT NULL,
    camera_id TEXT NOT NULL,
    read_json TEXT NOT NULL,
    entry_json TEXT NOT NULL,
    warnings TEXT NOT NULL,
    image BLOB,
    status TEXT NOT NULL,
    verified_by TEXT,
    verified_at REAL,
    note TEXT
);
CREATE INDEX IF NOT EXISTS alerts_time ON alerts (raised_at);
CREATE TABLE IF NOT EXISTS targets (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    url TEXT NOT NULL,
    secret TEXT,
    created_at REAL NOT NULL,
    created_by TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS deliveries (
    alert_id TEXT NOT NULL,
    target_id INTEGER NOT NULL,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    error TEXT,
    at REAL NOT NULL
);
"""
_COLUMNS = (
    "id, kind, why, raised_at, read_json, entry_json, image IS NOT NULL, warnings, status, "
    "verified_by, verified_at, note"
)


def _dt(ts: float | None) -> datetime | None:
    return None if ts is None else datetime.fromtimestamp(ts, UTC)


def _record(row: Sequence[Any]) -> AlertRecord:
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
    )


class AlertStore:
    """Thread-safe SQLite persistence for ``AlertService``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file = PrivateDB(path, schema=_SCHEMA, label="alert database")
        self._db = self._file.conn
        self._lock = self._file.lock

    def _run(self, sql: str, args: Sequence[Any] = ()) -> list[Any]:
        with self._lock:
            try:
                return self._db.execute(sql, args).fetchall()
            except sqlite3.Error as exc:
                raise StoreError(f"alert database failed: {exc}") from exc

    def insert(self, records: Sequence[AlertRecord], images: Mapping[str, bytes]) -> None:
        """Stores new alerts in one transaction."""
        rows = [
            (
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
                images.get(r.id),
                r.status,
                r.verified_by,
                r.verified_at.timestamp() if r.verified_at else None,
                r.note,
            )
            for r in records
        ]
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                self._db.executemany(
                    "INSERT INTO alerts (id, kind, why, raised_at, list_id, category, camera_id, "
                    "read_json, entry_json, warnings, image, status, verified_by, verified_at, "
                    "note) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    rows,
                )
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise StoreError(f"cannot store alerts: {exc}") from exc

    def get(self, alert_id: str) -> AlertRecord:
        rows = self._run(f"SELECT {_COLUMNS} FROM alerts WHERE id=?", (alert_id,))
        if not rows:
            raise NotFoundError(f"there is no alert {alert_id[:40]!r}")
        return _record(rows[0])

    def image(self, alert_id: str) -> bytes | None:
        rows = self._run("SELECT image FROM alerts WHERE id=?", (alert_id,))
        if not rows:
            raise NotFoundError(f"there is no alert {alert_id[:40]!r}")
        return bytes(rows[0][0]) if rows[0][0] is not None else None

    def find(
        self,
        *,
        since: datetime | None = None,
        kind: AlertKind | None = None,
        status: str | None = None,
        list_id: str | None = None,
        camera_id: str | None = None,
        limit: int = 100,
    ) -> list[AlertRecord]:
        """Newest first, filtered."""
        where: list[str] = ["1=1"]
        args: list[Any] = []
        for column, value in (
            ("kind", kind.value if kind else None),
            ("status", status),
            ("list_id", list_id),
            ("camera_id", camera_id),
        ):
            if value is not None:
                where.append(f"{column}=?")
                args.append(value)
        if since is not None:
            where.append("raised_at >= ?")
            args.append(since.timestamp())
        sql = f"SELECT {_COLUMNS} FROM alerts WHERE {' AND '.join(where)} ORDER BY seq DESC LIMIT ?"
        return [_record(r) for r in self._run(sql, [*args, limit])]

    def after(self, alert_id: str, limit: int = 500) -> list[AlertRecord]:
        """Alerts stored after ``alert_id``, oldest first (an SSE client resuming)."""
        seq = self._run("SELECT seq FROM alerts WHERE id=?", (alert_id,))
        if not seq:
            return []
        rows = self._run(
            f"SELECT {_COLUMNS} FROM alerts WHERE seq > ? ORDER BY seq LIMIT ?", (seq[0][0], limit)
        )
        return [_record(r) for r in rows]

    def verify(
        self, alert_id: str, verdict: Verdict, *, user: str, note: str, at: datetime
    ) -> AlertRecord:
        """Records the verdict once; a second verdict is a ``ConflictError``."""
        with self._lock:
            record = self.get(alert_id)
            if record.status != UNVERIFIED:
                raise ConflictError(f"alert {alert_id} was already verified as {record.status}")
            redact = record.kind is AlertKind.POSSIBLE and verdict is not Verdict.CONFIRMED
            read = dict(record.read)
            if redact:
                read["plate"] = mask_plate(str(read.get("plate") or ""))
                read["image_ref"] = None
            self._run(
                "UPDATE alerts SET status=?, verified_by=?, verified_at=?, note=?, read_json=?, "
                "image=CASE WHEN ? THEN NULL ELSE image END WHERE id=? AND status=?",
                (
                    verdict.value,
                    user,
                    at.timestamp(),
                    note,
                    json.dumps(read, sort_keys=True),
                    redact,
                    alert_id,
                    UNVERIFIED,
                ),
            )
            return self.get(alert_id)

    def stats(self, since: datetime, days: int) -> AlertStats:
        """Counts for the portal since ``since``: by list/category and by camera."""
        t = since.timestamp()
        totals: dict[str, dict[str, int]] = {"alert": {}, "possible": {}}
        for kind, status, n in self._run(
            "SELECT kind, status, count(*) FROM alerts WHERE raised_at >= ? GROUP BY kind, status",
            (t,),
        ):
            totals.setdefault(kind, {})[status] = int(n)
        hits = totals["alert"]

        def grouped(column: str) -> list[dict[str, Any]]:
            extra = ", category" if column == "list_id" else ""
            rows = self._run(
                f"SELECT {column}{extra}, count(*), sum(status='confirmed'), "
                "sum(status='misread'), sum(status='not_the_vehicle') FROM alerts "
                f"WHERE kind='alert' AND raised_at >= ? GROUP BY {column}{extra} "
                f"ORDER BY {column}{extra}",
                (t,),
            )
            out = []
            for row in rows:
                item: dict[str, Any] = {column: row[0]}
                if extra:
                    item["category"] = row[1]
                n, conf, mis, ntv = row[-4:]
                item |= {"hits": n, "confirmed": conf, "misreads": mis, "not_the_vehicle": ntv}
                out.append(item)
            return out

        return AlertStats(
            days=days,
            since=since,
            hits=sum(hits.values()),
            confirmed=hits.get("confirmed", 0),
            misreads=hits.get("misread", 0),
            not_the_vehicle=hits.get("not_the_vehicle", 0),
            unverified=hits.get(UNVERIFIED, 0),
            possible=sum(totals["possible"].values()),
            possible_confirmed=totals["possible"].get("confirmed", 0),
            by_list=grouped("list_id"),
            by_camera=grouped("camera_id"),
        )

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
            "INSERT INTO deliveries VALUES (?,?,?,?,?,?)",
            (alert_id, target_id, status, attempts, error, at.timestamp()),
        )

    def deliveries(self, alert_id: str) -> list[dict[str, Any]]:
        rows = self._run(
            "SELECT target_id, status, attempts, error FROM deliveries WHERE alert_id=? "
            "ORDER BY rowid",
            (alert_id,),
        )
        return [{"target_id": r[0], "status": r[1], "attempts": r[2], "error": r[3]} for r in rows]

    def expire(self, before: datetime) -> int:
        """Deletes alerts raised before ``before`` (read details, images, deliveries) and
        truncates the WAL, so their bytes leave the file: alerts hold reads, and reads are kept
        no longer than the hit retention. The counts stay in the transparency log."""
        cutoff = before.timestamp()
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                self._db.execute(
                    "DELETE FROM deliveries WHERE alert_id IN "
                    "(SELECT id FROM alerts WHERE raised_at < ?)",
                    (cutoff,),
                )
                gone = self._db.execute(
                    "DELETE FROM alerts WHERE raised_at < ?", (cutoff,)
                ).rowcount
                self._db.execute("COMMIT")
                if gone:
                    self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.Error as exc:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise StoreError(f"expiring alerts failed: {exc}") from exc
        return int(gone)

    def close(self) -> None:
        with self._lock:
            self._db.close()
