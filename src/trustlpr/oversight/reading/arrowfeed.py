"""Rows the compiled reader parsed, judged and interned on their Arrow columns.

Turning every cell into a Python string (``to_pylist``) and checking it there was most of what
an import still cost after ``arrowcsv``. Here a slice of records stays in Arrow: times, time
frames and row IDs are checked on the column's own UTF-8 bytes (``span_times`` and friends,
which only accept all-ASCII cells, so byte and character offsets agree), and every text column
is ``dictionary_encode``-d, so only its distinct values become Python strings, are cleaned and
enter the pool, in first-seen order as the row parser would enter them.

It takes only a slice in which *every* row is one the batch path vouches for without help:
Flock-form times and frames, canonical UUIDs or blank IDs, counts that parse, nothing masked.
Any other slice goes whole to ``BatchFeeder`` as Python lists, so a row needing row-level
handling (a warning, a rejection, a masked cell) is handled exactly as before.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from ...core.errors import InputError
from ..table.chunk import FLAG_MOBILE
from ..table.ids import ID_OTHER, NO_TIME, pack_id
from .batch import BATCH_ROWS, PAD, BatchFeeder, put, span_frames, span_times, span_uuids
from .cells import DISPLAY, parse_count, plate_text, search_type

Arr = np.ndarray[Any, Any]
SLICE_ROWS = 65536
_CACHE_LIMIT = 50_000


def _spans(array: pa.StringArray) -> tuple[Arr, Arr, Arr]:
    """(the column's UTF-8 bytes with ``PAD`` zero bytes after, each cell's start, end)."""
    offsets_buf, data_buf = array.buffers()[1:3]
    offsets = np.frombuffer(offsets_buf, dtype=np.int32)
    offsets = offsets[array.offset : array.offset + len(array) + 1].astype(np.int64)
    data = np.zeros(int(offsets[-1] - offsets[0]) + PAD, dtype=np.uint8)
    if data_buf is not None and offsets[-1] > offsets[0]:
        whole = np.frombuffer(data_buf, dtype=np.uint8)
        data[: len(data) - PAD] = whole[offsets[0] : offsets[-1]]
    offsets -= offsets[0]
    return data, offsets[:-1], offsets[1:]


def _distinct(array: pa.StringArray) -> tuple[list[str], Arr]:
    """(the distinct cells in first-seen order, each row's index into them)."""
    encoded = pc.dictionary_encode(array)
    indices = np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.intp)
    return encoded.dictionary.to_pylist(), indices


class _Refused(Exception):
    """A row of the slice needs the batch or row path."""


