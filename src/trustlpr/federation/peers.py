"""Peers: the other agencies' nodes this node talks to, each with the keys it pinned.

A node answers (and believes) only peers it has pinned. Adding a peer widens access, so it
follows the two-person rule of sharing agreements: ``propose`` records the peer and its keys
as pending; it counts only once a second admin of this node's agency, independent of the
proposer (the identity store's ``require_independent``, the check of every two-person rule),
``approve``-s it. Removing a peer takes access away and applies at once, by one admin. Every
step is an audited ``federation_changed`` event whose public part names the peer agency, its state
and type and the key ids (never who acted).

Keys: a peer's keys are pinned at ``propose`` (given on the command line, or fetched and shown
for confirmation). ``rotate`` (a refreshed document, signed by a key already pinned) pins the
peer's new key and gives the keys the document retires their retirement time; a key past it,
a key no longer in the peer's document, or any key of a removed peer is refused from then on
(``pinned``). Rows are never deleted: the table is the history of what was trusted when.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Protocol

from ..core.clock import Clock, iso, system_clock
from ..core.errors import ConflictError, InputError, NotFoundError
from ..core.events import AuditEvent, AuditSink, EventType, PublicValue
from ..core.identity import Agency, AgencyType, User
from ..identity.admin_grants import PROPOSAL_TTL  # the same as sharing agreements'
from ..identity.roles import require_admin
from ..keys.signing import FEDERATION_DIR
from ..privatedb import PrivateDB
from .document import NodeDocument
from .refusal import Refusal, refuse

PEERS_FILE = "peers.db"
_WHAT = "adding a federation peer"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS peers (
    agency_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    state TEXT NOT NULL,
    type TEXT NOT NULL,
    url TEXT NOT NULL,
    status TEXT NOT NULL,
    proposed_by TEXT NOT NULL,
    proposed_signers TEXT NOT NULL,
    proposed_at INTEGER NOT NULL,
    decided_by TEXT,
    decided_at INTEGER
);
CREATE TABLE IF NOT EXISTS peer_keys (
    agency_id TEXT NOT NULL REFERENCES peers (agency_id),
    key_id TEXT NOT NULL,
    public_key TEXT NOT NULL,
    pinned_at INTEGER NOT NULL,
    retires_at INTEGER,
    removed_at INTEGER,
    PRIMARY KEY (agency_id, key_id)
);
CREATE INDEX IF NOT EXISTS peer_keys_id ON peer_keys (key_id);
"""


