"""Who searched: a federal agency or not, and which state, read from the ``Org Name``.

Exports name the searching organisation in free text ("Springfield CT PD", "Texas Department
of Public Safety", "HSI Hartford"). A two-letter state code among the words wins; otherwise a
state's full name, unless it is followed by "County" or "City" (there is a Washington County
in many states). Federal agencies are recognised by their acronyms and names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

from ...core.plates import US_REGIONS

_I = re.IGNORECASE

_FEDERAL_ORG = re.compile(
    r"\b(?:ICE|HSI|CBP|FBI|DEA|ATF|USMS|DHS|USBP|ERO|USSS|IRS|USPIS|NCIS)\b"
    r"|homeland\s+security|border\s+patrol|customs|immigration|marshals?\s+service"
    r"|\bfederal\b|bureau\s+of\s+(?:alcohol|investigation)|drug\s+enforcement"
    r"|u\.?\s?s\.?\s+(?:department|dept|attorney|marshal)|department\s+of\s+justice",
)
_STATE_NAMES = {
    "alabama": "AL", "alaska": "AK", "arizona": "AZ", "arkansas": "AR", "california": "CA",
    "colorado": "CO", "connecticut": "CT", "delaware": "DE", "florida": "FL", "georgia": "GA",
    "hawaii": "HI", "idaho": "ID", "illinois": "IL", "indiana": "IN", "iowa": "IA",
    "kansas": "KS", "kentucky": "KY", "louisiana": "LA", "maine": "ME", "maryland": "MD",
    "massachusetts": "MA", "michigan": "MI", "minnesota": "MN", "mississippi": "MS",
    "missouri": "MO", "montana": "MT", "nebraska": "NE", "nevada": "NV",
    "new hampshire": "NH", "new jersey": "NJ", "new mexico": "NM", "new york": "NY",
    "north carolina": "NC", "north dakota": "ND", "ohio": "OH", "oklahoma": "OK",
    "oregon": "OR", "pennsylvania": "PA", "rhode island": "RI", "south carolina": "SC",
    "south dakota": "SD", "tennessee": "TN", "texas": "TX", "utah": "UT", "vermont": "VT",
    "virginia": "VA", "washington": "WA", "west virginia": "WV", "wisconsin": "WI",
    "wyoming": "WY",
}  # fmt: skip
_STATE_NAME = re.compile(
    r"\b(" + "|".join(sorted(_STATE_NAMES, key=len, reverse=True)) + r")\b"
    r"(?!\s+(?:county|parish|township|twp|city|borough)\b)",
    _I,
)
_CODE = re.compile(r"\b[A-Z]{2}\b")


@dataclass(frozen=True, slots=True)
class OrgInfo:
    federal: bool
    state: str | None


@lru_cache(maxsize=1 << 14)
def classify_org(name: str) -> OrgInfo:
    """Is the searching organisation federal, and which state is it in (if the name says)?"""
    federal = bool(_FEDERAL_ORG.search(name) or _FEDERAL_ORG.search(name.lower()))
    codes = [c for c in _CODE.findall(name) if c in US_REGIONS]
    if codes:
        return OrgInfo(federal, codes[-1])
    match = _STATE_NAME.search(name)
    return OrgInfo(federal, _STATE_NAMES[match.group(1).lower()] if match else None)
