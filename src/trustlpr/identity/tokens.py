"""API tokens and camera keys: random secrets shown once, stored only as argon2 hashes.

A token reads ``<prefix>_<id>_<secret>``: the id finds the stored hash without scanning, the
secret is checked with argon2id. Verified tokens are cached briefly by their SHA-256 so that
a camera posting every second does not pay argon2's deliberate cost each time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import threading
import time
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from ..core.errors import AuthError

_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A freshly made token: ``plaintext`` is shown once and never stored."""

    token_id: str
    plaintext: str
    secret_hash: str


def issue_token(prefix: str) -> IssuedToken:
    """Makes a new token ``<prefix>_<id>_<secret>`` and the argon2 hash of it to store."""
    token_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(24)
    plaintext = f"{prefix}_{token_id}_{secret}"
    return IssuedToken(token_id=token_id, plaintext=plaintext, secret_hash=_HASHER.hash(plaintext))


def split_token(plaintext: str, prefix: str) -> str:
    """The id part of a presented token; ``AuthError`` if it is not of our form."""
    parts = plaintext.split("_", 2) if isinstance(plaintext, str) else []
    if len(parts) != 3 or parts[0] != prefix or len(plaintext) > 200:
        raise AuthError(f"credential is not a '{prefix}_…' token")
    return parts[1]


class TokenVerifier:
    """Checks presented tokens against stored hashes, caching successes for ``ttl`` seconds."""

    def __init__(self, ttl: float = 60.0) -> None:
        self._ttl = ttl
        self._cache: dict[bytes, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def verify(self, plaintext: str, stored_hash: str, token_id: str) -> None:
        """Returns if ``plaintext`` matches ``stored_hash``; raises ``AuthError`` otherwise."""
        digest = hashlib.sha256(plaintext.encode()).digest()
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(digest)
        if cached and cached[1] > now and hmac.compare_digest(cached[0], token_id):
            return
        try:
            _HASHER.verify(stored_hash, plaintext)
        except (VerifyMismatchError, VerificationError, InvalidHashError) as exc:
            raise AuthError("invalid credential") from exc
        with self._lock:
            if len(self._cache) > 10_000:
                self._cache.clear()
            self._cache[digest] = (token_id, now + self._ttl)

    def forget(self, token_id: str) -> None:
        """Drops cached successes of a revoked token at once."""
        with self._lock:
            for key in [k for k, (tid, _) in self._cache.items() if tid == token_id]:
                del self._cache[key]
