"""The two row parsers agree: ``BatchFeeder`` (a batch judged column by column, the fast path)
and ``RowParser.feed`` (one row at a time) must turn the same rows into the same table —
same values, same pools in the same first-seen order, same rejections, warnings and skips.

Rows are drawn from cell variants real exports hold (padded and unpadded times, ISO times,
two-line time frames, masked ``***`` cells, counts with commas, upper-case UUIDs, numeric and
odd IDs, mobile search types) and from broken ones (bad times, bad counts, short and long
rows, blank and formula rows, a zone other than UTC).
"""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from trustlpr.oversight.reading import find_layout
from trustlpr.oversight.reading.batch import BATCH_ROWS, BatchFeeder
from trustlpr.oversight.reading.rows import RowParser, optional_pools
from trustlpr.oversight.table import ChunkBuilder, ChunkData, RecordTable, TableBuilder

from .synth import HEADER_13

Case = tuple[list[str], list[list[str]]]
HEADER_8 = [
    "Name", "Total Networks Searched", "Time Frame", "License Plate", "Case #", "Filters",
    "Reason", "Search Time",
]  # fmt: skip

TIMES = [
    "1/9/2025, 12:32:31 PM UTC", "01/09/2025, 12:32:31 AM UTC", "12/31/2024, 11:59:59 PM UTC",
    "2/28/2025 7:05:00 AM UTC", "2025-01-09 12:32:31", "2025-01-09T12:32:31.123Z",
    "3/1/2025, 13:00:00 UTC", "1/9/2025, 12:32:31 PM EST", "not a time", "",
    "2/30/2025, 1:00:00 PM UTC",
]  # fmt: skip
FRAMES = [
    "1/2/2025, 12:32:31 PM UTC\n1/9/2025, 12:32:31 PM UTC",
    "01/02/2025, 12:00:00 AM UTC\n01/09/2025, 12:00:00 AM UTC",
    "1/2/2025, 12:32:31 PM UTC\n", "garbage\nmore", "", "1/2/2025, 12:32:31 PM UTC",
]  # fmt: skip
IDS = [
    "0b8e4f1e-9d8c-4c1e-9a7b-3f2d1c0b9a87", "0B8E4F1E-9D8C-4C1E-9A7B-3F2D1C0B9A87",
    "0b8e4f1e-9D8c-4c1e-9a7b-3f2d1c0b9a87", "12345", "0012", "row-7", "", " 42 ",
]  # fmt: skip
NAMES = ["Pat Example", "  Lee Sample ", "***", "", "Q. Officer", "**"]
ORGS = ["Springfield CT PD", "***", "", "Shelbyville IL PD", "US Marshals Service"]
COUNTS = ["1", "1,424", "", "0", "x", "-3", " 12 ", "1.5"]
PLATES = ["ABC1234", "abc-1234", " 7XYZ 99 ", "***", "*BC12", "", "A?C1*"]
REASONS = [
    "Robbery 25-001234", "investigation", "", "  stolen vehicle ", "Other - ", "BOLO",
    "CPD25-001234", "=SUM(A1)", "Theft - shoplifting", "José €",
]  # fmt: skip
TYPES = ["lookup", "lookup - Mobile", "search", "convoy", "", "MultiGeo", "visual - mobile"]
SHORT = [
    "",
    "x",
    "Officer note",
    "moderated",
    "allow",
    "block",
]  # filters, text prompt, moderation


def _row13(d: st.DrawFn) -> list[str]:
    return [
        d(st.sampled_from(IDS)), d(st.sampled_from(NAMES)), d(st.sampled_from(ORGS)),
        d(st.sampled_from(COUNTS)), d(st.sampled_from(FRAMES)), d(st.sampled_from(PLATES)),
        d(st.sampled_from(REASONS)), d(st.sampled_from(["", "25-1", "***", "CPD25-9"])),
        d(st.sampled_from(SHORT)), d(st.sampled_from(TIMES)), d(st.sampled_from(TYPES)),
        d(st.sampled_from(SHORT)), d(st.sampled_from(SHORT)),
    ]  # fmt: skip


def _row8(d: st.DrawFn) -> list[str]:
    return [
        d(st.sampled_from(NAMES)), d(st.sampled_from(COUNTS)), d(st.sampled_from(FRAMES)),
        d(st.sampled_from(PLATES)), d(st.sampled_from(["", "25-1"])), d(st.sampled_from(SHORT)),
        d(st.sampled_from(REASONS)), d(st.sampled_from(TIMES)),
    ]  # fmt: skip


