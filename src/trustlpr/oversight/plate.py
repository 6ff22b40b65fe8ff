"""Was my plate searched? The searches in the exports that name one plate.

The question residents bring to civil-liberties groups. A search names the plate when its
``License Plate`` cell is the plate (separators and case ignored), or a partial search whose
wildcards (``*`` any run, ``?`` one character) cover it; with ``similar`` also a plate that
differs only by the usual misreadings (O/Q/0, I/1, B/8, S/5, Z/2), which is probably another
car and is labelled so. Searches whose plate the export masked are counted: any may be it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from ..core.plates import confusion_key, mask_plate, normalize_plate
from .records import SearchRecord
from .table.chunk import FLAG_MASKED
from .table.columns import RecordTable

MATCH_KINDS = ("exact", "partial", "similar")


@dataclass(frozen=True, slots=True)
class PlateMatch:
    """One search that names the plate, and how (``exact``, ``partial`` or ``similar``)."""

    kind: str
    record: SearchRecord

    def to_json(self, show_plates: bool) -> dict[str, object]:
        """``plate`` is the export's cell: in full for an exact or partial match (the plate
        asked about, or a pattern covering it), masked for a similar one (probably another
        car) unless ``show_plates``."""
        r = self.record
        plate = r.plate or ""
        full = show_plates or self.kind != "similar"
        return {
            "match": self.kind,
            "time": r.searched_at.isoformat(),
            "user": r.user,
            "org": r.org,
            "plate": plate if full else mask_plate(plate),
            "reason": r.reason,
            "case_number": r.case_number,
            "offense": r.offense,
            "search_type": r.search_type,
            "networks": r.networks,
            "devices": r.devices,
            "source_file": r.source,
            "line": r.line,
            "export_id": r.export_id,
            "masked_fields": r.masked,
        }


@dataclass(frozen=True, slots=True)
class PlateAnswer:
    plate: str  # normalised
    matches: list[PlateMatch]  # in time order
    masked_plate_searches: int  # searches with masked details and no plate shown
    searches: int  # all searches read

    def to_json(self, show_plates: bool) -> dict[str, object]:
        return {
            "plate": self.plate,
            "searches_read": self.searches,
            "matches": len(self.matches),
            "by_kind": {k: sum(m.kind == k for m in self.matches) for k in MATCH_KINDS},
            "masked_plate_searches": self.masked_plate_searches,
            "searches": [m.to_json(show_plates) for m in self.matches],
        }


def _wildcard(pattern: str) -> re.Pattern[str]:
    return re.compile(
        "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    )


def find_plate(table: RecordTable, plate: str, similar: bool = False) -> PlateAnswer:
    """Every search in ``table`` naming ``plate`` (raises ``PlateError`` for a bad plate)."""
    wanted = normalize_plate(plate)
    key = confusion_key(wanted)
    kinds: dict[int, str] = {}
    for i, text in enumerate(table.pools["plate"]):
        if text == wanted:
            kinds[i] = "exact"
        elif "*" in text or "?" in text:
            if text.strip("*?") and _wildcard(text).fullmatch(wanted):
                kinds[i] = "partial"
        elif similar and len(text) == len(wanted) and confusion_key(text) == key:
            kinds[i] = "similar"
    column = table.cols["plate"]
    code = np.full(len(table.pools["plate"]) + 1, -1, dtype=np.int8)
    for i, kind in kinds.items():
        code[i] = MATCH_KINDS.index(kind)
    per_row = code[column]  # a row with no plate (-1) reads the last entry, -1
    rows = np.flatnonzero(per_row >= 0)
    rows = rows[np.argsort(table.cols["t"][rows], kind="stable")]
    matches = [PlateMatch(MATCH_KINDS[int(per_row[i])], table.record(int(i))) for i in rows]
    masked = int(np.count_nonzero((column < 0) & ((table.cols["flags"] & FLAG_MASKED) != 0)))
    return PlateAnswer(wanted, matches, masked, table.n)
