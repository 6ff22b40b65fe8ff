"""The approval queue: searches the policy holds, from the request until decided and fetched.

``<data_dir>/approvals.db`` holds a held request (its plate or pattern, reason and case) only
as long as it can still run: ``pending`` until a supervisor decides, ``approved`` until its
requester fetches the results (they are judged and run then, never stored), and at most until
``expires_at`` — after which ``expire`` deletes it. A request that would return a protected
plate needs two approvals (``needed``): after the first it stays pending, the approvers and
their signers kept (``approvers``) so the second can be checked against them. A rejected
request keeps only a tombstone without the request (so its requester learns the outcome)
until the same moment.

Deciding is atomic across threads and processes: ``decide`` takes SQLite's write lock
(``BEGIN IMMEDIATE``), checks the request is still pending, records the decision in the
transparency log and commits, so exactly one decision takes effect and only it is logged. The
file is created owner-only (mode 0600 from its first byte), runs WAL with
``synchronous=FULL`` and ``secure_delete``, and its WAL is truncated after anything is erased.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from ..core.errors import ConflictError, NotFoundError, StoreError
from ..core.search import SearchRequest
from ..policy import request_from_json, request_to_json

DB_FILE = "approvals.db"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS held (
    request_id TEXT PRIMARY KEY,
    agency_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    signers TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    audit_index INTEGER NOT NULL,
    reasons TEXT NOT NULL,
    status TEXT NOT NULL,
    decided_at INTEGER,
    decision_index INTEGER,
    request TEXT,
    needed INTEGER NOT NULL DEFAULT 1,
    approvers TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS held_expiry ON held (expires_at);
"""
_ADDED = ("needed INTEGER NOT NULL DEFAULT 1", "approvers TEXT NOT NULL DEFAULT '[]'")
_COLUMNS = (
    "request_id, agency_id, user_id, signers, created_at, expires_at, audit_index, reasons, "
    "status, decided_at, decision_index, request, needed, approvers"
)


class HeldStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"


@dataclass(frozen=True)
class PendingSearch:
    """A held request as the queue keeps it; ``request`` is ``None`` once rejected."""

    request_id: str
    requester_id: str
    agency_id: str
    signers: frozenset[str]
    created_at: datetime
    expires_at: datetime
    audit_index: int
    reasons: list[str]
    status: HeldStatus
    request: SearchRequest | None
    decided_at: datetime | None = None
    decision_index: int | None = None
    needed: int = 1
    approvers: tuple[tuple[str, frozenset[str]], ...] = ()

    def expired(self, now: datetime) -> bool:
        return self.expires_at <= now

    @property
    def cleared_by_two(self) -> bool:
        """Approved by two supervisors: what a search returning protected plates needs."""
        return self.status is HeldStatus.APPROVED and len(self.approvers) >= 2


