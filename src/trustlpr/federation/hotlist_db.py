"""``<data_dir>/federation/hotlists.db``: what hot-list sharing keeps between syncs.

Owner side: the entry keys of each version served (``served``, the last ``KEPT_VERSIONS`` per
list, so a partner's pull can be answered with the changes since its version) and the hit
reports partners sent (``reports``, plates seen by someone else's cameras: dropped after the
hit retention). Subscriber side: the subscriptions, the entries of each subscribed list as
last accepted (``shared``, so a change set applies to the last good list) and the hit reports
waiting to be sent (``callbacks``). A private file (``PrivateDB``): it holds plates.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..keys.signing import FEDERATION_DIR
from ..privatedb import PrivateDB

FILE = "hotlists.db"
KEPT_VERSIONS = 16
_SCHEMA = """
CREATE TABLE IF NOT EXISTS served (
    list_id TEXT NOT NULL, version INTEGER NOT NULL, keys TEXT NOT NULL,
    PRIMARY KEY (list_id, version)
);
CREATE TABLE IF NOT EXISTS reports (
    peer TEXT NOT NULL, report_id TEXT NOT NULL, list_id TEXT NOT NULL,
    body TEXT NOT NULL, received_at INTEGER NOT NULL,
    PRIMARY KEY (peer, report_id)
);
CREATE TABLE IF NOT EXISTS subscriptions (
    peer TEXT NOT NULL, list_id TEXT NOT NULL, local_list TEXT NOT NULL UNIQUE,
    status TEXT NOT NULL, version INTEGER, categories TEXT NOT NULL DEFAULT '[]',
    purposes TEXT NOT NULL DEFAULT '[]', grant_id TEXT, note TEXT NOT NULL DEFAULT '',
    subscribed_at INTEGER NOT NULL, subscribed_by TEXT NOT NULL,
    last_attempt INTEGER, last_success INTEGER,
    PRIMARY KEY (peer, list_id)
);
CREATE TABLE IF NOT EXISTS shared (
    local_list TEXT NOT NULL, key TEXT NOT NULL, fields TEXT NOT NULL,
    PRIMARY KEY (local_list, key)
);
CREATE TABLE IF NOT EXISTS callbacks (
    report_id TEXT PRIMARY KEY, alert_id TEXT NOT NULL UNIQUE, peer TEXT NOT NULL,
    body TEXT NOT NULL, queued_at INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '', sent_at INTEGER
);
"""


def _s(moment: datetime) -> int:
    return int(moment.timestamp())


def _dt(seconds: int | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)


@dataclass(frozen=True, slots=True)
class Subscription:
    """One partner list this node follows. ``status``: ``active`` (accepted, in force),
    ``pending`` (never synced), ``refused`` (this node's policy or the grant refused the
    last version: no list is in force), ``failing`` (the partner did not answer; the last good
    version stays in force)."""

    peer: str
    list_id: str
    local_list: str
    status: str
    version: int | None
    categories: tuple[str, ...]
    purposes: tuple[str, ...]
    grant_id: str | None
    note: str
    subscribed_at: datetime
    subscribed_by: str
    last_attempt: datetime | None
    last_success: datetime | None

    def public(self) -> dict[str, Any]:
        """The subscription as the CLI and API show it (no plate: a list's metadata only)."""
        return {
            "peer": self.peer,
            "list_id": self.list_id,
            "local_list": self.local_list,
            "status": self.status,
            "version": self.version,
            "categories": list(self.categories),
            "purposes": list(self.purposes),
            "grant": self.grant_id,
            "note": self.note,
            "subscribed_at": self.subscribed_at.isoformat(),
            "last_attempt": self.last_attempt.isoformat() if self.last_attempt else None,
            "last_success": self.last_success.isoformat() if self.last_success else None,
        }


def _subscription(row: Any) -> Subscription:
    return Subscription(
        peer=row[0],
        list_id=row[1],
        local_list=row[2],
        status=row[3],
        version=row[4],
        categories=tuple(json.loads(row[5])),
        purposes=tuple(json.loads(row[6])),
        grant_id=row[7],
        note=row[8],
        subscribed_at=_dt(row[9]) or datetime.min,
        subscribed_by=row[10],
        last_attempt=_dt(row[11]),
        last_success=_dt(row[12]),
    )


_COLUMNS = (
    "peer, list_id, local_list, status, version, categories, purposes, grant_id, note, "
    "subscribed_at, subscribed_by, last_attempt, last_success"
)


class ShareDB:
    """The file's tables, one method per change (each one transaction)."""

    def __init__(self, data_dir: Path, *, readonly: bool = False) -> None:
        path = Path(data_dir) / FEDERATION_DIR / FILE
        self._db = PrivateDB(
            path,
            schema=_SCHEMA,
            label="hot-list sharing database",
            readonly=readonly and path.exists(),
        )

    # -- owner side --------------------------------------------------------------------------

    def served_keys(self, list_id: str, version: int) -> frozenset[str] | None:
        rows = self._db.query(
            "SELECT keys FROM served WHERE list_id=? AND version=?", (list_id, version)
        )
        return frozenset(json.loads(rows[0][0])) if rows else None

    def remember_served(self, list_id: str, version: int, keys: frozenset[str]) -> None:
        with self._db.write() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO served VALUES (?, ?, ?)",
                (list_id, version, json.dumps(sorted(keys))),
            )
            conn.execute(
                "DELETE FROM served WHERE list_id=? AND version NOT IN (SELECT version FROM "
                "served WHERE list_id=? ORDER BY version DESC LIMIT ?)",
                (list_id, list_id, KEPT_VERSIONS),
            )

    def add_report(
        self, peer: str, report_id: str, list_id: str, body: dict[str, Any], at: datetime
    ) -> bool:
        """Records a partner's hit report; False if that report was received already."""
        with self._db.write() as conn:
            return bool(
                conn.execute(
                    "INSERT OR IGNORE INTO reports VALUES (?, ?, ?, ?, ?)",
                    (peer, report_id, list_id, json.dumps(body, sort_keys=True), _s(at)),
                ).rowcount
            )

    def has_report(self, peer: str, report_id: str) -> bool:
        sql = "SELECT 1 FROM reports WHERE peer=? AND report_id=?"
        return bool(self._db.query(sql, (peer, report_id)))

    def reports(self, list_id: str | None = None) -> list[dict[str, Any]]:
        sql = "SELECT peer, body, received_at FROM reports"
        rows = self._db.query(
            sql + (" WHERE list_id=?" if list_id else "") + " ORDER BY rowid",
            (list_id,) if list_id else (),
        )
        return [{"peer": r[0], "received_at": _dt(r[2]), **json.loads(r[1])} for r in rows]

    # -- subscriber side ---------------------------------------------------------------------

    def subscriptions(self, peer: str | None = None) -> list[Subscription]:
        where, args = (" WHERE peer=?", (peer,)) if peer else ("", ())
        rows = self._db.query(f"SELECT {_COLUMNS} FROM subscriptions{where} ORDER BY 1, 2", args)
        return [_subscription(r) for r in rows]

    def subscription(self, peer: str, list_id: str) -> Subscription | None:
        rows = self._db.query(
            f"SELECT {_COLUMNS} FROM subscriptions WHERE peer=? AND list_id=?", (peer, list_id)
        )
        return _subscription(rows[0]) if rows else None

    def by_local_list(self, local_list: str) -> Subscription | None:
        rows = self._db.query(
            f"SELECT {_COLUMNS} FROM subscriptions WHERE local_list=?", (local_list,)
        )
        return _subscription(rows[0]) if rows else None

    def subscribe(
        self, peer: str, list_id: str, local_list: str, *, actor: str, at: datetime
    ) -> bool:
        """Adds a subscription; False if it exists."""
        with self._db.write() as conn:
            return bool(
                conn.execute(
                    "INSERT OR IGNORE INTO subscriptions (peer, list_id, local_list, status, "
                    "subscribed_at, subscribed_by) VALUES (?, ?, ?, 'pending', ?, ?)",
                    (peer, list_id, local_list, _s(at), actor),
                ).rowcount
            )

    def unsubscribe(self, sub: Subscription) -> None:
        with self._db.write() as conn:
            conn.execute("DELETE FROM shared WHERE local_list=?", (sub.local_list,))
            conn.execute(
                "DELETE FROM subscriptions WHERE peer=? AND list_id=?", (sub.peer, sub.list_id)
            )

    def shared(self, local_list: str) -> dict[str, dict[str, Any]]:
        rows = self._db.query("SELECT key, fields FROM shared WHERE local_list=?", (local_list,))
        return {str(r[0]): json.loads(r[1]) for r in rows}

    def accepted(
        self,
        sub: Subscription,
        *,
        version: int,
        entries: dict[str, dict[str, Any]],
        categories: list[str],
        purposes: list[str],
        grant_id: str,
        at: datetime,
    ) -> None:
        """A version accepted and in force: its entries replace the last good ones."""
        with self._db.write() as conn:
            conn.execute("DELETE FROM shared WHERE local_list=?", (sub.local_list,))
            conn.executemany(
                "INSERT INTO shared VALUES (?, ?, ?)",
                ((sub.local_list, k, json.dumps(v, sort_keys=True)) for k, v in entries.items()),
            )
            conn.execute(
                "UPDATE subscriptions SET status='active', version=?, categories=?, purposes=?, "
                "grant_id=?, note='', last_attempt=?, last_success=? WHERE peer=? AND list_id=?",
                (
                    version,
                    json.dumps(categories),
                    json.dumps(purposes),
                    grant_id,
                    _s(at),
                    _s(at),
                    sub.peer,
                    sub.list_id,
                ),
            )

    def attempted(self, sub: Subscription, *, status: str, note: str, at: datetime) -> None:
        """A sync that changed nothing in force (unchanged, partner down, or refused)."""
        success = status == "active"
        with self._db.write() as conn:
            if status == "refused":  # no list of it is in force any more
                conn.execute("DELETE FROM shared WHERE local_list=?", (sub.local_list,))
            conn.execute(
                "UPDATE subscriptions SET status=?, note=?, last_attempt=?, "
                "last_success=CASE WHEN ? THEN ? ELSE last_success END, "
                "version=CASE WHEN ?='refused' THEN NULL ELSE version END "
                "WHERE peer=? AND list_id=?",
                (status, note[:300], _s(at), success, _s(at), status, sub.peer, sub.list_id),
            )

    def queue_callback(
        self, report_id: str, alert_id: str, peer: str, body: dict[str, Any], at: datetime
    ) -> bool:
        with self._db.write() as conn:
            return bool(
                conn.execute(
                    "INSERT OR IGNORE INTO callbacks (report_id, alert_id, peer, body, "
                    "queued_at) VALUES (?, ?, ?, ?, ?)",
                    (report_id, alert_id, peer, json.dumps(body, sort_keys=True), _s(at)),
                ).rowcount
            )

    def has_callback(self, alert_id: str) -> bool:
        return bool(self._db.query("SELECT 1 FROM callbacks WHERE alert_id=?", (alert_id,)))

    def callbacks(self) -> list[tuple[str, str, dict[str, Any]]]:
        """Queued reports: (report id, peer, body)."""
        rows = self._db.query(
            "SELECT report_id, peer, body FROM callbacks WHERE sent_at IS NULL ORDER BY queued_at"
        )
        return [(str(r[0]), str(r[1]), json.loads(r[2])) for r in rows]

    def callback_done(self, report_id: str, at: datetime) -> None:
        """A delivered report: its sighting leaves this file (the alert keeps the read); the
        row stays, so the same alert is never reported twice."""
        with self._db.write() as conn:
            conn.execute(
                "UPDATE callbacks SET body='{}', attempts=attempts+1, last_error='', sent_at=? "
                "WHERE report_id=?",
                (_s(at), report_id),
            )

    def callback_failed(self, report_id: str, error: str) -> None:
        with self._db.write() as conn:
            conn.execute(
                "UPDATE callbacks SET attempts=attempts+1, last_error=? WHERE report_id=?",
                (error[:300], report_id),
            )

    def expire(self, before: datetime) -> int:
        """Drops received reports and queued callbacks older than ``before`` (hit retention)."""
        with self._db.write() as conn:
            n = conn.execute("DELETE FROM reports WHERE received_at < ?", (_s(before),)).rowcount
            n += conn.execute("DELETE FROM callbacks WHERE queued_at < ?", (_s(before),)).rowcount
        return int(n)

    def close(self) -> None:
        self._db.close()
