"""Merging parsed chunks into one ``RecordTable``, and dropping duplicates across files.

The main process does as little per row as possible: while chunks arrive it only
concatenates their arrays and their private string pools (each row's pool index is shifted by
the pool's running length). At ``build`` the pools are made global in one vectorised step:
``np.unique`` over the 64-bit digests the workers computed for every pooled string gives each
distinct string one id, first-seen order kept, and every row's id is remapped by one fancy
index. A column no file had is stored as a zero-memory broadcast of its "missing" value.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from ..records import SearchRecord
from .chunk import (
    BLANK_VALUE,
    DTYPES,
    NUMERIC,
    POOLS,
    WINDOW,
    ChunkBuilder,
    ChunkData,
    record_fields,
)
from .columns import RecordTable
from .facts import (
    DIGEST_DOMAIN,
    CaseKeys,
    ReasonFacts,
    digests,
    split_positions,
    take_case_keys,
    take_facts,
)
from .grouping import first_seen
from .ids import ID_NONE, ID_OTHER
from .pool import StringPool

Arr = np.ndarray[Any, Any]
_MISSING = BLANK_VALUE


class TableBuilder:
    """Merges chunks from any number of files and processes into one ``RecordTable``."""

    def __init__(self) -> None:
        self.files: list[str] = []
        self._parts: dict[str, list[Arr | int]] = {}  # an int stands for "absent, n rows"
        self._strings: dict[str, list[StringPool]] = {p: [] for p in POOLS}
        self._hashes: dict[str, list[Arr]] = {p: [] for p in POOLS}
        self._domains: dict[str, list[int]] = {p: [] for p in POOLS}
        self._sizes: dict[str, int] = dict.fromkeys(POOLS, 0)
        self._facts: list[ReasonFacts] = []
        self._cases: list[CaseKeys] = []
        self._other_ids: list[str] = []
        self._reason_facts = ReasonFacts()
        self._case_keys = CaseKeys()
        self.rows = 0

    def add_file(self, path: str) -> int:
        self.files.append(path)
        return len(self.files) - 1

    def add(self, chunk: ChunkData) -> None:
        if chunk.n == 0:
            return
        parts = self._parts
        for name, code in NUMERIC.items():
            values = chunk.numeric.get(name)
            if values is None:  # blank throughout the chunk
                parts.setdefault(name, []).append(chunk.n)
                continue
            if isinstance(values, np.ndarray):  # a window column (``window_offsets``)
                parts.setdefault(name, []).append(values)
                continue
            arr = np.frombuffer(values, dtype=DTYPES[code]).copy()
            if name == "id_lo" and chunk.other_ids:
                kinds = np.frombuffer(chunk.numeric["id_kind"], dtype=np.int8)
                arr[kinds == ID_OTHER] += np.uint64(len(self._other_ids))
            parts.setdefault(name, []).append(arr)
        self._other_ids.extend(chunk.other_ids)
        parts.setdefault("file", []).append(np.full(chunk.n, chunk.file, dtype=np.int16))
        for name in POOLS:
            strings = chunk.pools.get(name)
            if name not in chunk.pooled or strings is None:
                parts.setdefault(name, []).append(chunk.n)
                continue
            local = np.frombuffer(chunk.pooled[name], dtype=np.int32)
            offset = self._sizes[name]
            parts.setdefault(name, []).append(np.where(local >= 0, local + offset, -1))
            self._strings[name].append(strings)
            hashed = chunk.hashes.get(name)
            if hashed is None or not chunk.domain:
                hashed, domain = digests(list(strings)), DIGEST_DOMAIN
            else:
                domain = chunk.domain
            self._hashes[name].append(hashed)
            self._domains[name].append(domain)
            self._sizes[name] = offset + len(strings)
            if name == "reason":
                self._facts.append(chunk.reasons or ReasonFacts.of(list(strings)))
            elif name == "case":
                self._cases.append(chunk.case_keys or CaseKeys.of(list(strings)))
        self.rows += chunk.n

    def mark(self) -> tuple[int, dict[str, int], dict[str, tuple[int, int]], int, int, int]:
        """A point to roll back to if a file's parallel parse must be redone."""
        pools = {p: (len(self._strings[p]), self._sizes[p]) for p in POOLS}
        lengths = {k: len(v) for k, v in self._parts.items()}
        return self.rows, lengths, pools, len(self._facts), len(self._cases), len(self._other_ids)

    def rollback(
        self, point: tuple[int, dict[str, int], dict[str, tuple[int, int]], int, int, int]
    ) -> None:
        rows, lengths, pools, facts, cases, others = point
        for name, parts in self._parts.items():
            del parts[lengths.get(name, 0) :]
        for name, (count, size) in pools.items():
            del self._strings[name][count:]
            del self._hashes[name][count:]
            del self._domains[name][count:]
            self._sizes[name] = size
        del self._facts[facts:]
        del self._cases[cases:]
        del self._other_ids[others:]
        self.rows = rows

    def _column(self, name: str, dtype: Any, missing: int) -> Arr:
        parts = self._parts.pop(name, [])
        n = sum(p if isinstance(p, int) else len(p) for p in parts)
        if not parts or all(isinstance(p, int) for p in parts):
            return np.broadcast_to(np.array(missing, dtype=dtype), (n,))
        filled = [np.full(p, missing, dtype=dtype) if isinstance(p, int) else p for p in parts]
        parts.clear()
        return np.concatenate(filled).astype(dtype, copy=False)

    def _window_column(self, name: str, n: int) -> Arr:
        """Offsets from the search time (``window_offsets``): int32 unless some chunk needed
        int64; a blank column is a broadcast "none"."""
        parts = self._parts.pop(name, [])
        wide = any(isinstance(p, np.ndarray) and p.dtype == np.int64 for p in parts)
        dtype = np.int64 if wide else np.int32
        none = int(np.iinfo(np.int64).min if wide else np.iinfo(np.int32).min)
        if all(isinstance(p, int) for p in parts):
            return np.broadcast_to(np.array(none, dtype=dtype), (n,))
        filled = []
        for part in parts:
            if isinstance(part, int):
                filled.append(np.full(part, none, dtype=dtype))
            elif part.dtype != dtype:  # an int32 chunk among int64 ones: keep "none" as none
                filled.append(np.where(part == np.iinfo(np.int32).min, none, part.astype(dtype)))
            else:
                filled.append(part)
        parts.clear()
        return np.concatenate(filled)

    def _canonical(self, name: str) -> tuple[StringPool, Arr]:
        """Global pool (first-seen order) and, per concatenated entry, its global id."""
        parts = self._strings.pop(name)
        hashed = self._hashes.pop(name)
        if len(set(self._domains.pop(name))) > 1:  # made with different keys: digest again here
            hashed = [digests(list(part)) for part in parts]
        if not parts:
            return StringPool(), np.empty(0, dtype=np.int32)
        digested = np.concatenate(hashed)
        del hashed
        keep, number = first_seen(digested)
        del digested
        if name == "reason":
            self._reason_facts = take_facts(self._facts, keep)
            self._facts.clear()
        elif name == "case":
            self._case_keys = take_case_keys(self._cases, keep)
            self._cases.clear()
        local = split_positions([len(p) for p in parts], keep)
        taken = []
        for k in range(len(parts)):  # gather part by part, dropping each part as it is done
            taken.append(parts[k].take(local[k]))
            parts[k] = StringPool()
        return StringPool.concat(taken), number.astype(np.int32)

    def build(self) -> RecordTable:
        n = self.rows
        files = self._column("file", np.int16, 0)
        cols: dict[str, Arr] = {"file": _constant_or(files)}
        for name, code in NUMERIC.items():
            if name in WINDOW:
                cols[name] = self._window_column(name, n)
                continue
            column = self._column(name, DTYPES[code], _MISSING.get(name, 0))
            if name in _MISSING and column.strides != (0,) and (column == _MISSING[name]).all():
                column = np.broadcast_to(column[:1], (n,))
            elif name in _MISSING and column.strides != (0,):  # counts: fewer bytes if they fit
                column = _narrow(column)
            cols[name] = column
        pools: dict[str, StringPool] = {}
        for name in POOLS:
            pools[name], ids = self._canonical(name)
            column = self._column(name, np.int32, -1)
            if not len(ids):  # nothing in this column anywhere: store no array
                column = np.broadcast_to(np.int32(-1), (n,))
            elif column.strides != (0,):
                remap = np.append(ids, np.int32(-1))  # row id -1 (missing) stays -1
                if name in SMALL_POOLS:
                    remap = _narrow(remap)
                column = remap[column]
            cols[name] = column
        facts, cases = self._reason_facts, self._case_keys
        if len(facts.tags) != len(pools["reason"]):  # defensive: classify what is missing
            facts = ReasonFacts.of(pools["reason"])
        if len(cases.keys) != len(pools["case"]):
            cases = CaseKeys.of(pools["case"])
        return RecordTable(self.files, cols, pools, self._other_ids, facts, cases)


