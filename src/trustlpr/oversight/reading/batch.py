"""The import's fast path: a batch of CSV rows judged column by column instead of cell by cell.

``RowParser.feed`` handles one row at a time; over ten million rows its per-cell Python calls
were most of the import. ``BatchFeeder`` takes a few thousand rows at once, transposes them and
does the common cases with one C-level pass per column (``map``, ``dict.fromkeys``) or with
numpy (Flock-format times, UUID row IDs). A row it cannot vouch for (wrong width, a cell in
another format, a masked value, anything the row parser would reject or warn about) is handed
to ``RowParser.feed`` at its place in the sequence, so both paths accept, refuse and report
exactly the same rows, and strings enter the pools in the same first-seen order.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Sequence
from itertools import filterfalse, repeat
from typing import TYPE_CHECKING, Any

import numpy as np

from ...core.errors import InputError
from ..table.chunk import FLAG_MOBILE
from ..table.ids import ID_OTHER, ID_UUID, ID_UUID_UPPER, NO_TIME, pack_id
from .cells import (
    DISPLAY,
    frame_cell,
    parse_count,
    parse_time,
    plate_text,
    search_type,
)

if TYPE_CHECKING:
    from .rows import RowParser

Arr = np.ndarray[Any, Any]
BATCH_ROWS = 8192
_CACHE_LIMIT = 50_000
PAD = 64  # zero bytes after a joined column, so fixed-offset gathers never leave the buffer
_DIGIT = np.zeros(256, dtype=bool)
_DIGIT[ord("0") : ord("9") + 1] = True
_NIBBLE = np.full(256, 255, dtype=np.uint8)
for _k, _c in enumerate("0123456789abcdef"):
    _NIBBLE[ord(_c)] = _k
    _NIBBLE[ord(_c.upper())] = _k
_UUID_HYPHENS = np.array([8, 13, 18, 23])
_UUID_HEX = np.array([k for k in range(36) if k not in (8, 13, 18, 23)])
_SHIFTS = np.arange(60, -1, -4, dtype=np.uint64)
_HEAD, _TAIL = 5, 22  # bytes read from the start and up to the end of a Flock time
_WINDOWS = np.lib.stride_tricks.sliding_window_view
_MONTH_DAYS = np.array([0, 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31], dtype=np.int64)


def _joined(cells: Sequence[str]) -> tuple[Arr, Arr, Arr]:
    """One byte buffer for a column (non-ASCII characters become ``?``, so byte offsets are
    character offsets), with each cell's start and end."""
    n = len(cells)
    lengths = np.fromiter(map(len, cells), dtype=np.int64, count=n)
    ends = np.cumsum(lengths)
    data = "".join(cells).encode("ascii", errors="replace") + bytes(PAD)
    return np.frombuffer(data, dtype=np.uint8), ends - lengths, ends


def _digits(*cols: Arr) -> tuple[Arr, Arr]:
    """The digits in these byte columns as one number, and whether they all were digits."""
    ok = _DIGIT[cols[0]]
    value = cols[0].astype(np.int64) - 48
    for col in cols[1:]:
        ok = ok & _DIGIT[col]
        value = value * 10 + col - 48
    return ok, value


def _pick(cond: Arr, yes: Arr, no: Arr) -> Arr:
    return np.where(cond, yes, no)


