"""One reader's rows, column by column: what worker processes build and ship to the merge.

Each row costs about 85 bytes: times as int64, counts as int32, row IDs packed into two
uint64 (``ids``), and every text column interned (a private string → id map per column, an
int32 index per row; a column no file had costs nothing). ``ChunkBuilder.finish`` also
classifies each distinct reason and digests each pooled string, so the main process only
concatenates and remaps (``merge``).
"""

from __future__ import annotations

from array import array
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from ..records import ImportIssue, SearchRecord
from .facts import DIGEST_DOMAIN, CaseKeys, ReasonFacts, digests
from .ids import ID_NONE, ID_OTHER, NO_TIME, pack_id
from .pool import StringPool

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
BLANK_VALUE = {"networks": -1, "devices": -1, "tf_start": NO_TIME, "tf_end": NO_TIME}
"""Numeric columns that may hold no value at all, and the value that means "none"."""
WINDOW = ("tf_start", "tf_end")


def window_offsets(moments: np.ndarray[Any, Any], t: np.ndarray[Any, Any]) -> np.ndarray[Any, Any]:
    """A searched window's start or end as seconds from the search time: int32 (half the
    memory of epoch seconds; a window ends at or a few weeks before its search), int64 if
    some offset does not fit. "None" is the dtype's smallest value."""
    offsets = moments - t
    missing = moments == NO_TIME
    small = np.iinfo(np.int32)
    fits = (offsets > small.min) & (offsets <= small.max)
    if (fits | missing).all():
        return np.where(missing, small.min, offsets).astype(np.int32)
    return np.where(missing, np.iinfo(np.int64).min, offsets)


def window_moment(offset: int, none: int, t: int) -> datetime | None:
    """The moment a ``window_offsets`` value stands for (``None`` for ``none``)."""
    return None if offset == none else datetime.fromtimestamp(t + offset, UTC)


FLAG_MASKED, FLAG_MOBILE = 1, 2


@dataclass
class ChunkData:
    """One reader's output for part of a file: arrays, private pools, issues. Picklable."""

    file: int
    n: int
    numeric: dict[str, array[Any] | np.ndarray[Any, Any]]  # see ``window_offsets``
    pooled: dict[str, np.ndarray[Any, Any]]  # per pool column: int32 ids, -1 for no value
    pools: dict[str, StringPool]
    other_ids: list[str]
    issues: list[ImportIssue] = field(default_factory=list)
    rejected: int = 0
    skipped: int = 0
    warnings: int = 0
    reasons: ReasonFacts | None = None  # classification of ``pools["reason"]``
    case_keys: CaseKeys | None = None  # the case numbers of ``pools["case"]``
    hashes: dict[str, np.ndarray[Any, Any]] = field(default_factory=dict)  # per pool string
    domain: int = 0  # the ``DIGEST_DOMAIN`` of the process that made ``hashes``


def pool_map() -> defaultdict[str, int]:
    """A chunk's string → id map that hands out ids itself, in first-seen order: a missing
    key gets ``len(map)``. ``""`` is seeded as id 0 (no value), so while a chunk is built its
    ids are 1-based; ``ChunkBuilder.finish`` shifts them to 0-based with -1 for no value."""
    ids: defaultdict[str, int] = defaultdict(None, {"": 0})
    ids.default_factory = ids.__len__
    return ids


class ChunkBuilder:
    """Accumulates rows of one file; ``add`` is the only per-row call on the hot path."""

    def __init__(self, file: int, optional: Iterable[str] = ()) -> None:
        self.file = file
        self.numeric: dict[str, array[Any]] = {k: array(code) for k, code in NUMERIC.items()}
        names = [p for p in POOLS if p in ALWAYS or p in set(optional)]
        self.maps: dict[str, defaultdict[str, int]] = {p: pool_map() for p in names}
        self.pooled: dict[str, array[Any]] = {p: array("i") for p in names}  # 1-based ids
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
            column.append(self.maps[name][texts.get(name, "")])

    def finish(self) -> ChunkData:
        """The chunk's data; a column with no value in any row is left out (the merge
        fills it in), so blank columns cost nothing to ship or to hold."""
        for pool in self.maps.values():
            pool.default_factory = None  # it refers to the map itself: free it without the GC
        strings = {name: list(pool)[1:] for name, pool in self.maps.items() if len(pool) > 1}
        pooled = {
            name: np.frombuffer(self.pooled[name], dtype=np.int32) - np.int32(1) for name in strings
        }
        numeric: dict[str, array[Any] | np.ndarray[Any, Any]] = {
            name: values
            for name, values in self.numeric.items()
            if name not in BLANK_VALUE or values.count(BLANK_VALUE[name]) != len(values)
        }
        t = np.frombuffer(self.numeric["t"], dtype=np.int64)
        for name in WINDOW:
            if name in numeric:
                numeric[name] = window_offsets(np.frombuffer(self.numeric[name], np.int64), t)
        return ChunkData(
            file=self.file,
            n=len(self),
            numeric=numeric,
            pooled=pooled,
            pools={name: StringPool.of(values) for name, values in strings.items()},
            other_ids=self.other_ids,
            issues=self.issues,
            rejected=self.rejected,
            skipped=self.skipped,
            warnings=self.warnings,
            reasons=ReasonFacts.of(strings.get("reason", [])),
            case_keys=CaseKeys.of(strings.get("case", [])),
            hashes={name: digests(values) for name, values in strings.items()},
            domain=DIGEST_DOMAIN,
        )


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
