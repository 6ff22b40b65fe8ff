"""API tokens and camera keys: random secrets shown once, stored only as SHA-256 digests.

A token reads ``<prefix>_<id>_<secret>``: the id finds the stored hash without scanning, the
secret is 192 random bits. Password stretching (argon2) makes guessing a *low-entropy* secret
expensive; a 192-bit random secret cannot be guessed at any hashing speed, so, as GitHub and
Stripe do for API keys, the store keeps ``sha256$<hex>`` of the whole token and compares it in
constant time — microseconds instead of argon2's tens of ms and 19 MiB per check. Hashes
stored by earlier versions (``$argon2id$…``) still verify, so old databases keep working;
those successes are cached briefly by the token's SHA-256 so that a camera posting every
second does not pay argon2's deliberate cost each time.
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

SHA256_SCHEME = "sha256$"
_LEGACY = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


@dataclass(frozen=True, slots=True)
class IssuedToken:
    """A freshly made token: ``plaintext`` is shown once and never stored."""

    token_id: str
    plaintext: str
    secret_hash: str


def _sha256_hash(plaintext: str) -> str:
    return SHA256_SCHEME + hashlib.sha256(plaintext.encode()).hexdigest()


def issue_token(prefix: str) -> IssuedToken:
    """Makes a new token ``<prefix>_<id>_<secret>`` and the ``sha256$<hex>`` hash to store."""
    token_id = secrets.token_hex(6)
    secret = secrets.token_urlsafe(24)
    plaintext = f"{prefix}_{token_id}_{secret}"
    return IssuedToken(token_id=token_id, plaintext=plaintext, secret_hash=_sha256_hash(plaintext))


def split_token(plaintext: str, prefix: str) -> str:
    """The id part of a presented token; ``AuthError`` if it is not of our form."""
    parts = plaintext.split("_", 2) if isinstance(plaintext, str) else []
    if len(parts) != 3 or parts[0] != prefix or len(plaintext) > 200:
        raise AuthError(f"credential is not a '{prefix}_…' token")
    return parts[1]


class TokenVerifier:
    """Checks presented tokens against stored hashes (SHA-256, or legacy argon2 whose
    successes are cached for ``ttl`` seconds)."""

    def __init__(self, ttl: float = 60.0) -> None:
        self._ttl = ttl
        self._cache: dict[bytes, tuple[str, float]] = {}
        self._lock = threading.Lock()

    def verify(self, plaintext: str, stored_hash: str, token_id: str) -> None:
        """Returns if ``plaintext`` matches ``stored_hash``; raises ``AuthError`` otherwise."""
        if stored_hash.startswith(SHA256_SCHEME):
            if not hmac.compare_digest(_sha256_hash(plaintext), stored_hash):
                raise AuthError("invalid credential")
            return
        digest = hashlib.sha256(plaintext.encode()).digest()
        now = time.monotonic()
        with self._lock:
            cached = self._cache.get(digest)
        if cached and cached[1] > now and hmac.compare_digest(cached[0], token_id):
            return
        try:
            _LEGACY.verify(stored_hash, plaintext)
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
