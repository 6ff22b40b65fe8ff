"""Hot-list input: NCIC fixed-width extracts, CSV files and manual entries → validated entries.

Every entry must name its list, plate, issuing state, category, reason, case number, owner and
expiry (misuse signal 16: stale or undocumented entries). A field that is missing or wrong is
reported as an ``InputError`` with the line and field, so an operator can fix the file; a file
that is not of the announced format at all is a ``FormatError``.

NCIC extract layout (REFERENCE.md §4): ``[0:1]`` list type (NCIC code), ``[0:10]`` NIC (the
NCIC record number, kept as the case number), ``[10:19]`` ORI of the entering agency (the
owner), ``[19:27]`` incident date, ``[27:37]`` plate, ``[37:39]`` plate state, ``[39:43]`` tag
year, ``[45:49]`` vehicle year, ``[49:53]`` make, ``[53:56]`` model, ``[58:]`` colour. An
extract carries no expiry: the importer gives one (``valid_for``), so a list that stops being
refreshed stops matching.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from typing import Any, NamedTuple

from ..core.clock import parse_utc
from ..core.errors import FormatError, InputError, PlateError
from ..core.hotlist import NCIC_CATEGORIES, HotlistEntry
from ..core.plates import normalize_plate, normalize_region

REQUIRED_FIELDS = ("plate", "state", "category", "reason", "case_number", "owner", "expires_at")
DETAIL_FIELDS = ("make", "model", "colour", "vehicle_year", "tag_year", "incident_date")
_ALIASES = {
    "list": "list_id",
    "expires": "expires_at",
    "expiry": "expires_at",
    "case": "case_number",
    "case_no": "case_number",
    "color": "colour",
}
_LIST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
_PLAIN_PLATE = re.compile(r"[A-Z0-9]{2,10}")
_CATEGORY = re.compile(r"[A-Z0-9][A-Z0-9_-]{0,31}")
_REASONS = {code: f"NCIC {name}" for code, name in NCIC_CATEGORIES.items()}
_NAME_TO_CODE = {name.upper(): code for code, name in NCIC_CATEGORIES.items()}
_MAX_TEXT = {"reason": 200, "case_number": 64, "owner": 100}
_MAX_LINE = 1000
NCIC_MIN_LENGTH = 39


class ParsedEntry(NamedTuple):
    """One validated entry (the fields of ``HotlistEntry``), its line, and vehicle details.

    A tuple rather than a ``HotlistEntry``: a million-line extract is parsed in seconds.
    """

    list_id: str
    plate: str
    state: str
    category: str
    reason: str
    case_number: str
    owner: str
    expires_at: datetime
    expires_ts: float
    added_at: datetime
    line: int | None
    details: Mapping[str, str]

    @property
    def entry(self) -> HotlistEntry:
        return HotlistEntry(
            self.list_id,
            self.plate,
            self.state,
            self.category,
            self.reason,
            self.case_number,
            self.owner,
            self.expires_at,
            self.added_at,
        )

    def __repr__(self) -> str:
        return f"ParsedEntry(line={self.line}, entry={self.entry!r})"


def check_list_id(raw: Any) -> str:
    """A list id: 1–64 of letters, digits, ``_ . -``, starting with a letter or digit."""
    if not isinstance(raw, str) or not _LIST_ID.fullmatch(raw):
        raise InputError(
            "must be 1-64 letters, digits, '_', '.' or '-', starting with a letter or digit",
            field="list_id",
        )
    return raw


def check_category(raw: Any) -> str:
    """An NCIC code (``V``), an NCIC name (``Stolen Vehicle`` → ``V``) or a local category."""
    if not isinstance(raw, str) or not raw.strip():
        raise InputError("is required", field="category")
    text = raw.strip().upper()
    text = _NAME_TO_CODE.get(text, text)
    if not _CATEGORY.fullmatch(text):
        raise InputError("must be an NCIC code or 1-32 of A-Z, 0-9, '_' or '-'", field="category")
    return text


def _text(raw: Any, name: str) -> str:
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        raise InputError("is required", field=name)
    if not isinstance(raw, str | int):
        raise InputError(f"expected text, got {type(raw).__name__}", field=name)
    text = str(raw).strip()
    limit = _MAX_TEXT.get(name, 100)
    if len(text) > limit:
        raise InputError(f"is {len(text)} characters long; at most {limit}", field=name)
    if any(ord(ch) < 32 for ch in text):
        raise InputError("contains control characters", field=name)
    return text


def parse_expiry(raw: Any) -> datetime:
    """``YYYY-MM-DD`` (valid through that UTC day) or an ISO 8601 time with an offset."""
    if raw is None or raw == "":
        raise InputError("is required", field="expires_at")
    if isinstance(raw, datetime):
        return parse_utc(raw, field="expires_at")
    if isinstance(raw, str) and len(raw.strip()) == 10:
        try:
            day = date.fromisoformat(raw.strip())
        except ValueError as exc:
            raise InputError(f"{raw!r} is not a date (YYYY-MM-DD)", field="expires_at") from exc
        if day == date.max:  # "through 9999-12-31" ends past the last representable time
            raise InputError(
                f"{raw!r} is beyond the last date this system can hold", field="expires_at"
            )
        return datetime(day.year, day.month, day.day, tzinfo=UTC) + timedelta(days=1)
    if not isinstance(raw, str):
        raise InputError("expected YYYY-MM-DD or an ISO 8601 time", field="expires_at")
    return parse_utc(raw, field="expires_at")


def _details(raw: Mapping[str, Any]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name in DETAIL_FIELDS:
        value = raw.get(name)
        if value is None or value == "":
            continue
        if not isinstance(value, str | int):
            raise InputError(f"expected text, got {type(value).__name__}", field=name)
        text = str(value).strip()
        if len(text) > 40 or any(ord(ch) < 32 for ch in text):
            raise InputError("must be at most 40 printable characters", field=name)
        if text:
            out[name] = text
    return out


def entry_from_mapping(
    raw: Mapping[str, Any],
    *,
    list_id: str,
    now: datetime,
    max_validity: timedelta,
    line: int | None = None,
) -> ParsedEntry:
    """Validates one manual or CSV entry (field names as in ``REQUIRED_FIELDS``).

    An entry whose expiry has passed is returned as is: the importer counts and skips it.
    """
    if not isinstance(raw, Mapping):
        raise InputError(f"an entry must be an object, got {type(raw).__name__}", line=line)
    try:
        given_list = raw.get("list_id")
        if given_list not in (None, "") and given_list != list_id:
            raise InputError(
                f"names list {str(given_list)[:64]!r}, not {list_id!r}", field="list_id"
            )
        if raw.get("plate") in (None, ""):
            raise InputError("is required", field="plate")
        plate = normalize_plate(raw["plate"])
        state_raw = raw.get("state")
        if state_raw is not None and not isinstance(state_raw, str):
            raise InputError("expected a two-letter code", field="state")
        state = normalize_region(state_raw)
        if state is None:
            raise InputError("is required: an alert needs plate and state", field="state")
        category = check_category(raw.get("category"))
        reason = _text(raw.get("reason"), "reason")
        case_number = _text(raw.get("case_number"), "case_number")
        owner = _text(raw.get("owner"), "owner")
        expires_at = parse_expiry(raw.get("expires_at"))
        if expires_at - now > max_validity:
            raise InputError(
                f"is more than {max_validity.days} days ahead; entries must be reviewed "
                "at least that often",
                field="expires_at",
            )
        details = _details(raw)
    except InputError as exc:
        if line is None:
            raise
        raise exc.at_line(line) from None
    return ParsedEntry(
        list_id,
        plate,
        state,
        category,
        reason,
        case_number,
        owner,
        expires_at,
        expires_at.timestamp(),
        now,
        line,
        details,
    )


def decode_text(data: bytes, what: str) -> str:
    """UTF-8 text of an uploaded file (a BOM is allowed); anything else is a ``FormatError``."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise FormatError(f"{what} is not UTF-8 text (byte {exc.start})") from exc