class ArrowFeeder:
    """Feeds slices of Arrow columns into a ``BatchFeeder``'s parser, or hands a slice back."""

    def __init__(self, batch: BatchFeeder) -> None:
        self.batch = batch
        self.parser = batch.parser

    def feed(self, lines: Arr, arrays: Sequence[pa.StringArray]) -> bool:
        """Appends the slice and returns True, or returns False having changed nothing."""
        if not self.batch.enabled or len(arrays) != self.batch.width:
            return False
        try:
            numeric, texts = self._judge(arrays, len(lines))
        except _Refused:
            return False
        builder = self.parser.builder
        num = builder.numeric
        put(num["line"], lines)
        for key, values in numeric.items():
            put(num[key], values)
        for name in builder.pooled:
            found = texts.get(name)
            if found is None:
                builder.pooled[name].frombytes(bytes(4 * len(lines)))  # id 0: no value
                continue
            distinct, indices = found
            pool = builder.maps[name]  # ``pool_map``: a new value gets the next id
            ids = np.fromiter(map(pool.__getitem__, distinct), dtype=np.int32, count=len(distinct))
            put(builder.pooled[name], ids[indices])
        return True

    def _judge(
        self, arrays: Sequence[pa.StringArray], n: int
    ) -> tuple[dict[str, Arr], dict[str, tuple[list[str], Arr]]]:
        p = self.parser
        ok, t = span_times(*_spans(arrays[p.i_time]))
        if not ok.all():
            raise _Refused
        numeric: dict[str, Arr] = {"t": t}
        if p.i_tf >= 0:
            ok, start, end = span_frames(*_spans(arrays[p.i_tf]))
            if not ok.all():
                raise _Refused
            numeric["tf_start"], numeric["tf_end"] = start, end
        else:
            numeric["tf_start"] = numeric["tf_end"] = np.full(n, NO_TIME, dtype=np.int64)
        for key, index in (("networks", p.i_nets), ("devices", p.i_devs)):
            numeric[key] = self._counts(arrays[index], key) if index >= 0 else np.full(n, -1)
        flags = np.zeros(n, dtype=np.int8)
        texts: dict[str, tuple[list[str], Arr]] = {}
        for name, index in (("user", p.i_user), ("org", p.i_org), ("case", p.i_case)):
            if index >= 0:
                distinct, indices = _distinct(arrays[index])
                cleaned = list(map(str.strip, distinct))
                if any(v[:1] == "*" for v in cleaned):  # masked or not: the row parser's call
                    raise _Refused
                texts[name] = cleaned, indices
        if p.i_plate >= 0:
            distinct, indices = _distinct(arrays[p.i_plate])
            if any(v.lstrip()[:1] == "*" for v in distinct):
                raise _Refused
            texts["plate"] = list(map(plate_text, distinct)), indices
        distinct, indices = _distinct(arrays[p.i_reason])
        texts["reason"] = list(map(str.strip, distinct)), indices
        if p.i_type >= 0:
            distinct, indices = _distinct(arrays[p.i_type])
            kinds, mobile = [], np.zeros(len(distinct), dtype=bool)
            for k, raw in enumerate(distinct):
                kind_text, mobile[k] = search_type(raw) if raw.strip() else ("", False)
                kinds.append(kind_text)
            texts["stype"] = kinds, indices
            flags[mobile[indices]] = FLAG_MOBILE
        for index, pool_name in p.extra_columns():
            distinct, indices = _distinct(arrays[index])
            texts[pool_name] = list(map(str.strip, distinct)), indices
        numeric["flags"] = flags
        if p.i_id >= 0:  # last: it adds odd IDs to the chunk's side list, so nothing may refuse
            numeric["id_kind"], numeric["id_hi"], numeric["id_lo"] = self._ids(arrays[p.i_id])
        else:
            for key in ("id_kind", "id_hi", "id_lo"):
                numeric[key] = np.zeros(n, dtype=np.int8)
        return numeric, texts

    def _ids(self, array: pa.StringArray) -> tuple[Arr, Arr, Arr]:
        """Canonical UUIDs from the bytes; any other ID through ``pack_id``, its text going to
        the chunk's side list in row order, as ``ChunkBuilder.add`` puts it there."""
        ok, kind, hi, lo = span_uuids(*_spans(array))
        odd = np.flatnonzero(~ok)
        if len(odd):
            others = self.parser.builder.other_ids
            for k, cell in zip(odd.tolist(), array.take(pa.array(odd)).to_pylist(), strict=True):
                kind[k], hi[k], lo[k] = pack_id(cell)
                if kind[k] == ID_OTHER:
                    lo[k] = len(others)
                    others.append(cell.strip())
        return kind, hi, lo

    def _counts(self, array: pa.StringArray, key: str) -> Arr:
        cache = self.batch.counts
        if len(cache) > _CACHE_LIMIT:
            cache.clear()
        distinct, indices = _distinct(array)
        values = np.empty(len(distinct), dtype=np.int64)
        for k, raw in enumerate(distinct):
            value = cache.get(raw)
            if value is None:
                try:
                    value = cache[raw] = parse_count(raw, DISPLAY[key])
                except InputError:
                    raise _Refused from None
            values[k] = value
        return values[indices]


def feed_arrays(lines: Arr, arrays: Sequence[pa.StringArray], batch: BatchFeeder) -> int:
    """Feeds every record, slice by slice: through ``ArrowFeeder`` where it takes the slice,
    else as Python lists through ``batch``; returns how many slices ``ArrowFeeder`` took."""
    arrow = ArrowFeeder(batch)
    taken = 0
    for a in range(0, len(lines), SLICE_ROWS):
        b = min(a + SLICE_ROWS, len(lines))
        part = [array.slice(a, b - a) for array in arrays]
        if arrow.feed(lines[a:b], part):
            taken += 1
            continue
        columns = [array.to_pylist() for array in part]
        step = lines[a:b].tolist()
        for c in range(0, b - a, BATCH_ROWS):
            d = c + BATCH_ROWS
            batch.feed_columns(step[c:d], [column[c:d] for column in columns])
    return taken
