"""A C2SP tlog-witness: this node cosigns other logs' checkpoints once it has checked them.

Agencies that witness each other's logs make a split view (showing the public one history and
an auditor another) detectable: a witness cosigns a checkpoint only if the log signed it and it
is consistent (RFC 9162 proof) with the last one the witness cosigned, and it never goes back.
Requests and answers follow c2sp.org/tlog-witness; cosignatures follow c2sp.org/tlog-cosignature
(``cosignature/v1``, Ed25519, key type 0x04), so any C2SP log can use this witness and any
C2SP client can check its cosignatures.

Logs to witness are listed, one verifier key per line, in ``<data_dir>/audit/witness-logs.txt``;
the state (latest cosigned size and root per log) is kept in ``witness.db``.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from collections.abc import Callable
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    PublicFormat,
)

from ..core.errors import (
    AuditError,
    ConflictError,
    ForbiddenError,
    FormatError,
    InputError,
    NotFoundError,
    VerificationError,
)
from ..privatedb import PrivateDB
from .merkle import HASH_SIZE, verify_consistency
from .note import SIG_PREFIX, NoteVerifier, parse_checkpoint, split_note

COSIGNATURE_V1 = 0x04
LOGS_FILE = "witness-logs.txt"
_MAX_PROOF = 64


def cosignature_key_id(name: str, public_key: bytes) -> bytes:
    """``SHA-256(name || '\\n' || 0x04 || key)[:4]``: the key id of a cosignature/v1 key."""
    return hashlib.sha256(name.encode() + b"\n" + bytes([COSIGNATURE_V1]) + public_key).digest()[:4]


def _message(text: str, timestamp: int) -> bytes:
    return f"cosignature/v1\ntime {timestamp}\n{text}".encode()


class Cosigner:
    """The witness's Ed25519 key, named (e.g. ``trustlpr/ct-nhpd/witness``)."""

    def __init__(self, name: str, key: Ed25519PrivateKey) -> None:
        self.name = name
        self._key = key
        self.public_key = key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        self.key_id = cosignature_key_id(name, self.public_key)

    @property
    def vkey(self) -> str:
        material = base64.b64encode(bytes([COSIGNATURE_V1]) + self.public_key).decode()
        return f"{self.name}+{self.key_id.hex()}+{material}"

    def cosign(self, text: str, timestamp: int) -> str:
        """One cosignature line over a checkpoint ``text`` at ``timestamp`` (Unix seconds)."""
        signature = self._key.sign(_message(text, timestamp))
        blob = self.key_id + timestamp.to_bytes(8, "big") + signature
        return f"{SIG_PREFIX}{self.name} {base64.b64encode(blob).decode()}\n"


