"""The auditors' detail store: the private half of each entry, kept off the public log.

``detail.db`` (a private SQLite file, ``trustlpr.privatedb``) maps a log index to the salt, the
exact private JSON that was committed to, the exact event time and type. Rows are committed
(fsync'd, ``synchronous=FULL``) *before* the public leaf is appended, so every durable leaf can
be opened; rows left behind by a crash between the two steps have no leaf and are dropped when
the log reopens. Only auditors may read it: the library exposes it, the faces must check the role.

A detail that describes a read (an alert's plate, camera and time) must not outlive the read.
Such a detail is stored **sealed**: AES-GCM under a key derived from the read's own (class,
day) key, which a :class:`DetailKeys` provider hands over (the key ring, passed in by the
composition root: audit does not know the read store). When the read store destroys that day
key, the detail can no longer be opened by anyone; at every purge :meth:`DetailStore.shred`
also empties sealed details whose read has passed its cutoff, so retention holds to the purge
interval within the boundary day too. The public leaf keeps its commitment either way: the log
still verifies, and the entry reports that its detail was destroyed with its day key.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import logging
import os
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ..core.errors import (
    AuditError,
    ConflictError,
    KeyDestroyedError,
    NotFoundError,
    VerificationError,
)
from ..privatedb import PrivateDB
from .leaf import PreparedEntry, commitment, micros, parse_leaf

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
# Added to stores made before details were sealed; ``private`` of a shredded row is empty.
_SEAL_COLUMNS = {"sealed_with": "TEXT", "read_t": "INTEGER", "nonce": "BLOB"}
_SEAL_INDEX = "CREATE INDEX IF NOT EXISTS detail_reads ON detail (read_t) WHERE read_t IS NOT NULL"
_log = logging.getLogger(__name__)


class DetailKeys(Protocol):
    """Where sealing keys come from: the key of a read's day, by its key id ``hit:YYYY-MM-DD``.

    Raises ``KeyDestroyedError`` once that day's key was destroyed; ``create`` makes the day's
    keys if the read is only just being stored (an alert is logged as its read is written).
    """

    def detail_aead(self, key_id: str, *, create: bool = False) -> AESGCM: ...


class DetailState(StrEnum):
    OPEN = "open"  # the private JSON is here, in clear or unsealed with its day key
    DESTROYED = "destroyed"  # sealed with a read's day key that is gone, or shredded at purge
    SEALED = "sealed"  # sealed, and this store was opened without the node's keys
    BROKEN = "broken"  # sealed, and it fails authentication: tampered or moved (verify only)


@dataclass(frozen=True, slots=True)
class Detail:
    """The private side of entry ``index``: open its commitment with :meth:`check`."""

    index: int
    type: str
    agency: str | None
    at: str
    salt: bytes
    private_json: bytes
    sealed_with: str | None = None
    state: DetailState = DetailState.OPEN

    @property
    def private(self) -> dict[str, Any]:
        """The private part; empty when it was destroyed with its read (or is still sealed)."""
        if self.state is not DetailState.OPEN:
            return {}
        value = json.loads(self.private_json.decode("utf-8"))
        return value if isinstance(value, dict) else {}

    @property
    def destroyed(self) -> bool:
        return self.state is DetailState.DESTROYED

    def check(self, leaf: bytes) -> None:
        """Raises ``VerificationError`` unless this detail opens the leaf's commitment.

        A destroyed detail has nothing left to open: the leaf's commitment stands, unopenable,
        as intended. A sealed one cannot be checked without the node's keys.
        """
        if self.state is DetailState.SEALED:
            raise AuditError(
                f"entry {self.index}: its detail is sealed with day key {self.sealed_with}; "
                "open the log with the node's keys to read it"
            )
        if self.state is DetailState.DESTROYED:
            return
        if parse_leaf(leaf).get("commitment") != commitment(self.salt, self.private_json):
            raise VerificationError(f"entry {self.index}: detail does not match its commitment")

    def __repr__(self) -> str:  # the private part is personal data
        return f"Detail(index={self.index}, type={self.type!r}, state={self.state.value!r})"


def _aad(index: int, key_id: str) -> bytes:
    return f"trustlpr/detail|{index}|{key_id}".encode()


_Row = tuple[int, str, str | None, str, bytes, bytes, str | None, bytes | None]


class DetailStore:
    """Detail rows keyed by log index; the log serialises writers, a lock guards the handle.

    ``keys`` seal and open the details that describe a read; without them such a detail is
    not kept at all (never in clear) and sealed rows are reported as sealed.
    """

    def __init__(
        self, path: Path, *, readonly: bool = False, keys: DetailKeys | None = None
    ) -> None:
        if readonly and not path.exists():
            raise NotFoundError(f"no audit detail store at {path}")
        self._keys = keys
        self._db = PrivateDB(
            path,
            schema="" if readonly else _SCHEMA,
            label="audit detail store",
            error=AuditError,
            readonly=readonly,
        )
        columns = {row[1] for row in self._db.query("PRAGMA table_info(detail)")}
        if not readonly:
            with self._db.write() as conn:
                for name, kind in _SEAL_COLUMNS.items():
                    if name not in columns:
                        conn.execute(f"ALTER TABLE detail ADD COLUMN {name} {kind}")
                conn.execute(_SEAL_INDEX)
            columns |= set(_SEAL_COLUMNS)
        sealed = "sealed_with, nonce" if "sealed_with" in columns else "NULL, NULL"
        self._select = f"SELECT idx, type, agency, at, salt, private, {sealed} FROM detail"
        self._select_digest = f"SELECT idx, salt, private, {sealed.split(',')[0]} FROM detail"

    # -- writing ------------------------------------------------------------------------

    def insert_many(self, start: int, entries: Sequence[PreparedEntry]) -> None:
        """Stores the detail of entries ``start, start+1, …`` durably, all or nothing."""
        rows = [self._row(start + i, e) for i, e in enumerate(entries)]
        try:
            with self._db.write() as conn:
                conn.executemany(
                    "INSERT INTO detail (idx, type, agency, at, salt, private, sealed_with, "
                    "read_t, nonce) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    rows,
                )
        except ConflictError as exc:
            raise AuditError(f"cannot store audit detail: {exc.message}") from exc

    def _row(self, index: int, entry: PreparedEntry) -> tuple[Any, ...]:
        head = (index, entry.event_type, entry.agency, entry.at, entry.salt)
        key_id = entry.sealed_with
        if key_id is None:
            return (*head, entry.private_json, None, None, None)
        try:
            if self._keys is None:
                raise KeyDestroyedError("no key provider")
            aead = self._keys.detail_aead(key_id, create=True)
        except KeyDestroyedError as exc:
            # The read's day is already gone (or there is no key to seal with): its detail
            # is not kept, rather than kept in clear. The public leaf still commits to it.
            _log.warning("detail of entry %d not kept: %s", index, exc.message)
            return (*head, b"", key_id, None, None)
        nonce = os.urandom(12)
        sealed = aead.encrypt(nonce, entry.private_json, _aad(index, key_id))
        return (*head, sealed, key_id, entry.read_us, nonce)

    def drop_from(self, index: int) -> int:
        """Deletes rows at ``index`` and after (a crash left them without a leaf)."""
        with self._db.write() as conn:
            return int(conn.execute("DELETE FROM detail WHERE idx >= ?", (index,)).rowcount)

    def shred(self, before: Mapping[str, datetime]) -> int:
        """Empties every sealed detail whose read (of class ``c``) was observed before
        ``before[c]``; returns how many. Zeroed in the file (``secure_delete``) and the WAL."""
        shredded = 0
        with self._db.write() as conn:
            for retention, cutoff in before.items():
                shredded += conn.execute(
                    "UPDATE detail SET private = x'', nonce = NULL, read_t = NULL "
                    "WHERE read_t IS NOT NULL AND read_t < ? AND sealed_with LIKE ?",
                    (micros(cutoff), f"{retention}:%"),
                ).rowcount
        if shredded:
            self._db.checkpoint()
        return int(shredded)

    # -- reading ------------------------------------------------------------------------

    def _detail(self, row: _Row) -> Detail:
        index, kind, agency, at, salt, private, key_id, nonce = row
        if key_id is None:
            return Detail(index, kind, agency, at, salt, private)
        if not private or nonce is None:
            return Detail(index, kind, agency, at, salt, b"", key_id, DetailState.DESTROYED)
        if self._keys is None:
            return Detail(index, kind, agency, at, salt, b"", key_id, DetailState.SEALED)
        try:
            aead = self._keys.detail_aead(key_id)
        except KeyDestroyedError:
            return Detail(index, kind, agency, at, salt, b"", key_id, DetailState.DESTROYED)
        try:
            clear = aead.decrypt(nonce, private, _aad(index, key_id))
        except InvalidTag as exc:
            raise VerificationError(
                f"entry {index}: its sealed detail does not open with its day key (tampered "
                "or moved)"
            ) from exc
        return Detail(index, kind, agency, at, salt, clear, key_id)

    def get(self, index: int) -> Detail:
        """The detail of one entry; ``NotFoundError`` if there is none."""
        rows = self._db.query(f"{self._select} WHERE idx = ?", (index,))
        if not rows:
            raise NotFoundError(f"no audit detail for entry {index}")
        return self._detail(rows[0])

    def _rows(self, start: int, end: int, batch: int) -> Iterator[_Row]:
        position = start
        while position < end:
            rows = self._db.query(
                f"{self._select} WHERE idx >= ? AND idx < ? ORDER BY idx LIMIT ?",
                (position, end, batch),
            )
            if not rows:
                return
            yield from rows
            position = rows[-1][0] + 1

    def iter_range(self, start: int, end: int, batch: int = 5000) -> Iterator[Detail]:
        """Details with index in ``[start, end)``, in index order (gaps are simply absent)."""
        for row in self._rows(start, end, batch):
            yield self._detail(row)

    def iter_digests(
        self, start: int, end: int, batch: int = 20000
    ) -> Iterator[tuple[int, bytes | None, DetailState]]:
        """``(index, SHA-256(salt || private JSON), state)`` in index order: what ``verify``
        needs. The digest is None for a detail that is destroyed or cannot be opened here, and
        empty for a sealed detail that fails authentication (state ``broken``)."""
        return itertools.chain.from_iterable(self.iter_digest_batches(start, end, batch))

    def iter_digest_batches(
        self, start: int, end: int, batch: int = 20000
    ) -> Iterator[list[tuple[int, bytes | None, DetailState]]]:
        """``iter_digests`` as one list per query: unsealed rows (the common case) are hashed
        in one comprehension, without a generator step per row."""
        sha256, opened = hashlib.sha256, DetailState.OPEN
        where = "WHERE idx >= ? AND idx < ? ORDER BY idx LIMIT ?"
        position = start
        while position < end:
            rows = self._db.query(f"{self._select_digest} {where}", (position, end, batch))
            if not rows:
                return
            if all(row[3] is None for row in rows):  # no sealed row: idx, salt, private
                yield [(row[0], sha256(row[1] + row[2]).digest(), opened) for row in rows]
            else:
                full = self._db.query(f"{self._select} {where}", (position, end, batch))
                yield [self._digest(row) for row in full]
            position = rows[-1][0] + 1

    def _digest(self, row: _Row) -> tuple[int, bytes | None, DetailState]:
        if row[6] is None:
            return row[0], hashlib.sha256(row[4] + row[5]).digest(), DetailState.OPEN
        try:
            found = self._detail(row)
        except VerificationError:
            return row[0], b"", DetailState.BROKEN
        if found.state is DetailState.OPEN:
            return (
                found.index,
                hashlib.sha256(found.salt + found.private_json).digest(),
                found.state,
            )
        return found.index, None, found.state

    def close(self) -> None:
        self._db.close()
