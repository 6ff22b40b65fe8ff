"""Per-day keys: one random secret per (retention class, UTC day), wrapped by the root key.

From a day's secret, HKDF derives its AES-256-GCM data key, its HMAC-SHA256 blind-index key,
the AES-256-GCM key that seals audit details describing the day's reads (so destroying
the day shreds those details too), and the day's bus keys: the AES-256-GCM key every message
on the scale-out ingest bus is sealed with and the HMAC key that names those messages (so a
message left on the bus's disk is unreadable once the day is destroyed). Destroying a day
overwrites and unlinks its wrapped secret: nothing that remains (the root key, other days,
backups made after the purge) can re-derive it. We store random secrets rather than ratchet a
chain forward because the hit and non-hit classes expire on different schedules and late reads
can arrive for an earlier day; each day is independent.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import re
import secrets
import tempfile
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ..core.errors import ConfigError, KeyDestroyedError

_WRAP_INFO = b"trustlpr/wrap/v1"
_DATA_INFO = b"trustlpr/data/v1"
_INDEX_INFO = b"trustlpr/blind-index/v1"
_DETAIL_INFO = b"trustlpr/audit-detail/v1"
_BUS_INFO = b"trustlpr/bus/v1"
_BUS_ID_INFO = b"trustlpr/bus-id/v1"
_DAY_FILE = re.compile(r"^(\d{4}-\d{2}-\d{2})\.key$")


def _hkdf(secret: bytes, info: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=info).derive(secret)


@dataclass(frozen=True, slots=True)
class DayKeys:
    """The keys of one day. ``aead`` encrypts reads; ``index_key`` makes blind indexes;
    ``detail`` seals the audit details that describe the day's reads; ``bus`` seals the
    ingest bus's messages and ``bus_id_key`` names them."""

    key_id: str
    day: date
    aead: AESGCM
    index_key: bytes
    detail: AESGCM
    bus: AESGCM
    bus_id_key: bytes
    _pads: tuple[hashlib._Hash, hashlib._Hash] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # HMAC-SHA256 (RFC 2104) with its two key pads hashed once: each digest then copies two
        # SHA-256 states, a third of what hmac.digest costs (it sets the key up every call).
        block = self.index_key.ljust(64, b"\0") if len(self.index_key) <= 64 else None
        if block is None:  # HKDF gives 32 bytes; a longer key would first be hashed
            block = hashlib.sha256(self.index_key).digest().ljust(64, b"\0")
        inner = hashlib.sha256(bytes(b ^ 0x36 for b in block))
        outer = hashlib.sha256(bytes(b ^ 0x5C for b in block))
        object.__setattr__(self, "_pads", (inner, outer))

    def blind_index(self, domain: bytes, value: str) -> int:
        """A signed 64-bit keyed digest of ``value``: equal within a day, unlinkable across days.

        The first 8 bytes of ``HMAC-SHA256(index_key, domain + value)``."""
        inner, outer = self._pads
        step = inner.copy()
        step.update(domain + value.encode())
        mac = outer.copy()
        mac.update(step.digest())
        return int.from_bytes(mac.digest()[:8], "big", signed=True)

    def __repr__(self) -> str:
        return f"DayKeys(key_id={self.key_id!r})"


class KeyRing:
    """The wrapped day secrets of one retention class, in ``<keys_dir>/<YYYY-MM-DD>.key``."""

    def __init__(self, keys_dir: Path, root_key: bytes, name: str) -> None:
        self._dir = keys_dir
        self._name = name
        self._wrap = AESGCM(_hkdf(root_key, _WRAP_INFO))
        self._cache: dict[date, DayKeys] = {}
        self._lock = threading.Lock()
        self._dir.mkdir(parents=True, exist_ok=True, mode=0o700)

    def key_id(self, day: date) -> str:
        return f"{self._name}:{day.isoformat()}"

    def _path(self, day: date) -> Path:
        return self._dir / f"{day.isoformat()}.key"

    def days(self) -> list[date]:
        """Days whose keys exist, oldest first."""
        found = []
        for entry in self._dir.iterdir():
            match = _DAY_FILE.match(entry.name)
            if match:
                found.append(date.fromisoformat(match.group(1)))
        return sorted(found)

    def get(self, day: date, *, create: bool = False) -> DayKeys:
        """The day's keys; ``create`` makes them if absent. Raises ``KeyDestroyedError`` if gone."""
        cached = self._cache.get(day)
        if cached is not None:
            return cached
        with self._lock:
            cached = self._cache.get(day)
            if cached is not None:
                return cached
            path = self._path(day)
            secret = _wrapped_secret(path, self._wrap, self.key_id(day).encode(), create=create)
            if secret is None:
                raise KeyDestroyedError(f"keys of {self.key_id(day)} do not exist (expired?)")
            keys = DayKeys(
                key_id=self.key_id(day),
                day=day,
                aead=AESGCM(_hkdf(secret, _DATA_INFO)),
                index_key=_hkdf(secret, _INDEX_INFO),
                detail=AESGCM(_hkdf(secret, _DETAIL_INFO)),
                bus=AESGCM(_hkdf(secret, _BUS_INFO)),
                bus_id_key=_hkdf(secret, _BUS_ID_INFO),
            )
            self._cache[day] = keys
            return keys

    def forget(self, day: date) -> None:
        """Drops the day's keys from this process's memory (the file stays): for a process
        that no longer needs an old day, such as an ingest front-end after midnight."""
        with self._lock:
            self._cache.pop(day, None)

    def has(self, day: date) -> bool:
        return day in self._cache or self._path(day).is_file()

    def destroy(self, day: date) -> str | None:
        """Overwrites and unlinks the day's wrapped secret. Returns its key id, or None."""
        with self._lock:
            self._cache.pop(day, None)
            path = self._path(day)
            if not path.exists():
                return None
            size = path.stat().st_size
            with open(path, "r+b") as handle:
                handle.write(secrets.token_bytes(size))
                handle.flush()
                os.fsync(handle.fileno())
            path.unlink()
            _fsync_dir(self._dir)
            return self.key_id(day)


