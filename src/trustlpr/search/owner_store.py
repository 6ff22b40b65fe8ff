"""Own-vehicle requests as the node keeps them: from intake until answered, refused or lapsed.

``<data_dir>/owner_requests.db`` holds a resident's request (the plate and state they ask
about, what they showed as proof of registration) only while it is open: ``opened`` until a
staff member checks the proof, ``verified`` until a second person approves or refuses. Once
answered or refused the plate, state and proof are erased and a tombstone (status, who, when)
stays until ``expires_at``; ``expire`` then deletes the row, and deletes any request nobody
finished. Each step is one ``BEGIN IMMEDIATE`` transaction that checks the status it expects,
so of two approvals at once exactly one takes effect (and only its search runs). The file is
a :class:`~trustlpr.privatedb.PrivateDB` (owner-only from creation, WAL, ``secure_delete``;
the WAL is truncated after anything is erased).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any

from ..core.errors import ConflictError, NotFoundError
from ..core.plates import mask_plate
from ..privatedb import PrivateDB

DB_FILE = "owner_requests.db"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS owner_requests (
    request_id TEXT PRIMARY KEY,
    status TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    opened_by TEXT NOT NULL,
    verifier TEXT,
    verifier_signers TEXT,
    verified_at INTEGER,
    decided_by TEXT,
    decided_at INTEGER,
    search_id TEXT,
    result_count INTEGER,
    plate TEXT,
    state TEXT,
    proof TEXT
);
CREATE INDEX IF NOT EXISTS owner_requests_expiry ON owner_requests (expires_at);
"""
_COLUMNS = (
    "request_id, status, created_at, expires_at, opened_by, verifier, verifier_signers, "
    "verified_at, decided_by, decided_at, search_id, result_count, plate, state, proof"
)


class OwnerStatus(StrEnum):
    OPENED = "opened"
    VERIFIED = "verified"
    ANSWERED = "answered"
    REFUSED = "refused"


OPEN_STATUSES = frozenset({OwnerStatus.OPENED, OwnerStatus.VERIFIED})


@dataclass(frozen=True)
class OwnerRequest:
    """One request; ``plate``, ``state`` and ``proof`` are ``None`` once it is closed."""

    request_id: str
    status: OwnerStatus
    created_at: datetime
    expires_at: datetime
    opened_by: str
    plate: str | None
    state: str | None
    proof: str | None
    verifier: str | None = None
    verifier_signers: frozenset[str] = frozenset()
    verified_at: datetime | None = None
    decided_by: str | None = None
    decided_at: datetime | None = None
    search_id: str | None = None
    result_count: int | None = None

    def expired(self, now: datetime) -> bool:
        return self.expires_at <= now

    def __repr__(self) -> str:
        return (
            f"OwnerRequest({self.request_id!r}, {self.status.value}, "
            f"plate={mask_plate(self.plate or '')!r})"
        )


