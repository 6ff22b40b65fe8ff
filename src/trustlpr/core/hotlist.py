"""Hot-list entries: plates someone is looking for, with who, why and until when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

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
