"""Agencies and users: who exists, in which agency, with which role, and who may change that.

Rules: the node's first two administrators are created without credentials (set-up, see
``admin_grants``); afterwards every change needs an active admin — of the user's own agency,
or of any agency while the target agency has no admin yet — and every grant of the admin role
needs a second, independent admin. The node's last active admin cannot be disabled or demoted.
Who created each account and who set its password is kept (``independence``), so nobody
counts as a second person for the one who made or credentialed them. Admins set their own
passwords and tokens. Every change is audited as ``USER_CHANGED`` with only the agency id, the
action and the role (as ``category``) public; user ids and names stay in the private part.
"""

from __future__ import annotations

import re
import sqlite3
from datetime import datetime
from typing import TypeVar

from ..core.errors import ConflictError, ForbiddenError, InputError, NotFoundError
from ..core.events import EventType
from ..core.identity import Agency, AgencyType, Role, User
from ._db import actor_id, agency_from_row, to_us, user_from_row
from .admin_grants import AdminGrants
from .credentials import hash_password
from .independence import add_link, encode_signers, issued_signers, own_password_signers
from .roles import require_admin

_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
US_STATES = frozenset(
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH "
    "NJ NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY PR GU VI AS MP".split()
)


def validate_id(value: object, field: str) -> str:
    """An agency or user id: lower-case letters, digits, ``.``, ``_``, ``-``; 1–64 long."""
    if not isinstance(value, str) or not _ID.match(value):
        raise InputError(
            "must be 1-64 characters of a-z, 0-9, '.', '_' or '-', starting with a letter or digit",
            field=field,
        )
    return value


def validate_text(value: object, field: str, *, max_len: int = 200) -> str:
    """A display name or reference: non-empty, no control characters, at most ``max_len``."""
    if not isinstance(value, str) or not value.strip():
        raise InputError("must not be empty", field=field)
    if len(value) > max_len:
        raise InputError(f"must be at most {max_len} characters", field=field)
    if _CONTROL.search(value):
        raise InputError("must not contain control characters", field=field)
    return value.strip()


def validate_state(value: object, field: str = "state") -> str:
    """A two-letter USPS code of a state, DC or a territory."""
    code = value.strip().upper() if isinstance(value, str) else ""
    if code not in US_STATES:
        raise InputError(f"{str(value)[:10]!r} is not a US state code (e.g. CT, MA)", field=field)
    return code


_E = TypeVar("_E", AgencyType, Role)


def _enum(kind: type[_E], value: object, field: str) -> _E:
    try:
        return kind(str(value))
    except ValueError as exc:
        choices = ", ".join(m.value for m in kind)
        raise InputError(f"{str(value)[:20]!r} is not one of {choices}", field=field) from exc


