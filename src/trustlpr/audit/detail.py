"""The auditors' detail store: the private half of each entry, kept off the public log.

``detail.db`` (SQLite, mode 0600) maps a log index to the salt, the exact private JSON that was
committed to, the exact event time and type. Rows are committed (fsync'd, ``synchronous=FULL``)
*before* the public leaf is appended, so every durable leaf can be opened; rows left behind by a
crash between the two steps have no leaf and are dropped when the log reopens.
Only auditors may read it: the library exposes it, the faces must check the role.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.errors import AuditError, NotFoundError, VerificationError
from .leaf import PreparedEntry, commitment, parse_leaf

_SCHEMA = """
CREATE TABLE IF NOT EXISTS detail (
    idx INTEGER PRIMARY KEY,
    type TEXT NOT NULL,
    agency TEXT,
    at TEXT NOT NULL,
    salt BLOB NOT NULL,
    private BLOB NOT NULL
)
"""


@dataclass(frozen=True, slots=True)
class Detail:
    """The private side of entry ``index``: open its commitment with :meth:`check`."""

    index: int
    type: str
    agency: str | None
    at: str
    salt: bytes
    private_json: bytes

    @property
    def private(self) -> dict[str, Any]:
        value = json.loads(self.private_json.decode("utf-8"))
        return value if isinstance(value, dict) else {}

    def check(self, leaf: bytes) -> None:
        """Raises ``VerificationError`` unless this detail opens the leaf's commitment."""
        if parse_leaf(leaf).get("commitment") != commitment(self.salt, self.private_json):
            raise VerificationError(f"entry {self.index}: detail does not match its commitment")

    def __repr__(self) -> str:  # the private part is personal data
        return f"Detail(index={self.index}, type={self.type!r}, agency={self.agency!r})"


class DetailStore:
    """SQLite rows keyed by log index; the log serialises writers, a lock guards the handle."""

    def __init__(self, path: Path, *, readonly: bool = False) -> None:
        self._lock = threading.Lock()
        try:
            if readonly:
                if not path.exists():
                    raise NotFoundError(f"no audit detail store at {path}")
                self._db = sqlite3.connect(
                    f"file:{path}?mode=ro", uri=True, check_same_thread=False
                )
            else:
                os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
                os.chmod(path, 0o600)
                self._db = sqlite3.connect(path, check_same_thread=False)
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("PRAGMA synchronous=FULL")
                self._db.execute(_SCHEMA)
                self._db.commit()
        except (sqlite3.Error, OSError) as exc:
            raise AuditError(f"cannot open the audit detail store {path}: {exc}") from exc

    def insert_many(self, start: int, entries: Sequence[PreparedEntry]) -> None:
        """Stores the detail of entries ``start, start+1, …`` durably, all or nothing."""
        rows = [
            (start + i, e.event_type, e.agency, e.at, e.salt, e.private_json)
            for i, e in enumerate(entries)
        ]
        with self._lock:
            try:
                with self._db:
                    self._db.executemany("INSERT INTO detail VALUES (?, ?, ?, ?, ?, ?)", rows)
            except sqlite3.Error as exc:
                raise AuditError(f"cannot store audit detail: {exc}") from exc

    def drop_from(self, index: int) -> int:
        """Deletes rows at ``index`` and after (a crash left them without a leaf)."""
        with self._lock:
            try:
                with self._db:
                    return self._db.execute("DELETE FROM detail WHERE idx >= ?", (index,)).rowcount
            except sqlite3.Error as exc:
                raise AuditError(f"cannot trim the audit detail store: {exc}") from exc

    def get(self, index: int) -> Detail:
        """The detail of one entry; ``NotFoundError`` if there is none."""
        with self._lock:
            try:
                row = self._db.execute(
                    "SELECT idx, type, agency, at, salt, private FROM detail WHERE idx = ?",
                    (index,),
                ).fetchone()
            except sqlite3.Error as exc:
                raise AuditError(f"cannot read the audit detail store: {exc}") from exc
        if row is None:
            raise NotFoundError(f"no audit detail for entry {index}")
        return Detail(*row)

    def iter_range(self, start: int, end: int, batch: int = 5000) -> Iterator[Detail]:
        """Details with index in ``[start, end)``, in index order (gaps are simply absent)."""
        position = start
        while position < end:
            with self._lock:
                try:
                    rows = self._db.execute(
                        "SELECT idx, type, agency, at, salt, private FROM detail"
                        " WHERE idx >= ? AND idx < ? ORDER BY idx LIMIT ?",
                        (position, end, batch),
                    ).fetchall()
                except sqlite3.Error as exc:
                    raise AuditError(f"cannot read the audit detail store: {exc}") from exc
            if not rows:
                return
            for row in rows:
                yield Detail(*row)
            position = rows[-1][0] + 1

    def iter_salts(self, start: int, end: int, batch: int = 20000) -> Iterator[tuple[int, bytes]]:
        """``(index, SHA-256(salt || private JSON))`` in index order: what ``verify`` needs."""
        position = start
        while position < end:
            with self._lock:
                try:
                    rows = self._db.execute(
                        "SELECT idx, salt, private FROM detail"
                        " WHERE idx >= ? AND idx < ? ORDER BY idx LIMIT ?",
                        (position, end, batch),
                    ).fetchall()
                except sqlite3.Error as exc:
                    raise AuditError(f"cannot read the audit detail store: {exc}") from exc
            if not rows:
                return
            for index, salt, private in rows:
                yield index, hashlib.sha256(salt + private).digest()
            position = rows[-1][0] + 1

    def close(self) -> None:
        with self._lock:
            try:
                self._db.close()
            except sqlite3.Error as exc:
                raise AuditError(f"cannot close the audit detail store: {exc}") from exc
