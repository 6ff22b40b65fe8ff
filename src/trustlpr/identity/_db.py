"""The identity database: one owner-only SQLite file, its schema, and what every part shares.

Identity changes are rare and must not be lost, so the file runs with ``synchronous=FULL``. A
lock serialises access because the web face calls the store from several threads. Times are
stored as integer microseconds since the epoch so that SQL comparisons order them correctly.
Every change is audited inside its transaction: if the audit sink refuses the event, the change
is rolled back, so nothing changes unseen.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..core.clock import Clock
from ..core.errors import AuthError, ForbiddenError
from ..core.events import AuditEvent, AuditSink, EventType, PublicValue
from ..core.identity import Agency, AgencyType, Role, User
from ..privatedb import PrivateDB

_SCHEMA = """
CREATE TABLE IF NOT EXISTS agencies (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    state TEXT NOT NULL,
    type TEXT NOT NULL,
    created_at INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS users (
    id TEXT PRIMARY KEY,
    agency_id TEXT NOT NULL REFERENCES agencies (id),
    role TEXT NOT NULL,
    name TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1,
    password_hash TEXT,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until INTEGER,
    last_login_at INTEGER,
    admin_granted_by TEXT,
    admin_granted_at INTEGER,
    created_at INTEGER NOT NULL,
    created_by TEXT,
    password_set_by TEXT,
    password_signers TEXT
);
CREATE TABLE IF NOT EXISTS credentials (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    user_id TEXT NOT NULL REFERENCES users (id),
    hash TEXT NOT NULL,
    label TEXT NOT NULL DEFAULT '',
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    revoked_at INTEGER,
    last_used_at INTEGER,
    issued_by TEXT,
    signers TEXT
);
CREATE INDEX IF NOT EXISTS credentials_user ON credentials (user_id, kind);
CREATE TABLE IF NOT EXISTS sharing_versions (
    agreement_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    owner_agency_id TEXT NOT NULL REFERENCES agencies (id),
    grantee_agency_id TEXT REFERENCES agencies (id),
    grantee_state TEXT,
    purposes TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    attestation TEXT,
    status TEXT NOT NULL,
    base_version INTEGER,
    proposed_by TEXT NOT NULL,
    proposed_at INTEGER NOT NULL,
    proposed_signers TEXT,
    decided_by TEXT,
    decided_at INTEGER,
    effective_from INTEGER,
    ended_at INTEGER,
    PRIMARY KEY (agreement_id, version)
);
CREATE INDEX IF NOT EXISTS sharing_owner ON sharing_versions (owner_agency_id, status);
CREATE TABLE IF NOT EXISTS sharing_history (
    seq INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    agreement_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    owner_agency_id TEXT NOT NULL,
    action TEXT NOT NULL,
    public TEXT NOT NULL,
    actor_id TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS links (
    seq INTEGER PRIMARY KEY,
    subject TEXT NOT NULL,
    actor TEXT NOT NULL,
    kind TEXT NOT NULL,
    at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS links_subject ON links (subject);
CREATE TABLE IF NOT EXISTS admin_grants (
    seq INTEGER PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL,
    role_before TEXT,
    proposed_by TEXT NOT NULL,
    proposed_signers TEXT NOT NULL,
    proposed_at INTEGER NOT NULL,
    status TEXT NOT NULL,
    decided_by TEXT,
    decided_at INTEGER
);
CREATE UNIQUE INDEX IF NOT EXISTS admin_grants_pending ON admin_grants (user_id)
    WHERE status = 'pending';
CREATE TABLE IF NOT EXISTS node_state (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
"""

_ADDED_COLUMNS = {
    "users": ("created_by TEXT", "password_set_by TEXT", "password_signers TEXT"),
    "credentials": ("issued_by TEXT", "signers TEXT"),
    "sharing_versions": ("proposed_signers TEXT",),
}
"""Columns added since the first release: an older ``identity.db`` gains them when opened."""

BOOTSTRAP_ACTOR = "bootstrap"
"""Who acted, in the private audit detail, when the first administrator was not yet there."""


def to_us(moment: datetime) -> int:
    """An aware datetime as integer microseconds since the epoch (sortable in SQL)."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime")
    delta = moment.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_us(value: int) -> datetime:
    return datetime.fromtimestamp(value // 1_000_000, UTC).replace(microsecond=value % 1_000_000)


def opt_dt(value: int | None) -> datetime | None:
    return None if value is None else from_us(value)


def agency_from_row(row: sqlite3.Row) -> Agency:
    return Agency(id=row["id"], name=row["name"], state=row["state"], type=AgencyType(row["type"]))


def user_from_row(row: sqlite3.Row) -> User:
    return User(
        id=row["id"],
        agency_id=row["agency_id"],
        role=Role(row["role"]),
        name=row["name"],
        active=bool(row["active"]),
    )


def _add_missing_columns(conn: sqlite3.Connection) -> None:
    for table, columns in _ADDED_COLUMNS.items():
        have = {row[1] for row in conn.execute(f"PRAGMA table_info({table})")}
        for column in columns:
            if column.split()[0] not in have:
                conn.execute(f"ALTER TABLE {table} ADD COLUMN {column}")


class IdentityDB(PrivateDB):
    """The ``identity.db`` file: private from creation, durable, used under one lock
    (``trustlpr.privatedb``); ``write()`` is one atomic change, ``read()`` a few consistent
    reads, ``query()`` one statement's rows."""

    def __init__(self, path: Path) -> None:
        super().__init__(
            path, schema=_SCHEMA, label="identity database", foreign_keys=True, named_rows=True
        )
        with self.write() as conn:
            _add_missing_columns(conn)


class StoreBase:
    """What the identity parts share: the database, the audit sink and the clock."""

    def __init__(self, db: IdentityDB, audit: AuditSink, clock: Clock) -> None:
        self._db = db
        self._audit = audit
        self._clock = clock

    def _now(self) -> datetime:
        return self._clock().astimezone(UTC)

    def _emit(
        self,
        type_: EventType,
        agency_id: str | None,
        public: Mapping[str, PublicValue],
        private: Mapping[str, Any],
        at: datetime,
    ) -> None:
        """Appends the event; called inside the change's transaction so a refusal undoes it."""
        self._audit.append(
            AuditEvent(type=type_, at=at, agency_id=agency_id, public=public, private=private)
        )

    @staticmethod
    def _acting(conn: sqlite3.Connection, actor: User | None) -> User | None:
        """The actor as stored now (role and active flag re-read, never trusted from the caller).

        ``None`` acts only while the node has no active administrator (first set-up).
        """
        if actor is None:
            admins = conn.execute(
                "SELECT COUNT(*) FROM users WHERE role = ? AND active = 1", (Role.ADMIN.value,)
            ).fetchone()[0]
            if admins:
                raise ForbiddenError("an administrator's credentials are required for this change")
            return None
        row = conn.execute("SELECT * FROM users WHERE id = ?", (actor.id,)).fetchone()
        if row is None:
            raise AuthError("the acting user does not exist")
        current = replace(user_from_row(row), credential=actor.credential)
        if not current.active:
            raise ForbiddenError("the acting user is disabled")
        return current

    @classmethod
    def _acting_user(cls, conn: sqlite3.Connection, actor: User) -> User:
        """Like ``_acting`` for changes that always need a signed-in user."""
        current = cls._acting(conn, actor)
        if current is None:
            raise ForbiddenError("a signed-in user is required for this change")
        return current


def actor_id(actor: User | None) -> str:
    return BOOTSTRAP_ACTOR if actor is None else actor.id
