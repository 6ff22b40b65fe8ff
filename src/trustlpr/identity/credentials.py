"""Credentials: API tokens, console passwords and login sessions, and checking them.

API tokens (``tlpr_…``) and console sessions (``tlps_…``) are both random secrets shown once and
stored only as SHA-256 digests (``tokens.py``); they differ in lifetime. Passwords, chosen by
people, are stretched with argon2id, and five wrong ones in a row lock the account for fifteen
minutes. Checks raise ``AuthError`` with a precise reason (unknown, revoked, expired,
disabled) only after the secret itself was verified, so a guessed token id learns nothing.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from ..core.errors import AuthError, ForbiddenError, InputError, NotFoundError
from ..core.events import EventType
from ..core.identity import Agency, AgencyType, Role, User
from ._db import StoreBase, actor_id, from_us, opt_dt, to_us, user_from_row
from .independence import PASSWORD_CREDENTIAL, add_link, encode_signers, issued_signers
from .roles import require_self_or_admin
from .tokens import TokenVerifier, issue_token, split_token

API_PREFIX = "tlpr"
SESSION_PREFIX = "tlps"
MAX_FAILED_LOGINS = 5
LOCKOUT = timedelta(minutes=15)
MAX_TOKEN_LIFETIME = timedelta(days=366)
DEFAULT_TOKEN_LIFETIME = timedelta(days=90)
DEFAULT_SESSION_TTL = timedelta(hours=1)
_LAST_USED_STEP = timedelta(minutes=1)
_PASSWORDS = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
_USER_SQL = (
    "SELECT u.*, a.name AS a_name, a.state AS a_state, a.type AS a_type "
    "FROM users u JOIN agencies a ON a.id = u.agency_id WHERE u.id = ?"
)


def hash_password(password: str) -> str:
    """The argon2 hash of an acceptable password (12–1024 characters, not only spaces)."""
    if not isinstance(password, str) or len(password.strip()) < 12:
        raise InputError("must be at least 12 characters", field="password")
    if len(password) > 1024:
        raise InputError("must be at most 1024 characters", field="password")
    return _PASSWORDS.hash(password)


@cache
def _decoy_hash() -> str:
    """A hash to verify against when the user is unknown, so timing does not tell."""
    return _PASSWORDS.hash("decoy password that matches nothing")


def _password_matches(stored: str | None, password: str) -> bool:
    try:
        return _PASSWORDS.verify(stored or _decoy_hash(), password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


class CredentialKind(StrEnum):
    API = "api"
    SESSION = "session"


@dataclass(frozen=True, slots=True)
class TokenInfo:
    """What is known about a credential besides its secret; ``label`` is free text (private)."""

    id: str
    user_id: str
    kind: CredentialKind
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None = None
    last_used_at: datetime | None = None
    label: str = field(default="", repr=False)

    def status(self, at: datetime) -> str:
        if self.revoked_at is not None:
            return "revoked"
        return "expired" if self.expires_at <= at else "active"


@dataclass(frozen=True, slots=True)
class CreatedToken:
    """A new API token: ``plaintext`` is shown to its holder once and is never stored."""

    plaintext: str = field(repr=False)
    info: TokenInfo


def _info(row: sqlite3.Row) -> TokenInfo:
    return TokenInfo(
        id=row["id"],
        user_id=row["user_id"],
        kind=CredentialKind(row["kind"]),
        created_at=from_us(row["created_at"]),
        expires_at=from_us(row["expires_at"]),
        revoked_at=opt_dt(row["revoked_at"]),
        last_used_at=opt_dt(row["last_used_at"]),
        label=row["label"],
    )


def _user_and_agency(row: sqlite3.Row) -> tuple[User, Agency]:
    agency = Agency(
        id=row["agency_id"],
        name=row["a_name"],
        state=row["a_state"],
        type=AgencyType(row["a_type"]),
    )
    return user_from_row(row), agency


class Credentials(StoreBase):
    """Token, password and session operations of the identity store."""

    _verifier: TokenVerifier
    _session_ttl: timedelta

    def create_token(
        self,
        user_id: str,
        *,
        actor: User,
        expires_in: timedelta = DEFAULT_TOKEN_LIFETIME,
        label: str = "",
    ) -> CreatedToken:
        """Issues an API token for ``user_id`` (by the user or an admin of their agency)."""
        if not timedelta(0) < expires_in <= MAX_TOKEN_LIFETIME:
            raise InputError("must be more than 0 and at most 366 days", field="expires_in")
        if len(label) > 200:
            raise InputError("must be at most 200 characters", field="label")
        now = self._now()
        issued = issue_token(API_PREFIX)
        with self._db.write() as conn:
            acting = self._acting_user(conn, actor)
            owner = self._owner(conn, user_id)
            require_self_or_admin(acting, owner.id, owner.agency_id)
            if owner.role is Role.ADMIN and owner.id != acting.id:
                raise ForbiddenError("admins issue their own tokens (two-person rule)")
            # whoever mints a token for someone else can use it: they stay among its signers
            signers = encode_signers(issued_signers(conn, owner.id, acting))
            conn.execute(
                "INSERT INTO credentials (id, kind, user_id, hash, label, created_at, expires_at,"
                " issued_by, signers) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (issued.token_id, CredentialKind.API.value, owner.id, issued.secret_hash, label,
                 to_us(now), to_us(now + expires_in), acting.id, signers),
            )  # fmt: skip
            add_link(conn, owner.id, acting.id, "token_issued", now)
            self._token_event(acting, owner, issued.token_id, "token_created", now)
            row = conn.execute("SELECT * FROM credentials WHERE id = ?", (issued.token_id,))
            info = _info(row.fetchone())
        return CreatedToken(plaintext=issued.plaintext, info=info)

    def tokens(self, user_id: str | None = None, *, sessions: bool = False) -> list[TokenInfo]:
        """API tokens (or console sessions), of one user or all, newest first."""
        kind = (CredentialKind.SESSION if sessions else CredentialKind.API).value
        sql = "SELECT * FROM credentials WHERE kind = ?"
        params: tuple[str, ...] = (kind,)
        if user_id is not None:
            sql, params = sql + " AND user_id = ?", (kind, user_id)
        return [_info(r) for r in self._db.query(sql + " ORDER BY created_at DESC, id", params)]

    def revoke_token(self, token_id: str, *, actor: User) -> TokenInfo:
        """Revokes an API token at once (by its holder or an admin of their agency)."""
        now = self._now()
        with self._db.write() as conn:
            acting = self._acting_user(conn, actor)
            row = conn.execute("SELECT * FROM credentials WHERE id = ?", (token_id,)).fetchone()
            if row is None or row["kind"] != CredentialKind.API.value:
                raise NotFoundError(f"no API token {str(token_id)[:20]!r}")
            owner = self._owner(conn, row["user_id"])
            require_self_or_admin(acting, owner.id, owner.agency_id)
            if row["revoked_at"] is None:
                conn.execute(
                    "UPDATE credentials SET revoked_at = ? WHERE id = ?", (to_us(now), token_id)
                )
                self._token_event(acting, owner, token_id, "token_revoked", now)
            info = _info(
                conn.execute("SELECT * FROM credentials WHERE id = ?", (token_id,)).fetchone()
            )
        self._verifier.forget(token_id)
        return info

    def authenticate(self, plaintext: str) -> tuple[User, Agency]:
        """The user and agency behind an API token or a console session token.

        Raises ``AuthError`` for a malformed, unknown, revoked or expired credential, and for a
        disabled user.
        """
        prefix = plaintext.split("_", 1)[0] if isinstance(plaintext, str) else ""
        kinds = {API_PREFIX: CredentialKind.API, SESSION_PREFIX: CredentialKind.SESSION}
        if prefix not in kinds:
            raise AuthError("credential is not a TrustLPR token")
        token_id = split_token(plaintext, prefix)
        rows = self._db.query(
            "SELECT * FROM credentials WHERE id = ? AND kind = ?", (token_id, kinds[prefix].value)
        )
        if not rows:
            raise AuthError("invalid credential")
        self._verifier.verify(plaintext, rows[0]["hash"], token_id)
        info, now = _info(rows[0]), self._now()
        if info.revoked_at is not None:
            raise AuthError("credential has been revoked")
        if info.expires_at <= now:
            raise AuthError("credential has expired")
        user, agency = _user_and_agency(self._db.query(_USER_SQL, (info.user_id,))[0])
        if not user.active:
            raise AuthError("user account is disabled")
        if info.last_used_at is None or now - info.last_used_at >= _LAST_USED_STEP:
            with self._db.write() as conn:
                conn.execute(
                    "UPDATE credentials SET last_used_at = ? WHERE id = ?", (to_us(now), token_id)
                )
        return replace(user, credential=token_id), agency

    def verify_password(self, user_id: str, password: str) -> tuple[User, Agency]:
        """The user and agency if ``password`` is right; ``AuthError`` otherwise.

        Counts failures; the fifth in a row locks the account for ``LOCKOUT``.
        """
        if not isinstance(user_id, str) or not isinstance(password, str) or len(password) > 1024:
            raise AuthError("invalid user or password")
        now = self._now()
        rows = self._db.query(_USER_SQL, (user_id,))
        if not rows:
            _password_matches(None, password)
            raise AuthError("invalid user or password")
        row = rows[0]
        if row["locked_until"] is not None and from_us(row["locked_until"]) > now:
            raise AuthError("account locked after repeated failed logins; try again later")
        if not _password_matches(row["password_hash"], password):
            self._count_failure(user_from_row(row), now)
            raise AuthError("invalid user or password")
        user, agency = _user_and_agency(row)
        if not user.active:
            raise AuthError("user account is disabled")
        rehash = _PASSWORDS.check_needs_rehash(row["password_hash"])
        with self._db.write() as conn:
            conn.execute(
                "UPDATE users SET failed_logins = 0, locked_until = NULL, last_login_at = ?,"
                " password_hash = ? WHERE id = ?",
                (
                    to_us(now),
                    _PASSWORDS.hash(password) if rehash else row["password_hash"],
                    user.id,
                ),
            )
        return replace(user, credential=PASSWORD_CREDENTIAL), agency

    def login(self, user_id: str, password: str) -> str:
        """A short-lived console session token for a right password (shown once)."""
        user, _ = self.verify_password(user_id, password)
        now = self._now()
        issued = issue_token(SESSION_PREFIX)
        with self._db.write() as conn:
            conn.execute(
                "DELETE FROM credentials WHERE kind = ? AND expires_at < ?",
                (CredentialKind.SESSION.value, to_us(now - timedelta(days=1))),
            )
            # a session is the password it was opened with: it inherits the password's signers
            signers = conn.execute(
                "SELECT password_signers FROM users WHERE id = ?", (user.id,)
            ).fetchone()[0]
            conn.execute(
                "INSERT INTO credentials (id, kind, user_id, hash, created_at, expires_at,"
                " signers) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (issued.token_id, CredentialKind.SESSION.value, user.id, issued.secret_hash,
                 to_us(now), to_us(now + self._session_ttl), signers),
            )  # fmt: skip
            self._token_event(user, user, issued.token_id, "login", now)
        return issued.plaintext

    def logout(self, session_token: str) -> None:
        """Ends a console session; ``AuthError`` if it is not a valid session token."""
        self.authenticate(session_token)
        token_id = split_token(session_token, SESSION_PREFIX)
        with self._db.write() as conn:
            conn.execute(
                "UPDATE credentials SET revoked_at = ? WHERE id = ?", (to_us(self._now()), token_id)
            )
        self._verifier.forget(token_id)

    # -- internals --------------------------------------------------------------------------

    def _count_failure(self, user: User, now: datetime) -> None:
        with self._db.write() as conn:
            failures = conn.execute(
                "UPDATE users SET failed_logins = failed_logins + 1 WHERE id = ? "
                "RETURNING failed_logins",
                (user.id,),
            ).fetchone()[0]
            if failures >= MAX_FAILED_LOGINS:
                conn.execute(
                    "UPDATE users SET failed_logins = 0, locked_until = ? WHERE id = ?",
                    (to_us(now + LOCKOUT), user.id),
                )
                self._token_event(user, user, "", "login_locked", now)

    @staticmethod
    def _owner(conn: sqlite3.Connection, user_id: str) -> User:
        row = conn.execute("SELECT * FROM users WHERE id = ?", (user_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"no user {str(user_id)[:64]!r}")
        return user_from_row(row)

    def _token_event(
        self, acting: User | None, owner: User, token_id: str, action: str, at: datetime
    ) -> None:
        public = {"action": action, "category": owner.role.value}
        private = {"actor": actor_id(acting), "user_id": owner.id, "token_id": token_id}
        self._emit(EventType.TOKEN_CHANGED, owner.agency_id, public, private, at)