class ReadKeys:
    """The day keys of every retention class by key id (``hit:2026-11-01``): the key provider
    the audit detail store seals read details with.

    Give it the *same* rings the read store destroys through: a destroyed day then fails here
    at once, with no cached copy of its key left anywhere in the process.
    """

    def __init__(self, rings: Mapping[str, KeyRing]) -> None:
        self._rings = dict(rings)

    def detail_aead(self, key_id: str, *, create: bool = False) -> AESGCM:
        """The detail-sealing key of ``key_id``; ``KeyDestroyedError`` once it was destroyed
        (``create`` makes a missing day's keys, for a read that is just being stored)."""
        name, _, day = key_id.partition(":")
        ring = self._rings.get(name)
        try:
            parsed = date.fromisoformat(day)
        except ValueError:
            ring = None
        if ring is None:
            raise KeyDestroyedError(f"there is no key {key_id[:40]!r}")
        return ring.get(parsed, create=create).detail


class StandingKeys:
    """One wrapped secret that lives until destroyed, for data that outlives any one day: the
    protected-plates registry seals its entries with ``aead`` and indexes their plates with
    ``blind_index``, like reads, but an entry stays for years, not for a day's retention.
    ``<keys_dir>/<name>.key``, created on first use."""

    def __init__(self, keys_dir: Path, root_key: bytes, name: str) -> None:
        keys_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        wrap = AESGCM(_hkdf(root_key, _WRAP_INFO))
        secret = _wrapped_secret(keys_dir / f"{name}.key", wrap, name.encode(), create=True)
        assert secret is not None  # created when missing
        self.aead = AESGCM(_hkdf(secret, _DATA_INFO))
        self._index_key = _hkdf(secret, _INDEX_INFO)
        self.name = name

    def blind_index(self, domain: bytes, value: str) -> int:
        """A signed 64-bit keyed digest of ``value`` (like ``DayKeys.blind_index``)."""
        digest = hmac.digest(self._index_key, domain + value.encode(), "sha256")
        return int.from_bytes(digest[:8], "big", signed=True)

    def __repr__(self) -> str:
        return f"StandingKeys(name={self.name!r})"


def _wrapped_secret(path: Path, wrap: AESGCM, aad: bytes, *, create: bool) -> bytes | None:
    """The secret wrapped in ``path``; a fresh one written durably when absent and ``create``,
    else None. A file the root key does not open is a ``ConfigError``. Processes sharing the
    directory (the writer and ingest front-ends) agree on one secret: the first to create the
    file wins, the others read its secret."""
    if not path.is_file():
        if not create:
            return None
        secret = secrets.token_bytes(32)
        nonce = secrets.token_bytes(12)
        if _create_durably(path, nonce + wrap.encrypt(nonce, secret, aad)):
            return secret
    blob = path.read_bytes()
    try:
        return wrap.decrypt(blob[:12], blob[12:], aad)
    except InvalidTag as exc:
        raise ConfigError(f"key file {path.name} does not open with this root key") from exc


def _create_durably(path: Path, data: bytes) -> bool:
    """Writes ``data`` to ``path`` unless it exists (then False): a private temporary file,
    fsync'd, hard-linked into place (a link, unlike a rename, refuses an existing name)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.stem}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(tmp, path)
        except FileExistsError:
            return False
    finally:
        os.unlink(tmp)
    _fsync_dir(path.parent)
    return True


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


_PSEUDONYM_INFO = b"trustlpr/federation-pseudonym/v1"


def pseudonymiser(root_key: bytes) -> Callable[[str], str]:
    """A node's pseudonyms for its users in federated requests: HMAC-SHA256 (key derived from
    the root secret) of the user id, 26 base32 characters. Stable, so a partner's log shows
    one person's requests as one; not reversible without this node's root key."""
    key = _hkdf(root_key, _PSEUDONYM_INFO)

    def pseudonym(user_id: str) -> str:
        digest = hmac.new(key, user_id.encode(), hashlib.sha256).digest()
        return base64.b32encode(digest).decode().rstrip("=").lower()[:26]

    return pseudonym
