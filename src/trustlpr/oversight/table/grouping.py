"""Sorting and grouping millions of rows: the building blocks every rule shares.

The rules group rows by actor, plate, case or reason, in time order, over ten million rows.
numpy's stable sorts (``lexsort``, ``argsort(kind="stable")``) are comparison sorts, about a
second per key at that size; its default sort of plain integers is a vectorised one, fifteen
times faster. So ``order_by`` packs sort keys and the row's position into one ``uint64`` (the
position in the low bits makes the order stable) and sorts that, a few keys per pass, falling
back to ``lexsort`` for keys too wide to pack. Results are identical either way.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np

Arr = np.ndarray[Any, Any]


def distinct(values: Arr) -> Arr:
    """Sorted distinct values. ``np.unique`` without extra outputs takes a hash-based path in
    numpy 2.3+ that is a hundred times slower than sorting for int64, so the rules use this."""
    if len(values) == 0:
        return np.asarray(values)
    ordered = np.sort(values)
    return ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))]


def positions(mask: Arr) -> Arr:
    """``np.flatnonzero`` as int32 (half the memory of int64 for ten million rows)."""
    found = np.flatnonzero(mask)
    return found.astype(np.int32) if len(mask) < 2**31 else found


def order_by(keys: Sequence[Arr]) -> Arr:
    """Positions that sort the rows by ``keys`` (the first most significant), ties kept in row
    order: what ``np.lexsort(keys[::-1])`` gives (as int32 when that can hold them).

    A least-significant-first radix over whole keys: each pass packs a few keys (offset to
    start at zero) above the row's current position into one ``uint64`` and sorts it, so each
    pass is stable; keys too wide for that fall back to ``lexsort``."""
    n = len(keys[0])
    index_type = np.int32 if n < 2**31 else np.intp
    if n == 0:
        return np.empty(0, dtype=index_type)
    index_bits = max((n - 1).bit_length(), 1)
    room = 64 - index_bits
    passes: list[list[tuple[Arr, int, int]]] = []  # per pass: (key, offset, width)
    used = room
    for key in reversed(keys):  # least significant first
        low, high = int(key.min()), int(key.max())
        width = max((high - low).bit_length(), 1)
        if width > room or high >= 2**63:
            return np.lexsort(list(reversed(keys))).astype(index_type)
        if used + width > room:
            passes.append([])
            used = 0
        passes[-1].append((key, low, width))
        used += width
    order: Arr | None = None
    for fields in passes:
        packed = np.arange(n, dtype=np.uint64)
        shift = index_bits
        for key, low, width in fields:
            part = (key if order is None else key[order]).astype(np.int64)
            part -= low
            bits = part.view(np.uint64)
            bits <<= np.uint64(shift)
            packed |= bits
            del part, bits
            shift += width
        packed.sort()
        packed &= np.uint64((1 << index_bits) - 1)
        position = packed.astype(index_type)
        del packed
        order = position if order is None else order[position]
    assert order is not None
    return order


def first_seen(values: Arr) -> tuple[Arr, Arr]:
    """Distinct values numbered in first-seen order: (position of each distinct value's
    first occurrence, in first-seen order; each value's number). ``np.unique`` with
    ``return_index`` would sort stably (a comparison sort); an unstable sort and the smallest
    position per run of equal values give the same answer twice as fast."""
    index_type = np.int32 if len(values) < 2**31 else np.intp
    if len(values) == 0:
        return np.empty(0, dtype=index_type), np.empty(0, dtype=index_type)
    perm = np.argsort(values).astype(index_type)
    ordered = values[perm]
    change = np.empty(len(values), dtype=bool)
    change[0] = True
    np.not_equal(ordered[1:], ordered[:-1], out=change[1:])
    del ordered
    starts = np.flatnonzero(change)
    first = np.minimum.reduceat(perm, starts)  # per distinct value, in value order
    del starts
    rank = np.empty(len(first), dtype=index_type)
    by_first = np.argsort(first)
    rank[by_first] = np.arange(len(first), dtype=index_type)
    number = np.empty(len(values), dtype=index_type)
    number[perm] = rank[np.cumsum(change, dtype=index_type) - 1]
    return first[by_first], number


def new_group(n: int, sorted_keys: Sequence[Arr]) -> Arr:
    """For ``n`` rows already in key order: true where a row starts a new group."""
    change = np.zeros(n, dtype=bool)
    if n:
        change[0] = True
    for key in sorted_keys:
        change[1:] |= key[1:] != key[:-1]
    return change


def bounds(change: Arr) -> tuple[Arr, Arr]:
    """Start and end (exclusive) of each group, from ``new_group``."""
    starts = np.flatnonzero(change)
    return starts, np.append(starts[1:], len(change))


def groups(keys: list[Arr], rows: Arr) -> Iterator[Arr]:
    """Rows sharing every key, each group sorted by time (the last key should be ``t``)."""
    if len(rows) == 0:
        return
    rows = rows[order_by([k[rows] for k in keys])]
    starts, ends = bounds(new_group(len(rows), [k[rows] for k in keys[:-1]]))
    for start, end in zip(starts.tolist(), ends.tolist(), strict=True):
        yield rows[start:end]
