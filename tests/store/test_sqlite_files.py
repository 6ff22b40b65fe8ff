"""What the SQLite backend leaves on disk: no plate text ever; no expired ciphertext after purge."""

from __future__ import annotations

import os
import secrets
import sqlite3
import stat
from datetime import timedelta
from pathlib import Path

import pytest

from trustlpr.core import StoreError
from trustlpr.store import SQLiteReadStore
from trustlpr.store.factory import key_rings

from .conftest import T0, make_read

PLATES = ["QWE4821", "PLT9X7K", "ZZTOP77"]


def _all_bytes(root: Path) -> bytes:
    return b"".join(p.read_bytes() for p in root.rglob("*") if p.is_file())


def test_no_plaintext_and_no_expired_ciphertext_remain(tmp_path: Path) -> None:
    store = SQLiteReadStore(tmp_path / "reads", key_rings(tmp_path, secrets.token_bytes(32)))
    reads = [make_read(PLATES[i % 3], T0 + timedelta(hours=i), make="Subaru") for i in range(72)]
    store.append(reads, images={0: b"PLATE-IMAGE-QWE4821"})
    blob = _all_bytes(tmp_path)
    for plate in PLATES:
        assert plate.encode() not in blob
    assert b"Subaru" not in blob and b"PLATE-IMAGE" not in blob
    day0 = tmp_path / "reads" / "nonhit" / f"{T0.date()}.db"
    with sqlite3.connect(day0) as conn:
        expired_ct = [row[0] for row in conn.execute("SELECT ct FROM reads")]
    assert expired_ct
    store.purge(T0 + timedelta(days=1, hours=6), T0)
    store.close()
    blob = _all_bytes(tmp_path)
    for plate in PLATES:
        assert plate.encode() not in blob
    for ct in expired_ct:
        assert ct not in blob
    assert not (tmp_path / "keys" / "nonhit" / f"{T0.date()}.key").exists()
    # rows of the trimmed day (before 06:00 on day 2) are gone from its file and WAL too
    day1 = tmp_path / "reads" / "nonhit" / f"{(T0 + timedelta(days=1)).date()}.db"
    assert day1.exists()


def test_a_dropped_day_is_zero_filled_before_unlink_and_no_longer_served(tmp_path: Path) -> None:
    """A hard link holds the day file's inode past the purge: what is left in it is what a
    reused extent would show. Only zeros, to the file's full length; and the store, whose
    connection to that day was open, answers the day from nothing."""
    store = SQLiteReadStore(tmp_path / "reads", key_rings(tmp_path, secrets.token_bytes(32)))
    store.append([make_read(PLATES[i % 3], T0 + timedelta(hours=i)) for i in range(30)])
    day0 = tmp_path / "reads" / "nonhit" / f"{T0.date()}.db"
    held = tmp_path / "held.db"
    os.link(day0, held)
    report = store.purge(T0 + timedelta(days=1, hours=6), T0)
    assert report.days_dropped and not day0.exists()
    left = held.read_bytes()
    assert len(left) >= 4096 and left == bytes(len(left))
    assert list(store.scan(T0, T0 + timedelta(days=1))) == []
    store.close()


def test_trimmed_rows_leave_the_file(tmp_path: Path) -> None:
    store = SQLiteReadStore(tmp_path / "reads", key_rings(tmp_path, secrets.token_bytes(32)))
    store.append([make_read("TRIM1", T0 + timedelta(hours=h)) for h in range(24)])
    path = tmp_path / "reads" / "nonhit" / f"{T0.date()}.db"
    with sqlite3.connect(path) as conn:
        early = [r[0] for r in conn.execute("SELECT ct FROM reads ORDER BY t LIMIT 12")]
    report = store.purge(T0 + timedelta(hours=12), T0)
    assert report.rows_deleted == 12 and not report.days_dropped
    store.close()
    blob = _all_bytes(tmp_path)
    assert all(ct not in blob for ct in early)


def test_tampered_rows_fail_authentication(tmp_path: Path) -> None:
    store = SQLiteReadStore(tmp_path / "reads", key_rings(tmp_path, secrets.token_bytes(32)))
    store.append([make_read("TAMP1", T0, camera="cam-a")])
    path = tmp_path / "reads" / "nonhit" / f"{T0.date()}.db"
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE reads SET camera = 'cam-b'")
    with pytest.raises(StoreError, match="fails authentication"):
        list(store.scan(T0, T0 + timedelta(days=1)))


def test_partition_files_and_their_wal_are_private_from_creation(tmp_path: Path) -> None:
    old = os.umask(0o022)  # the common default: files others may read unless made private
    try:
        store = SQLiteReadStore(tmp_path / "reads", key_rings(tmp_path, secrets.token_bytes(32)))
        store.append([make_read("MODE1", T0)])
        folder = tmp_path / "reads" / "nonhit"
        modes = {p.name: stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir()}
        store.close()
    finally:
        os.umask(old)
    assert {f"{T0.date()}.db", f"{T0.date()}.db-wal", f"{T0.date()}.db-shm"} <= set(modes)
    assert set(modes.values()) == {0o600}, modes