def _us(moment: datetime) -> int:
    delta = moment.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _dt(value: int) -> datetime:
    return datetime.fromtimestamp(value // 1_000_000, UTC).replace(microsecond=value % 1_000_000)


def _open_private(path: Path) -> None:
    """Creates ``path`` owner-only before SQLite touches it (its WAL and SHM files take the
    database file's mode); an existing file is made owner-only too."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        os.fchmod(fd, 0o600)
    finally:
        os.close(fd)


class ApprovalQueue:
    """Held search requests in one SQLite file; safe to share between threads and processes."""

    def __init__(self, path: Path) -> None:
        self.path = path / DB_FILE if path.is_dir() else path
        self._lock = threading.Lock()
        try:
            _open_private(self.path)
            self._db = sqlite3.connect(
                self.path, check_same_thread=False, isolation_level=None, timeout=30
            )
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA secure_delete=ON")
            self._db.executescript(_SCHEMA)
            have = {row[1] for row in self._db.execute("PRAGMA table_info(held)")}
            for column in _ADDED:
                if column.split()[0] not in have:
                    self._db.execute(f"ALTER TABLE held ADD COLUMN {column}")
            self._adopt_old_queue()
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open approval queue {self.path}: {exc}") from exc

    # -- writing ----------------------------------------------------------------------------

    def add(
        self,
        request: SearchRequest,
        audit_index: int,
        reasons: list[str],
        *,
        signers: frozenset[str],
        expires_at: datetime,
        needed: int = 1,
    ) -> PendingSearch:
        """Keeps a request the policy held; ``signers`` are who could be behind it; ``needed``
        is how many supervisors must approve it (two when it would return protected plates)."""
        row = (
            request.id, request.requester.agency_id, request.requester.user_id,
            json.dumps(sorted(signers | {request.requester.user_id})), _us(request.now),
            _us(expires_at), audit_index, json.dumps(reasons), HeldStatus.PENDING.value, None,
            None, json.dumps(request_to_json(request)), needed, "[]",
        )  # fmt: skip
        with self._transaction() as db:
            try:
                db.execute(f"INSERT INTO held ({_COLUMNS}) VALUES ({', '.join('?' * 14)})", row)
            except sqlite3.IntegrityError as exc:
                raise ConflictError(f"search {request.id!r} is already waiting") from exc
        return self._row(row)

    def decide(
        self,
        request_id: str,
        *,
        approve: bool,
        now: datetime,
        record: Callable[[PendingSearch], int],
        approver: tuple[str, frozenset[str]] | None = None,
        seen_approvals: int = 0,
    ) -> PendingSearch:
        """Atomically turns a pending request into approved or rejected.

        ``record`` logs the decision (returning its audit index) inside the transaction: if
        another decision came first, this one raises ``ConflictError`` before anything is
        logged; if logging fails, nothing changes. A rejected request's details are erased.
        A request that needs two approvals stays pending after the first (``approver``, with
        their signers, is kept); ``seen_approvals`` is how many approvals the caller saw, so
        of two first approvals at once only one counts.
        """
        with self._transaction() as db:
            held = self._get(db, request_id)
            if held.status is not HeldStatus.PENDING:
                raise ConflictError(f"search {request_id!r} was already {held.status.value}")
            if len(held.approvers) != seen_approvals:
                raise ConflictError(f"search {request_id!r} was approved by someone else meanwhile")
            if held.expired(now):
                raise ConflictError(f"search {request_id!r} expired before it was decided")
            if approve and approver is None and held.needed > 1:
                raise ConflictError(f"search {request_id!r} needs its approvers named, one by one")
            index = record(held)
            approvers = list(held.approvers)
            if approve and approver is not None:
                approvers.append(approver)
            final = not approve or len(held.approvers) + 1 >= held.needed
            status = (
                HeldStatus.PENDING
                if not final
                else (HeldStatus.APPROVED if approve else HeldStatus.REJECTED)
            )
            db.execute(
                "UPDATE held SET status = ?, decided_at = ?, decision_index = ?, approvers = ?, "
                "request = CASE WHEN ? THEN request END WHERE request_id = ?",
                (status.value, _us(now), index, _approvers_json(approvers), approve, request_id),
            )
            decided = self._get(db, request_id)
        if not approve:
            self._truncate_wal()
        return decided

    def escalate(self, request_id: str, *, needed: int) -> PendingSearch:
        """An approved request found, when it ran, to return protected plates: it waits again
        until ``needed`` supervisors (the one who approved it counts) approved it."""
        with self._transaction() as db:
            held = self._get(db, request_id)
            if held.status is not HeldStatus.APPROVED:
                raise ConflictError(f"search {request_id!r} is {held.status.value}, not approved")
            db.execute(
                "UPDATE held SET status = ?, needed = ? WHERE request_id = ?",
                (HeldStatus.PENDING.value, max(needed, held.needed), request_id),
            )
            return self._get(db, request_id)

    def expire(self, now: datetime, record: Callable[[PendingSearch], int]) -> list[PendingSearch]:
        """Deletes every request past ``expires_at``; ``record`` logs each one nobody decided
        (before it goes: if logging fails, it stays until the next purge)."""
        with self._transaction() as db:
            rows = db.execute(
                f"SELECT {_COLUMNS} FROM held WHERE expires_at <= ? ORDER BY created_at",
                (_us(now),),
            ).fetchall()
            gone = [self._row(r) for r in rows]
            for held in gone:
                if held.status is HeldStatus.PENDING:
                    record(held)
            db.execute("DELETE FROM held WHERE expires_at <= ?", (_us(now),))
        if gone:
            self._truncate_wal()
        return gone

    # -- reading ----------------------------------------------------------------------------

    def get(self, request_id: str) -> PendingSearch:
        """The held request ``request_id`` in any status; ``NotFoundError`` if there is none."""
        with self._lock:
            return self._get(self._db, request_id)

    def pending(self, now: datetime) -> list[PendingSearch]:
        """Requests waiting for a decision (not expired), oldest first."""
        return self._select("status = ? AND expires_at > ?", (HeldStatus.PENDING.value, _us(now)))

    def of_user(self, user_id: str, now: datetime) -> list[PendingSearch]:
        """One requester's held requests in any status (not expired), oldest first."""
        return self._select("user_id = ? AND expires_at > ?", (user_id, _us(now)))

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- internals --------------------------------------------------------------------------

    def _adopt_old_queue(self) -> None:
        """Requests held by an older release (table ``pending``, no expiry) become expired
        rows, so the next purge logs and deletes them."""
        old = self._db.execute(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'pending'"
        ).fetchone()
        if old is None:
            return
        with self._transaction() as db:
            db.execute(
                f"INSERT OR IGNORE INTO held ({_COLUMNS}) SELECT request_id, agency_id, user_id, "
                "json_array(user_id), 0, 0, audit_index, reasons, 'pending', NULL, NULL, request, "
                "1, '[]' FROM pending"
            )
            db.execute("DROP TABLE pending")
        self._truncate_wal()

    @contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction holding SQLite's write lock from its start (other processes
        wait for it), committed if the block returns and rolled back if it raises."""
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise StoreError(f"approval queue: {exc}") from exc
            try:
                yield self._db
                self._db.execute("COMMIT")
            except BaseException as exc:
                if self._db.in_transaction:
                    self._db.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise StoreError(f"approval queue: {exc}") from exc
                raise

    def _truncate_wal(self) -> None:
        """Erased pages leave the WAL too (``secure_delete`` covers the database file)."""
        with self._lock:
            try:
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.Error as exc:
                raise StoreError(f"approval queue checkpoint: {exc}") from exc

    def _select(self, where: str, params: tuple[object, ...]) -> list[PendingSearch]:
        with self._lock:
            rows = self._db.execute(
                f"SELECT {_COLUMNS} FROM held WHERE {where} ORDER BY created_at", params
            ).fetchall()
        return [self._row(r) for r in rows]

    def _get(self, db: sqlite3.Connection, request_id: str) -> PendingSearch:
        row = db.execute(
            f"SELECT {_COLUMNS} FROM held WHERE request_id = ?", (request_id,)
        ).fetchone()
        if row is None:
            raise NotFoundError(f"no held search {str(request_id)[:64]!r}")
        return self._row(row)

    @staticmethod
    def _row(row: tuple[Any, ...]) -> PendingSearch:
        (request_id, agency_id, user_id, signers, created, expires, audit_index, reasons,
         status, decided, decision_index, request, needed, approvers) = row  # fmt: skip
        return PendingSearch(
            request_id=request_id,
            requester_id=user_id,
            agency_id=agency_id,
            signers=frozenset(json.loads(signers)),
            created_at=_dt(created),
            expires_at=_dt(expires),
            audit_index=audit_index,
            reasons=list(json.loads(reasons)),
            status=HeldStatus(status),
            request=request_from_json(json.loads(request)) if request else None,
            decided_at=_dt(decided) if decided is not None else None,
            decision_index=decision_index,
            needed=needed,
            approvers=tuple((a, frozenset(s)) for a, s in json.loads(approvers)),
        )


def _approvers_json(approvers: list[tuple[str, frozenset[str]]]) -> str:
    return json.dumps([[who, sorted(signers)] for who, signers in approvers])
