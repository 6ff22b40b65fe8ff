"""A columnar store of search records, so ten million rows fit in memory and rules vectorise.

Each row costs about 90 bytes: times as int64, counts as int32, row IDs packed into two
uint64, and every text column interned (a pool of distinct strings per column, an int32 index
per row). Readers fill a ``ChunkBuilder`` (in worker processes for big files); the main process
merges chunks with ``TableBuilder``, remapping each chunk's private pools onto global ones at a
cost proportional to the distinct strings, not the rows. ``RecordTable.record(i)`` gives a
``SearchRecord`` back for evidence and reports.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np
import numpy.typing as npt

from .cells import ID_NONE, ID_OTHER, NO_TIME, from_epoch, pack_id, unpack_id
from .records import ImportIssue, SearchRecord

POOLS = (
    "user", "org", "plate", "reason", "case", "stype",
    "offense", "filters", "prompt", "moderation", "purpose", "decision", "basis", "state",
)  # fmt: skip
ALWAYS = frozenset(POOLS[:6])
NUMERIC = {
    "line": "i", "t": "q", "tf_start": "q", "tf_end": "q", "networks": "i", "devices": "i",
    "id_kind": "b", "id_hi": "Q", "id_lo": "Q", "flags": "b",
}  # fmt: skip
DTYPES = {"i": np.int32, "q": np.int64, "Q": np.uint64, "b": np.int8}
FLAG_MASKED, FLAG_MOBILE = 1, 2

IntArray = npt.NDArray[np.int64]


@dataclass
class ChunkData:
    """One reader's output for part of a file: arrays, private pools, issues. Picklable."""

    file: int
    n: int
    numeric: dict[str, array[Any]]
    pooled: dict[str, array[Any]]
    pools: dict[str, list[str]]
    other_ids: list[str]
    issues: list[ImportIssue] = field(default_factory=list)
    rejected: int = 0
    skipped: int = 0
    warnings: int = 0


class ChunkBuilder:
    """Accumulates rows of one file; ``add`` is the only per-row call on the hot path."""

    def __init__(self, file: int, optional: Iterable[str] = ()) -> None:
        self.file = file
        self.numeric: dict[str, array[Any]] = {k: array(code) for k, code in NUMERIC.items()}
        names = [p for p in POOLS if p in ALWAYS or p in set(optional)]
        self.maps: dict[str, dict[str, int]] = {p: {} for p in names}
        self.pooled: dict[str, array[Any]] = {p: array("i") for p in names}
        self.other_ids: list[str] = []
        self.optional = tuple(p for p in names if p not in ALWAYS)
        self.issues: list[ImportIssue] = []
        self.rejected = self.skipped = self.warnings = 0

    def __len__(self) -> int:
        return len(self.numeric["line"])

    def add(
        self,
        line: int,
        t: int,
        tf_start: int,
        tf_end: int,
        networks: int,
        devices: int,
        row_id: str,
        flags: int,
        texts: dict[str, str],
    ) -> None:
        num = self.numeric
        num["line"].append(line)
        num["t"].append(t)
        num["tf_start"].append(tf_start)
        num["tf_end"].append(tf_end)
        num["networks"].append(networks)
        num["devices"].append(devices)
        kind, hi, lo = pack_id(row_id) if row_id else (ID_NONE, 0, 0)
        if kind == ID_OTHER:
            lo = len(self.other_ids)
            self.other_ids.append(row_id.strip())
        num["id_kind"].append(kind)
        num["id_hi"].append(hi)
        num["id_lo"].append(lo)
        num["flags"].append(flags)
        for name, column in self.pooled.items():
            text = texts.get(name, "")
            if text:
                pool = self.maps[name]
                index = pool.get(text)
                if index is None:
                    index = pool[text] = len(pool)
                column.append(index)
            else:
                column.append(-1)

    def finish(self) -> ChunkData:
        return ChunkData(
            file=self.file,
            n=len(self),
            numeric=self.numeric,
            pooled=self.pooled,
            pools={name: list(pool) for name, pool in self.maps.items()},
            other_ids=self.other_ids,
            issues=self.issues,
            rejected=self.rejected,
            skipped=self.skipped,
            warnings=self.warnings,
        )


