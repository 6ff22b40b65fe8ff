"""The transparency log: an RFC 9162 Merkle log of every audit event, with signed checkpoints.

Open it with :func:`open_audit` (``AuditService``: an ``AuditSink`` plus checkpoints), read the
public log with ``AuditLog.size``, ``AuditLog.entries(start, end)`` and ``AuditLog.leaf(i)``,
and check what you were given with the pure verifiers. See docs/audit.md.
"""

from .checkpoint import Checkpointer, SignedCheckpoint
from .detail import Detail, DetailKeys
from .leaf import PUBLIC_FIELDS, canonical_json, parse_leaf
from .log import AuditLog
from .merkle import leaf_hash, verify_consistency, verify_inclusion
from .note import Checkpoint, NoteSigner, NoteVerifier, parse_checkpoint
from .service import AuditService, open_audit
from .verify import VerifyReport, verify_log
from .witness import verify_cosignature

__all__ = [
    "PUBLIC_FIELDS",
    "AuditLog",
    "AuditService",
    "Checkpoint",
    "Checkpointer",
    "Detail",
    "DetailKeys",
    "NoteSigner",
    "NoteVerifier",
    "SignedCheckpoint",
    "VerifyReport",
    "canonical_json",
    "leaf_hash",
    "open_audit",
    "parse_checkpoint",
    "parse_leaf",
    "verify_consistency",
    "verify_cosignature",
    "verify_inclusion",
    "verify_log",
]