SMALL_POOLS = frozenset(
    ("user", "org", "stype", "filters", "prompt", "moderation", "offense", "purpose",
     "decision", "basis", "state")
)  # fmt: skip
"""Text columns of few distinct values (users, agencies, search types...), whose ids are
stored in one or two bytes when they fit; every rule casts them before arithmetic."""


def _narrow(values: Arr) -> Arr:
    """The same values in int8 or int16 when they fit (ids and counts, -1 for none)."""
    if len(values) == 0:
        return values
    low, high = int(values.min()), int(values.max())
    for small in (np.int8, np.int16):
        if np.iinfo(small).min <= low and high <= np.iinfo(small).max:
            return values.astype(small)
    return values


def _constant_or(values: Arr) -> Arr:
    """A column holding one value throughout (one file) as a zero-memory broadcast."""
    if len(values) and values.strides != (0,) and (values == values[0]).all():
        return np.broadcast_to(values[:1], (len(values),))
    return values


def dedupe(table: RecordTable) -> tuple[RecordTable, dict[int, int]]:
    """Drops rows that repeat a row of an *earlier* file: same export ID, or, when IDs cannot
    decide, the same user, second, plate and reason. Rows repeated inside one file are kept:
    the export says they were separate searches. Returns the table and duplicates per file."""
    if table.n == 0 or len(table.files) < 2:
        return table, {}
    c = table.cols
    drop = np.zeros(table.n, dtype=bool)
    has_id = c["id_kind"] != ID_NONE
    if has_id.any():
        rows = np.flatnonzero(has_id)
        keys = [c["id_kind"], c["id_hi"], c["id_lo"]]
        drop[rows[_later_file_dupes(rows, keys, c["file"])]] = True
    rows = np.flatnonzero(~drop)
    keys = [c["user"], c["t"], c["plate"], c["reason"]]
    drop[rows[_later_file_dupes(rows, keys, c["file"])]] = True
    if not drop.any():
        return table, {}
    files, counts = np.unique(c["file"][drop], return_counts=True)
    return table.take(~drop), {int(f): int(n) for f, n in zip(files, counts, strict=True)}


