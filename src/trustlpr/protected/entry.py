"""One entry of the protected-plates registry, as a value, and how its secret part is sealed.

Only the plate's keyed blind index (of its OCR-confusion class, so a misread of the plate is
protected too) and the AES-GCM ciphertext of plate, state and note reach ``protected.db``;
category and dates are stored in the clear because the public log counts them anyway.
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from cryptography.exceptions import InvalidTag

from ..core.errors import StoreError
from ..core.plates import confusion_key, mask_plate
from ..core.protected import ProtectedCategory
from ..keys import StandingKeys

INDEX_DOMAIN = b"trustlpr/protected-plate/v1\x00"
KEY_NAME = "protected"


class EntryStatus(StrEnum):
    PENDING = "pending"  # proposed, waiting for a second admin: protects nothing yet
    ACTIVE = "active"
    REJECTED = "rejected"
    REMOVED = "removed"
    EXPIRED = "expired"


ENDED = (EntryStatus.REJECTED, EntryStatus.REMOVED, EntryStatus.EXPIRED)
"""Statuses whose sealed part and blind index were erased (only a tombstone remains)."""


@dataclass(frozen=True, slots=True)
class Secret:
    """What is sealed: the plate, its state if known, and the admin's note (e.g. the ACP
    authorisation number)."""

    plate: str = field(repr=False)
    state: str | None
    note: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class ProtectedEntry:
    """An entry as admins see it; ``secret`` is None once the entry ended (erased)."""

    id: str
    agency_id: str
    category: ProtectedCategory
    status: EntryStatus
    expires_at: datetime
    review_at: datetime
    proposed_at: datetime
    proposed_by: str = field(repr=False)
    secret: Secret | None = field(default=None, repr=False)
    decided_at: datetime | None = None
    removal_proposed_by: str | None = field(default=None, repr=False)

    @property
    def masked_plate(self) -> str:
        return mask_plate(self.secret.plate) if self.secret else "(erased)"

    def review_due(self, now: datetime) -> bool:
        return self.status is EntryStatus.ACTIVE and self.review_at <= now


def plate_index(keys: StandingKeys, plate: str) -> int:
    """The blind index every lookup uses: of the plate's confusion class."""
    return keys.blind_index(INDEX_DOMAIN, confusion_key(plate))


def seal(keys: StandingKeys, entry_id: str, secret: Secret) -> bytes:
    """Nonce + AES-GCM ciphertext of the secret, bound to the entry's id."""
    nonce = secrets.token_bytes(12)
    text = json.dumps({"plate": secret.plate, "state": secret.state, "note": secret.note})
    return nonce + keys.aead.encrypt(nonce, text.encode(), entry_id.encode())


def unseal(keys: StandingKeys, entry_id: str, blob: bytes) -> Secret:
    """The secret of an entry; a blob that does not open is a ``StoreError`` (tampering)."""
    try:
        data = json.loads(keys.aead.decrypt(blob[:12], blob[12:], entry_id.encode()))
    except (InvalidTag, ValueError) as exc:
        raise StoreError(f"protected entry {entry_id} does not open with this node's key") from exc
    return Secret(data["plate"], data["state"], data["note"])
