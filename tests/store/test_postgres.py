"""PostgreSQL specifics: purged partitions are dropped; the fast paths match the plain ones."""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest

from trustlpr.store.base import RetentionClass
from trustlpr.store.codec import unseal
from trustlpr.store.factory import key_rings
from trustlpr.store.partitioned import DayPartitionedStore
from trustlpr.store.postgres import PostgresReadStore

from .conftest import PG_URL, T0, make_read

pytestmark = pytest.mark.postgres


def _tables(schema: str) -> set[str]:
    with psycopg.connect(PG_URL) as conn:
        rows = conn.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s", (schema,)
        ).fetchall()
    return {r[0] for r in rows}


def test_purge_drops_day_partitions_and_keys(tmp_path: Path) -> None:
    schema = f"t_{secrets.token_hex(6)}"
    store = PostgresReadStore(PG_URL, key_rings(tmp_path, secrets.token_bytes(32)), schema=schema)
    try:
        store.append([make_read("PGDAY1", T0 + timedelta(days=d)) for d in range(3)])
        assert {"reads_nonhit_20261101", "reads_nonhit_20261102"} <= _tables(schema)
        report = store.purge(T0 + timedelta(days=2), T0)
        assert [d.isoformat() for _, d in report.days_dropped] == ["2026-11-01", "2026-11-02"]
        tables = _tables(schema)
        assert "reads_nonhit_20261101" not in tables and "images_nonhit_20261102" not in tables
        assert "reads_nonhit_20261103" in tables
        assert not (tmp_path / "keys" / "nonhit" / "2026-11-01.key").exists()
        # a reopened store sees the same partitions
        reopened = PostgresReadStore(
            PG_URL, key_rings(tmp_path, secrets.token_bytes(32)), schema=schema
        )
        assert reopened.stats().reads_by_day == {"2026-11-03": 1}
        reopened.close()
    finally:
        store.drop_schema()
        store.close()


def test_copy_with_the_c_bytes_dumper_stores_the_sealed_bytes_unchanged(tmp_path: Path) -> None:
    """The store's COPY uses psycopg's C dumper for bytea (a fast path): what another
    connection with psycopg's default adapters reads back decrypts to the reads written."""
    schema = f"t_{secrets.token_hex(6)}"
    rings = key_rings(tmp_path, secrets.token_bytes(32))
    store = PostgresReadStore(PG_URL, rings, schema=schema)
    reads = [make_read(f"CP{i:04d}", T0 + timedelta(minutes=i), camera=f"cam-{i % 3}")
             for i in range(300)]  # fmt: skip
    image = bytes(range(256)) * 4  # every byte value, NUL included
    try:
        refs = store.append(reads, images={7: image})
        with psycopg.connect(PG_URL) as conn:
            rows = conn.execute(
                f"SELECT t, camera, nonce, ct FROM {schema}.reads_nonhit_20261101 ORDER BY t"
            ).fetchall()
        keys = rings[RetentionClass.NONHIT].get(T0.date())
        assert [unseal(keys, "nonhit", t, cam, nonce, ct) for t, cam, nonce, ct in rows] == reads
        assert store.image(refs[7]) == image
    finally:
        store.drop_schema()
        store.close()


class _PerPartition(PostgresReadStore):
    """The plain lookup path: one query per day partition (the base class's ``_by_indexes``)."""

    _by_indexes = DayPartitionedStore._by_indexes


def test_one_statement_lookup_returns_what_the_per_partition_path_returns(
    tmp_path: Path,
) -> None:
    """The ``UNION ALL`` lookup (a fast path) against one query per partition on the same
    schema: the same reads, refs and order, over windows that start and end mid-day and cross
    purged days, days with no partition and both retention classes."""
    schema = f"t_{secrets.token_hex(6)}"
    rings = key_rings(tmp_path, secrets.token_bytes(32))
    store = PostgresReadStore(PG_URL, rings, schema=schema)
    plain = None
    try:
        reads, hits = [], []
        for day in (0, 1, 2, 4, 5, 7):  # no reads (no partition) on days 3 and 6
            for i in range(40):
                at = T0 + timedelta(days=day, minutes=36 * i)
                plate = ("AB1234", "XY9876", "OS1Z2", "0S12", "QQ7")[i % 5]
                reads.append(make_read(plate, at, camera=f"cam-{i % 3}"))
                hits.append(i % 7 == 0)
        same_minute = T0 + timedelta(days=4, hours=3)
        reads += [make_read("AB1234", same_minute, camera=f"cam-{c}") for c in range(3)]
        hits += [False, True, False]
        store.append(reads, hits=hits)
        store.purge(T0 + timedelta(days=1, hours=12), T0)  # day 0 dropped, day 1 trimmed
        plain = _PerPartition(PG_URL, rings, schema=schema)
        windows = [
            (T0, T0 + timedelta(days=9)),
            (T0 + timedelta(days=1, hours=5), T0 + timedelta(days=5, hours=7)),
            (T0 + timedelta(days=2, minutes=1), T0 + timedelta(days=2, hours=20)),
            (T0 + timedelta(days=3), T0 + timedelta(days=4)),  # only the day with no partition
        ]
        checked = 0
        for start, end in windows:
            for plate in ("AB1234", "OS1Z2", "0S12", "QQ7", "NOPE1"):
                for variants in (False, True):
                    for cameras in (None, ["cam-0", "cam-2"]):
                        ours = store.lookup(plate, start, end, variants=variants, cameras=cameras)
                        base = plain.lookup(plate, start, end, variants=variants, cameras=cameras)
                        assert [(s.ref, s.read, s.retention) for s in ours] == [
                            (s.ref, s.read, s.retention) for s in base
                        ]
                        checked += len(ours)
        assert checked > 500  # the windows found reads, not only empty answers
        month = store.lookup("AB1234", T0, T0 + timedelta(days=9))
        nonhit = {s.read.observed_at.date() for s in month if s.retention.value == "nonhit"}
        assert nonhit == {(T0 + timedelta(days=d)).date() for d in (1, 2, 4, 5, 7)}
        assert {s.retention for s in month} == set(RetentionClass)
    finally:
        if plain is not None:
            plain.close()
        store.drop_schema()
        store.close()
