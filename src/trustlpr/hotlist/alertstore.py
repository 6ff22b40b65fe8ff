"""``<data_dir>/alerts.db``: alerts, their verification, the outbox, delivery targets and
deliveries.

Only hits and possible matches are written here, never other reads. The file is mode 0600 and
deleted or redacted content is overwritten (``secure_delete``). A possible match that an
officer marks ``misread`` or ``not_the_vehicle`` is redacted: the read's plate is masked and
its image deleted, because it was most likely an innocent vehicle; the counts remain.

An alert and its outbox row (``alertqueue.py``) are written in one transaction after the read
is stored, so raising it survives a crash. Alert ids are derived from the read and the entry:
a second attempt at storing the same alert is a no-op. Retention removes possible matches with
the non-hit retention and everything else with the hit retention, WAL included.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from ..core.errors import ConflictError, NotFoundError, StoreError
from ..core.hotlist import StopOutcome
from ..core.plates import mask_plate
from ..privatedb import PrivateDB
from .alertqueue import ALERT_COLUMNS, DeliveryTables, alert_from_row, alert_row
from .records import UNVERIFIED, AlertKind, AlertRecord, AlertStats, Verdict, outcome_conflict

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
CREATE TABLE IF NOT EXISTS outbox (
    alert_id TEXT PRIMARY KEY,
    audit_mark INTEGER
);
CREATE TABLE IF NOT EXISTS meta (
    name TEXT PRIMARY KEY,
    value BLOB NOT NULL
);
"""
_MIGRATIONS = (
    # observed_at: possible matches expire with the non-hit retention of their read
    ("alerts", "observed_at", "ALTER TABLE alerts ADD COLUMN observed_at REAL"),
    # what came of a confirmed alert (stop outcomes), kept with the alert and its read
    ("alerts", "stop_outcome", "ALTER TABLE alerts ADD COLUMN stop_outcome TEXT"),
    ("alerts", "outcome_by", "ALTER TABLE alerts ADD COLUMN outcome_by TEXT"),
    ("alerts", "outcome_at", "ALTER TABLE alerts ADD COLUMN outcome_at REAL"),
    ("alerts", "outcome_note", "ALTER TABLE alerts ADD COLUMN outcome_note TEXT"),
)
_INDEXES = """
DELETE FROM deliveries WHERE rowid NOT IN
    (SELECT max(rowid) FROM deliveries GROUP BY alert_id, target_id);
CREATE UNIQUE INDEX IF NOT EXISTS deliveries_once ON deliveries (alert_id, target_id);
CREATE INDEX IF NOT EXISTS deliveries_pending ON deliveries (status) WHERE status = 'pending';
"""
_KEY_NAME = "alert_id_key"
# When a kept datum expires: an alert never outlives its read (observed) nor its own rules
# (raised); possible matches that no officer confirmed are non-hits.
_WHEN = "min(raised_at, coalesce(observed_at, raised_at))"
_EXPIRED = (
    f"({_WHEN} < :hit OR (kind = 'possible' AND status != 'confirmed' AND {_WHEN} < :nonhit))"
)