def span_times(buf: Arr, s: Arr, e: Arr) -> tuple[Arr, Arr]:
    """Epoch seconds of the spans ``buf[s:e]`` written exactly as ``M/D/YYYY, H:MM:SS AM UTC``
    (month, day and hour one or two digits, year four, ``AM``/``PM`` and ``UTC`` upper-case),
    the form Flock exports use; ``ok`` is false for any other text or an impossible date, which
    the caller then gives to ``parse_time``. For these spans the result equals ``parse_time``'s.

    Each span's first and last bytes are copied once into two small byte matrices (``head``
    from the start, ``tail`` up to the end, ``tail[:, -k]`` is ``buf[e - k]``); every check
    then reads a column of them, not a fresh gather from ``buf``.
    """
    length = e - s
    ok = (length >= 24) & (length <= 27)
    head = np.ascontiguousarray(_WINDOWS(buf, _HEAD)[s].T)  # buf is padded: s + _HEAD fits
    tail = np.ascontiguousarray(_WINDOWS(buf, _TAIL)[np.maximum(e - _TAIL, 0)].T)  # exact if ok
    t = {k: tail[_TAIL - k] for k in range(1, _TAIL + 1)}  # t[k] is the byte at e - k
    ok &= (t[7] == ord(" ")) & (t[5] == ord("M")) & (t[4] == ord(" "))
    ok &= (t[3] == ord("U")) & (t[2] == ord("T")) & (t[1] == ord("C"))
    pm = t[6] == ord("P")
    ok &= pm | (t[6] == ord("A"))
    ok &= (t[10] == ord(":")) & (t[13] == ord(":"))
    digits_ok, second = _digits(t[9], t[8])
    ok &= digits_ok
    digits_ok, minute = _digits(t[12], t[11])
    ok &= digits_ok
    wide_hour = _DIGIT[t[15]]
    digits_ok, hour = _digits(_pick(wide_hour, t[15], t[14]), t[14])
    hour = np.where(wide_hour, hour, hour % 10)  # one digit: the "tens" read the same digit
    ok &= digits_ok
    # after the hour's start: " " then "," then the year's four digits then "/"
    ok &= _pick(wide_hour, t[16], t[15]) == ord(" ")
    ok &= _pick(wide_hour, t[17], t[16]) == ord(",")
    ok &= _pick(wide_hour, t[22], t[21]) == ord("/")
    digits_ok, year = _digits(*(_pick(wide_hour, t[k + 1], t[k]) for k in (20, 19, 18, 17)))
    ok &= digits_ok
    wide_month = head[2] == ord("/")
    ok &= wide_month | (head[1] == ord("/"))
    digits_ok, month = _digits(head[0], _pick(wide_month, head[1], head[0]))
    month = np.where(wide_month, month, month % 10)
    ok &= digits_ok
    day_len = length - 23 - wide_month - wide_hour
    ok &= (day_len == 1) | (day_len == 2)
    first = _pick(wide_month, head[3], head[2])
    last = np.where(day_len == 2, _pick(wide_month, head[4], head[3]), first)
    digits_ok, day = _digits(first, last)
    day = np.where(day_len == 2, day, day % 10)
    ok &= digits_ok
    ok &= (year >= 1000) & (month >= 1) & (month <= 12) & (day >= 1)
    ok &= (hour >= 1) & (hour <= 12) & (minute <= 59) & (second <= 60)
    month = np.clip(month, 1, 12)
    leap = ((year % 4 == 0) & (year % 100 != 0)) | (year % 400 == 0)
    ok &= day <= _MONTH_DAYS[month] + (leap & (month == 2))
    # days from 1970-01-01 in the proleptic Gregorian calendar (as calendar.timegm counts)
    y = year - (month <= 2)
    era = y // 400
    yoe = y - era * 400
    doy = (153 * np.where(month > 2, month - 3, month + 9) + 2) // 5 + day - 1
    days = era * 146097 + yoe * 365 + yoe // 4 - yoe // 100 + doy - 719468
    hour24 = hour % 12 + np.where(pm, 12, 0)
    return ok, days * 86400 + hour24 * 3600 + minute * 60 + second


def flock_times(cells: Sequence[str]) -> tuple[Arr, Arr]:
    """``span_times`` over whole cells."""
    buf, s, e = _joined(cells)
    return span_times(buf, s, e)


def flock_frames(cells: Sequence[str]) -> tuple[Arr, Arr, Arr]:
    """Two-line ``Time Frame`` cells ``start\\nend``, both lines in the Flock form."""
    return span_frames(*_joined(cells))