@st.composite
def _rows(d: st.DrawFn, header: list[str]) -> list[list[str]]:
    make = _row13 if len(header) == 13 else _row8
    good = make(d)
    good_time = "1/9/2025, 12:32:31 PM UTC"
    n = d(st.integers(min_value=0, max_value=60))
    rows = []
    for _ in range(n):
        kind = d(st.sampled_from(["drawn", "drawn", "drawn", "good", "short", "long", "blank"]))
        if kind == "drawn":
            rows.append(make(d))
        elif kind == "good":  # mostly valid rows, so the fast path really runs
            row = list(good)
            row[header.index("Search Time")] = good_time
            rows.append(row)
        elif kind == "short":
            rows.append(make(d)[: d(st.integers(0, len(header) - 1))])
        elif kind == "long":
            rows.append([*make(d), d(st.sampled_from(["", "extra"]))])
        else:
            rows.append(d(st.sampled_from([[""] * len(header), ["=A1", *[""] * 7], []])))
    return rows


def _parse(header: list[str], rows: list[list[str]], batched: bool, size: int = 16) -> ChunkData:
    layout = find_layout([header], "t.csv")
    builder = ChunkBuilder(0, optional_pools(layout))
    parser = RowParser(layout, "t.csv", builder)
    lines = list(range(2, 2 + len(rows)))
    if batched:
        feeder = BatchFeeder(parser)
        assert feeder.enabled
        for start in range(0, len(rows), size):  # several batches, some shorter than 8 rows
            end = start + size
            feeder.feed(lines[start:end], [list(r) for r in rows[start:end]])
    else:
        for line, row in zip(lines, rows, strict=True):
            parser.feed(line, list(row))
    return builder.finish()


def _plain(chunk: ChunkData) -> dict[str, Any]:
    return {
        "n": chunk.n,
        "numeric": {k: np.asarray(v).tolist() for k, v in chunk.numeric.items()},
        "pooled": {k: v.tolist() for k, v in chunk.pooled.items()},
        "pools": {k: list(v) for k, v in chunk.pools.items()},
        "other_ids": chunk.other_ids,
        "issues": [(i.line, i.message, i.kind) for i in chunk.issues],
        "counts": (chunk.rejected, chunk.skipped, chunk.warnings),
    }


def _table(chunk: ChunkData) -> RecordTable:
    builder = TableBuilder()
    builder.add_file("t.csv")
    builder.add(chunk)
    return builder.build()


def _same_tables(a: RecordTable, b: RecordTable) -> None:
    assert a.n == b.n
    assert set(a.cols) == set(b.cols)
    for name in a.cols:
        assert np.array_equal(a.cols[name], b.cols[name]), name
        assert a.cols[name].dtype == b.cols[name].dtype, name
    assert {k: list(v) for k, v in a.pools.items()} == {k: list(v) for k, v in b.pools.items()}
    assert a.other_ids == b.other_ids
    assert a.reasons.category == b.reasons.category
    assert list(a.records()) == list(b.records())


@settings(max_examples=150, deadline=None)
@given(st.sampled_from([HEADER_13, HEADER_8]).flatmap(lambda h: st.tuples(st.just(h), _rows(h))))
def test_batch_and_row_parsers_build_identical_tables(
    case: tuple[list[str], list[list[str]]],
) -> None:
    header, rows = case
    by_row, by_batch = _parse(header, rows, False), _parse(header, rows, True)
    assert _plain(by_batch) == _plain(by_row)
    _same_tables(_table(by_batch), _table(by_row))


def test_a_realistic_month_parses_identically() -> None:
    """A few thousand ordinary rows (the fast path's bulk) with problems sprinkled in."""
    from .synth import clean_traffic, planted

    searches = clean_traffic() + [s for v in planted().values() for s in v]
    rows = [s.row13() for s in searches]
    rows[5][HEADER_13.index("Search Time")] = "yesterday"
    rows[9] = rows[9][:4]
    rows[11][HEADER_13.index("Name")] = "***"
    rows[13][HEADER_13.index("Total Networks Searched")] = "12,345"
    by_row = _parse(HEADER_13, rows, False)
    by_batch = _parse(HEADER_13, rows, True, BATCH_ROWS)
    assert by_row.n > 1000 and by_row.rejected == 2
    assert _plain(by_batch) == _plain(by_row)
    _same_tables(_table(by_batch), _table(by_row))
