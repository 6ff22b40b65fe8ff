"""Per-camera settings that tell ingest how to read what a camera sends.

- ``mobile``: the camera moves (a patrol car, a trailer), so the GPS position in its payloads
  is where a read was taken. A fixed camera's reads are always stored at its registered place,
  whatever position its agent reports (an agent's configured GPS can be wrong by hundreds of
  kilometres); ingest counts and logs the disagreement instead.
- ``timezone``: the IANA zone (``America/New_York``) of the camera's clock, for senders that
  send local times without an offset (the Plate Recognizer Snapshot SDK). Without it such
  times are refused, because guessing the zone would misdate every read by hours.
- ``country``: the ISO 3166-1 alpha-2 country the camera stands in, for senders whose region
  codes do not name a country (frames from the open-source OpenALPR ``alprd``).
"""

from __future__ import annotations

from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import pycountry

from ..core.errors import InputError

COLUMNS = (
    ("mobile", "INTEGER NOT NULL DEFAULT 0"),
    ("timezone", "TEXT"),
    ("country", "TEXT"),
)
"""Columns added to ``cameras`` after its first release (added to older files on open)."""


@dataclass(frozen=True, slots=True)
class CameraSettings:
    """Validated settings; ``None`` fields in an update leave the current value."""

    mobile: bool | None = None
    timezone: str | None = None
    country: str | None = None


def check_timezone(name: str) -> str:
    """An IANA time zone name, as ``zoneinfo`` knows it (``UTC`` included)."""
    text = name.strip() if isinstance(name, str) else ""
    if not text or len(text) > 64:
        raise InputError("must be an IANA time zone like America/New_York", field="timezone")
    try:
        ZoneInfo(text)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        hint = " (zone names are case-sensitive)" if text.lower() in _lower_zones() else ""
        raise InputError(
            f"{text[:64]!r} is not an IANA time zone like America/New_York{hint}",
            field="timezone",
        ) from exc
    return text


def check_country(code: str) -> str:
    """An ISO 3166-1 alpha-2 country code, upper case (``us`` → ``US``)."""
    text = code.strip().upper() if isinstance(code, str) else ""
    if len(text) != 2 or pycountry.countries.get(alpha_2=text) is None:
        raise InputError(
            f"{str(code)[:8]!r} is not an ISO 3166-1 alpha-2 country code like US or DE",
            field="country",
        )
    return text


def _lower_zones() -> set[str]:
    return {zone.lower() for zone in available_timezones()}
