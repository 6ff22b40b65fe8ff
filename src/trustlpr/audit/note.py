"""C2SP signed notes and checkpoints: the signed statements anyone can check the log against.

A checkpoint body is ``<origin>\\n<size>\\n<base64 root>\\n``; a signed note appends a blank line
and ``— <name> <base64(key id || Ed25519 signature)>`` lines. The key id is the first 4 bytes of
``SHA-256(name || 0x0A || 0x01 || public key)``, and keys travel in the Go ``note`` formats
(``<name>+<hex id>+<base64(0x01 || key)>``; private keys prefixed ``PRIVATE+KEY+``), so Go and
other C2SP tools can verify our checkpoints and we theirs.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from ..core.errors import AuditError, ConfigError, FormatError, VerificationError
from .merkle import HASH_SIZE
from .tiles import fsync_dir

ED25519 = 0x01
SIG_PREFIX = "\u2014 "  # an em dash and a space
_NAME = re.compile(r"[^\s+]+")
_DECIMAL = re.compile(r"0|[1-9][0-9]{0,19}")

_log = logging.getLogger(__name__)


def key_id(name: str, public_key: bytes) -> bytes:
    """The standard 4-byte key id: ``SHA-256(name || '\\n' || 0x01 || key)[:4]``."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([ED25519]) + public_key).digest()[:4]


def _check_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise ConfigError(f"note key name {name!r} must be non-empty, without spaces or '+'")
    return name


def _b64(text: str, what: str) -> bytes:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise FormatError(f"{what} is not valid base64") from exc


def _raw_public(key: Ed25519PublicKey) -> bytes:
    return key.public_bytes(Encoding.Raw, PublicFormat.Raw)


class NoteSigner:
    """Signs notes with an Ed25519 key under a name (the log's origin)."""

    def __init__(self, name: str, private_key: Ed25519PrivateKey) -> None:
        self.name = _check_name(name)
        self._key = private_key
        self.public_key = _raw_public(private_key.public_key())
        self.key_id = key_id(name, self.public_key)

    @classmethod
    def generate(cls, name: str) -> NoteSigner:
        return cls(name, Ed25519PrivateKey.generate())

    @classmethod
    def from_skey(cls, skey: str) -> NoteSigner:
        """Parses ``PRIVATE+KEY+<name>+<hex id>+<base64(0x01 || seed)>``."""
        parts = skey.strip().split("+", 4)
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"]:
            raise ConfigError("signing key is not in the 'PRIVATE+KEY+name+id+key' format")
        _, _, name, hex_id, material = parts
        raw = _b64(material, "signing key")
        if len(raw) != 33 or raw[0] != ED25519:
            raise ConfigError("signing key is not an Ed25519 note key")
        signer = cls(name, Ed25519PrivateKey.from_private_bytes(raw[1:]))
        if signer.key_id.hex() != hex_id:
            raise ConfigError("signing key id does not match its key")
        return signer

    @property
    def skey(self) -> str:
        seed = self._key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        material = base64.b64encode(bytes([ED25519]) + seed).decode()
        return f"PRIVATE+KEY+{self.name}+{self.key_id.hex()}+{material}"

    @property
    def vkey(self) -> str:
        """The verifier key others need: ``<name>+<hex id>+<base64(0x01 || public key)>``."""
        material = base64.b64encode(bytes([ED25519]) + self.public_key).decode()
        return f"{self.name}+{self.key_id.hex()}+{material}"

    def signature_line(self, text: str) -> str:
        sig = self._key.sign(text.encode("utf-8"))
        return f"{SIG_PREFIX}{self.name} {base64.b64encode(self.key_id + sig).decode()}\n"

    def sign(self, text: str) -> str:
        """The signed note: ``text``, a blank line, and this signer's signature line."""
        _check_text(text)
        return f"{text}\n{self.signature_line(text)}"

    def __repr__(self) -> str:
        return f"NoteSigner(name={self.name!r}, key_id={self.key_id.hex()!r})"