class RecordTable:
    """The imported searches, column by column. ``cols[name]`` are numpy arrays of length n."""

    def __init__(
        self,
        files: list[str],
        cols: dict[str, np.ndarray[Any, Any]],
        pools: dict[str, list[str]],
        other_ids: list[str],
    ) -> None:
        self.files = files
        self.cols = cols
        self.pools = pools
        self.other_ids = other_ids
        self.n = len(cols["t"])

    def __len__(self) -> int:
        return self.n

    def text(self, pool: str, index: int) -> str | None:
        return None if index < 0 else self.pools[pool][index]

    def export_id(self, i: int) -> str | None:
        c = self.cols
        return unpack_id(
            int(c["id_kind"][i]), int(c["id_hi"][i]), int(c["id_lo"][i]), self.other_ids
        )

    def record(self, i: int) -> SearchRecord:
        c = self.cols

        def txt(name: str) -> str | None:
            return self.text(name, int(c[name][i]))

        def count(name: str) -> int | None:
            value = int(c[name][i])
            return None if value < 0 else value

        flags = int(c["flags"][i])
        return SearchRecord(
            source=self.files[int(c["file"][i])],
            line=int(c["line"][i]),
            searched_at=datetime.fromtimestamp(int(c["t"][i]), UTC),
            export_id=self.export_id(i),
            user=txt("user"),
            org=txt("org"),
            plate=txt("plate"),
            reason=txt("reason") or "",
            case_number=txt("case"),
            offense=txt("offense"),
            window_start=from_epoch(int(c["tf_start"][i])),
            window_end=from_epoch(int(c["tf_end"][i])),
            networks=count("networks"),
            devices=count("devices"),
            search_type=txt("stype"),
            mobile=bool(flags & FLAG_MOBILE),
            filters=txt("filters"),
            text_prompt=txt("prompt"),
            moderation=txt("moderation"),
            masked=bool(flags & FLAG_MASKED),
            purpose=txt("purpose"),
            decision=txt("decision"),
            legal_basis=txt("basis"),
            org_state=txt("state"),
        )

    def records(self, rows: Iterable[int] | None = None) -> Iterator[SearchRecord]:
        for i in range(self.n) if rows is None else rows:
            yield self.record(int(i))

    def take(self, keep: np.ndarray[Any, Any]) -> RecordTable:
        """A table of the rows where ``keep`` is true (column by column, to bound memory)."""
        cols = {}
        for name in list(self.cols):
            cols[name] = self.cols[name][keep]
        return RecordTable(self.files, cols, self.pools, self.other_ids)

    @classmethod
    def from_records(cls, records: Iterable[SearchRecord]) -> RecordTable:
        """Builds a table from records (our own audit log, tests); one file per ``source``."""
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


def record_fields(
    rec: SearchRecord,
) -> tuple[int, int, int, int, int, int, str, int, dict[str, str]]:
    """The ``ChunkBuilder.add`` arguments for a record."""

    def epoch(moment: Any) -> int:
        return NO_TIME if moment is None else int(moment.timestamp())

    flags = (FLAG_MASKED if rec.masked else 0) | (FLAG_MOBILE if rec.mobile else 0)
    texts = {
        "user": rec.user or "", "org": rec.org or "", "plate": rec.plate or "",
        "reason": rec.reason, "case": rec.case_number or "", "stype": rec.search_type or "",
        "offense": rec.offense or "", "filters": rec.filters or "",
        "prompt": rec.text_prompt or "", "moderation": rec.moderation or "",
        "purpose": rec.purpose or "", "decision": rec.decision or "",
        "basis": rec.legal_basis or "", "state": rec.org_state or "",
    }  # fmt: skip
    return (
        rec.line,
        epoch(rec.searched_at),
        epoch(rec.window_start),
        epoch(rec.window_end),
        -1 if rec.networks is None else rec.networks,
        -1 if rec.devices is None else rec.devices,
        rec.export_id or "",
        flags,
        texts,
    )


