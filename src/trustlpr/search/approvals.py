"""The supervisor approval queue: searches the policy holds until a supervisor decides.

Pending requests (with their plate and reason) live in ``<data_dir>/approvals.db`` (mode 0600)
only until decided; the decision and its audit entries are what remains.
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..core.clock import iso, parse_utc
from ..core.errors import ConflictError, NotFoundError, StoreError
from ..core.search import SearchRequest
from ..policy import request_from_json, request_to_json

_SCHEMA = """
CREATE TABLE IF NOT EXISTS pending (
    request_id TEXT PRIMARY KEY,
    agency_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    created_at TEXT NOT NULL,
    audit_index INTEGER NOT NULL,
    reasons TEXT NOT NULL,
    request TEXT NOT NULL
);
"""


@dataclass(frozen=True)
class PendingSearch:
    request: SearchRequest
    created_at: datetime
    audit_index: int
    reasons: list[str]

    @property
    def request_id(self) -> str:
        return self.request.id


class ApprovalQueue:
    def __init__(self, path: Path) -> None:
        self._lock = threading.Lock()
        try:
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
            self._db.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open approval queue {path}: {exc}") from exc
        os.chmod(path, 0o600)

    def add(self, request: SearchRequest, audit_index: int, reasons: list[str]) -> None:
        with self._lock:
            try:
                self._db.execute(
                    "INSERT INTO pending VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        request.id,
                        request.requester.agency_id,
                        request.requester.user_id,
                        iso(request.now),
                        audit_index,
                        json.dumps(reasons),
                        json.dumps(request_to_json(request)),
                    ),
                )
            except sqlite3.IntegrityError as exc:
                raise ConflictError(f"search {request.id!r} is already waiting") from exc

    def pending(self, agency_id: str | None = None) -> list[PendingSearch]:
        sql = "SELECT request, created_at, audit_index, reasons FROM pending"
        params: tuple[str, ...] = ()
        if agency_id is not None:
            sql += " WHERE agency_id = ?"
            params = (agency_id,)
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY created_at", params).fetchall()
        return [self._row(r) for r in rows]

    def get(self, request_id: str) -> PendingSearch:
        with self._lock:
            row = self._db.execute(
                "SELECT request, created_at, audit_index, reasons FROM pending "
                "WHERE request_id = ?",
                (request_id,),
            ).fetchone()
        if row is None:
            raise NotFoundError(f"no search {request_id[:60]!r} is waiting for approval")
        return self._row(row)

    def remove(self, request_id: str) -> None:
        with self._lock:
            self._db.execute("DELETE FROM pending WHERE request_id = ?", (request_id,))

    @staticmethod
    def _row(row: tuple[str, str, int, str]) -> PendingSearch:
        return PendingSearch(
            request=request_from_json(json.loads(row[0])),
            created_at=parse_utc(row[1]),
            audit_index=row[2],
            reasons=json.loads(row[3]),
        )

    def close(self) -> None:
        with self._lock:
            self._db.close()