class Accounts(AdminGrants):
    """Agency and user records of the identity store (mixed into ``IdentityStore``)."""

    # -- agencies ---------------------------------------------------------------------------

    def add_agency(
        self, agency_id: str, name: str, state: str, type: AgencyType | str, *, actor: User | None
    ) -> Agency:
        """Registers an agency; needs an active admin (or first set-up)."""
        agency = Agency(
            id=validate_id(agency_id, "agency_id"),
            name=validate_text(name, "name"),
            state=validate_state(state),
            type=_enum(AgencyType, type, "type"),
        )
        now = self._now()
        with self._db.write() as conn:
            acting = self._acting(conn, actor)
            if acting is not None:
                require_admin(acting)
            if conn.execute("SELECT 1 FROM agencies WHERE id = ?", (agency.id,)).fetchone():
                raise ConflictError(f"agency {agency.id!r} already exists")
            conn.execute(
                "INSERT INTO agencies (id, name, state, type, created_at) VALUES (?, ?, ?, ?, ?)",
                (agency.id, agency.name, agency.state, agency.type.value, to_us(now)),
            )
            public = {"action": "agency_added", "category": agency.type.value}
            private = {"actor": actor_id(acting), "name": agency.name, "state": agency.state}
            self._emit(EventType.USER_CHANGED, agency.id, public, private, now)
        return agency

    def agency(self, agency_id: str) -> Agency:
        rows = self._db.query("SELECT * FROM agencies WHERE id = ?", (agency_id,))
        if not rows:
            raise NotFoundError(f"no agency {str(agency_id)[:64]!r}")
        return agency_from_row(rows[0])

    def agencies(self) -> list[Agency]:
        return [agency_from_row(r) for r in self._db.query("SELECT * FROM agencies ORDER BY id")]

    # -- users ------------------------------------------------------------------------------

    def add_user(
        self,
        user_id: str,
        agency_id: str,
        role: Role | str,
        name: str,
        *,
        actor: User | None,
        password: str | None = None,
    ) -> User:
        """Creates an active user; ``password`` (optional) enables console login."""
        user = User(
            id=validate_id(user_id, "user_id"),
            agency_id=validate_id(agency_id, "agency_id"),
            role=_enum(Role, role, "role"),
            name=validate_text(name, "name"),
        )
        hashed = hash_password(password) if password is not None else None
        now = self._now()
        with self._db.write() as conn:
            granted = user.role is Role.ADMIN
            setup = actor is None and granted and self._setup_open(conn)
            acting = None if setup else self._acting(conn, actor)
            if not conn.execute(
                "SELECT 1 FROM agencies WHERE id = ?", (user.agency_id,)
            ).fetchone():
                raise NotFoundError(f"no agency {user.agency_id!r}; add it first")
            if acting is not None:
                self._require_user_admin(conn, acting, user.agency_id)
            if conn.execute("SELECT 1 FROM users WHERE id = ?", (user.id,)).fetchone():
                raise ConflictError(f"user {user.id!r} already exists")
            proposed = granted and acting is not None  # a new admin waits for a second admin
            signers = encode_signers(issued_signers(conn, user.id, acting)) if hashed else None
            conn.execute(
                "INSERT INTO users (id, agency_id, role, name, active, password_hash, "
                "admin_granted_by, admin_granted_at, created_at, created_by, password_set_by, "
                "password_signers) VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?)",
                (user.id, user.agency_id, user.role.value, user.name, int(not proposed), hashed,
                 to_us(now) if granted and not proposed else None, to_us(now),
                 actor_id(acting), actor_id(acting) if hashed else None, signers),
            )  # fmt: skip
            add_link(conn, user.id, acting.id if acting else None, "created", now)
            if hashed:
                add_link(conn, user.id, acting.id if acting else None, "password_set", now)
            if proposed:
                user = User(user.id, user.agency_id, user.role, user.name, active=False)
            self._user_event(acting, user, "user_added", now, name=user.name)
            if proposed:
                assert acting is not None
                self._propose_grant(conn, acting, user, "new", now)
            elif granted:
                self._close_setup_when_done(conn)
        return user

    def user(self, user_id: str) -> User:
        rows = self._db.query("SELECT * FROM users WHERE id = ?", (user_id,))
        if not rows:
            raise NotFoundError(f"no user {str(user_id)[:64]!r}")
        return user_from_row(rows[0])

    def users(self, agency_id: str | None = None) -> list[User]:
        if agency_id is None:
            rows = self._db.query("SELECT * FROM users ORDER BY agency_id, id")
        else:
            rows = self._db.query(
                "SELECT * FROM users WHERE agency_id = ? ORDER BY id", (agency_id,)
            )
        return [user_from_row(r) for r in rows]

    def set_role(self, user_id: str, role: Role | str, *, actor: User) -> User:
        """Changes a user's role; needs an admin of the user's agency. Making someone admin is
        only proposed (``approve_admin``): the user is returned unchanged."""
        new_role = _enum(Role, role, "role")
        return self._change(user_id, actor, "role_changed", role=new_role)

    def disable(self, user_id: str, *, actor: User) -> User:
        """Disables a user: their tokens and sessions stop working at once."""
        return self._change(user_id, actor, "user_disabled", active=False)

    def enable(self, user_id: str, *, actor: User) -> User:
        """Enables a disabled user; for an admin this is a proposal (see ``set_role``)."""
        return self._change(user_id, actor, "user_enabled", active=True)

    def set_password(self, user_id: str, password: str, *, actor: User | None) -> None:
        """Sets the console password; by the user themself or an admin of their agency."""
        hashed = hash_password(password)
        now = self._now()
        with self._db.write() as conn:
            acting = self._acting(conn, actor)
            target = self._load_user(conn, user_id)
            if acting is not None and acting.id != target.id:
                self._require_user_admin(conn, acting, target.agency_id)
                if target.role is Role.ADMIN:
                    raise ForbiddenError("admins set their own passwords (two-person rule)")
            if acting is not None and acting.id == target.id:
                signers = own_password_signers(conn, acting)
            else:
                signers = issued_signers(conn, target.id, acting)
            conn.execute(
                "UPDATE users SET password_hash = ?, failed_logins = 0, locked_until = NULL, "
                "password_set_by = ?, password_signers = ? WHERE id = ?",
                (hashed, actor_id(acting), encode_signers(signers), target.id),
            )
            conn.execute(
                "UPDATE credentials SET revoked_at = ? WHERE user_id = ? AND kind = 'session' "
                "AND revoked_at IS NULL",
                (to_us(now), target.id),
            )
            if acting is not None:
                add_link(conn, target.id, acting.id, "password_set", now)
            self._user_event(acting, target, "password_set", now)

    # -- internals --------------------------------------------------------------------------

    def _change(
        self,
        user_id: str,
        actor: User,
        action: str,
        *,
        role: Role | None = None,
        active: bool | None = None,
    ) -> User:
        now = self._now()
        with self._db.write() as conn:
            acting = self._acting_user(conn, actor)
            target = self._load_user(conn, user_id)
            require_admin(acting, target.agency_id)
            new_role = target.role if role is None else role
            new_active = target.active if active is None else active
            if (new_role, new_active) == (target.role, target.active):
                raise ConflictError(f"user {target.id!r} already has that role and status")
            losing_admin = (
                target.role is Role.ADMIN
                and target.active
                and (new_role is not Role.ADMIN or not new_active)
            )
            if losing_admin and self._active_admins(conn) <= 1:
                raise ConflictError("this is the last active admin; add another admin first")
            gaining_admin = (
                new_role is Role.ADMIN
                and new_active
                and (target.role is not Role.ADMIN or not target.active)
            )
            if gaining_admin:  # widening: a proposal for a second admin
                kind = "promote" if target.role is not Role.ADMIN else "enable"
                self._propose_grant(conn, acting, target, kind, now)
                return target
            conn.execute(
                "UPDATE users SET role = ?, active = ? WHERE id = ?",
                (new_role.value, int(new_active), target.id),
            )
            if not new_active:
                conn.execute(
                    "UPDATE credentials SET revoked_at = ? WHERE user_id = ? AND kind = 'session'"
                    " AND revoked_at IS NULL",
                    (to_us(now), target.id),
                )
            updated = User(target.id, target.agency_id, new_role, target.name, new_active)
            self._user_event(acting, updated, action, now, previous_role=target.role.value)
        return updated

    def _require_user_admin(self, conn: sqlite3.Connection, acting: User, agency_id: str) -> None:
        """An admin of ``agency_id``; or any admin while that agency has none (seeding it)."""
        has_admin = conn.execute(
            "SELECT 1 FROM users WHERE agency_id = ? AND role = ? AND active = 1",
            (agency_id, Role.ADMIN.value),
        ).fetchone()
        require_admin(acting, agency_id if has_admin else None)

    @staticmethod
    def _active_admins(conn: sqlite3.Connection) -> int:
        row = conn.execute(
            "SELECT COUNT(*) FROM users WHERE role = ? AND active = 1", (Role.ADMIN.value,)
        ).fetchone()
        return int(row[0])

    @staticmethod
    def _load_user(conn: sqlite3.Connection, user_id: str) -> User:
        row = conn.execute("SELECT * FROM users WHERE id = ?", (user_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"no user {str(user_id)[:64]!r}")
        return user_from_row(row)

    def _user_event(
        self, acting: User | None, user: User, action: str, at: datetime, **private: str
    ) -> None:
        public = {"action": action, "category": user.role.value}
        detail = {"actor": actor_id(acting), "user_id": user.id, **private}
        self._emit(EventType.USER_CHANGED, user.agency_id, public, detail, at)