class TableBuilder:
    """Merges chunks from any number of files and processes into one ``RecordTable``."""

    def __init__(self) -> None:
        self.files: list[str] = []
        self._maps: dict[str, dict[str, int]] = {p: {} for p in POOLS}
        self._parts: dict[str, list[np.ndarray[Any, Any]]] = {}
        self._other_ids: list[str] = []
        self.rows = 0

    def add_file(self, path: str) -> int:
        self.files.append(path)
        return len(self.files) - 1

    def _part(self, name: str, values: np.ndarray[Any, Any]) -> None:
        self._parts.setdefault(name, []).append(values)

    def add(self, chunk: ChunkData) -> None:
        if chunk.n == 0:
            return
        for name, values in chunk.numeric.items():
            arr = np.frombuffer(values, dtype=DTYPES[NUMERIC[name]]).copy()
            if name == "id_lo" and chunk.other_ids:
                kinds = np.frombuffer(chunk.numeric["id_kind"], dtype=np.int8)
                arr[kinds == ID_OTHER] += np.uint64(len(self._other_ids))
            self._part(name, arr)
        self._other_ids.extend(chunk.other_ids)
        self._part("file", np.full(chunk.n, chunk.file, dtype=np.int16))
        for name in POOLS:
            if name not in chunk.pooled:
                self._part(name, np.full(chunk.n, -1, dtype=np.int32))
                continue
            pool = self._maps[name]
            mapping = np.empty(len(chunk.pools[name]) + 1, dtype=np.int32)
            for local, text in enumerate(chunk.pools[name]):
                index = pool.get(text)
                if index is None:
                    index = pool[text] = len(pool)
                mapping[local] = index
            mapping[-1] = -1  # local -1 (missing) stays -1
            local_ids = np.frombuffer(chunk.pooled[name], dtype=np.int32)
            self._part(name, mapping[local_ids])
        self.rows += chunk.n

    def mark(self) -> tuple[int, dict[str, int], int]:
        """A point to roll back to if a file's parallel parse must be redone."""
        return self.rows, {k: len(v) for k, v in self._parts.items()}, len(self._other_ids)

    def rollback(self, point: tuple[int, dict[str, int], int]) -> None:
        rows, lengths, others = point
        for name, parts in self._parts.items():
            del parts[lengths.get(name, 0) :]
        del self._other_ids[others:]
        self.rows = rows

    def build(self) -> RecordTable:
        cols: dict[str, np.ndarray[Any, Any]] = {}
        for name in ("file", *NUMERIC, *POOLS):
            parts = self._parts.pop(name, [])
            dtype = np.int16 if name == "file" else DTYPES.get(NUMERIC.get(name, "i"), np.int32)
            cols[name] = np.concatenate(parts) if parts else np.empty(0, dtype=dtype)
            del parts
        pools = {name: list(pool) for name, pool in self._maps.items()}
        self._maps = {p: {} for p in POOLS}
        return RecordTable(self.files, cols, pools, self._other_ids)


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
        drop[rows[_later_file_dupes(rows, [c["id_kind"], c["id_hi"], c["id_lo"]], c["file"])]] = (
            True
        )
    keys = [c["user"], c["t"], c["plate"], c["reason"]]
    rows = np.flatnonzero(~drop)
    drop[rows[_later_file_dupes(rows, keys, c["file"])]] = True
    if not drop.any():
        return table, {}
    files, counts = np.unique(c["file"][drop], return_counts=True)
    return table.take(~drop), {int(f): int(n) for f, n in zip(files, counts, strict=True)}


def _later_file_dupes(
    rows: np.ndarray[Any, Any], keys: list[np.ndarray[Any, Any]], file: np.ndarray[Any, Any]
) -> np.ndarray[Any, Any]:
    """Positions in ``rows`` whose key also occurs in an earlier file."""
    if len(rows) == 0:
        return np.empty(0, dtype=np.int64)
    sub_keys = [k[rows] for k in keys]
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