def verify_cosignature(vkey: str, note: str) -> int:
    """The timestamp of ``vkey``'s valid cosignature on ``note``; ``VerificationError`` if none."""
    name, hex_id, material = ([*vkey.strip().split("+", 2), "", ""])[:3]
    try:
        raw = base64.b64decode(material, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise FormatError("witness key is not valid base64") from exc
    if len(raw) != 33 or raw[0] != COSIGNATURE_V1:
        raise FormatError("witness key is not a cosignature/v1 (0x04) Ed25519 key")
    key_id = cosignature_key_id(name, raw[1:])
    if key_id.hex() != hex_id:
        raise FormatError("witness key id does not match its key")
    text, signatures = split_note(note)
    for signer, blob in signatures:
        if signer != name or blob[:4] != key_id or len(blob) != 76:
            continue
        timestamp = int.from_bytes(blob[4:12], "big")
        try:
            Ed25519PublicKey.from_public_bytes(raw[1:]).verify(blob[12:], _message(text, timestamp))
        except InvalidSignature as exc:
            raise VerificationError(f"cosignature by {name} is invalid") from exc
        return timestamp
    raise VerificationError(f"note carries no cosignature by {name}")


class Witness:
    """Checks and cosigns checkpoints of the logs listed in ``witness-logs.txt``."""

    def __init__(self, directory: Path, name: str, clock: Callable[[], float]) -> None:
        self._dir = directory
        self._clock = clock
        self.cosigner = Cosigner(name, _load_key(directory / "witness.key"))
        self._file = PrivateDB(
            directory / "witness.db",
            schema="CREATE TABLE IF NOT EXISTS witnessed (origin TEXT PRIMARY KEY, size INTEGER "
            "NOT NULL, root BLOB NOT NULL, note TEXT NOT NULL)",
            label="witness state",
            error=AuditError,
        )
        self._db = self._file.conn
        self._lock = self._file.lock

    def logs(self) -> dict[str, NoteVerifier]:
        """The logs this node witnesses, by origin (their key names)."""
        try:
            lines = (self._dir / LOGS_FILE).read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            return {}
        except (OSError, UnicodeDecodeError) as exc:
            raise AuditError(f"cannot read {LOGS_FILE}: {exc}") from exc
        verifiers = {}
        for number, line in enumerate(lines, 1):
            text = line.split("#", 1)[0].strip()
            if text:
                try:
                    verifier = NoteVerifier(text)
                except FormatError as exc:
                    raise FormatError(f"{LOGS_FILE}: {exc.reason}", line=number) from exc
                verifiers[verifier.name] = verifier
        return verifiers

    def latest_size(self, origin: str) -> int:
        """The size of the latest checkpoint of ``origin`` this witness cosigned (0: none)."""
        with self._lock:
            row = self._db.execute(
                "SELECT size FROM witnessed WHERE origin = ?", (origin,)
            ).fetchone()
        return int(row[0]) if row else 0

    def size_for(self, request: str) -> int:
        """The latest cosigned size of the log a request is about (for a 409 answer)."""
        _, _, note = _parse_request(request)
        return self.latest_size(parse_checkpoint(split_note(note)[0]).origin)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def add_checkpoint(self, request: str) -> str:
        """Handles a tlog-witness ``add-checkpoint`` body; returns the cosignature line.

        Raises ``InputError`` (malformed, 400), ``NotFoundError`` (unknown log, 404),
        ``ForbiddenError`` (bad log signature, 403), ``ConflictError`` (``old`` is not the
        size last cosigned, 409) and ``VerificationError`` (inconsistent, 422).
        """
        old, proof, note = _parse_request(request)
        text, _ = split_note(note)
        checkpoint = parse_checkpoint(text)
        verifier = self.logs().get(checkpoint.origin)
        if verifier is None:
            raise NotFoundError(f"this witness does not witness {checkpoint.origin!r}")
        try:
            verifier.verify(note)
        except VerificationError as exc:
            raise ForbiddenError(f"checkpoint is not signed by the log: {exc.message}") from exc
        if checkpoint.size < old:
            raise InputError("checkpoint is smaller than the old size", field="old")
        with self._lock:
            row = self._db.execute(
                "SELECT size, root FROM witnessed WHERE origin = ?", (checkpoint.origin,)
            ).fetchone()
            size, root = (int(row[0]), bytes(row[1])) if row else (0, b"")
            if old != size:
                raise ConflictError(f"the witness's latest size for this log is {size}")
            if old == checkpoint.size and old and root != checkpoint.root:
                raise VerificationError("same size, different root: the log forked")
            if old:
                verify_consistency(old, checkpoint.size, proof, root, checkpoint.root)
            with self._file.write() as db:
                db.execute(
                    "INSERT OR REPLACE INTO witnessed VALUES (?, ?, ?, ?)",
                    (checkpoint.origin, checkpoint.size, checkpoint.root, note),
                )
        return self.cosigner.cosign(text, int(self._clock()))


def _parse_request(request: str) -> tuple[int, list[bytes], str]:
    head, sep, note = request.partition("\n\n")
    lines = head.split("\n")
    if not sep or not lines[0].startswith("old ") or len(lines) - 1 > _MAX_PROOF:
        raise InputError("expected 'old <size>', proof lines, a blank line, then the checkpoint")
    size_text = lines[0][4:]
    if not size_text.isdigit() or (len(size_text) > 1 and size_text[0] == "0"):
        raise InputError("old size is not a decimal number", field="old")
    proof = []
    for number, line in enumerate(lines[1:], 2):
        try:
            value = base64.b64decode(line, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise InputError("proof line is not base64", line=number) from exc
        if len(value) != HASH_SIZE:
            raise InputError("proof hash is not 32 bytes", line=number)
        proof.append(value)
    return int(size_text), proof, note


def _load_key(path: Path) -> Ed25519PrivateKey:
    try:
        if path.exists():
            return Ed25519PrivateKey.from_private_bytes(base64.b64decode(path.read_bytes()))
        key = Ed25519PrivateKey.generate()
        seed = key.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            os.write(fd, base64.b64encode(seed) + b"\n")
            os.fsync(fd)
        finally:
            os.close(fd)
        return key
    except (OSError, ValueError, binascii.Error) as exc:
        raise AuditError(f"cannot read or create the witness key {path}: {exc}") from exc
