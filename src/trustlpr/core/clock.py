"""Time: UTC parsing, day partitions, and an injectable clock so tests move time, not sleep."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

from .errors import InputError

Clock = Callable[[], datetime]
"""A function returning the current time as an aware UTC datetime."""


def system_clock() -> datetime:
    return datetime.now(UTC)


class ReplayClock:
    """A clock that stands where it is set while a past is replayed, then follows the system
    clock (``go_live``). It never goes back: setting it earlier is an ``InputError``, and once
    live it reads the later of the system time and the last replayed moment. The demo's
    backfill runs the whole node (pipeline, purge, searches, the log's entry times) on it, so
    a month of history is made by the same code and clock that then run live."""

    def __init__(self, start: datetime) -> None:
        self._at = start
        self._live = False
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        if self._live:
            now = system_clock()
            return now if now > self._at else self._at
        return self._at

    @property
    def live(self) -> bool:
        return self._live

    def set(self, moment: datetime) -> datetime:
        """Moves the replay forward to ``moment``; refused once live or backwards."""
        with self._lock:
            if self._live:
                raise InputError("the clock is live; a replay cannot move it", field="clock")
            if moment < self._at:
                raise InputError(
                    f"{iso(moment)} is before the replay's {iso(self._at)}", field="clock"
                )
            self._at = moment
            return moment

    def go_live(self) -> None:
        """From now on the clock follows the system clock (never reading before the replay)."""
        with self._lock:
            self._live = True


def parse_utc(raw: str | int | float | datetime, *, field: str = "observed_at") -> datetime:
    """Parses ISO 8601 text or epoch seconds into an aware UTC datetime.

    Naive ISO text is refused: a camera's local time read as UTC shifts every read by hours.
    """
    if isinstance(raw, str) and len(raw) <= 40:
        try:  # fast path: Python 3.11 reads "Z" and offsets itself
            value = datetime.fromisoformat(raw)
        except ValueError:
            pass
        else:
            if value.tzinfo is UTC:
                return value
            if value.tzinfo is not None:
                return as_utc(value, field=field)
    if isinstance(raw, datetime):
        value = raw
    elif isinstance(raw, bool):
        raise InputError("expected an ISO 8601 time or epoch seconds, got a boolean", field=field)
    elif isinstance(raw, int | float):
        try:
            value = datetime.fromtimestamp(raw, UTC)
        except (OverflowError, OSError, ValueError) as exc:
            shown = repr(raw) if abs(raw) < 1e40 else "a number far out of range"
            raise InputError(f"epoch time {shown} is out of range", field=field) from exc
    elif isinstance(raw, str):
        text = raw.strip()
        if len(text) > 40:
            raise InputError("time text is longer than any ISO 8601 timestamp", field=field)
        if text.endswith(("Z", "z")):
            text = text[:-1] + "+00:00"
        try:
            value = datetime.fromisoformat(text)
        except ValueError as exc:
            raise InputError(f"{raw!r} is not an ISO 8601 time", field=field) from exc
    else:
        raise InputError(f"expected a time, got {type(raw).__name__}", field=field)
    if value.tzinfo is None:
        raise InputError(f"{raw!r} has no UTC offset; give 'Z' or '+00:00'", field=field)
    return value if value.tzinfo is UTC else as_utc(value, field=field)


def as_utc(moment: datetime, *, field: str) -> datetime:
    """An aware time in UTC; ``InputError`` when that falls outside the years 1–9999 (e.g.
    ``0001-01-01T00:00+14:00``), or when the time is within a day of either end, where
    adding a day (a day partition, an expiry) would overflow."""
    try:
        value = moment.astimezone(UTC)
    except OverflowError:
        value = None
    if value is None or not _EARLIEST <= value <= _LATEST:
        raise InputError("is outside the range of dates this system can hold", field=field)
    return value


_EARLIEST = datetime.min.replace(tzinfo=UTC) + timedelta(days=1)
_LATEST = datetime.max.replace(tzinfo=UTC) - timedelta(days=1)


def utc_day(moment: datetime) -> date:
    """The UTC calendar day a moment falls in: the unit of encryption keys and partitions."""
    return moment.astimezone(UTC).date()


def day_start(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def days_between(start: datetime, end: datetime) -> list[date]:
    """Every UTC day touched by the half-open window [start, end)."""
    if end <= start:
        return []
    first, last = utc_day(start), utc_day(end - timedelta(microseconds=1))
    return [first + timedelta(days=i) for i in range((last - first).days + 1)]


def floor_minute(moment: datetime) -> datetime:
    """Rounds down to the minute: public log entries carry no finer time."""
    return moment.astimezone(UTC).replace(second=0, microsecond=0)


def iso(moment: datetime) -> str:
    """Canonical ISO 8601 UTC text with a 'Z' suffix."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


_UNITS = {
    "s": 1, "sec": 1, "second": 1, "seconds": 1,
    "m": 60, "min": 60, "minute": 60, "minutes": 60,
    "h": 3600, "hour": 3600, "hours": 3600,
    "d": 86400, "day": 86400, "days": 86400,
}  # fmt: skip


def parse_duration(raw: str, *, field: str = "duration") -> timedelta:
    """Parses ``"3m"``, ``"3 minutes"``, ``"21d"``, ``"12h"``, ``"90s"``: retention periods."""
    text = raw.strip().lower()
    number = text.rstrip("abcdefghijklmnopqrstuvwxyz ")
    unit = text[len(number) :].strip()
    if not number or unit not in _UNITS:
        raise InputError(
            f"{raw!r} is not a duration; write e.g. '3m', '21d', '12h', '90s'", field=field
        )
    try:
        amount = float(number)
    except ValueError as exc:
        raise InputError(f"{raw!r} is not a duration", field=field) from exc
    if amount <= 0 or amount > 36500:
        raise InputError(f"{raw!r} must be positive and under 100 years", field=field)
    return timedelta(seconds=amount * _UNITS[unit])


def format_duration(value: timedelta) -> str:
    """The shortest exact text form of a duration, inverse of :func:`parse_duration`."""
    seconds = int(value.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"
