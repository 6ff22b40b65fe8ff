"""The node's federation signing keys: Ed25519, apart from the log's checkpoint key.

A node signs every request and answer it sends another node with its *active* key. Keys are
rotated with an overlap: ``rotate`` makes a new active key and gives the old one a retirement
time (``retires_at``); until then both are published and peers accept both, afterwards the old
key's private half is destroyed and peers refuse it.

Files, in ``<data_dir>/federation/`` (directory 0700): ``keys.json`` (public metadata: key id,
public key, created, retires) and one ``<key id>.key`` per key in force (the 32-byte seed as
base64, mode 0600, created with that mode). A key id is the key's RFC 7638 JWK thumbprint
(SHA-256, base64url): self-certifying, so a pinned ``KEYID=PUBKEY`` pair can be checked.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from ..core.clock import Clock, iso, parse_utc, system_clock
from ..core.errors import ConfigError, FormatError, InputError

FEDERATION_DIR = "federation"
KEYS_FILE = "keys.json"
MIN_OVERLAP = timedelta(minutes=5)
"""A rotation keeps the old key at least one signature window: requests in flight still verify."""


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def b64url_decode(text: str, *, field: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise FormatError("is not base64url", field=field) from exc


def raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


def thumbprint(public_raw: bytes) -> str:
    """RFC 7638 JWK thumbprint of an Ed25519 public key (RFC 8037 ``OKP`` members)."""
    members = json.dumps(
        {"crv": "Ed25519", "kty": "OKP", "x": b64url(public_raw)},
        sort_keys=True,
        separators=(",", ":"),
    )
    return b64url(hashlib.sha256(members.encode("ascii")).digest())


def parse_public_key(text: str, *, field: str = "key") -> Ed25519PublicKey:
    """An Ed25519 public key from its base64url raw form (a JWK's ``x``)."""
    raw = b64url_decode(text.strip(), field=field)
    if len(raw) != 32:
        raise FormatError("an Ed25519 public key is 32 bytes", field=field)
    return Ed25519PublicKey.from_public_bytes(raw)


@dataclass(frozen=True, slots=True)
class PublicKeyInfo:
    """One published key: what peers pin. ``retires_at`` is set once a newer key replaced it."""

    key_id: str
    public_key: str  # base64url of the 32 raw bytes
    created_at: datetime
    retires_at: datetime | None = None

    def in_force(self, now: datetime) -> bool:
        return self.retires_at is None or now < self.retires_at

    def jwk(self) -> dict[str, str]:
        """The key as an RFC 8037 JWK, with its id, use and retirement time when it has one."""
        jwk = {"kty": "OKP", "crv": "Ed25519", "x": self.public_key, "kid": self.key_id}
        jwk["use"] = "sig"
        jwk["created"] = iso(self.created_at)
        if self.retires_at is not None:
            jwk["retires"] = iso(self.retires_at)
        return jwk


class SigningKeys:
    """The federation keys of one data directory (see the module docstring)."""

    def __init__(self, data_dir: Path, *, clock: Clock = system_clock) -> None:
        self.directory = Path(data_dir) / FEDERATION_DIR
        self._clock = clock
        self._infos: list[PublicKeyInfo] = self._load()

    @classmethod
    def create_or_open(cls, data_dir: Path, *, clock: Clock = system_clock) -> SigningKeys:
        """The keys of ``data_dir``, making the first one if there is none (init, or a node
        set up before federation existed)."""
        keys = cls(data_dir, clock=clock)
        if not keys._infos:
            keys._add(keys._clock())
        return keys

    # -- reading ------------------------------------------------------------------------------

    @property
    def active(self) -> PublicKeyInfo:
        """The key that signs now: the newest one."""
        if not self._infos:
            raise ConfigError(
                f"no federation signing key in {self.directory}; the node's writer makes one"
            )
        return self._infos[-1]

    def published(self, now: datetime | None = None) -> list[PublicKeyInfo]:
        """The keys in force (the active one and any still in their overlap), newest first."""
        moment = now or self._clock()
        return [k for k in reversed(self._infos) if k.in_force(moment)]

    def private_key(self, key_id: str) -> Ed25519PrivateKey:
        """The private half of a key in force; a retired or unknown key cannot sign."""
        info = next((k for k in self._infos if k.key_id == key_id), None)
        if info is None or not info.in_force(self._clock()):
            raise ConfigError(f"federation key {key_id[:48]!r} is not in force")
        try:
            text = (self.directory / f"{key_id}.key").read_text(encoding="ascii")
            return Ed25519PrivateKey.from_private_bytes(
                base64.b64decode(text.strip(), validate=True)
            )
        except (OSError, binascii.Error, ValueError) as exc:
            raise ConfigError(f"cannot read federation key {key_id}: {exc}") from exc

    # -- changes ------------------------------------------------------------------------------

    def rotate(self, overlap: timedelta) -> PublicKeyInfo:
        """Makes a new active key; the keys in force before it retire after ``overlap``."""
        if overlap < MIN_OVERLAP:
            raise InputError(
                f"must be at least {MIN_OVERLAP}: requests in flight need it", field="overlap"
            )
        now = self._clock()
        retires = now + overlap
        self._infos = [
            k if not k.in_force(now) or (k.retires_at and k.retires_at <= retires)
            else PublicKeyInfo(k.key_id, k.public_key, k.created_at, retires)
            for k in self._infos
        ]  # fmt: skip
        return self._add(now)

    def destroy_retired(self) -> list[str]:
        """Deletes the private half of every retired key; returns their ids. Their public
        metadata stays in ``keys.json`` (so old signatures can be explained), never used."""
        now = self._clock()
        gone: list[str] = []
        for info in self._infos:
            path = self.directory / f"{info.key_id}.key"
            if not info.in_force(now) and path.exists():
                path.unlink()
                gone.append(info.key_id)
        return gone

    # -- files --------------------------------------------------------------------------------

    def _add(self, now: datetime) -> PublicKeyInfo:
        private = Ed25519PrivateKey.generate()
        public = raw_public(private.public_key())
        info = PublicKeyInfo(thumbprint(public), b64url(public), now)
        self.directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        seed = private.private_bytes_raw()
        path = self.directory / f"{info.key_id}.key"
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(base64.b64encode(seed).decode("ascii") + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        self._infos.append(info)
        self._save()
        return info

    def _save(self) -> None:
        rows = [
            {
                "key_id": k.key_id,
                "public_key": k.public_key,
                "created_at": iso(k.created_at),
                "retires_at": iso(k.retires_at) if k.retires_at else None,
            }
            for k in self._infos
        ]
        path = self.directory / KEYS_FILE
        tmp = path.with_suffix(".tmp")
        with open(tmp, "w", encoding="utf-8") as handle:
            json.dump(rows, handle, indent=1)
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(path)

    def _load(self) -> list[PublicKeyInfo]:
        path = self.directory / KEYS_FILE
        if not path.is_file():
            return []
        try:
            rows = json.loads(path.read_text(encoding="utf-8"))
            return [
                PublicKeyInfo(
                    r["key_id"],
                    r["public_key"],
                    parse_utc(r["created_at"], field="created_at"),
                    parse_utc(r["retires_at"], field="retires_at") if r["retires_at"] else None,
                )
                for r in rows
            ]
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise ConfigError(f"{path} is not a federation key list: {exc}") from exc