def span_frames(buf: Arr, s: Arr, e: Arr) -> tuple[Arr, Arr, Arr]:
    """``flock_frames`` over the spans ``buf[s:e]`` (``buf`` padded as ``_joined`` pads it)."""
    n = len(s)
    newlines = np.flatnonzero(buf[: len(buf) - PAD] == 10)
    owner = np.searchsorted(e, newlines, side="right")
    per_cell = np.bincount(owner, minlength=n)[:n]
    split = np.zeros(n, dtype=np.int64)
    split[owner[owner < n]] = newlines[owner < n]
    ok = per_cell == 1
    ok_start, start = span_times(buf, s, np.where(ok, split, s))
    ok_end, end = span_times(buf, np.where(ok, split + 1, s), e)
    return ok & ok_start & ok_end, start, end


def uuid_ids(cells: Sequence[str]) -> tuple[Arr, Arr, Arr, Arr]:
    """(ok, kind, hi, lo) as ``pack_id`` gives them, for blank cells and canonical UUIDs in
    one letter case; ``ok`` is false for every other cell."""
    return span_uuids(*_joined(cells))


def span_uuids(buf: Arr, s: Arr, e: Arr) -> tuple[Arr, Arr, Arr, Arr]:
    """``uuid_ids`` over the spans ``buf[s:e]``."""
    n = len(s)
    kind = np.zeros(n, dtype=np.int8)
    hi = np.zeros(n, dtype=np.uint64)
    lo = np.zeros(n, dtype=np.uint64)
    blank = e == s
    rows = np.flatnonzero(e - s == 36)
    if len(rows) == 0:
        return blank, kind, hi, lo
    chars = buf[s[rows, None] + np.arange(36)]
    good = (chars[:, _UUID_HYPHENS] == ord("-")).all(axis=1)
    hexes = chars[:, _UUID_HEX]
    nibbles = _NIBBLE[hexes]
    good &= (nibbles != 255).all(axis=1)
    upper = ((hexes >= ord("A")) & (hexes <= ord("F"))).any(axis=1)
    lower = ((hexes >= ord("a")) & (hexes <= ord("f"))).any(axis=1)
    good &= ~(upper & lower)
    wide = nibbles.astype(np.uint64)
    hi[rows] = (wide[:, :16] << _SHIFTS).sum(axis=1, dtype=np.uint64)
    lo[rows] = (wide[:, 16:] << _SHIFTS).sum(axis=1, dtype=np.uint64)
    kind[rows] = np.where(upper, ID_UUID_UPPER, ID_UUID)
    ok = blank.copy()
    ok[rows] = good
    return ok, kind, hi, lo


_PLATE_SEPARATORS = " -.\t"


def _plates(cells: Sequence[str]) -> list[str]:
    """``plate_text`` of every cell, with C-level passes when no plate has a separator."""
    upper = list(map(str.upper, map(str.strip, cells)))
    joined = "".join(upper)
    if any(sep in joined for sep in _PLATE_SEPARATORS):
        return list(map(plate_text, cells))
    return upper


def _starred(values: Sequence[str]) -> list[int]:
    """Positions of values starting with ``*`` (masked or wildcard: the row parser decides)."""
    if "*" not in "".join(values):
        return []
    return [k for k, v in enumerate(values) if v.lstrip()[:1] == "*"]