class PeerStatus(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    REJECTED = "rejected"
    REMOVED = "removed"


class Admins(Protocol):
    """What peers need of the identity store: who could be behind a signature, and the
    two-person check (``trustlpr.identity.IdentityStore``)."""

    def signers(self, user: User) -> frozenset[str]: ...

    def require_independent(
        self, first_user_id: str, first_signers: frozenset[str], second: User, *, what: str
    ) -> None: ...

    def agency(self, agency_id: str) -> Agency: ...

    def add_agency(
        self, agency_id: str, name: str, state: str, type: AgencyType | str, *, actor: User | None
    ) -> Agency: ...


@dataclass(frozen=True, slots=True)
class PeerKey:
    key_id: str
    public_key: str
    pinned_at: datetime
    retires_at: datetime | None
    removed_at: datetime | None

    def in_force(self, now: datetime) -> bool:
        return self.removed_at is None and (self.retires_at is None or now < self.retires_at)


@dataclass(frozen=True, slots=True)
class Peer:
    agency_id: str
    name: str
    state: str
    type: AgencyType
    url: str
    status: PeerStatus
    proposed_at: datetime
    decided_at: datetime | None
    keys: tuple[PeerKey, ...]

    def public(self, now: datetime) -> dict[str, object]:
        """What ``peer list --json`` and the portal show: no people, only the peer and keys."""
        return {
            "agency_id": self.agency_id,
            "name": self.name,
            "state": self.state,
            "type": self.type.value,
            "url": self.url,
            "status": self.status.value,
            "proposed_at": _iso(self.proposed_at),
            "decided_at": _iso(self.decided_at),
            "keys": [
                {
                    "key_id": k.key_id,
                    "public_key": k.public_key,
                    "in_force": k.in_force(now),
                    "retires_at": _iso(k.retires_at),
                    "removed_at": _iso(k.removed_at),
                }
                for k in self.keys
            ],
        }


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else iso(moment)


def _us(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000)


def _when(value: int) -> datetime:
    return datetime.fromtimestamp(value / 1_000_000, UTC)


def _dt(value: int | None) -> datetime | None:
    return None if value is None else _when(value)


class PeerRegistry:
    """The peers of one node, in ``<data_dir>/federation/peers.db`` (private, durable)."""

    def __init__(
        self,
        data_dir: Path,
        *,
        owner_agency_id: str,
        audit: AuditSink,
        admins: Admins,
        clock: Clock = system_clock,
        readonly: bool = False,
    ) -> None:
        path = Path(data_dir) / FEDERATION_DIR / PEERS_FILE
        self._db = PrivateDB(
            path,
            schema=_SCHEMA,
            label="federation peers database",
            named_rows=True,
            foreign_keys=True,
            readonly=readonly and path.exists(),
        )
        self._owner = owner_agency_id
        self._audit = audit
        self._admins = admins
        self._clock = clock

    # -- reading ------------------------------------------------------------------------------

    def peers(self) -> list[Peer]:
        """Every peer ever proposed, in any status, by agency id."""
        with self._db.read() as conn:
            rows = conn.execute("SELECT * FROM peers ORDER BY agency_id").fetchall()
            return [self._peer(conn, r) for r in rows]

    def peer(self, agency_id: str) -> Peer:
        with self._db.read() as conn:
            row = conn.execute("SELECT * FROM peers WHERE agency_id = ?", (agency_id,)).fetchone()
            if row is None:
                raise NotFoundError(f"no peer {str(agency_id)[:64]!r}")
            return self._peer(conn, row)

    def pinned(self, key_id: str) -> tuple[Peer, PeerKey]:
        """The active peer and key in force behind ``key_id``, or ``SignatureRefused``: an
        unknown key, a removed peer's key, a key rotated out or past its retirement."""
        now = self._clock()
        with self._db.read() as conn:
            rows = conn.execute(
                "SELECT p.*, k.key_id AS kid FROM peer_keys k JOIN peers p USING (agency_id) "
                "WHERE k.key_id = ?",
                (key_id,),
            ).fetchall()
            if not rows:
                raise refuse(Refusal.UNKNOWN_KEY)
            for row in rows:
                peer = self._peer(conn, row)
                key = next(k for k in peer.keys if k.key_id == key_id)
                if peer.status is PeerStatus.ACTIVE and key.in_force(now):
                    return peer, key
        if peer.status is PeerStatus.PENDING:
            raise refuse(Refusal.PEER_NOT_APPROVED, peer.agency_id)
        if peer.status is not PeerStatus.ACTIVE:
            raise refuse(Refusal.PEER_REMOVED, peer.agency_id)
        raise refuse(Refusal.KEY_RETIRED, peer.agency_id)

    # -- changes ------------------------------------------------------------------------------

    def propose(
        self, document: NodeDocument, url: str, keys: Mapping[str, str], *, actor: User
    ) -> Peer:
        """Records a peer and the keys to pin (a subset of its document's); it is trusted
        only once another admin approves it."""
        require_admin(actor, self._owner)
        agency = document.agency
        if agency.id == self._owner:
            raise InputError("a node does not peer with itself", field="url")
        offered = document.key_pairs()
        if not keys:
            raise InputError("pin at least one key", field="--key")
        for key_id, public in keys.items():
            if offered.get(key_id) != public:
                raise ConflictError(
                    f"key {key_id[:48]!r} is not in the peer's document (or has another public "
                    "key there): refusing to pin it; check the key with the peer agency"
                )
        signers = self._admins.signers(actor)
        now = self._clock()
        with self._db.write() as conn:
            row = conn.execute(
                "SELECT status FROM peers WHERE agency_id = ?", (agency.id,)
            ).fetchone()
            if row is not None and row["status"] in (PeerStatus.PENDING, PeerStatus.ACTIVE):
                raise ConflictError(f"{agency.id} is already a peer ({row['status']})")
            conn.execute(
                "INSERT OR REPLACE INTO peers (agency_id, name, state, type, url, status, "
                "proposed_by, proposed_signers, proposed_at, decided_by, decided_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL)",
                (agency.id, agency.name, agency.state, agency.type.value, url,
                 PeerStatus.PENDING.value, actor.id, json.dumps(sorted(signers)), _us(now)),
            )  # fmt: skip
            for key_id, public in keys.items():
                conn.execute(
                    "INSERT INTO peer_keys (agency_id, key_id, public_key, pinned_at) "
                    "VALUES (?, ?, ?, ?) ON CONFLICT (agency_id, key_id) DO UPDATE SET "
                    "public_key = excluded.public_key, pinned_at = excluded.pinned_at, "
                    "retires_at = NULL, removed_at = NULL",
                    (agency.id, key_id, public, _us(now)),
                )
            peer = self._peer(conn, self._row(conn, agency.id))
            self._record(peer, "proposed", actor, now, key_ids=sorted(keys))
        return peer

    def approve(self, agency_id: str, *, actor: User) -> Peer:
        """The second admin's approval: from then on the peer's pinned keys are believed."""
        require_admin(actor, self._owner)
        now = self._clock()
        with self._db.write() as conn:
            row = self._pending(conn, agency_id)
            first = frozenset(json.loads(row["proposed_signers"]))
            self._admins.require_independent(row["proposed_by"], first, actor, what=_WHAT)
            if now - _when(row["proposed_at"]) > PROPOSAL_TTL:
                raise ConflictError("the proposal is older than 14 days; reject it, propose again")
            known = self._registered(row)
            self._decide(conn, agency_id, PeerStatus.ACTIVE, actor, now)
            peer = self._peer(conn, self._row(conn, agency_id))
            self._record(peer, "approved", actor, now, two_person=True)
        if not known:  # sharing agreements and the search name the peer's agency from now on
            self._admins.add_agency(peer.agency_id, peer.name, peer.state, peer.type, actor=actor)
        return peer

    def _registered(self, row: sqlite3.Row) -> bool:
        """Whether the peer's agency is already in the identity store; refuses a peer whose
        document says another state or type than the agency registered under its id."""
        try:
            agency = self._admins.agency(row["agency_id"])
        except NotFoundError:
            return False
        if (agency.state, agency.type.value) != (row["state"], row["type"]):
            raise ConflictError(
                f"{row['agency_id']} is registered here as {agency.type.value} of {agency.state},"
                f" but its document says {row['type']} of {row['state']}; check with the agency"
            )
        return True

    def reject(self, agency_id: str, *, actor: User) -> Peer:
        """Refuses (or, by its proposer, withdraws) a pending peer."""
        require_admin(actor, self._owner)
        now = self._clock()
        with self._db.write() as conn:
            self._pending(conn, agency_id)
            self._decide(conn, agency_id, PeerStatus.REJECTED, actor, now)
            conn.execute(
                "UPDATE peer_keys SET removed_at = ? WHERE agency_id = ? AND removed_at IS NULL",
                (_us(now), agency_id),
            )
            peer = self._peer(conn, self._row(conn, agency_id))
            self._record(peer, "rejected", actor, now)
        return peer

    def remove(self, agency_id: str, *, actor: User) -> Peer:
        """Stops talking to a peer at once (one admin: it only takes access away); every key
        of it is refused from now on."""
        require_admin(actor, self._owner)
        now = self._clock()
        with self._db.write() as conn:
            row = conn.execute("SELECT * FROM peers WHERE agency_id = ?", (agency_id,)).fetchone()
            if row is None:
                raise NotFoundError(f"no peer {str(agency_id)[:64]!r}")
            if row["status"] not in (PeerStatus.ACTIVE, PeerStatus.PENDING):
                raise ConflictError(f"{agency_id} is not a peer now ({row['status']})")
            self._decide(conn, agency_id, PeerStatus.REMOVED, actor, now)
            conn.execute(
                "UPDATE peer_keys SET removed_at = ? WHERE agency_id = ? AND removed_at IS NULL",
                (_us(now), agency_id),
            )
            peer = self._peer(conn, self._row(conn, agency_id))
            self._record(peer, "removed", actor, now)
        return peer

    def rotate(self, agency_id: str, document: NodeDocument) -> Peer:
        """Follows a peer's key rotation from its refreshed document, which the caller has
        verified was signed by a key pinned and in force: new keys are pinned, keys the
        document retires get its retirement time, keys it no longer lists are removed."""
        now = self._clock()
        offered = document.key_pairs()
        retiring = {k.kid: k.retires for k in document.keys}
        with self._db.write() as conn:
            row = self._row(conn, agency_id)
            if row["status"] != PeerStatus.ACTIVE:
                raise ConflictError(f"{agency_id} is not an active peer")
            if document.agency.id != agency_id:
                raise ConflictError("the refreshed document names another agency")
            had = {
                r["key_id"]: r["public_key"]
                for r in conn.execute(
                    "SELECT key_id, public_key FROM peer_keys WHERE agency_id = ? AND "
                    "removed_at IS NULL",
                    (agency_id,),
                )
            }
            added = sorted(set(offered) - set(had))
            dropped = sorted(set(had) - set(offered))
            for key_id in added:
                conn.execute(
                    "INSERT OR REPLACE INTO peer_keys (agency_id, key_id, public_key, pinned_at,"
                    " retires_at, removed_at) VALUES (?, ?, ?, ?, ?, NULL)",
                    (agency_id, key_id, offered[key_id], _us(now), _opt_us(retiring[key_id])),
                )
            for key_id in set(offered) & set(had):
                conn.execute(
                    "UPDATE peer_keys SET retires_at = ? WHERE agency_id = ? AND key_id = ?",
                    (_opt_us(retiring[key_id]), agency_id, key_id),
                )
            for key_id in dropped:
                conn.execute(
                    "UPDATE peer_keys SET removed_at = ? WHERE agency_id = ? AND key_id = ?",
                    (_us(now), agency_id, key_id),
                )
            peer = self._peer(conn, row)
            if added or dropped:
                self._record(peer, "keys_rotated", None, now, key_ids=added + dropped)
        return peer

    def close(self) -> None:
        self._db.close()

    # -- internals ------------------------------------------------------------------------------

    @staticmethod
    def _row(conn: sqlite3.Connection, agency_id: str) -> sqlite3.Row:
        row = conn.execute("SELECT * FROM peers WHERE agency_id = ?", (agency_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"no peer {str(agency_id)[:64]!r}")
        return row  # type: ignore[no-any-return]

    def _pending(self, conn: sqlite3.Connection, agency_id: str) -> sqlite3.Row:
        row = self._row(conn, agency_id)
        if row["status"] != PeerStatus.PENDING:
            raise ConflictError(f"{agency_id} has no pending proposal ({row['status']})")
        return row

    @staticmethod
    def _decide(
        conn: sqlite3.Connection, agency_id: str, status: PeerStatus, actor: User, now: datetime
    ) -> None:
        conn.execute(
            "UPDATE peers SET status = ?, decided_by = ?, decided_at = ? WHERE agency_id = ?",
            (status.value, actor.id, _us(now), agency_id),
        )

    @staticmethod
    def _peer(conn: sqlite3.Connection, row: sqlite3.Row) -> Peer:
        keys = conn.execute(
            "SELECT * FROM peer_keys WHERE agency_id = ? ORDER BY pinned_at, key_id",
            (row["agency_id"],),
        ).fetchall()
        return Peer(
            agency_id=row["agency_id"],
            name=row["name"],
            state=row["state"],
            type=AgencyType(row["type"]),
            url=row["url"],
            status=PeerStatus(row["status"]),
            proposed_at=_when(row["proposed_at"]),
            decided_at=_dt(row["decided_at"]),
            keys=tuple(
                PeerKey(
                    k["key_id"],
                    k["public_key"],
                    _when(k["pinned_at"]),
                    _dt(k["retires_at"]),
                    _dt(k["removed_at"]),
                )
                for k in keys
            ),
        )

    def _record(
        self,
        peer: Peer,
        action: str,
        actor: User | None,
        now: datetime,
        *,
        key_ids: list[str] | None = None,
        two_person: bool = False,
    ) -> None:
        """The audited event of one change, inside the change's transaction: a refused append
        undoes the change."""
        public: dict[str, PublicValue] = {
            "action": action,
            "peer_agency": peer.agency_id,
            "agency_state": peer.state,
            "agency_type": peer.type.value,
        }
        if key_ids:
            public["peer_keys"] = key_ids
        if two_person:
            public["two_person"] = True
        private = {"actor": actor.id if actor else None, "url": peer.url, "name": peer.name}
        self._audit.append(
            AuditEvent(
                type=EventType.FEDERATION_CHANGED,
                at=now,
                agency_id=self._owner,
                public=public,
                private=private,
            )
        )


def _opt_us(moment: datetime | None) -> int | None:
    return None if moment is None else _us(moment)