def is_ncic_header(line: str) -> bool:
    """True for a first line that is not a record (extracts often start with a header)."""
    return len(line) < NCIC_MIN_LENGTH or not line[1:10].isdigit()


@functools.lru_cache(maxsize=4096)
def _is_day(text: str) -> bool:
    try:
        date(int(text[0:4]), int(text[4:6]), int(text[6:8]))
    except ValueError:
        return False
    return True


def parse_ncic_line(
    line: str,
    lineno: int,
    *,
    list_id: str,
    now: datetime,
    expires_at: datetime,
    expires_ts: float | None = None,
) -> ParsedEntry:
    """One fixed-width NCIC record → entry; every fault names the line and the field."""
    if len(line) > _MAX_LINE:
        raise InputError(f"is {len(line)} characters long", field="record", line=lineno)
    if len(line) < NCIC_MIN_LENGTH:
        raise InputError(
            f"is {len(line)} characters; an NCIC record needs at least {NCIC_MIN_LENGTH} "
            "(through the plate state)",
            field="record",
            line=lineno,
        )
    code = line[0]
    if code not in NCIC_CATEGORIES:
        raise InputError(f"{code!r} is not an NCIC list code", field="list_type", line=lineno)
    nic = line[0:10]
    if not nic[1:].isdigit():
        raise InputError("NIC must be the list code and 9 digits", field="nic", line=lineno)
    ori = line[10:19].strip()
    if not ori or not ori.isalnum():
        raise InputError("ORI of the entering agency is missing", field="ori", line=lineno)
    incident = line[19:27].strip()
    if incident and not _is_day(incident):
        raise InputError(
            f"{incident!r} is not a date (YYYYMMDD)", field="incident_date", line=lineno
        )
    plate = line[27:37].strip()
    if not _PLAIN_PLATE.fullmatch(plate):  # the common case skips the general normaliser
        try:
            plate = normalize_plate(line[27:37])
        except PlateError as exc:
            raise exc.at_line(lineno) from None
    state_text = line[37:39].replace("0", "O")  # extracts sometimes key O as zero: 0H → OH
    try:
        state = normalize_region(state_text)
    except PlateError as exc:
        raise exc.at_line(lineno) from None
    if state is None:
        raise InputError("is required: an alert needs plate and state", field="state", line=lineno)
    if expires_ts is None:
        expires_ts = expires_at.timestamp()
    details: dict[str, str] = {}
    for name, value in (
        ("incident_date", incident),
        ("tag_year", line[39:43].strip()),
        ("vehicle_year", line[45:49].strip()),
        ("make", line[49:53].strip()),
        ("model", line[53:56].strip()),
        ("colour", line[58:].strip()[:40]),
    ):
        if value:
            details[name] = value
    return ParsedEntry(
        list_id,
        plate,
        state,
        code,
        _REASONS[code],
        nic,
        ori,
        expires_at,
        expires_ts,
        now,
        lineno,
        details,
    )