def _later_file_dupes(rows: Arr, keys: list[Arr], file: Arr) -> Arr:
    """Positions in ``rows`` whose key also occurs in an earlier file."""
    if len(rows) == 0:
        return np.empty(0, dtype=np.int64)
    sub_keys = [np.asarray(k[rows]) for k in keys]
    sub_file = file[rows]
    order = np.lexsort([sub_file, *reversed(sub_keys)])
    same = np.ones(max(len(rows) - 1, 0), dtype=bool)
    for key in sub_keys:
        ordered = key[order]
        same &= ordered[1:] == ordered[:-1]
    new_group = np.concatenate(([True], ~same))
    group = np.cumsum(new_group) - 1
    first_file = sub_file[order][new_group]
    dup_sorted = sub_file[order] != first_file[group]
    return np.asarray(order[dup_sorted])


def table_from_records(records: Iterable[SearchRecord]) -> RecordTable:
    """A table built from records (our own audit log, tests); one file per ``source``."""
    builder = TableBuilder()
    chunks: dict[str, ChunkBuilder] = {}
    for rec in records:
        chunk = chunks.get(rec.source)
        if chunk is None:
            chunk = chunks[rec.source] = ChunkBuilder(builder.add_file(rec.source), POOLS)
        chunk.add(*record_fields(rec))
    for chunk in chunks.values():
        builder.add(chunk.finish())
    return builder.build()
