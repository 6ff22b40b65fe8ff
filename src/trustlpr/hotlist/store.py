"""``<data_dir>/hotlists.db``: the hot lists at rest, changed atomically and audited.

Plates are stored in plain text here, by choice: a hot list is the agency's own record of the
vehicles it is looking for (NCIC distributes it in plain text), matching needs the confusion
key (which all but spells the plate), and the verifying officer must see the listed plate. The
read store, which holds innocent people's movements, is the part that is encrypted. The file
is created mode 0600 and deleted rows are overwritten (``secure_delete``).

Each change runs in one SQLite transaction that also appends its audit events; if the audit
append fails, the change is rolled back. A ``generation`` per list lets other processes (the
CLI, a second server) notice a change cheaply and reload only that list.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from contextlib import AbstractContextManager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..core.clock import Clock, system_clock
from ..core.errors import ConflictError, NotFoundError, StoreError
from ..core.events import AuditEvent, AuditSink, EventType
from ..privatedb import PrivateDB
from .matcher import ListIndex
from .parse import DETAIL_FIELDS, ParsedEntry
from .records import ListInfo, StoredEntry, stored_entry

_SCHEMA = """
CREATE TABLE IF NOT EXISTS lists (
    list_id TEXT PRIMARY KEY,
    source_agency TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    generation INTEGER NOT NULL,
    updated_at REAL NOT NULL,
    updated_by TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS entries (
    id INTEGER PRIMARY KEY,
    list_id TEXT NOT NULL,
    plate TEXT NOT NULL,
    state TEXT NOT NULL,
    category TEXT NOT NULL,
    reason TEXT NOT NULL,
    case_number TEXT NOT NULL,
    owner TEXT NOT NULL,
    expires_at REAL NOT NULL,
    added_at REAL NOT NULL,
    make TEXT,
    model TEXT,
    colour TEXT,
    vehicle_year TEXT,
    tag_year TEXT,
    incident_date TEXT
);
CREATE INDEX IF NOT EXISTS entries_list ON entries (list_id);
"""
_MAX_PRIVATE_OWNERS = 50
_NO_DETAILS = (None,) * len(DETAIL_FIELDS)


def _ts(moment: datetime) -> float:
    return moment.timestamp()


def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


class HotlistStore:
    """SQLite persistence of hot lists; every change is one transaction with its audit events."""

    def __init__(
        self, path: Path, *, audit: AuditSink, agency_id: str, clock: Clock = system_clock
    ) -> None:
        self.path = path
        self._audit = audit
        self._agency_id = agency_id
        self._clock = clock
        self._file = PrivateDB(path, schema=_SCHEMA, label="hot-list database")
        self._db = self._file.conn
        self._lock = self._file.lock

    # -- transactions -------------------------------------------------------------------

    def _write(self) -> AbstractContextManager[sqlite3.Connection]:
        return self._file.write()

    def _query(self, sql: str, args: Sequence[Any] = ()) -> list[Any]:
        return self._file.query(sql, args)

    def _bump(self, db: sqlite3.Connection, list_id: str, source: str, actor: str) -> int:
        row = db.execute("SELECT source_agency, generation FROM lists WHERE list_id=?", (list_id,))
        found = row.fetchone()
        now = _ts(self._clock())
        if found is None:
            db.execute(
                "INSERT INTO lists VALUES (?, ?, '', 1, ?, ?)", (list_id, source, now, actor)
            )
            return 1
        if found[0] != source:
            raise ConflictError(f"list {list_id!r} comes from agency {found[0]!r}, not {source!r}")
        generation = int(found[1]) + 1
        db.execute(
            "UPDATE lists SET generation=?, updated_at=?, updated_by=? WHERE list_id=?",
            (generation, now, actor, list_id),
        )
        return generation

    def _insert(self, db: sqlite3.Connection, entries: Sequence[ParsedEntry]) -> list[int]:
        start = int(db.execute("SELECT coalesce(max(id), 0) FROM entries").fetchone()[0]) + 1
        ids = list(range(start, start + len(entries)))
        added = _ts(self._clock())
        db.executemany(
            "INSERT INTO entries VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (
                (
                    i,
                    p.list_id,
                    p.plate,
                    p.state,
                    p.category,
                    p.reason,
                    p.case_number,
                    p.owner,
                    p.expires_ts,
                    added,
                    *(map(p.details.get, DETAIL_FIELDS) if p.details else _NO_DETAILS),
                )
                for i, p in zip(ids, entries, strict=True)
            ),
        )
        return ids

    def _events(
        self,
        list_id: str,
        action: str,
        counts: dict[str, int],
        private: dict[str, Any],
    ) -> list[AuditEvent]:
        at = self._clock()
        return [
            AuditEvent(
                type=EventType.HOTLIST_CHANGED,
                at=at,
                agency_id=self._agency_id,
                public={
                    "list_id": list_id,
                    "category": category or None,
                    "action": action,
                    "count": n,
                },
                private=private,
            )
            for category, n in sorted(counts.items())
        ]

    # -- changes ------------------------------------------------------------------------

    def replace_list(
        self,
        list_id: str,
        entries: Sequence[ParsedEntry],
        *,
        source_agency: str,
        actor: str,
        detail: dict[str, Any],
    ) -> tuple[int, list[int]]:
        """Replaces the whole list in one transaction; returns (generation, new entry ids)."""
        new_counts = _category_counts(entries)
        with self._write() as db:
            old = db.execute(
                "SELECT category, count(*) FROM entries WHERE list_id=? GROUP BY category",
                (list_id,),
            ).fetchall()
            generation = self._bump(db, list_id, source_agency, actor)
            db.execute("DELETE FROM entries WHERE list_id=?", (list_id,))
            ids = self._insert(db, entries)
            counts = {str(c): 0 for c, _ in old} | new_counts
            owners = sorted({p.owner for p in entries})[:_MAX_PRIVATE_OWNERS]
            private = {
                "actor": actor,
                "source_agency": source_agency,
                "owners": owners,
                "previous_count": sum(int(n) for _, n in old),
                **detail,
            }
            self._audit.append_many(self._events(list_id, "replace", counts, private))
        return generation, ids

    def add_entries(
        self,
        list_id: str,
        entries: Sequence[ParsedEntry],
        *,
        source_agency: str,
        actor: str,
        detail: dict[str, Any],
    ) -> tuple[int, list[int]]:
        """Adds entries to a list (creating it); returns (generation, new entry ids)."""
        with self._write() as db:
            generation = self._bump(db, list_id, source_agency, actor)
            ids = self._insert(db, entries)
            private: dict[str, Any] = {"actor": actor, "source_agency": source_agency, **detail}
            if len(entries) == 1:
                e = entries[0]
                private |= {
                    "entry_id": ids[0],
                    "plate": e.plate,
                    "state": e.state,
                    "reason": e.reason,
                    "case_number": e.case_number,
                    "owner": e.owner,
                    "expires_at": e.expires_at.isoformat(),
                }
            counts = _category_counts(entries)
            self._audit.append_many(self._events(list_id, "add", counts, private))
        return generation, ids

    def remove_entry(self, list_id: str, entry_id: int, *, actor: str, note: str) -> StoredEntry:
        """Deletes one entry (cleared case, recovered car); audited with the note."""
        with self._write() as db:
            stored = self._entry(db, entry_id)
            if stored is None or stored.entry.list_id != list_id:
                raise NotFoundError(f"list {list_id!r} has no entry {entry_id}")
            db.execute("DELETE FROM entries WHERE id=?", (entry_id,))
            self._bump(db, list_id, self._source(db, list_id), actor)
            private = {
                "actor": actor,
                "note": note,
                "entry_id": entry_id,
                "plate": stored.entry.plate,
                "case_number": stored.entry.case_number,
            }
            self._audit.append_many(
                self._events(list_id, "remove", {stored.entry.category: 1}, private)
            )
        return stored

    def delete_list(self, list_id: str, *, actor: str) -> int:
        """Deletes a list and all its entries; returns how many entries went."""
        with self._write() as db:
            counts = {
                str(c): int(n)
                for c, n in db.execute(
                    "SELECT category, count(*) FROM entries WHERE list_id=? GROUP BY category",
                    (list_id,),
                )
            }
            if db.execute("SELECT 1 FROM lists WHERE list_id=?", (list_id,)).fetchone() is None:
                raise NotFoundError(f"there is no hot list {list_id!r}")
            db.execute("DELETE FROM entries WHERE list_id=?", (list_id,))
            db.execute("DELETE FROM lists WHERE list_id=?", (list_id,))
            events = self._events(list_id, "delete_list", counts or {"": 0}, {"actor": actor})
            self._audit.append_many(events)
        return sum(counts.values())

    def prune(self, *, actor: str) -> int:
        """Deletes entries that have expired (they no longer match anyway)."""
        now = _ts(self._clock())
        with self._write() as db:
            rows = db.execute(
                "SELECT list_id, category, count(*) FROM entries WHERE expires_at <= ? "
                "GROUP BY list_id, category",
                (now,),
            ).fetchall()
            db.execute("DELETE FROM entries WHERE expires_at <= ?", (now,))
            per_list: dict[str, dict[str, int]] = {}
            for list_id, category, n in rows:
                per_list.setdefault(str(list_id), {})[str(category)] = int(n)
            events = [
                ev
                for list_id, counts in sorted(per_list.items())
                for ev in self._events(list_id, "prune", counts, {"actor": actor})
            ]
            if events:
                self._audit.append_many(events)
        return sum(int(r[2]) for r in rows)

    # -- reading ------------------------------------------------------------------------

    def _source(self, db: sqlite3.Connection, list_id: str) -> str:
        row = db.execute("SELECT source_agency FROM lists WHERE list_id=?", (list_id,)).fetchone()
        return str(row[0]) if row else self._agency_id

    def _entry(self, db: sqlite3.Connection, entry_id: int) -> StoredEntry | None:
        if isinstance(entry_id, bool) or not isinstance(entry_id, int) or not 0 < entry_id < 2**63:
            return None
        row = db.execute("SELECT * FROM entries WHERE id=?", (entry_id,)).fetchone()
        return stored_entry(row) if row else None

    def entry(self, entry_id: int) -> StoredEntry:
        with self._lock:
            try:
                found = self._entry(self._db, entry_id)
            except sqlite3.Error as exc:
                raise StoreError(f"hot-list database read failed: {exc}") from exc
        if found is None:
            raise NotFoundError(f"there is no hot-list entry {entry_id}")
        return found

    def entries(
        self, list_id: str, *, active_only: bool = False, limit: int = 100, offset: int = 0
    ) -> list[StoredEntry]:
        now = _ts(self._clock()) if active_only else float("-inf")
        rows = self._query(
            "SELECT * FROM entries WHERE list_id=? AND expires_at > ? ORDER BY id LIMIT ? OFFSET ?",
            (list_id, now, limit, offset),
        )
        return [stored_entry(r) for r in rows]

    def lists(self) -> list[ListInfo]:
        now = _ts(self._clock())
        rows = self._query(
            "SELECT l.list_id, l.source_agency, l.description, l.generation, l.updated_at, "
            "l.updated_by, count(e.id), coalesce(sum(e.expires_at > ?), 0) "
            "FROM lists l LEFT JOIN entries e ON e.list_id = l.list_id "
            "GROUP BY l.list_id ORDER BY l.list_id",
            (now,),
        )
        return [
            ListInfo(r[0], r[1], r[2], int(r[3]), _dt(r[4]), r[5], int(r[6]), int(r[7]))
            for r in rows
        ]

    def source_of(self, list_id: str) -> str | None:
        rows = self._query("SELECT source_agency FROM lists WHERE list_id=?", (list_id,))
        return str(rows[0][0]) if rows else None

    def generations(self) -> dict[str, int]:
        return {str(r[0]): int(r[1]) for r in self._query("SELECT list_id, generation FROM lists")}

    def data_version(self) -> int:
        """Changes whenever another connection commits: a cheap "reload?" check."""
        return int(self._query("PRAGMA data_version")[0][0])

    def load_index(self, list_id: str) -> ListIndex:
        """The in-memory index of a list's active entries (about 1 s per million)."""
        index = ListIndex(list_id)
        now = _ts(self._clock())
        with self._lock:
            try:
                cursor = self._db.execute(
                    "SELECT id, plate, state, category, expires_at FROM entries "
                    "WHERE list_id=? AND expires_at > ?",
                    (list_id, now),
                )
                add = index.add
                for row in cursor:
                    add(*row)
            except sqlite3.Error as exc:
                raise StoreError(f"hot-list database read failed: {exc}") from exc
        return index

    def close(self) -> None:
        with self._lock:
            self._db.close()


def _category_counts(entries: Sequence[ParsedEntry]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for p in entries:
        counts[p.category] = counts.get(p.category, 0) + 1
    return counts
