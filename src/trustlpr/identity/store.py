"""The identity store: agencies, users, credentials and sharing agreements in ``identity.db``.

One object answers "who is this?" (``authenticate``, ``login``) for the web face and the CLI,
and records every change through the injected ``AuditSink``. Sharing agreements live in the
same file (``store.sharing``) because they name the agencies registered here.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from types import TracebackType

from ..core.clock import Clock, system_clock
from ..core.events import AuditSink
from ..core.identity import User
from ._db import IdentityDB
from .accounts import Accounts
from .credentials import DEFAULT_SESSION_TTL, Credentials
from .independence import Signature, require_independent, signature
from .sharing import SharingRegistry
from .tokens import TokenVerifier

DB_FILE = "identity.db"


class IdentityStore(Accounts, Credentials):
    """Agencies, users, roles, API tokens and console sessions; ``sharing`` holds agreements.

    Every change method takes ``actor``: the signed-in user doing it, re-read from the database
    and checked (fail closed). ``actor=None`` is accepted only while the node has no active
    admin, to create the first agency and administrator.
    """

    def __init__(
        self,
        path: Path,
        audit: AuditSink,
        clock: Clock = system_clock,
        *,
        session_ttl: timedelta = DEFAULT_SESSION_TTL,
        verified_cache_ttl: float = 60.0,
    ) -> None:
        super().__init__(IdentityDB(path), audit, clock)
        self._verifier = TokenVerifier(ttl=verified_cache_ttl)
        self._session_ttl = session_ttl
        self.sharing = SharingRegistry(self._db, audit, clock)

    @classmethod
    def open(
        cls,
        data_dir: Path,
        audit: AuditSink,
        clock: Clock = system_clock,
        *,
        session_ttl: timedelta = DEFAULT_SESSION_TTL,
    ) -> IdentityStore:
        """The store of a data directory (``<data_dir>/identity.db``, created mode 0600)."""
        return cls(data_dir / DB_FILE, audit, clock, session_ttl=session_ttl)

    def signers(self, user: User) -> frozenset[str]:
        """Everyone who could be behind ``user``'s signature with the credential they used."""
        with self._db.read() as conn:
            return signature(conn, user).signers

    def require_independent(
        self, first_user_id: str, first_signers: frozenset[str], second: User, *, what: str
    ) -> None:
        """Refuses (``ForbiddenError``) unless ``second`` is a person independent of the first
        signature — the check of every two-person rule (``trustlpr.identity.independence``)."""
        with self._db.read() as conn:
            first = Signature(first_user_id, first_signers | {first_user_id})
            require_independent(conn, first, signature(conn, second), what=what)

    @property
    def path(self) -> Path:
        return self._db.path

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> IdentityStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
