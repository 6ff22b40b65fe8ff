"""PostgreSQL specifics: a purged day's partition tables are dropped, not just emptied."""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest

from trustlpr.store.base import RetentionClass
from trustlpr.store.codec import unseal
from trustlpr.store.factory import key_rings
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
