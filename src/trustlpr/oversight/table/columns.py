"""The imported searches as one columnar table, so millions of rows fit in memory and the
rules vectorise: numpy arrays of length n per column, a ``StringPool`` per text column.

``merge.TableBuilder`` makes it from readers' chunks; ``RecordTable.record(i)`` gives a
``SearchRecord`` back for evidence and reports.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from typing import Any

import numpy as np

from ..records import SearchRecord
from .chunk import FLAG_MASKED, FLAG_MOBILE, window_moment
from .facts import CaseKeys, ReasonFacts
from .ids import unpack_id
from .pool import StringPool


class RecordTable:
    """The imported searches, column by column. ``cols[name]`` are numpy arrays of length n."""

    def __init__(
        self,
        files: list[str],
        cols: dict[str, np.ndarray[Any, Any]],
        pools: dict[str, StringPool],
        other_ids: list[str],
        reasons: ReasonFacts | None = None,
        case_keys: CaseKeys | None = None,
    ) -> None:
        self.files = files
        self.cols = cols
        self.pools = pools
        self.other_ids = other_ids
        self.n = len(cols["t"])
        self.reasons = reasons if reasons is not None else ReasonFacts.of(pools["reason"])
        self.case_keys = case_keys if case_keys is not None else CaseKeys.of(pools["case"])

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
        t = int(c["t"][i])
        return SearchRecord(
            source=self.files[int(c["file"][i])],
            line=int(c["line"][i]),
            searched_at=datetime.fromtimestamp(t, UTC),
            export_id=self.export_id(i),
            user=txt("user"),
            org=txt("org"),
            plate=txt("plate"),
            reason=txt("reason") or "",
            case_number=txt("case"),
            offense=txt("offense"),
            window_start=window_moment(int(c["tf_start"][i]), _none(c["tf_start"]), t),
            window_end=window_moment(int(c["tf_end"][i]), _none(c["tf_end"]), t),
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
        count = int(np.count_nonzero(keep))
        for name, column in self.cols.items():
            if column.strides == (0,):  # a column no file had: one value, no memory
                cols[name] = np.broadcast_to(column[:1], (count,)) if len(column) else column
            else:
                cols[name] = column[keep]
        return RecordTable(
            self.files, cols, self.pools, self.other_ids, self.reasons, self.case_keys
        )


def _none(column: np.ndarray[Any, Any]) -> int:
    return int(np.iinfo(np.int32).min if column.dtype == np.int32 else np.iinfo(np.int64).min)
