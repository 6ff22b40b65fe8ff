"""What is stored: hot-list entries and lists; alerts with the read, image, entry and verdict.

An alert is a lead, not a fact (DESIGN.md principle 5). ``kind`` says whether it is an
``alert`` (plate and state equal an active entry; or the plate alone, where the read has no
state and the policy says so: ``state_not_read``) or a ``possible`` match (a confusion sibling
or another state) that is shown as "possible — verify" and never pushed. ``status`` starts
``unverified`` until an officer records ``confirmed``, ``misread`` or ``not_the_vehicle``. A
confirmed alert may then get its ``stop_outcome`` (``core.hotlist.StopOutcome``), once.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

from ..core.clock import iso
from ..core.hotlist import NCIC_CATEGORIES, STOP_OUTCOME_LABELS, HotlistEntry, StopOutcome
from ..core.plates import mask_plate
from ..core.reads import Read
from .matcher import Candidate
from .parse import DETAIL_FIELDS


@dataclass(frozen=True, slots=True)
class ListInfo:
    """A list's metadata; ``active`` counts entries not yet expired."""

    list_id: str
    source_agency: str
    description: str
    generation: int
    updated_at: datetime
    updated_by: str
    entries: int
    active: int

    def to_json(self) -> dict[str, Any]:
        return {
            "list_id": self.list_id,
            "source_agency": self.source_agency,
            "entries": self.entries,
            "active": self.active,
            "generation": self.generation,
            "updated_at": iso(self.updated_at),
            "updated_by": self.updated_by,
        }


@dataclass(frozen=True, slots=True)
class StoredEntry:
    """An entry as stored, with its id and vehicle details."""

    id: int
    entry: HotlistEntry
    details: dict[str, str]

    def to_json(self) -> dict[str, Any]:
        e = self.entry
        return {
            "id": self.id,
            "list_id": e.list_id,
            "plate": e.plate,
            "state": e.state,
            "category": e.category,
            "reason": e.reason,
            "case_number": e.case_number,
            "owner": e.owner,
            "expires_at": iso(e.expires_at),
            "added_at": iso(e.added_at) if e.added_at else None,
            "details": self.details,
        }


def stored_entry(row: Sequence[Any]) -> StoredEntry:
    entry = HotlistEntry(
        list_id=row[1],
        plate=row[2],
        state=row[3],
        category=row[4],
        reason=row[5],
        case_number=row[6],
        owner=row[7],
        expires_at=_from_ts(row[8]),
        added_at=_from_ts(row[9]),
    )
    details = {name: v for name, v in zip(DETAIL_FIELDS, row[10:], strict=True) if v}
    return StoredEntry(id=int(row[0]), entry=entry, details=details)