def iter_ncic(
    text: str, *, list_id: str, now: datetime, expires_at: datetime
) -> Iterator[ParsedEntry | InputError]:
    """Every record of an NCIC extract, or the error of the line; a header line is skipped."""
    expires_ts = expires_at.timestamp()
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.rstrip("\r\n")
        if not line.strip():
            continue
        if lineno == 1 and is_ncic_header(line):
            continue
        try:
            yield parse_ncic_line(
                line, lineno, list_id=list_id, now=now, expires_at=expires_at, expires_ts=expires_ts
            )
        except InputError as exc:
            yield exc


def iter_csv(
    text: str, *, list_id: str, now: datetime, max_validity: timedelta
) -> Iterator[ParsedEntry | InputError]:
    """Every row of a CSV with a header naming at least ``REQUIRED_FIELDS``."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise FormatError("the CSV file is empty; it needs a header row") from None
    except csv.Error as exc:
        raise FormatError(f"line 1: not CSV: {exc}") from exc
    names = [_ALIASES.get(h.strip().lower(), h.strip().lower()) for h in header]
    known = {"list_id", *REQUIRED_FIELDS, *DETAIL_FIELDS}
    missing = [f for f in REQUIRED_FIELDS if f not in names]
    unknown = [h for h in names if h not in known]
    if missing or unknown:
        parts = []
        if missing:
            parts.append(f"missing column(s) {', '.join(missing)}")
        if unknown:
            parts.append(f"unknown column(s) {', '.join(u[:30] for u in unknown)}")
        raise FormatError(f"line 1: CSV header has {'; '.join(parts)}")
    if len(set(names)) != len(names):
        raise FormatError("line 1: CSV header names a column twice")
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield InputError(f"not CSV: {exc}", line=reader.line_num)
            return
        lineno = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(names):
            yield InputError(
                f"has {len(row)} cells; the header has {len(names)}", field="row", line=lineno
            )
            continue
        try:
            yield entry_from_mapping(
                dict(zip(names, row, strict=True)),
                list_id=list_id,
                now=now,
                max_validity=max_validity,
                line=lineno,
            )
        except InputError as exc:
            yield exc
