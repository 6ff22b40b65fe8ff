"""Cell-level parsing shared by the CSV and XLSX readers: headers, times, numbers, plates.

Everything here is on the hot path of a 10-million-row import, so times are parsed by hand
with a per-date cache instead of ``strptime`` (row IDs are packed by ``table.ids``). Errors
never quote the cell: it may hold a name or a plate.
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, datetime, timedelta

from ...core.errors import InputError
from ..table.ids import NO_TIME

# -- headers ------------------------------------------------------------------------------

SEARCH_ALIASES: dict[str, tuple[str, ...]] = {
    "id": ("id", "searchid", "auditid", "recordid"),
    "user": ("name", "user", "username", "userid", "officer", "searcher", "searchedby"),
    "org": ("orgname", "organization", "organizationname", "org", "agency", "agencyname"),
    "networks": ("totalnetworkssearched", "networkcount", "networks", "networkssearched"),
    "devices": (
        "totaldevicessearched", "cameracount", "devicecount", "devices", "cameras",
        "camerassearched", "devicessearched",
    ),
    "time_frame": ("timeframe", "searchtimeframe", "timerange", "daterange"),
    "tf_start": ("timeframestart", "searchstart", "windowstart"),
    "tf_end": ("timeframeend", "searchend", "windowend"),
    "plate": ("licenseplate", "plate", "platenumber", "lpn", "licenseplatenumber"),
    "reason": ("reason", "searchreason", "purpose", "justification"),
    "case": ("case", "casenumber", "caseno", "casenum", "caseid", "incidentnumber"),
    "offense": ("offensetype", "offense", "offensecategory", "crimetype"),
    "filters": ("filters", "filter", "searchfilters"),
    "search_time": ("searchtime", "searchdate", "searchedat", "timeofsearch", "datetime"),
    "search_type": ("searchtype", "type"),
    "text_prompt": ("textprompt", "prompt", "freeformprompt"),
    "moderation": ("moderation", "moderationnote", "moderationstatus", "moderationresult"),
}  # fmt: skip

EVENT_ALIASES: dict[str, tuple[str, ...]] = {
    "timestamp": ("timestamp", "eventtime", "time", "date"),
    "user": ("user", "username", "name"),
    "event_type": ("eventtype", "event", "action"),
    "entity_type": ("entitytype", "entity"),
    "details": ("entitydetails", "details"),
    "event_id": ("eventid", "id"),
}

DISPLAY = {
    "id": "ID", "user": "Name", "org": "Org Name", "networks": "Total Networks Searched",
    "devices": "Total Devices Searched", "time_frame": "Time Frame",
    "tf_start": "Time Frame Start", "tf_end": "Time Frame End", "plate": "License Plate",
    "reason": "Reason", "case": "Case #", "offense": "Offense Type", "filters": "Filters",
    "search_time": "Search Time", "search_type": "Search Type", "text_prompt": "Text Prompt",
    "moderation": "Moderation", "timestamp": "Timestamp", "event_type": "Event Type",
    "entity_type": "Entity Type", "details": "Entity Details", "event_id": "Event Id",
}  # fmt: skip

_NON_ALNUM = re.compile(r"[^a-z0-9]")


def header_key(cell: object) -> str:
    """``' Total_Networks_Searched'`` and ``'Total Networks Searched '`` both give one key."""
    text = "" if cell is None else str(cell)
    return _NON_ALNUM.sub("", text.replace("\ufeff", "").lower())


def _reverse(aliases: dict[str, tuple[str, ...]]) -> dict[str, str]:
    return {alias: name for name, names in aliases.items() for alias in names}


SEARCH_BY_KEY = _reverse(SEARCH_ALIASES)
EVENT_BY_KEY = _reverse(EVENT_ALIASES)

# -- times --------------------------------------------------------------------------------


_DATES: dict[str, int] = {}
_UTC_NAMES = frozenset({"UTC", "GMT", "Z", "+00:00", "+0000", "UTC+0", "UTC+00:00"})
_EXCEL_EPOCH = datetime(1899, 12, 30, tzinfo=UTC)
_EXCEL_SERIAL = re.compile(r"\d{5}(\.\d+)?")
TIME_HINT = "expected e.g. '1/9/2025, 12:32:31 PM UTC' or '2025-01-09 12:32:31'"


def _bad_time(field: str) -> InputError:
    return InputError(f"not a date and time ({TIME_HINT})", field=field)


def _us_date(text: str, field: str) -> int:
    parts = text.strip().split("/")
    if len(parts) != 3 or not all(p.isdigit() for p in parts):
        raise _bad_time(field)
    month, day, year = (int(p) for p in parts)
    if year < 100:
        year += 2000
    if not (1 <= year <= 9999 and 1 <= month <= 12):  # a five-digit year is no date
        raise _bad_time(field)
    if not 1 <= day <= calendar.monthrange(year, month)[1]:
        raise _bad_time(field)
    epoch = calendar.timegm((year, month, day, 0, 0, 0))
    if len(_DATES) < 100_000:
        _DATES[text] = epoch
    return epoch


def _clock(text: str, field: str) -> int:
    pieces = text.split(":")
    if not 2 <= len(pieces) <= 3 or not pieces[0].isdigit() or not pieces[1].isdigit():
        raise _bad_time(field)
    try:
        seconds = int(float(pieces[2])) if len(pieces) == 3 else 0
    except ValueError as exc:
        raise _bad_time(field) from exc
    hour, minute = int(pieces[0]), int(pieces[1])
    if hour > 23 or minute > 59 or not 0 <= seconds <= 60:
        raise _bad_time(field)
    return hour * 3600 + minute * 60 + seconds


_MINUTES: dict[str, int] = {}


def parse_time(text: str, field: str = "Search Time") -> int:
    """Epoch seconds (UTC) from the time formats Flock exports and spreadsheets use.

    ``1/9/2025, 12:32:31 PM UTC`` (padded or not, with or without comma, 12 or 24 h),
    ISO 8601 with or without offset (naive means UTC: Flock states its times in UTC), and
    Excel serial day numbers. A zone other than UTC is refused rather than guessed.

    Fast path: the text up to the minute (plus whatever follows the seconds) is cached with
    the epoch of that minute, so most calls are one split, one lookup and one ``int``.
    """
    head, sep, tail = text.rpartition(":")
    if sep and tail[:2].isdigit() and not tail[2:3].isdigit():
        key = head + tail[2:]
        base = _MINUTES.get(key)
        if base is not None and int(tail[:2]) < 60:
            return base + int(tail[:2])
        value = _parse_time(text, field)
        if int(tail[:2]) < 60:
            if len(_MINUTES) > 500_000:
                _MINUTES.clear()
            _MINUTES[key] = value - int(tail[:2])
        return value
    return _parse_time(text, field)


def _parse_time(text: str, field: str) -> int:
    s = text.strip()
    if "/" in s[:6]:
        date_part, sep, rest = s.partition(",")
        if not sep:
            date_part, _, rest = s.partition(" ")
        day = _DATES.get(date_part)
        if day is None:
            day = _us_date(date_part, field)
        tokens = rest.split()
        if not tokens:
            return day
        seconds = _clock(tokens[0], field)
        index = 1
        if len(tokens) > 1 and tokens[1].upper() in ("AM", "PM"):
            hour = seconds // 3600
            if hour == 0 or hour > 12:
                raise _bad_time(field)
            hour24 = hour % 12 + (12 if tokens[1].upper() == "PM" else 0)
            seconds += (hour24 - hour) * 3600
            index = 2
        if index < len(tokens) and " ".join(tokens[index:]).upper() not in _UTC_NAMES:
            raise InputError(f"time zone is not UTC ({TIME_HINT})", field=field)
        return day + seconds
    if len(s) >= 10 and s[4:5] == "-" and s[:4].isdigit():
        iso = s[:-4].rstrip() if s.upper().endswith(" UTC") else s
        if iso.endswith(("Z", "z")):
            iso = iso[:-1] + "+00:00"
        try:
            moment = datetime.fromisoformat(iso)
        except ValueError as exc:
            raise _bad_time(field) from exc
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        return int(moment.timestamp())
    if _EXCEL_SERIAL.fullmatch(s):
        return int((_EXCEL_EPOCH + timedelta(days=float(s))).timestamp())
    raise _bad_time(field)


def frame_cell(cell: str, search_time: str, t: int) -> tuple[int, int]:
    """The searched window of a two-line ``Time Frame`` cell; ``InputError`` if unreadable.
    A window that ends at the search time (the usual case) costs no second parse."""
    frame = cell.strip()
    if not frame or frame[0] == "*":
        return NO_TIME, NO_TIME
    first, _, second = frame.partition("\n")
    if second == search_time:
        end = t
    else:
        end = parse_time(second, "Time Frame") if second.strip() else NO_TIME
    return parse_time(first, "Time Frame"), end


def split_frame(start_cell: str, end_cell: str) -> tuple[int, int]:
    """The searched window from ``Time Frame Start`` and ``Time Frame End`` cells."""
    start, end = start_cell.strip(), end_cell.strip()
    return (
        parse_time(start, "Time Frame Start") if start else NO_TIME,
        parse_time(end, "Time Frame End") if end else NO_TIME,
    )


def from_epoch(seconds: int) -> datetime | None:
    return None if seconds == NO_TIME else datetime.fromtimestamp(seconds, UTC)


# -- numbers, types, plates ---------------------------------------------------------------


def parse_count(text: str, field: str) -> int:
    """A whole number such as ``1424`` or ``1,424``; blank or masked gives -1."""
    s = text.strip()
    if not s or s.startswith("*"):
        return -1
    if s.isdigit():
        return int(s)
    cleaned = s.replace(",", "").replace(" ", "")
    if cleaned.endswith(".0"):
        cleaned = cleaned[:-2]
    if cleaned.isdigit():
        return int(cleaned)
    raise InputError("not a whole number", field=field)


def search_type(text: str) -> tuple[str, bool]:
    """``'lookup - Mobile'`` → ``('lookup', True)``; ``'multiGeo'`` → ``('multigeo', False)``."""
    low = text.strip().lower()
    mobile = "mobile" in low
    if mobile:
        low = low.replace("mobile", " ")
    return _NON_ALNUM.sub("", low), mobile


_PLATE_DROP = str.maketrans("", "", " -.\t")


def plate_text(text: str) -> str:
    """Upper-case, separators removed; wildcards (``*``, ``?``) of partial searches kept."""
    return text.strip().upper().translate(_PLATE_DROP)


def is_masked(text: str) -> bool:
    s = text.strip()
    return len(s) >= 2 and s.strip("*") == ""
