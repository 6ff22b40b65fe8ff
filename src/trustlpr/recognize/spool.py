"""The camera agent's spool: reads waiting for the node, on disk, in order, bounded.

A read is written here (SQLite, WAL, synchronous FULL, one transaction) before anything
tries to send it, and deleted only after the node answered that it is durable. So a node
outage or a kill -9 of the agent loses nothing: on restart the agent sends what is left,
oldest first. A read that was sent but whose answer was lost (the agent died in between) is
sent again with the same ``uuid``, and the node's dedupe drops it: none is stored twice.

The spool holds plates, so it is private (0600) and holds only what is unsent. It is bounded
(``max_reads``): when full, new reads are refused, counted and warned about (what was spooled
is kept, in order); the warning repeats every ``warn_every`` refusals.

Snapshots from a watched folder are marked done in the same transaction that spools their
reads, so a restart neither reads a file twice nor skips one.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.errors import ConfigError

log = logging.getLogger("trustlpr.recognize.spool")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS reads (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid TEXT NOT NULL UNIQUE,
    body TEXT NOT NULL,
    image BLOB
);
CREATE TABLE IF NOT EXISTS rejected (
    id INTEGER PRIMARY KEY,
    uuid TEXT NOT NULL,
    body TEXT NOT NULL,
    reason TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS done_files (name TEXT PRIMARY KEY, note TEXT);
CREATE TABLE IF NOT EXISTS counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
"""


@dataclass(frozen=True)
class Spooled:
    """A waiting read: its spool position, id, native JSON fields and JPEG crop."""

    id: int
    uuid: str
    body: dict[str, Any]
    image: bytes | None


class Spool:
    """See the module docstring. Thread-safe: the recogniser adds, the sender takes."""

    def __init__(self, path: Path, *, max_reads: int = 10_000, warn_every: int = 100) -> None:
        self.path = path
        self.max_reads = max_reads
        self.warn_every = warn_every
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if not path.exists():
                os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise ConfigError(f"spool {path} cannot be opened: {exc}") from exc
        self._lock = threading.Lock()
        self._refused_since_warning = 0

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> Spool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- adding ---------------------------------------------------------------------------------

    def add(
        self,
        reads: Sequence[tuple[str, dict[str, Any], bytes | None]],
        *,
        done_file: str | None = None,
    ) -> int:
        """Spools ``(uuid, body, image)`` reads (and marks ``done_file`` done) at once.
        Returns how many were kept; the rest were refused because the spool is full."""
        with self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                waiting = db.execute("SELECT count(*) FROM reads").fetchone()[0]
                room = max(0, self.max_reads - waiting)
                kept = reads[:room]
                db.executemany(
                    "INSERT OR IGNORE INTO reads (uuid, body, image) VALUES (?, ?, ?)",
                    [(u, json.dumps(b, sort_keys=True), img) for u, b, img in kept],
                )
                refused = len(reads) - len(kept)
                if refused:
                    db.execute(
                        "INSERT INTO counters VALUES ('refused', ?) "
                        "ON CONFLICT(name) DO UPDATE SET value = value + excluded.value",
                        (refused,),
                    )
                if done_file is not None:
                    db.execute("INSERT OR REPLACE INTO done_files VALUES (?, NULL)", (done_file,))
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        if refused:
            self._warn_full(refused, waiting)
        return len(kept)

    def _warn_full(self, refused: int, waiting: int) -> None:
        first = self._refused_since_warning == 0
        self._refused_since_warning += refused
        if first or self._refused_since_warning >= self.warn_every:
            log.warning(
                "spool %s is full (%d reads waiting for the node, limit %d): %d new read(s) "
                "were dropped (%d in all); they will not be sent",
                self.path,
                waiting,
                self.max_reads,
                self._refused_since_warning,
                self.refused,
            )
            self._refused_since_warning = 0

    def mark_done(self, name: str, note: str | None = None) -> None:
        """Records that a watched file was handled without reads (none found, or an error)."""
        with self._lock:
            self._db.execute("INSERT OR REPLACE INTO done_files VALUES (?, ?)", (name, note))

    def is_done(self, name: str) -> bool:
        with self._lock:
            row = self._db.execute("SELECT 1 FROM done_files WHERE name = ?", (name,)).fetchone()
        return row is not None

    # -- taking ---------------------------------------------------------------------------------

    def peek(self, limit: int) -> list[Spooled]:
        """The oldest ``limit`` waiting reads, in the order they were spooled."""
        with self._lock:
            rows = self._db.execute(
                "SELECT id, uuid, body, image FROM reads ORDER BY id LIMIT ?", (limit,)
            ).fetchall()
        return [Spooled(i, u, json.loads(b), img) for i, u, b, img in rows]

    def remove(self, ids: Sequence[int]) -> None:
        """Forgets reads the node has taken."""
        with self._lock:
            self._db.executemany("DELETE FROM reads WHERE id = ?", [(i,) for i in ids])

    def reject(self, read: Spooled, reason: str) -> None:
        """Moves a read the node refused as invalid (4xx) aside, so the queue goes on; kept
        (without its image) for the operator to see."""
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            self._db.execute(
                "INSERT OR REPLACE INTO rejected VALUES (?, ?, ?, ?)",
                (read.id, read.uuid, json.dumps(read.body, sort_keys=True), reason[:500]),
            )
            self._db.execute("DELETE FROM reads WHERE id = ?", (read.id,))
            self._db.execute("COMMIT")
        log.warning("the node refused read %s for good: %s", read.uuid, reason[:200])

    # -- figures --------------------------------------------------------------------------------

    def __len__(self) -> int:
        with self._lock:
            return int(self._db.execute("SELECT count(*) FROM reads").fetchone()[0])

    @property
    def refused(self) -> int:
        with self._lock:
            row = self._db.execute("SELECT value FROM counters WHERE name = 'refused'").fetchone()
        return int(row[0]) if row else 0

    def rejected(self) -> list[tuple[str, str]]:
        with self._lock:
            rows = self._db.execute("SELECT uuid, reason FROM rejected ORDER BY id").fetchall()
        return [(u, r) for u, r in rows]
