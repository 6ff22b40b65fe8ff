"""Signed checkpoints: the log's public commitments, kept forever so ``verify`` can replay them.

The service calls :meth:`Checkpointer.maybe_checkpoint` every few seconds; it signs a new
checkpoint only when the tree grew. Every signed note is appended (fsync'd) to
``checkpoints.jsonl``. On open the writer checks the log against the latest checkpoint (size and
root, O(log n)): a log that lost or changed signed entries is refused before anything can be
appended on top of it, so the service can never sign a fork.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import AuditError, FormatError, VerificationError
from .log import AuditLog
from .note import Checkpoint, NoteSigner, NoteVerifier, parse_checkpoint, split_note

CHECKPOINTS_FILE = "checkpoints.jsonl"


@dataclass(frozen=True, slots=True)
class SignedCheckpoint:
    """A checkpoint and the exact signed-note text it was published as."""

    checkpoint: Checkpoint
    note: str

    @property
    def size(self) -> int:
        return self.checkpoint.size

    @property
    def root(self) -> bytes:
        return self.checkpoint.root

    @classmethod
    def from_note(cls, note: str, verifier: NoteVerifier | None = None) -> SignedCheckpoint:
        """Parses a signed checkpoint, verifying its signature when a verifier is given."""
        text = verifier.verify(note) if verifier else split_note(note)[0]
        return cls(parse_checkpoint(text), note)


class Checkpointer:
    """Signs checkpoints of ``log`` with ``signer`` and keeps them in ``log.directory``."""

    def __init__(self, log: AuditLog, signer: NoteSigner) -> None:
        self.log = log
        self.signer = signer
        self.origin = signer.name
        self._path = log.directory / CHECKPOINTS_FILE
        self._lock = threading.Lock()
        self._latest = self._load_latest()
        if self._latest is not None:
            self._check_log_against(self._latest)

    def _load_latest(self) -> SignedCheckpoint | None:
        try:
            with open(self._path, "rb") as handle:
                length = os.fstat(handle.fileno()).st_size
                handle.seek(max(0, length - 65536))
                tail = handle.read()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise AuditError(f"cannot read {self._path}: {exc}") from exc
        torn = tail.rsplit(b"\n", 1)[-1]  # bytes after the last newline: a crashed write
        if torn and not self.log.readonly:
            os.truncate(self._path, length - len(torn))
        complete = tail[: len(tail) - len(torn)].rstrip(b"\n").rsplit(b"\n", 1)[-1]
        if not complete:
            return None
        return _decode_line(complete + b"\n")

    def _check_log_against(self, latest: SignedCheckpoint) -> None:
        if latest.checkpoint.origin != self.origin:
            raise VerificationError(
                f"latest checkpoint is for origin {latest.checkpoint.origin!r}, "
                f"but the signing key is {self.origin!r}"
            )
        if latest.size > self.log.size:
            raise VerificationError(
                f"the log holds {self.log.size} entries but checkpoint {latest.size} was signed: "
                "signed entries are missing; run `trustlpr audit verify`"
            )
        if self.log.root(latest.size) != latest.root:
            raise VerificationError(
                f"the log's first {latest.size} entries do not match the latest signed "
                "checkpoint; run `trustlpr audit verify`"
            )

    def latest(self) -> SignedCheckpoint | None:
        """The most recently signed checkpoint, if any."""
        return self._latest

    def maybe_checkpoint(self) -> SignedCheckpoint | None:
        """Signs and stores a checkpoint if the tree grew since the last; returns it, or None."""
        with self._lock:
            size = self.log.size
            if self._latest is not None and self._latest.size >= size:
                return None
            self.log.sync()  # the tiles behind the signed root must survive a power cut
            checkpoint = Checkpoint(self.origin, size, self.log.root(size))
            signed = SignedCheckpoint(checkpoint, self.signer.sign(checkpoint.body()))
            self._store(signed)
            self._latest = signed
            return signed

    def current(self) -> SignedCheckpoint:
        """A checkpoint of the current tree: signs one first if the tree grew (or none exists)."""
        signed = self.maybe_checkpoint()
        if signed is not None:
            return signed
        assert self._latest is not None
        return self._latest

    def history(self) -> Iterator[SignedCheckpoint]:
        """Every stored checkpoint, oldest first (signatures unchecked; ``verify`` checks)."""
        return read_checkpoints(self._path)

    def _store(self, signed: SignedCheckpoint) -> None:
        if self.log.readonly:
            raise AuditError("cannot sign checkpoints on a read-only log")
        line = json.dumps({"size": signed.size, "note": signed.note}, sort_keys=True) + "\n"
        try:
            fd = os.open(self._path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644)
            try:
                os.write(fd, line.encode("utf-8"))
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            raise AuditError(f"cannot store the checkpoint: {exc}") from exc


def _decode_line(line: bytes) -> SignedCheckpoint:
    try:
        record = json.loads(line)
        note = record["note"]
    except (ValueError, KeyError, TypeError) as exc:
        raise FormatError(f"{CHECKPOINTS_FILE}: a line is not a stored checkpoint") from exc
    if not isinstance(note, str):
        raise FormatError(f"{CHECKPOINTS_FILE}: a line is not a stored checkpoint")
    return SignedCheckpoint.from_note(note)


def read_checkpoints(path: Path) -> Iterator[SignedCheckpoint]:
    """Stored checkpoints in ``path``, oldest first; a torn final line is skipped."""
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed by the generator below
    except FileNotFoundError:
        return iter(())
    except OSError as exc:
        raise AuditError(f"cannot read {path}: {exc}") from exc

    def lines() -> Iterator[SignedCheckpoint]:
        with handle:
            for number, line in enumerate(handle, 1):
                if not line.endswith(b"\n"):
                    return
                try:
                    yield _decode_line(line)
                except FormatError as exc:
                    raise FormatError(exc.message, line=number) from exc

    return lines()
