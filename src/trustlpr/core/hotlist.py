"""Hot-list entries: plates someone is looking for, with who, why and until when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from .plates import mask_plate

NCIC_CATEGORIES = {
    "A": "Amber Alert",
    "F": "Felony",
    "W": "Wanted Person",
    "V": "Stolen Vehicle",
    "P": "Stolen Plate",
    "M": "Missing Person",
    "C": "Supervised Release",
    "H": "Protection Order",
    "K": "Protective Interest",
    "L": "Violent Person",
    "R": "Stolen Canadian Vehicle",
    "T": "Gang/Terrorist",
    "X": "Sex Offender",
}


class StopOutcome(StrEnum):
    """What came of a confirmed alert, recorded once by an officer: the record Virginia keeps
    of whether a stop came from an ALPR alert and New Hampshire's annual counts of matches,
    stops and their outcomes. Counted publicly; the officer's note stays private."""

    NO_CONTACT = "no_contact"
    STOP = "stop"
    ARREST = "arrest"
    RECOVERY = "recovery"
    WRONG_VEHICLE = "wrong_vehicle"
    OTHER = "other"


STOP_OUTCOME_LABELS = {
    StopOutcome.NO_CONTACT: "No contact (vehicle not found or not stopped)",
    StopOutcome.STOP: "Stopped, no arrest or recovery",
    StopOutcome.ARREST: "Stopped, arrest made",
    StopOutcome.RECOVERY: "Stolen vehicle or plate recovered",
    StopOutcome.WRONG_VEHICLE: "Stopped, not the vehicle sought",
    StopOutcome.OTHER: "Other (the note says what)",
}


@dataclass(frozen=True, slots=True)
class HotlistEntry:
    list_id: str
    plate: str
    state: str
    category: str
    reason: str
    case_number: str
    owner: str
    expires_at: datetime
    added_at: datetime | None = None

    def active(self, at: datetime) -> bool:
        return at < self.expires_at

    def __repr__(self) -> str:
        return (
            f"HotlistEntry(list_id={self.list_id!r}, plate={mask_plate(self.plate)!r}, "
            f"state={self.state!r}, category={self.category!r})"
        )
