"""The columnar table: packed string pools, chunk merging by digest, absent columns, API."""

from __future__ import annotations

import pickle
from datetime import UTC, datetime, timedelta

import numpy as np

import trustlpr.oversight as oversight
from trustlpr.oversight import SearchRecord
from trustlpr.oversight.table import ChunkBuilder, StringPool, TableBuilder, table_from_records
from trustlpr.oversight.table.chunk import record_fields

AT = datetime(2025, 1, 9, 12, tzinfo=UTC)


def test_string_pool_round_trips_and_gathers() -> None:
    texts = ["", "ab", "José €", "x" * 300, *[f"25-{i}" for i in range(100_000)]]
    pool = StringPool.of(texts)
    assert list(pool) == texts and len(pool) == len(texts) and pool[-1] == texts[-1]
    order = np.array([3, 2, 0, *range(100_003, 3, -1)])
    taken = pool.take(order)
    assert list(taken) == [texts[i] for i in order]
    joined = StringPool.concat([pool, taken, StringPool()])
    assert joined[len(pool) + 1] == "José €" and len(joined) == len(pool) + len(taken)
    assert list(pickle.loads(pickle.dumps(taken))) == list(taken)
    assert list(StringPool.of(["a*", "abc", "a?c", ""]).contains_any(b"*?")) == [
        True,
        False,
        True,
        False,
    ]
    assert "José" not in repr(pool)


def _chunk(builder: TableBuilder, path: str, records: list[SearchRecord]) -> None:
    chunk = ChunkBuilder(builder.add_file(path))
    for rec in records:
        chunk.add(*record_fields(rec))
    builder.add(chunk.finish())


def test_chunks_merge_into_one_pool_in_first_seen_order() -> None:
    def rec(k: int, plate: str, reason: str) -> SearchRecord:
        return SearchRecord(
            "f", k, AT + timedelta(minutes=k), plate=plate, reason=reason, user=f"u{k % 2}"
        )

    builder = TableBuilder()
    _chunk(builder, "a.csv", [rec(0, "AAA1", "Robbery 25-1234"), rec(1, "BBB2", "")])
    point = builder.mark()
    _chunk(builder, "b.csv", [rec(9, "ZZZ9", "gone")])
    builder.rollback(point)  # a misaligned chunk is forgotten entirely
    _chunk(builder, "c.csv", [rec(2, "BBB2", "Robbery 25-1234"), rec(3, "CCC3", "parking")])
    table = builder.build()
    assert list(table.pools["plate"]) == ["AAA1", "BBB2", "CCC3"]
    assert list(table.pools["reason"]) == ["Robbery 25-1234", "parking"]
    assert [r.plate for r in table.records()] == ["AAA1", "BBB2", "BBB2", "CCC3"]
    assert [r.reason for r in table.records()] == [
        "Robbery 25-1234",
        "",
        "Robbery 25-1234",
        "parking",
    ]
    assert table.reasons.category == ["Robbery", "Minor / non-criminal"]
    assert list(table.reasons.case) == ["25-1234", ""]


def test_absent_columns_cost_no_memory() -> None:
    recs = [SearchRecord("f", k, AT, plate=f"P{k}", reason="x") for k in range(1000)]
    table = table_from_records(recs)
    for name in ("devices", "networks", "tf_start", "purpose", "moderation"):
        assert table.cols[name].strides == (0,), name
    smaller = table.take(np.arange(1000) % 2 == 0)
    assert smaller.n == 500 and smaller.cols["devices"].strides == (0,)
    assert smaller.record(0).devices is None and smaller.record(1).plate == "P2"


def test_the_public_surface_is_small() -> None:
    assert sorted(oversight.__all__) == [
        "Finding", "HotlistEvent", "ImportResult", "RecordTable", "RuleConfig", "RuleRun",
        "SearchRecord", "import_files", "load_config", "read_own_log", "records_from_audit",
        "run_rules", "write_report",
    ]  # fmt: skip
    for name in oversight.__all__:
        assert getattr(oversight, name).__doc__, name


def test_reprs_hide_plates() -> None:
    rec = SearchRecord("f", 1, AT, plate="SECRET1", user="Pat Example")
    assert "SECRET1" not in repr(rec) and "Pat" not in repr(rec)