def _us(moment: datetime) -> int:
    delta = moment.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _dt(value: int | None) -> datetime | None:
    if value is None:
        return None
    return datetime.fromtimestamp(value // 1_000_000, UTC).replace(microsecond=value % 1_000_000)


class OwnerRequestStore:
    """The open own-vehicle requests of one node, in one private SQLite file."""

    def __init__(self, path: Path) -> None:
        self.path = path / DB_FILE if path.is_dir() else path
        self._file = PrivateDB(self.path, schema=_SCHEMA, label="own-vehicle request database")

    def add(self, request: OwnerRequest, record: Callable[[OwnerRequest], int]) -> OwnerRequest:
        """Keeps a new request; ``record`` logs its intake inside the transaction."""
        with self._file.write() as db:
            db.execute(
                f"INSERT INTO owner_requests ({_COLUMNS}) VALUES ({', '.join('?' * 15)})",
                self._values(request),
            )
            record(request)
        return request

    def change(
        self,
        request_id: str,
        *,
        expect: frozenset[OwnerStatus],
        now: datetime,
        step: Callable[[OwnerRequest], Mapping[str, object]],
    ) -> OwnerRequest:
        """One step of a request, atomically: it must be in ``expect`` and not expired;
        ``step`` checks and logs it (raising leaves everything as it was) and returns the
        columns to set. A closed request loses its plate, state and proof."""
        with self._file.write() as db:
            current = self._get(db, request_id)
            if current.status not in expect:
                raise ConflictError(f"own-vehicle request {request_id!r} is {current.status}")
            if current.expired(now):
                raise ConflictError(f"own-vehicle request {request_id!r} has lapsed")
            columns = dict(step(current))
            if columns.get("status") in (OwnerStatus.ANSWERED, OwnerStatus.REFUSED):
                columns |= {"plate": None, "state": None, "proof": None}
            sets = ", ".join(f"{name} = ?" for name in columns)
            db.execute(
                f"UPDATE owner_requests SET {sets} WHERE request_id = ?",
                (*(self._plain(v) for v in columns.values()), request_id),
            )
            changed = self._get(db, request_id)
        if changed.status not in OPEN_STATUSES:
            self._file.checkpoint()
        return changed

    def expire(self, now: datetime, record: Callable[[OwnerRequest], int]) -> list[OwnerRequest]:
        """Deletes every request past ``expires_at``; ``record`` logs each one left open."""
        with self._file.write() as db:
            rows = db.execute(
                f"SELECT {_COLUMNS} FROM owner_requests WHERE expires_at <= ? ORDER BY created_at",
                (_us(now),),
            ).fetchall()
            gone = [self._row(r) for r in rows]
            for request in gone:
                if request.status in OPEN_STATUSES:
                    record(request)
            db.execute("DELETE FROM owner_requests WHERE expires_at <= ?", (_us(now),))
        if gone:
            self._file.checkpoint()
        return gone

    def get(self, request_id: str) -> OwnerRequest:
        with self._file.read() as db:
            return self._get(db, request_id)

    def open_requests(self, now: datetime) -> list[OwnerRequest]:
        """Requests waiting for a step (not lapsed), oldest first."""
        with self._file.read() as db:
            rows = db.execute(
                f"SELECT {_COLUMNS} FROM owner_requests WHERE status IN (?, ?) AND expires_at > ? "
                "ORDER BY created_at",
                (OwnerStatus.OPENED.value, OwnerStatus.VERIFIED.value, _us(now)),
            ).fetchall()
        return [self._row(r) for r in rows]

    def close(self) -> None:
        self._file.close()

    # -- internals --------------------------------------------------------------------------

    @staticmethod
    def _plain(value: object) -> object:
        if isinstance(value, datetime):
            return _us(value)
        if isinstance(value, frozenset):
            return json.dumps(sorted(value))
        if isinstance(value, StrEnum):
            return value.value
        return value

    def _values(self, r: OwnerRequest) -> tuple[object, ...]:
        return tuple(
            self._plain(v)
            for v in (
                r.request_id, r.status, r.created_at, r.expires_at, r.opened_by, r.verifier,
                r.verifier_signers if r.verifier else None, r.verified_at, r.decided_by,
                r.decided_at, r.search_id, r.result_count, r.plate, r.state, r.proof,
            )
        )  # fmt: skip

    def _get(self, db: sqlite3.Connection, request_id: str) -> OwnerRequest:
        row = db.execute(
            f"SELECT {_COLUMNS} FROM owner_requests WHERE request_id = ?", (request_id,)
        ).fetchone()
        if row is None:
            raise NotFoundError(f"no own-vehicle request {str(request_id)[:64]!r}")
        return self._row(row)

    @staticmethod
    def _row(row: tuple[Any, ...]) -> OwnerRequest:
        (request_id, status, created, expires, opened_by, verifier, signers, verified_at,
         decided_by, decided_at, search_id, result_count, plate, state, proof) = row  # fmt: skip
        created_at, expires_at = _dt(created), _dt(expires)
        assert created_at is not None and expires_at is not None
        return OwnerRequest(
            request_id=request_id,
            status=OwnerStatus(status),
            created_at=created_at,
            expires_at=expires_at,
            opened_by=opened_by,
            plate=plate,
            state=state,
            proof=proof,
            verifier=verifier,
            verifier_signers=frozenset(json.loads(signers)) if signers else frozenset(),
            verified_at=_dt(verified_at),
            decided_by=decided_by,
            decided_at=_dt(decided_at),
            search_id=search_id,
            result_count=result_count,
        )
