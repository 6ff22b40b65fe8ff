"""Plate rules: normalisation, the confusion key, and US issuing-region codes.

The display value (what the camera read, normalised) and the confusion key (what an OCR engine
might have confused it with) are kept apart: alerts need the exact value; "possible match"
and variant searches use the key. The confusion map is deliberately narrow (REFERENCE.md §5:
edit distance 1 flags 60% of innocent plates, this map 0.1%).
"""

from __future__ import annotations

import re

from .errors import PlateError

MIN_PLATE_LENGTH = 2
MAX_PLATE_LENGTH = 10

_SEPARATORS = str.maketrans("", "", " -.\t")
_VALID = re.compile(r"[A-Z0-9]+")
_CONFUSION = str.maketrans({"O": "0", "Q": "0", "I": "1", "B": "8", "S": "5", "Z": "2"})

# USPS codes of the states, DC and territories; Canadian provinces read by border cameras.
US_REGIONS = frozenset(
    "AL AK AZ AR CA CO CT DE DC FL GA HI ID IL IN IA KS KY LA ME MD MA MI MN MS MO MT NE NV NH NJ "
    "NM NY NC ND OH OK OR PA RI SC SD TN TX UT VT VA WA WV WI WY AS GU MP PR VI".split()
)
CA_REGIONS = frozenset("AB BC MB NB NL NS NT NU ON PE QC SK YT".split())
REGIONS = US_REGIONS | CA_REGIONS


def normalize_plate(raw: str) -> str:
    """Upper-cases ``raw``, strips spaces, dashes and dots; raises ``PlateError`` saying why not."""
    if not isinstance(raw, str):
        raise PlateError(f"plate must be text, got {type(raw).__name__}", field="plate")
    if len(raw) > 64:
        raise PlateError(f"plate is {len(raw)} characters long before normalisation", field="plate")
    plate = raw.upper().translate(_SEPARATORS)
    if not plate:
        raise PlateError("plate is empty", field="plate")
    if not _VALID.fullmatch(plate):
        bad = next(ch for ch in plate if not ("A" <= ch <= "Z" or "0" <= ch <= "9"))
        raise PlateError(
            f"plate contains {bad!r} (U+{ord(bad):04X}); only A-Z and 0-9 are allowed",
            field="plate",
        )
    if len(plate) < MIN_PLATE_LENGTH:
        raise PlateError(
            f"plate has {len(plate)} character(s); at least {MIN_PLATE_LENGTH} are needed",
            field="plate",
        )
    if len(plate) > MAX_PLATE_LENGTH:
        raise PlateError(
            f"plate has {len(plate)} characters; at most {MAX_PLATE_LENGTH} are allowed",
            field="plate",
        )
    return plate


def is_normalized(plate: str) -> bool:
    """True when ``plate`` is already in normal form (cheap check for trusted paths)."""
    return MIN_PLATE_LENGTH <= len(plate) <= MAX_PLATE_LENGTH and bool(_VALID.fullmatch(plate))


def confusion_key(plate: str) -> str:
    """Maps a normalised plate onto its OCR-confusion class (O/Q→0, I→1, B→8, S→5, Z→2)."""
    return plate.translate(_CONFUSION)


def normalize_region(raw: str | None) -> str | None:
    """Returns a known two-letter issuing region (``US-CT`` and ``ct`` both give ``CT``), or None.

    Unknown codes raise ``PlateError``: a wrong state makes a hot-list match wrong.
    """
    if raw is None:
        return None
    if raw in REGIONS:
        return raw
    code = raw.strip().upper()
    if not code:
        return None
    for prefix in ("US-", "US_", "CA-", "CA_"):
        if code.startswith(prefix):
            code = code[len(prefix) :]
    if code not in REGIONS:
        raise PlateError(f"unknown issuing state/region {raw[:12]!r}", field="state")
    return code


def mask_plate(plate: str) -> str:
    """A form of the plate safe for logs and reprs: first character and length only."""
    return f"{plate[:1]}{'*' * max(len(plate) - 1, 0)}" if plate else ""