class NoteVerifier:
    """Checks notes against one verifier key."""

    def __init__(self, vkey: str) -> None:
        parts = vkey.strip().split("+", 2)
        if len(parts) != 3 or not re.fullmatch(r"[0-9a-f]{8}", parts[1]):
            raise FormatError("verifier key is not in the 'name+hexid+base64key' format")
        name, hex_id, material = parts
        raw = _b64(material, "verifier key")
        if len(raw) != 33 or raw[0] != ED25519:
            raise FormatError("verifier key is not an Ed25519 note key")
        self.name = _check_name(name)
        self.public_key = raw[1:]
        self.key_id = key_id(name, self.public_key)
        if self.key_id.hex() != hex_id:
            raise FormatError("verifier key id does not match its key")
        self._key = Ed25519PublicKey.from_public_bytes(self.public_key)

    def verify(self, note: str) -> str:
        """The note's text if this key signed it validly; ``VerificationError`` otherwise."""
        text, signatures = split_note(note)
        for name, blob in signatures:
            if name != self.name or blob[:4] != self.key_id:
                continue
            try:
                self._key.verify(blob[4:], text.encode("utf-8"))
            except InvalidSignature as exc:
                raise VerificationError(f"note signature by {name} is invalid") from exc
            return text
        raise VerificationError(f"note carries no signature by {self.name}")


def _check_text(text: str) -> None:
    if not text.endswith("\n") or "\n\n" in text:
        raise FormatError("note text must end with a newline and contain no blank line")


def split_note(note: str) -> tuple[str, list[tuple[str, bytes]]]:
    """Splits a signed note into its text and ``(name, key id || signature)`` pairs."""
    split = note.rfind("\n\n")
    if split < 0 or not note.endswith("\n"):
        raise FormatError("not a signed note: no blank line before the signatures")
    text, block = note[: split + 1], note[split + 2 :]
    signatures = []
    for line in block[:-1].split("\n"):
        if not line.startswith(SIG_PREFIX):
            raise FormatError("note signature lines must start with '— '")
        name, _, encoded = line[len(SIG_PREFIX) :].partition(" ")
        blob = _b64(encoded, "note signature")
        if len(blob) < 5:
            raise FormatError("note signature is too short")
        signatures.append((name, blob))
    if not signatures:
        raise FormatError("signed note has no signature")
    return text, signatures


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A tree head: the log's origin, its size and its RFC 9162 root hash."""

    origin: str
    size: int
    root: bytes

    def body(self) -> str:
        return f"{self.origin}\n{self.size}\n{base64.b64encode(self.root).decode()}\n"


def parse_checkpoint(text: str) -> Checkpoint:
    """Parses a checkpoint body (extension lines after the root are tolerated and ignored)."""
    lines = text.split("\n")
    if len(lines) < 4 or lines[-1] != "":
        raise FormatError("checkpoint must have an origin, a size and a root hash line")
    origin, size_text, root_text = lines[0], lines[1], lines[2]
    if not origin or not _DECIMAL.fullmatch(size_text):
        raise FormatError("checkpoint origin is empty or its size is not a decimal number")
    root = _b64(root_text, "checkpoint root")
    if len(root) != HASH_SIZE:
        raise FormatError("checkpoint root hash is not 32 bytes")
    return Checkpoint(origin, int(size_text), root)


def load_or_create_signer(path: Path, name: str) -> NoteSigner:
    """The log's signing key from ``path`` (mode 0600), made on first use under ``name``."""
    try:
        if path.exists():
            mode = stat.S_IMODE(path.stat().st_mode)
            if mode & 0o077:  # left readable by an older version or by hand: tighten once
                _log.warning("%s had mode %o; tightening it to 600", path.name, mode)
                os.chmod(path, 0o600)
            return NoteSigner.from_skey(path.read_text(encoding="ascii"))
        signer = NoteSigner.generate(name)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first: use theirs
            return NoteSigner.from_skey(path.read_text(encoding="ascii"))
        try:
            os.write(fd, (signer.skey + "\n").encode("ascii"))
            os.fsync(fd)
        finally:
            os.close(fd)
        fsync_dir(path.parent)
        return signer
    except (OSError, UnicodeDecodeError) as exc:
        raise AuditError(f"cannot read or create the log signing key {path}: {exc}") from exc