class BatchFeeder:
    """Feeds batches of rows of one layout into a ``RowParser``'s builder."""

    def __init__(self, parser: RowParser) -> None:
        self.parser = parser
        self.width = parser.layout.width
        # the row parser alone handles portal reasons ('+' decoding) and layouts without a
        # single-cell time frame; those files are small
        self.enabled = not parser.portal and parser.i_tfs < 0
        self.counts: dict[str, int] = {}  # raw count cell → value
        self.bad_counts: set[str] = set()
        self.types: dict[str, str] = {}  # raw search type → type
        self.mobile: set[str] = set()  # raw search types that say "mobile"

    def feed(self, lines: list[int], rows: list[list[str]]) -> None:
        parser = self.parser
        if not self.enabled or len(rows) < 8:
            for line, row in zip(lines, rows, strict=True):
                parser.feed(line, row)
            return
        n, width = len(rows), self.width
        slow = np.zeros(n, dtype=bool)
        widths = np.fromiter(map(len, rows), dtype=np.int64, count=n)
        if (widths != width).any():
            slow |= widths != width
            blank = [""] * width
            columns = list(zip(*(r if len(r) == width else blank for r in rows), strict=True))
        else:
            columns = list(zip(*rows, strict=True))
        self._feed(lines, columns, slow, rows.__getitem__)

    def feed_columns(self, lines: list[int], columns: Sequence[Sequence[str]]) -> None:
        """``feed`` for records already split into columns of one width (``arrowcsv``)."""

        def row(k: int) -> list[str]:
            return [column[k] for column in columns]

        if not self.enabled or len(lines) < 8 or len(columns) != self.width:
            for k, line in enumerate(lines):
                self.parser.feed(line, row(k))
            return
        self._feed(lines, columns, np.zeros(len(lines), dtype=bool), row)

    def _feed(
        self,
        lines: list[int],
        columns: Sequence[Sequence[str]],
        slow: Arr,
        row: Callable[[int], list[str]],
    ) -> None:
        values = self._values(columns, slow)
        start = 0
        for k in np.flatnonzero(slow).tolist():
            self._append(values, lines, start, k)
            self.parser.feed(lines[k], row(k))
            start = k + 1
        self._append(values, lines, start, len(lines))

    # -- columns ------------------------------------------------------------------------

    def _times(self, cells: Sequence[str], slow: Arr) -> Arr:
        ok, t = flock_times(cells)
        for k in np.flatnonzero(~ok & ~slow).tolist():
            try:
                t[k] = parse_time(cells[k], "Search Time")
            except InputError:
                slow[k] = True
        return t

    def _frames(self, cells: Sequence[str], times: Sequence[str], t: Arr, slow: Arr) -> Arr:
        ok, start, end = flock_frames(cells)
        for k in np.flatnonzero(~ok & ~slow).tolist():
            try:
                start[k], end[k] = frame_cell(cells[k], times[k], int(t[k]))
            except InputError:
                slow[k] = True
        return np.stack((start, end))

    def _count(self, cells: Sequence[str], name: str, slow: Arr) -> list[int]:
        cache, bad = self.counts, self.bad_counts
        if len(cache) > _CACHE_LIMIT:
            cache.clear()
        for raw in filterfalse(cache.__contains__, dict.fromkeys(cells)):
            try:
                cache[raw] = parse_count(raw, name)
            except InputError:
                bad.add(raw)
        if bad:
            slow |= np.fromiter(map(bad.__contains__, cells), dtype=bool, count=len(cells))
            if len(bad) > _CACHE_LIMIT:
                bad.clear()
        return list(map(cache.get, cells, repeat(-1)))

    def _types(self, cells: Sequence[str]) -> tuple[list[str], Arr]:
        cache, mobile_raw = self.types, self.mobile
        if len(cache) > _CACHE_LIMIT:
            cache.clear()
            mobile_raw.clear()
        for raw in filterfalse(cache.__contains__, dict.fromkeys(cells)):
            kind, mobile = search_type(raw) if raw.strip() else ("", False)
            cache[raw] = kind
            if mobile:
                mobile_raw.add(raw)
        if mobile_raw and not mobile_raw.isdisjoint(cells):
            flags = np.fromiter(map(mobile_raw.__contains__, cells), dtype=bool, count=len(cells))
        else:
            flags = np.zeros(len(cells), dtype=bool)
        return list(map(cache.__getitem__, cells)), flags

    def _ids(self, cells: Sequence[str], slow: Arr) -> tuple[Arr, Arr, Arr]:
        ok, kind, hi, lo = uuid_ids(cells)
        for k in np.flatnonzero(~ok & ~slow).tolist():
            kind[k], hi[k], lo[k] = pack_id(cells[k])
            if kind[k] == ID_OTHER:  # its text goes to a side list, in order: the row parser's job
                slow[k] = True
        return kind, hi, lo

    def _values(self, columns: Sequence[Sequence[str]], slow: Arr) -> dict[str, Any]:
        p = self.parser
        n = len(slow)
        out: dict[str, Any] = {}
        times = columns[p.i_time]
        t = self._times(times, slow)
        out["t"] = t
        if p.i_tf >= 0:
            out["frame"] = self._frames(columns[p.i_tf], times, t, slow)
        for key, index in (("networks", p.i_nets), ("devices", p.i_devs)):
            out[key] = self._count(columns[index], DISPLAY[key], slow) if index >= 0 else None
        texts: dict[str, list[str]] = {}
        for name, index in (("user", p.i_user), ("org", p.i_org), ("case", p.i_case)):
            if index < 0:
                texts[name] = [""] * n
                continue
            cleaned = list(map(str.strip, columns[index]))
            for k in _starred(cleaned):
                slow[k] = True
            texts[name] = cleaned
        if p.i_plate >= 0:
            raw = columns[p.i_plate]
            for k in _starred(raw):
                slow[k] = True
            texts["plate"] = _plates(raw)
        else:
            texts["plate"] = [""] * n
        texts["reason"] = list(map(str.strip, columns[p.i_reason]))
        flags = np.zeros(n, dtype=np.int8)
        if p.i_type >= 0:
            texts["stype"], mobile = self._types(columns[p.i_type])
            flags[mobile] = FLAG_MOBILE
        else:
            texts["stype"] = [""] * n
        for index, pool_name in p.extra_columns():
            texts[pool_name] = list(map(str.strip, columns[index]))
        out["flags"] = flags
        for name, values in texts.items():
            if not any(values):  # a column blank throughout the batch: no lookups
                texts[name] = []
        if p.i_id >= 0:
            out["id"] = self._ids(columns[p.i_id], slow)
        out["texts"] = texts
        return out

    # -- appending a run of good rows -----------------------------------------------------

    def _append(self, values: dict[str, Any], lines: list[int], a: int, b: int) -> None:
        if b <= a:
            return
        builder = self.parser.builder
        num = builder.numeric
        num["line"].extend(lines[a:b])
        put(num["t"], values["t"][a:b])
        frame = values.get("frame")
        if frame is not None:
            put(num["tf_start"], frame[0, a:b])
            put(num["tf_end"], frame[1, a:b])
        else:
            num["tf_start"].extend(repeat(NO_TIME, b - a))
            num["tf_end"].extend(repeat(NO_TIME, b - a))
        for key in ("networks", "devices"):
            column = values[key]
            num[key].extend(column[a:b] if column is not None else repeat(-1, b - a))
        if "id" in values:
            kind, hi, lo = values["id"]
            put(num["id_kind"], kind[a:b])
            put(num["id_hi"], hi[a:b])
            put(num["id_lo"], lo[a:b])
        else:
            for key in ("id_kind", "id_hi", "id_lo"):
                num[key].extend(repeat(0, b - a))
        put(num["flags"], values["flags"][a:b])
        maps, pooled = builder.maps, builder.pooled
        for name, texts in values["texts"].items():
            if texts:
                pooled[name].extend(map(maps[name].__getitem__, texts[a:b]))  # see ``pool_map``
            else:
                pooled[name].frombytes(bytes(4 * (b - a)))  # id 0: no value


def put(target: array[Any], values: Arr) -> None:
    target.frombytes(np.ascontiguousarray(values, dtype=target.typecode).tobytes())