class AlertStore(DeliveryTables):
    """Thread-safe SQLite persistence for ``AlertService``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._file = PrivateDB(path, schema=_SCHEMA, label="alert database")
        self._db = self._file.conn
        self._lock = self._file.lock
        try:
            self._migrate()
            self.id_key = self._id_key()
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open alert database {path}: {exc}") from exc

    def _migrate(self) -> None:
        for table, column, sql in _MIGRATIONS:
            columns = {row[1] for row in self._db.execute(f"PRAGMA table_info({table})")}
            if column not in columns:
                self._db.execute(sql)
        if not self._db.execute(
            "SELECT 1 FROM sqlite_master WHERE name = 'deliveries_once'"
        ).fetchall():
            self._db.executescript(_INDEXES)

    def _id_key(self) -> bytes:
        """The secret alert ids are derived with (``records.alert_id``); made once per file."""
        self._db.execute(
            "INSERT OR IGNORE INTO meta VALUES (?, ?)", (_KEY_NAME, secrets.token_bytes(32))
        )
        return bytes(
            self._db.execute("SELECT value FROM meta WHERE name=?", (_KEY_NAME,)).fetchone()[0]
        )

    def insert(self, records: Sequence[AlertRecord], images: Mapping[str, bytes]) -> None:
        """Stores alerts or possible matches in one transaction, with no outbox row."""
        self._stage(records, images, None)

    def stage(
        self,
        records: Sequence[AlertRecord],
        images: Mapping[str, bytes],
        *,
        audit_mark: int | None = None,
    ) -> list[AlertRecord]:
        """Stores alerts and possible matches in one transaction, an outbox row with
        ``audit_mark`` for each alert; returns the records that were new. One already stored
        (the same read sent again, a write that was retried) is left as it is."""
        return self._stage(records, images, audit_mark, outbox=True)

    def _stage(
        self,
        records: Sequence[AlertRecord],
        images: Mapping[str, bytes],
        audit_mark: int | None,
        *,
        outbox: bool = False,
    ) -> list[AlertRecord]:
        new: list[AlertRecord] = []
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                for r in records:
                    cursor = self._db.execute(
                        "INSERT OR IGNORE INTO alerts (id, kind, why, raised_at, list_id, "
                        "category, camera_id, read_json, entry_json, warnings, image, status, "
                        "verified_by, verified_at, note, observed_at) "
                        "VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                        alert_row(r, images.get(r.id)),
                    )
                    if cursor.rowcount:
                        new.append(r)
                        if outbox and r.kind is AlertKind.ALERT:
                            self._db.execute(
                                "INSERT OR REPLACE INTO outbox VALUES (?, ?)", (r.id, audit_mark)
                            )
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                raise StoreError(f"cannot store alerts: {exc}") from exc
        return new

    def get(self, alert_id: str) -> AlertRecord:
        rows = self._run(f"SELECT {ALERT_COLUMNS} FROM alerts WHERE id=?", (alert_id,))
        if not rows:
            raise NotFoundError(f"there is no alert {alert_id[:40]!r}")
        return alert_from_row(rows[0])

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
        sql = (
            f"SELECT {ALERT_COLUMNS} FROM alerts WHERE {' AND '.join(where)} "
            "ORDER BY seq DESC LIMIT ?"
        )
        return [alert_from_row(r) for r in self._run(sql, [*args, limit])]

    def after(self, alert_id: str, limit: int = 500) -> list[AlertRecord]:
        """Alerts stored after ``alert_id``, oldest first (an SSE client resuming)."""
        seq = self._run("SELECT seq FROM alerts WHERE id=?", (alert_id,))
        if not seq:
            return []
        rows = self._run(
            f"SELECT {ALERT_COLUMNS} FROM alerts WHERE seq > ? ORDER BY seq LIMIT ?",
            (seq[0][0], limit),
        )
        return [alert_from_row(r) for r in rows]

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
            if redact:  # the old page images of the innocent car's read leave the WAL too
                self._file.checkpoint()
            return self.get(alert_id)

    def record_outcome(
        self, alert_id: str, outcome: StopOutcome, *, user: str, note: str | None, at: datetime
    ) -> AlertRecord:
        """Records what came of a confirmed alert, once: ``ConflictError`` if the alert is not
        confirmed or already has an outcome (also when two officers race for it)."""
        with self._lock:
            try:
                changed = self._db.execute(
                    "UPDATE alerts SET stop_outcome=?, outcome_by=?, outcome_at=?, "
                    "outcome_note=? WHERE id=? AND status='confirmed' AND stop_outcome IS NULL",
                    (outcome.value, user, at.timestamp(), note, alert_id),
                ).rowcount
            except sqlite3.Error as exc:
                raise StoreError(f"cannot record the alert's outcome: {exc}") from exc
            record = self.get(alert_id)
            if not changed:
                raise ConflictError(outcome_conflict(record) or f"alert {alert_id} changed")
            return record

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
        not_read = self._run(
            "SELECT count(*) FROM alerts WHERE kind='alert' AND why='state_unknown' "
            "AND raised_at >= ?",
            (t,),
        )[0][0]

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
            state_not_read=int(not_read),
        )

    def expire(self, *, hit_before: datetime, nonhit_before: datetime) -> int:
        """Deletes what is past retention — alerts and confirmed possible matches raised or
        observed before ``hit_before``, other possible matches (non-hits) before
        ``nonhit_before`` — with their images, deliveries and outbox rows, then truncates the
        WAL so their bytes leave both files. The counts stay in the transparency log."""
        cut = {"hit": hit_before.timestamp(), "nonhit": nonhit_before.timestamp()}
        expired = f"SELECT id FROM alerts WHERE {_EXPIRED}"
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                for table in ("deliveries", "outbox"):
                    self._db.execute(f"DELETE FROM {table} WHERE alert_id IN ({expired})", cut)
                gone = self._db.execute(f"DELETE FROM alerts WHERE {_EXPIRED}", cut).rowcount
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