def _from_ts(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


class AlertKind(StrEnum):
    ALERT = "alert"
    POSSIBLE = "possible"


class Verdict(StrEnum):
    """An officer's verification outcome."""

    CONFIRMED = "confirmed"
    MISREAD = "misread"
    NOT_THE_VEHICLE = "not_the_vehicle"


UNVERIFIED = "unverified"
LABELS = {
    AlertKind.ALERT: "hot-list alert — confirm visually and with the database before any stop",
    AlertKind.POSSIBLE: "possible — verify",
}
STATE_NOT_READ_LABEL = (
    "hot-list alert — state not read: verify the plate's state on the image, then confirm "
    "with the database before any stop"
)
STATE_UNKNOWN = "state_unknown"


def alert_id(key: bytes, read: Read, entry_id: int, kind: AlertKind) -> str:
    """The id of the alert ``read`` raises for entry ``entry_id``: the same read and entry give
    the same id in every attempt, process and restart, so storing, auditing and delivering
    it are idempotent. Keyed (``key`` is a random secret of ``alerts.db``) so that an id is no
    oracle for guessing which plate passed which camera when."""
    material = "\x1f".join(
        (
            kind.value,
            str(entry_id),
            read.agency_id,
            read.camera_id,
            read.plate,
            read.state or "",
            read.observed_at.isoformat(),
        )
    )
    return hmac.new(key, material.encode(), hashlib.sha256).hexdigest()[:32]


def outcome_conflict(record: AlertRecord) -> str | None:
    """Why no stop outcome may be recorded for ``record`` now (None: it may): only a
    confirmed alert gets one, and only once."""
    if record.stop_outcome is not None:
        return f"alert {record.id} already has the outcome {record.stop_outcome.value}"
    if record.status != Verdict.CONFIRMED:
        return (
            f"alert {record.id} is {record.status}: an outcome is recorded only after an "
            "officer confirmed the alert"
        )
    return None


def read_fields(read: Read) -> dict[str, Any]:
    """The read as plain JSON fields (the image travels separately)."""
    return {
        "plate": read.plate,
        "state": read.state,
        "confidence": read.confidence,
        "observed_at": iso(read.observed_at),
        "camera_id": read.camera_id,
        "agency_id": read.agency_id,
        "latitude": read.latitude,
        "longitude": read.longitude,
        "direction": read.direction,
        "make": read.make,
        "colour": read.colour,
        "vehicle_type": read.vehicle_type,
        "image_ref": read.image_ref,
    }


def warnings_for(read: Read, cand: Candidate, low_confidence: float) -> list[str]:
    """Signals that an alert may be a misread (REFERENCE.md §3, signal 17)."""
    out = []
    if read.confidence < low_confidence:
        out.append("low_confidence")
    if cand.why.value != "exact":
        out.append(cand.why.value)
    return out


@dataclass(frozen=True, slots=True)
class AlertRecord:
    """One alert or possible match as persisted and shown to staff."""

    id: str
    kind: AlertKind
    why: str
    raised_at: datetime
    read: dict[str, Any]
    entry: dict[str, Any]
    has_image: bool
    warnings: list[str] = field(default_factory=list)
    status: str = UNVERIFIED
    verified_by: str | None = None
    verified_at: datetime | None = None
    note: str | None = None
    stop_outcome: StopOutcome | None = None
    outcome_by: str | None = None
    outcome_at: datetime | None = None
    outcome_note: str | None = None

    @property
    def list_id(self) -> str:
        return str(self.entry["list_id"])

    @property
    def category(self) -> str:
        return str(self.entry["category"])

    @property
    def camera_id(self) -> str:
        return str(self.read["camera_id"])

    @property
    def state_not_read(self) -> bool:
        """An alert on the plate text alone: the read has no state (policy ``no_state_match``)."""
        return self.kind is AlertKind.ALERT and self.why == STATE_UNKNOWN

    @property
    def label(self) -> str:
        return STATE_NOT_READ_LABEL if self.state_not_read else LABELS[self.kind]

    def to_json(self, image: bytes | None = None) -> dict[str, Any]:
        """The staff-facing form; ``image`` (if given) is embedded as base64 for pushes."""
        body: dict[str, Any] = {
            "id": self.id,
            "kind": self.kind.value,
            "label": self.label,
            "why": self.why,
            "raised_at": iso(self.raised_at),
            "read": self.read,
            "confidence": self.read.get("confidence"),
            "entry": self.entry,
            "category_name": NCIC_CATEGORIES.get(self.category, self.category),
            "has_image": self.has_image,
            "warnings": self.warnings,
            "status": self.status,
            "verified_by": self.verified_by,
            "verified_at": iso(self.verified_at) if self.verified_at else None,
            "note": self.note,
            "stop_outcome": None
            if self.stop_outcome is None
            else {
                "outcome": self.stop_outcome.value,
                "label": STOP_OUTCOME_LABELS[self.stop_outcome],
                "by": self.outcome_by,
                "at": iso(self.outcome_at) if self.outcome_at else None,
                "note": self.outcome_note,
            },
        }
        if image is not None:
            body["image_b64"] = base64.b64encode(image).decode("ascii")
        return body

    def __repr__(self) -> str:
        plate = str(self.read.get("plate") or "")
        return (
            f"AlertRecord(id={self.id!r}, kind={self.kind.value!r}, "
            f"plate={mask_plate(plate)!r}, status={self.status!r})"
        )


@dataclass(frozen=True, slots=True)
class DeliveryTarget:
    """Where pushed alerts go: a webhook (signed with ``secret``) or an MQTT topic."""

    id: int
    kind: str
    url: str
    secret: str | None = None

    def __repr__(self) -> str:  # the secret signs alerts; keep it out of logs
        return f"DeliveryTarget(id={self.id}, kind={self.kind!r}, url={self.url!r})"


@dataclass(frozen=True)
class AlertStats:
    """The portal's hot-list figures for the last ``days`` days."""

    days: int
    since: datetime
    hits: int
    confirmed: int
    misreads: int
    not_the_vehicle: int
    unverified: int
    possible: int
    possible_confirmed: int
    by_list: list[dict[str, Any]]
    by_camera: list[dict[str, Any]]
    state_not_read: int = 0

    @property
    def verified(self) -> int:
        return self.confirmed + self.misreads + self.not_the_vehicle

    @property
    def misread_rate(self) -> float | None:
        """Misreads among verified alerts; None until one is verified."""
        return self.misreads / self.verified if self.verified else None

    @property
    def false_hit_rate(self) -> float | None:
        """Misreads and wrong vehicles among verified alerts."""
        return (self.misreads + self.not_the_vehicle) / self.verified if self.verified else None

    def to_json(self) -> dict[str, Any]:
        return {
            "days": self.days,
            "since": iso(self.since),
            "hits": self.hits,
            "state_not_read": self.state_not_read,
            "confirmed": self.confirmed,
            "misreads": self.misreads,
            "not_the_vehicle": self.not_the_vehicle,
            "unverified": self.unverified,
            "verified": self.verified,
            "misread_rate": self.misread_rate,
            "false_hit_rate": self.false_hit_rate,
            "possible": self.possible,
            "possible_confirmed": self.possible_confirmed,
            "lists_alerted_on": self.by_list,
            "by_camera": self.by_camera,
        }
