"""The protected-plates registry: plates an agency protects, changed only by two admins.

An admin proposes an entry (plate, category, expiry, review date, note); it protects nothing
until a second admin of the agency, independent of the proposer by the same two-person check
that sharing agreements and admin grants use (``trustlpr.identity.independence``), approves
it. Removing an entry early takes two admins too: it gives reads back to searches. Entries end
by themselves at their expiry (``expire``, from the node's purge). An ended entry's sealed part
and blind index are erased from ``protected.db`` and its WAL; a tombstone keeps the dates.

The public log sees only counts (``protected_changed``): the action, the entry's random id and
how many entries of each category are in force; never a plate, a note or who acted (the
private part names the actors). Reads dropped because of a ``not_recorded`` entry are counted
per UTC day and published once the day is over (``publish_counts``), so no count marks the
moment a protected car passed a camera.

Lookups (``not_recorded``, ``handling_of``) run on every ingest batch and search against an
in-memory map of the active entries' confusion classes; nothing of it is written anywhere.
"""

from __future__ import annotations

import secrets
import sqlite3
import threading
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Protocol

from ..core.clock import Clock, parse_utc, system_clock
from ..core.errors import ConflictError, InputError, NotFoundError
from ..core.events import AuditEvent, AuditSink, EventType, PublicValue
from ..core.identity import User
from ..core.plates import confusion_key, normalize_plate, normalize_region
from ..core.protected import ProtectedCategory, ProtectedHandling
from ..core.reads import Read
from ..identity.admin_grants import PROPOSAL_TTL
from ..identity.roles import require_admin
from ..keys import StandingKeys
from ..privatedb import PrivateDB
from .entry import (
    ENDED,
    EntryStatus,
    ProtectedEntry,
    Secret,
    plate_index,
    seal,
    unseal,
)

