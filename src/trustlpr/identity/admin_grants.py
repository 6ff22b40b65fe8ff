"""Appointing administrators: a two-person rule of its own, with a trusted set-up.

An admin can change who may do what, so one admin alone must never make another: a second
admin would then be a second signature that is really the first person's. So once the node
is set up, every grant of the admin role — a new admin account, promoting a user, re-enabling
a disabled admin — is only a proposal until an admin independent of the proposer approves it
(``independence``: not the proposer, nobody the proposer created or credentialed, nobody who
created or credentialed the proposer). A proposed new admin exists, disabled, until then.

The node's set-up is the one place trusted without a second person: its first two admins are
created unsigned on the node itself (``trustlpr user add --role admin`` without ``--token`` or
``--as``), which needs the data directory. Once two admins exist the set-up is closed for
good, also if admins are later disabled. Proposals older than ``PROPOSAL_TTL`` lapse.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..core.errors import ConflictError, ForbiddenError, NotFoundError
from ..core.events import EventType
from ..core.identity import Role, User
from ._db import StoreBase, from_us, to_us, user_from_row
from .independence import (
    Signature,
    add_link,
    decode_signers,
    encode_signers,
    require_independent,
    signature,
)
from .roles import require_admin

PROPOSAL_TTL = timedelta(days=14)
"""How long a two-person proposal (admin grant or sharing change) may wait for approval."""

_SETUP_CLOSED = "setup_closed"


@dataclass(frozen=True, slots=True)
class AdminProposal:
    """A pending (or decided) grant of the admin role: ``kind`` is ``new``, ``promote`` or
    ``enable``."""

    user_id: str
    agency_id: str
    kind: str
    proposed_by: str
    proposed_at: datetime
    status: str


class AdminGrants(StoreBase):
    """Admin grants of the identity store (mixed into ``Accounts``)."""

    def admin_proposals(self, agency_id: str | None = None) -> list[AdminProposal]:
        """Grants of the admin role waiting for a second admin, oldest first."""
        rows = self._db.query(
            "SELECT g.*, u.agency_id FROM admin_grants g JOIN users u ON u.id = g.user_id "
            "WHERE g.status = 'pending' ORDER BY g.seq"
        )
        return [
            AdminProposal(
                r["user_id"],
                r["agency_id"],
                r["kind"],
                r["proposed_by"],
                from_us(r["proposed_at"]),
                r["status"],
            )
            for r in rows
            if agency_id is None or r["agency_id"] == agency_id
        ]

    def approve_admin(self, user_id: str, *, actor: User) -> User:
        """Approves the pending admin grant of ``user_id``: an admin independent of the
        proposer (of the user's agency, or any admin while that agency has none)."""
        now = self._now()
        with self._db.write() as conn:
            acting = self._acting_user(conn, actor)
            grant, target = self._pending_grant(conn, user_id)
            self._require_grant_admin(conn, acting, target)
            first = Signature(
                grant["proposed_by"],
                decode_signers(grant["proposed_signers"], grant["proposed_by"]),
            )
            require_independent(conn, first, signature(conn, acting), what="appointing an admin")
            if now - from_us(grant["proposed_at"]) > PROPOSAL_TTL:
                raise ConflictError("the proposal is older than 14 days; reject it, propose again")
            conn.execute(
                "UPDATE users SET role = ?, active = 1, admin_granted_by = ?, admin_granted_at = ? "
                "WHERE id = ?",
                (Role.ADMIN.value, grant["proposed_by"], to_us(now), user_id),
            )
            self._decide_grant(conn, grant["seq"], "approved", acting, now)
            add_link(conn, user_id, grant["proposed_by"], "admin_granted", now)
            self._close_setup_when_done(conn)
            approved = User(target.id, target.agency_id, Role.ADMIN, target.name, True)
            self._grant_event(
                acting, approved, "admin_approved", now, grant["kind"], two_person=True
            )
        return approved

    def reject_admin(self, user_id: str, *, actor: User) -> User:
        """Refuses (or, by its proposer, withdraws) the pending admin grant of ``user_id``."""
        now = self._now()
        with self._db.write() as conn:
            acting = self._acting_user(conn, actor)
            grant, target = self._pending_grant(conn, user_id)
            if acting.id != grant["proposed_by"]:
                self._require_grant_admin(conn, acting, target)
            self._decide_grant(conn, grant["seq"], "rejected", acting, now)
            self._grant_event(acting, target, "admin_rejected", now, grant["kind"])
        return target

    # -- used by Accounts -------------------------------------------------------------------

    def _setup_open(self, conn: sqlite3.Connection) -> bool:
        """Whether the node is still being set up (fewer than two admins ever existed)."""
        if conn.execute("SELECT 1 FROM node_state WHERE key = ?", (_SETUP_CLOSED,)).fetchone():
            return False
        return not self._close_setup_when_done(conn)

    @staticmethod
    def _close_setup_when_done(conn: sqlite3.Connection) -> bool:
        admins = conn.execute(
            "SELECT COUNT(*) FROM users WHERE role = ? AND active = 1", (Role.ADMIN.value,)
        ).fetchone()[0]
        if admins < 2:
            return False
        conn.execute(
            "INSERT OR IGNORE INTO node_state (key, value) VALUES (?, '1')", (_SETUP_CLOSED,)
        )
        return True

    def _propose_grant(
        self, conn: sqlite3.Connection, acting: User, target: User, kind: str, now: datetime
    ) -> None:
        """Records a proposal to make ``target`` an admin; ``acting`` must be an admin already."""
        if self._setup_open(conn):
            raise ForbiddenError(
                "this node has one admin: its second admin is created at set-up, unsigned, on "
                "the node itself (`trustlpr user add ID --role admin --password` without --token "
                "or --as); after that, each new admin needs a second admin's approval"
            )
        if conn.execute(
            "SELECT 1 FROM admin_grants WHERE user_id = ? AND status = 'pending'", (target.id,)
        ).fetchone():
            raise ConflictError(f"an admin grant for {target.id!r} is already waiting")
        conn.execute(
            "INSERT INTO admin_grants (user_id, kind, role_before, proposed_by, proposed_signers,"
            " proposed_at, status) VALUES (?, ?, ?, ?, ?, ?, 'pending')",
            (target.id, kind, None if kind == "new" else target.role.value, acting.id,
             encode_signers(signature(conn, acting).signers), to_us(now)),
        )  # fmt: skip
        self._grant_event(acting, target, "admin_proposed", now, kind)

    # -- internals --------------------------------------------------------------------------

    @staticmethod
    def _pending_grant(conn: sqlite3.Connection, user_id: str) -> tuple[sqlite3.Row, User]:
        """The pending grant of ``user_id`` and that user as stored now."""
        row = conn.execute(
            "SELECT * FROM admin_grants WHERE user_id = ? AND status = 'pending'", (user_id,)
        ).fetchone()
        if row is None:
            raise NotFoundError(f"no admin grant for {str(user_id)[:64]!r} is waiting")
        user = conn.execute("SELECT * FROM users WHERE id = ?", (user_id,)).fetchone()
        return row, user_from_row(user)

    @staticmethod
    def _require_grant_admin(conn: sqlite3.Connection, acting: User, target: User) -> None:
        """An admin of the target's agency, or any admin while that agency has none."""
        has_admin = conn.execute(
            "SELECT 1 FROM users WHERE agency_id = ? AND role = ? AND active = 1 AND id != ?",
            (target.agency_id, Role.ADMIN.value, target.id),
        ).fetchone()
        require_admin(acting, target.agency_id if has_admin else None)
        if acting.id == target.id:
            raise ForbiddenError("two-person rule: nobody approves their own admin grant")

    @staticmethod
    def _decide_grant(
        conn: sqlite3.Connection, seq: int, status: str, acting: User, now: datetime
    ) -> None:
        conn.execute(
            "UPDATE admin_grants SET status = ?, decided_by = ?, decided_at = ? WHERE seq = ?",
            (status, acting.id, to_us(now), seq),
        )

    def _grant_event(
        self,
        acting: User,
        target: User,
        action: str,
        at: datetime,
        kind: str,
        *,
        two_person: bool = False,
    ) -> None:
        public: dict[str, str | bool] = {"action": action, "category": Role.ADMIN.value}
        if two_person:
            public["two_person"] = True
        private = {"actor": acting.id, "user_id": target.id, "grant": kind}
        self._emit(EventType.USER_CHANGED, target.agency_id, public, private, at)
