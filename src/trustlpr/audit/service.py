"""``AuditService``: the log, its signing key and checkpointer, opened together for a data dir.

This is what the composition root exposes as ``system.audit`` and the CLI opens. It is itself an
``AuditSink`` (``append`` / ``append_many`` go to the log), so components can be handed it
directly. Read-only mode opens an existing log without the writer lock, for inspection while
the service runs.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from types import TracebackType

from ..core.errors import AuditError, NotFoundError
from ..core.events import AuditEvent
from .checkpoint import CHECKPOINTS_FILE, Checkpointer, SignedCheckpoint, read_checkpoints
from .detail import DetailKeys
from .log import AuditLog
from .note import NoteSigner, NoteVerifier, load_or_create_signer
from .witness import Witness

AUDIT_DIR = "audit"
KEY_FILE = "log.key"


def default_origin(agency_id: str) -> str:
    """The checkpoint origin (and key name) a new log gets: ``trustlpr/<agency>/log``."""
    return f"trustlpr/{agency_id}/log"


class AuditService:
    """The transparency log of one data directory: append, prove, checkpoint, publish."""

    def __init__(
        self,
        data_dir: Path,
        *,
        origin: str | None = None,
        readonly: bool = False,
        detail_keys: DetailKeys | None = None,
    ) -> None:
        self.directory = Path(data_dir) / AUDIT_DIR
        self.log = AuditLog(self.directory, readonly=readonly, detail_keys=detail_keys)
        self._witness: Witness | None = None
        try:
            key_path = self.directory / KEY_FILE
            self.signer: NoteSigner | None = None
            if not readonly or key_path.exists():
                self.signer = load_or_create_signer(key_path, origin or default_origin("local"))
            self.checkpointer = (
                Checkpointer(self.log, self.signer) if self.signer and not readonly else None
            )
        except BaseException:
            self.log.close()
            raise

    # --- AuditSink ----------------------------------------------------------------------

    def append(self, event: AuditEvent) -> int:
        return self.log.append(event)

    def append_many(self, events: Sequence[AuditEvent]) -> list[int]:
        return self.log.append_many(events)

    def shred_read_details(self, before: Mapping[str, datetime]) -> int:
        """``ReadDetails``: empties the details of reads past their class's cutoff."""
        return self.log.shred_read_details(before)

    # --- checkpoints --------------------------------------------------------------------

    @property
    def vkey(self) -> str:
        """The verifier key of the log's checkpoints (publish it; auditors pin it)."""
        if self.signer is None:
            raise NotFoundError(f"no signing key in {self.directory}")
        return self.signer.vkey

    @property
    def verifier(self) -> NoteVerifier:
        return NoteVerifier(self.vkey)

    def maybe_checkpoint(self) -> SignedCheckpoint | None:
        """Signs a checkpoint if the tree grew; the service calls this every few seconds."""
        if self.checkpointer is None:
            return None
        return self.checkpointer.maybe_checkpoint()

    def checkpoint(self) -> SignedCheckpoint:
        """The checkpoint of the current tree (signed now if it grew); read-only: the latest."""
        if self.checkpointer is not None:
            return self.checkpointer.current()
        stored = self.checkpoints()
        if not stored:
            raise NotFoundError("no checkpoint has been signed yet")
        return stored[-1]

    def checkpoints(self) -> list[SignedCheckpoint]:
        """Every stored checkpoint, oldest first."""
        return list(read_checkpoints(self.directory / CHECKPOINTS_FILE))

    @property
    def witness(self) -> Witness:
        """This node as a C2SP witness of other logs (its key is made on first use)."""
        if self.log.readonly or self.signer is None:
            raise AuditError("the witness needs the log opened for writing")
        if self._witness is None:
            name = self.signer.name.removesuffix("/log") + "/witness"
            self._witness = Witness(self.directory, name, time.time)
        return self._witness

    # --- lifecycle ----------------------------------------------------------------------

    def close(self) -> None:
        if self._witness is not None:
            self._witness.close()
        self.log.close()

    def __enter__(self) -> AuditService:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"AuditService({self.log!r})"


def open_audit(
    data_dir: Path,
    *,
    agency_id: str = "local",
    readonly: bool = False,
    detail_keys: DetailKeys | None = None,
) -> AuditService:
    """Opens ``<data_dir>/audit``; a new log's key is named after ``agency_id``.

    ``detail_keys`` (the node's key rings, ``trustlpr.keys.ReadKeys``) seal the details that
    describe a read with that read's day key; without them such details are not kept."""
    return AuditService(
        data_dir, origin=default_origin(agency_id), readonly=readonly, detail_keys=detail_keys
    )