DB_FILE = "protected.db"
MAX_TERM = timedelta(days=5 * 366)
DEFAULT_REVIEW = timedelta(days=365)
MAX_NOTE = 300
_WHAT_ADD = "protecting a plate"
_WHAT_REMOVE = "removing a plate's protection"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS entries (
    id TEXT PRIMARY KEY,
    agency_id TEXT NOT NULL,
    plate_index INTEGER,
    sealed BLOB,
    category TEXT NOT NULL,
    status TEXT NOT NULL,
    expires_at INTEGER NOT NULL,
    review_at INTEGER NOT NULL,
    proposed_by TEXT NOT NULL,
    proposed_signers TEXT NOT NULL,
    proposed_at INTEGER NOT NULL,
    decided_by TEXT,
    decided_at INTEGER,
    removal_by TEXT,
    removal_signers TEXT,
    removal_at INTEGER
);
CREATE INDEX IF NOT EXISTS entries_index ON entries (plate_index);
CREATE TABLE IF NOT EXISTS dropped (
    day TEXT PRIMARY KEY,
    count INTEGER NOT NULL,
    published INTEGER NOT NULL DEFAULT 0
);
"""


class People(Protocol):
    """What the registry needs of the identity store (``IdentityStore``): accounts as they
    are now, and the two-person check every two-person rule uses."""

    def user(self, user_id: str) -> User: ...

    def signers(self, user: User) -> frozenset[str]: ...

    def require_independent(
        self, first_user_id: str, first_signers: frozenset[str], second: User, *, what: str
    ) -> None: ...


def _us(moment: datetime) -> int:
    delta = moment.astimezone(UTC) - datetime(1970, 1, 1, tzinfo=UTC)
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _dt(value: int) -> datetime:
    return datetime.fromtimestamp(value // 1_000_000, UTC).replace(microsecond=value % 1_000_000)


def _signers_text(signers: frozenset[str]) -> str:
    return ",".join(sorted(signers))


def _signers(text: str | None, holder: str) -> frozenset[str]:
    return frozenset(s for s in (text or "").split(",") if s) | {holder}


class ProtectedPlates:
    """The registry of one agency (the node's owner) in ``<data_dir>/protected.db``."""

    def __init__(
        self,
        path: Path,
        keys: StandingKeys,
        *,
        agency_id: str,
        people: People,
        audit: AuditSink,
        handling: Mapping[ProtectedCategory, ProtectedHandling],
        clock: Clock = system_clock,
    ) -> None:
        self._db = PrivateDB(
            path / DB_FILE if path.is_dir() else path,
            schema=_SCHEMA,
            label="protected-plates registry",
            named_rows=True,
        )
        self._keys = keys
        self._agency = agency_id
        self._people = people
        self._audit = audit
        self._handling = dict(handling)
        self._clock = clock
        self._lock = threading.Lock()
        self._active: dict[str, list[tuple[ProtectedCategory, datetime]]] = {}
        self._reload()

    # -- changes (two admins) -------------------------------------------------------------

    def propose(
        self,
        plate: str,
        *,
        category: ProtectedCategory | str,
        expires_at: datetime | str,
        actor: User,
        review_at: datetime | str | None = None,
        state: str | None = None,
        note: str = "",
    ) -> ProtectedEntry:
        """Proposes protecting ``plate``; nothing is protected until another admin approves."""
        acting = self._admin(actor)
        now = self._now()
        secret = Secret(normalize_plate(plate), self._state(state), self._note(note))
        kind = self._category(category)
        expiry = self._future(expires_at, now, "expires_at")
        if expiry - now > MAX_TERM:
            raise InputError("an entry runs at most 5 years; renew it", field="expires_at")
        review = (
            min(expiry, now + DEFAULT_REVIEW)
            if review_at is None
            else self._future(review_at, now, "review_at")
        )
        if review > expiry:
            raise InputError("the review date must not be after the expiry", field="review_at")
        entry_id = f"prt-{secrets.token_hex(5)}"
        index = plate_index(self._keys, secret.plate)
        with self._db.write() as conn:
            clash = conn.execute(
                "SELECT id FROM entries WHERE agency_id = ? AND plate_index = ? AND status IN "
                "('pending', 'active')",
                (self._agency, index),
            ).fetchone()
            if clash:
                raise ConflictError(f"entry {clash[0]} already covers this plate (or a look-alike)")
            conn.execute(
                "INSERT INTO entries (id, agency_id, plate_index, sealed, category, status, "
                "expires_at, review_at, proposed_by, proposed_signers, proposed_at) VALUES "
                "(?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?, ?)",
                (entry_id, self._agency, index, seal(self._keys, entry_id, secret), kind.value,
                 _us(expiry), _us(review), acting.id,
                 _signers_text(self._people.signers(actor)), _us(now)),
            )  # fmt: skip
            self._record(conn, "proposed", entry_id, kind, acting, now)
            return self._entry(conn, entry_id)

    def propose_removal(self, entry_id: str, *, actor: User) -> ProtectedEntry:
        """Proposes ending an active entry before its expiry; a second admin must approve."""
        acting = self._admin(actor)
        now = self._now()
        with self._db.write() as conn:
            row = self._row(conn, entry_id)
            if row["status"] != EntryStatus.ACTIVE.value:
                raise ConflictError(f"entry {entry_id} is not in force ({row['status']})")
            if row["removal_by"] is not None:
                raise ConflictError(f"a removal of {entry_id} is already waiting")
            conn.execute(
                "UPDATE entries SET removal_by = ?, removal_signers = ?, removal_at = ? "
                "WHERE id = ?",
                (acting.id, _signers_text(self._people.signers(actor)), _us(now), entry_id),
            )
            self._record(conn, "removal_proposed", entry_id, row["category"], acting, now)
            return self._entry(conn, entry_id)

    def approve(self, entry_id: str, *, actor: User) -> ProtectedEntry:
        """Approves the waiting proposal of ``entry_id`` (an addition or a removal): the
        approver is an admin of the agency independent of the proposer."""
        acting = self._admin(actor)
        now = self._now()
        with self._db.write() as conn:
            row = self._row(conn, entry_id)
            removal = row["status"] == EntryStatus.ACTIVE.value and row["removal_by"] is not None
            if row["status"] != EntryStatus.PENDING.value and not removal:
                raise NotFoundError(f"{entry_id} has no proposal waiting")
            by, signers, at = (
                (row["removal_by"], row["removal_signers"], row["removal_at"])
                if removal
                else (row["proposed_by"], row["proposed_signers"], row["proposed_at"])
            )
            self._people.require_independent(
                by, _signers(signers, by), actor, what=_WHAT_REMOVE if removal else _WHAT_ADD
            )
            if now - _dt(at) > PROPOSAL_TTL:
                raise ConflictError("the proposal is older than 14 days; reject it, propose again")
            if removal:
                self._end(conn, entry_id, EntryStatus.REMOVED, acting, now)
                action = "removed"
            else:
                if _dt(row["expires_at"]) <= now:
                    raise ConflictError("the proposed expiry has passed; reject it, propose again")
                conn.execute(
                    "UPDATE entries SET status = 'active', decided_by = ?, decided_at = ? "
                    "WHERE id = ?",
                    (acting.id, _us(now), entry_id),
                )
                action = "approved"
            self._record(conn, action, entry_id, row["category"], acting, now, two_person=True)
            entry = self._entry(conn, entry_id)
        self._after_change(erased=removal)
        return entry

    def reject(self, entry_id: str, *, actor: User) -> ProtectedEntry:
        """Refuses (or, by its proposer, withdraws) the waiting proposal of ``entry_id``."""
        acting = self._admin(actor)
        now = self._now()
        with self._db.write() as conn:
            row = self._row(conn, entry_id)
            if row["status"] == EntryStatus.PENDING.value:
                self._end(conn, entry_id, EntryStatus.REJECTED, acting, now)
                action, erased = "rejected", True
            elif row["status"] == EntryStatus.ACTIVE.value and row["removal_by"] is not None:
                conn.execute(
                    "UPDATE entries SET removal_by = NULL, removal_signers = NULL, "
                    "removal_at = NULL WHERE id = ?",
                    (entry_id,),
                )
                action, erased = "removal_rejected", False
            else:
                raise NotFoundError(f"{entry_id} has no proposal waiting")
            self._record(conn, action, entry_id, row["category"], acting, now)
            entry = self._entry(conn, entry_id)
        self._after_change(erased=erased)
        return entry

    def expire(self, now: datetime | None = None) -> int:
        """Ends every entry past its expiry and every proposal past ``PROPOSAL_TTL``, erasing
        their sealed part; returns how many ended."""
        moment = now or self._now()
        with self._db.write() as conn:
            rows = conn.execute(
                "SELECT id, category, status FROM entries WHERE (status = 'active' AND "
                "expires_at <= ?) OR (status = 'pending' AND proposed_at <= ?)",
                (_us(moment), _us(moment - PROPOSAL_TTL)),
            ).fetchall()
            for row in rows:
                self._end(conn, row["id"], EntryStatus.EXPIRED, None, moment)
                self._record(conn, "expired", row["id"], row["category"], None, moment)
            conn.execute(
                "UPDATE entries SET removal_by = NULL, removal_signers = NULL, removal_at = NULL "
                "WHERE status = 'active' AND removal_at <= ?",
                (_us(moment - PROPOSAL_TTL),),
            )
        if rows:
            self._after_change(erased=True)
        return len(rows)

    # -- reading (admins) -----------------------------------------------------------------

    def entries(self, *, actor: User, ended: bool = False) -> list[ProtectedEntry]:
        """The registry as admins review it, oldest first (``ended`` adds the tombstones)."""
        self._admin(actor)
        with self._db.read() as conn:
            ids = [
                r[0]
                for r in conn.execute(
                    "SELECT id, status FROM entries WHERE agency_id = ? ORDER BY proposed_at",
                    (self._agency,),
                ).fetchall()
                if ended or EntryStatus(r[1]) not in ENDED
            ]
            return [self._entry(conn, i) for i in ids]

    def counts(self) -> dict[str, int]:
        """Entries in force per category (what the public log shows)."""
        with self._db.read() as conn:
            return self._counts(conn)

    # -- lookups (ingest and search) ------------------------------------------------------

    def handling_of(self, plate: str, at: datetime | None = None) -> ProtectedHandling | None:
        """How the policy treats reads of ``plate`` (or of a look-alike) now, or None if it is
        not protected. The strictest handling wins when several entries match."""
        found = self._active.get(confusion_key(plate))
        if not found:
            return None
        moment = at or self._now()
        live = [self._handling_for(c) for c, expiry in found if moment < expiry]
        if not live:
            return None
        return (
            ProtectedHandling.NOT_RECORDED
            if ProtectedHandling.NOT_RECORDED in live
            else ProtectedHandling.SECOND_SUPERVISOR
        )

    def not_recorded(self, reads: Sequence[Read]) -> list[bool]:
        """For each read, whether the policy forbids recording it; counts the dropped ones
        for the day's published total."""
        if not self._active:
            return [False] * len(reads)
        now = self._now()
        drop = [self.handling_of(r.plate, now) is ProtectedHandling.NOT_RECORDED for r in reads]
        dropped = sum(drop)
        if dropped:
            with self._db.write() as conn:
                conn.execute(
                    "INSERT INTO dropped (day, count) VALUES (?, ?) ON CONFLICT (day) DO UPDATE "
                    "SET count = count + excluded.count",
                    (now.date().isoformat(), dropped),
                )
        return drop

    def publish_counts(self, now: datetime | None = None) -> int:
        """Logs the reads not recorded on each finished UTC day not yet published (one
        ``protected_changed`` entry per day); returns how many days it published."""
        moment = now or self._now()
        with self._db.write() as conn:
            rows = conn.execute(
                "SELECT day, count FROM dropped WHERE published = 0 AND day < ? ORDER BY day",
                (moment.date().isoformat(),),
            ).fetchall()
            for day, count in rows:
                public: dict[str, PublicValue] = {
                    "action": "reads_not_recorded",
                    "days": day,
                    "count": count,
                }
                self._audit.append(
                    AuditEvent(EventType.PROTECTED_CHANGED, moment, self._agency, public)
                )
                conn.execute("UPDATE dropped SET published = 1 WHERE day = ?", (day,))
        return len(rows)

    def close(self) -> None:
        self._db.close()

    # -- internals ------------------------------------------------------------------------

    def _now(self) -> datetime:
        return self._clock().astimezone(UTC)

    def _handling_for(self, category: ProtectedCategory) -> ProtectedHandling:
        return self._handling.get(category, ProtectedHandling.NOT_RECORDED)

    def _admin(self, actor: User) -> User:
        """The actor as stored now (role and active flag re-read), who must be an admin of
        the agency; keeps the credential the actor signed in with."""
        current = replace(self._people.user(actor.id), credential=actor.credential)
        require_admin(current, self._agency)
        return current

    @staticmethod
    def _category(value: ProtectedCategory | str) -> ProtectedCategory:
        try:
            return ProtectedCategory(value)
        except ValueError:
            allowed = ", ".join(c.value for c in ProtectedCategory)
            raise InputError(
                f"{str(value)[:40]!r} is not one of {allowed}", field="category"
            ) from None

    @staticmethod
    def _state(value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        state = normalize_region(value)
        if state is None:
            raise InputError(f"{value[:10]!r} is not a US state or province", field="state")
        return state

    @staticmethod
    def _note(value: str) -> str:
        text = value.strip()
        if len(text) > MAX_NOTE or any(ord(c) < 32 for c in text):
            raise InputError(f"the note is one line of at most {MAX_NOTE} characters", field="note")
        return text

    @staticmethod
    def _future(value: datetime | str, now: datetime, name: str) -> datetime:
        moment = parse_utc(value, field=name)
        if moment <= now:
            raise InputError("must be in the future", field=name)
        return moment

    @staticmethod
    def _row(conn: sqlite3.Connection, entry_id: str) -> sqlite3.Row:
        row: sqlite3.Row | None = conn.execute(
            "SELECT * FROM entries WHERE id = ?", (entry_id,)
        ).fetchone()
        if row is None:
            raise NotFoundError(f"no protected entry {str(entry_id)[:40]!r}")
        return row

    def _entry(self, conn: sqlite3.Connection, entry_id: str) -> ProtectedEntry:
        row = self._row(conn, entry_id)
        sealed = row["sealed"]
        return ProtectedEntry(
            id=row["id"],
            agency_id=row["agency_id"],
            category=ProtectedCategory(row["category"]),
            status=EntryStatus(row["status"]),
            expires_at=_dt(row["expires_at"]),
            review_at=_dt(row["review_at"]),
            proposed_at=_dt(row["proposed_at"]),
            proposed_by=row["proposed_by"],
            secret=unseal(self._keys, row["id"], sealed) if sealed else None,
            decided_at=_dt(row["decided_at"]) if row["decided_at"] is not None else None,
            removal_proposed_by=row["removal_by"],
        )

    @staticmethod
    def _end(
        conn: sqlite3.Connection,
        entry_id: str,
        status: EntryStatus,
        acting: User | None,
        now: datetime,
    ) -> None:
        """Ends an entry and erases its plate: ``secure_delete`` zeroes the old cells."""
        conn.execute(
            "UPDATE entries SET status = ?, sealed = NULL, plate_index = NULL, decided_by = "
            "COALESCE(?, decided_by), decided_at = ?, removal_by = NULL, removal_signers = NULL, "
            "removal_at = NULL WHERE id = ?",
            (status.value, acting.id if acting else None, _us(now), entry_id),
        )

    def _counts(self, conn: sqlite3.Connection) -> dict[str, int]:
        rows = conn.execute(
            "SELECT category, COUNT(*) FROM entries WHERE agency_id = ? AND status = 'active' "
            "GROUP BY category",
            (self._agency,),
        ).fetchall()
        found = Counter({c: 0 for c in ProtectedCategory})
        found.update({ProtectedCategory(r[0]): r[1] for r in rows})
        return {c.value: n for c, n in sorted(found.items())}

    def _record(
        self,
        conn: sqlite3.Connection,
        action: str,
        entry_id: str,
        category: ProtectedCategory | str,
        acting: User | None,
        now: datetime,
        *,
        two_person: bool = False,
    ) -> None:
        """The audit event of one change, inside its transaction (a refusal undoes it)."""
        counts = self._counts(conn)
        public: dict[str, PublicValue] = {
            "action": action,
            "entry_id": entry_id,
            "active": sum(counts.values()),
            "active_by_category": counts,
        }
        if two_person:
            public["two_person"] = True
        private = {"actor": acting.id if acting else None, "category": str(category)}
        self._audit.append(
            AuditEvent(EventType.PROTECTED_CHANGED, now, self._agency, public, private)
        )

    def _after_change(self, *, erased: bool) -> None:
        self._reload()
        if erased:
            self._db.checkpoint()  # the erased cells' old pages leave the WAL too

    def _reload(self) -> None:
        """Rebuilds the in-memory map of active entries (confusion class → categories)."""
        active: dict[str, list[tuple[ProtectedCategory, datetime]]] = {}
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT id, sealed, category, expires_at FROM entries WHERE agency_id = ? AND "
                "status = 'active'",
                (self._agency,),
            ).fetchall()
        for row in rows:
            secret = unseal(self._keys, row["id"], row["sealed"])
            active.setdefault(confusion_key(secret.plate), []).append(
                (ProtectedCategory(row["category"]), _dt(row["expires_at"]))
            )
        with self._lock:
            self._active = active
