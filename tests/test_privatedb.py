"""The one private-SQLite opener: 0600 from creation, WAL, synchronous=FULL, secure_delete."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from trustlpr import privatedb
from trustlpr.core import AuditError, ConflictError, StoreError
from trustlpr.privatedb import PrivateDB

SCHEMA = "CREATE TABLE IF NOT EXISTS t (k TEXT PRIMARY KEY, v TEXT NOT NULL)"


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The most careless umask there is: nothing of the mode is masked by the process."""
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_file_and_its_wal_and_shm_are_private_from_creation(
    tmp_path: Path, open_umask: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_chmod(*args: object) -> None:
        raise AssertionError("a new private file must not need chmod")

    monkeypatch.setattr(privatedb.os, "chmod", no_chmod)
    created: list[int] = []
    real_open = os.open

    def watching_open(path: object, flags: int, mode: int = 0o777, **kw: object) -> int:
        if flags & os.O_CREAT:
            created.append(mode)
        return real_open(path, flags, mode)  # type: ignore[arg-type]

    monkeypatch.setattr(privatedb.os, "open", watching_open)
    path = tmp_path / "sub" / "state.db"
    db = PrivateDB(path, schema=SCHEMA)
    with db.write() as conn:
        conn.execute("INSERT INTO t VALUES ('a', 'b')")
    assert created == [0o600]
    files = {p.name: _mode(p) for p in path.parent.iterdir()}
    assert files == {"state.db": 0o600, "state.db-wal": 0o600, "state.db-shm": 0o600}
    assert _mode(path.parent) == 0o700
    db.close()


def test_pragmas_are_the_durable_and_forgetful_ones(tmp_path: Path) -> None:
    db = PrivateDB(tmp_path / "p.db", schema=SCHEMA, foreign_keys=True)
    assert db.query("PRAGMA journal_mode")[0][0] == "wal"
    assert db.query("PRAGMA synchronous")[0][0] == 2  # FULL
    assert db.query("PRAGMA secure_delete")[0][0] == 1
    assert db.query("PRAGMA foreign_keys")[0][0] == 1
    db.close()


def test_write_commits_or_rolls_back_whole(tmp_path: Path) -> None:
    db = PrivateDB(tmp_path / "w.db", schema=SCHEMA, label="test database")
    with db.write() as conn:
        conn.execute("INSERT INTO t VALUES ('kept', '1')")
    with pytest.raises(RuntimeError), db.write() as conn:
        conn.execute("INSERT INTO t VALUES ('lost', '2')")
        raise RuntimeError("the caller changed its mind")
    with pytest.raises(ConflictError, match="test database refused"), db.write() as conn:
        conn.execute("INSERT INTO t VALUES ('also-lost', '3')")
        conn.execute("INSERT INTO t VALUES ('kept', 'duplicate')")
    with pytest.raises(StoreError, match="test database write failed"), db.write() as conn:
        conn.execute("INSERT INTO nowhere VALUES (1)")
    assert db.query("SELECT k FROM t") == [("kept",)]
    db.close()


def test_error_class_is_the_callers(tmp_path: Path) -> None:
    db = PrivateDB(tmp_path / "a.db", schema=SCHEMA, label="audit thing", error=AuditError)
    with pytest.raises(AuditError, match="audit thing read failed"):
        db.query("SELECT * FROM nowhere")
    db.close()
    with pytest.raises(AuditError, match="cannot open the audit thing"):
        PrivateDB(tmp_path / "missing.db", readonly=True, label="audit thing", error=AuditError)


def test_deleted_rows_leave_the_file_and_the_wal(tmp_path: Path) -> None:
    path = tmp_path / "f.db"
    db = PrivateDB(path, schema=SCHEMA)
    with db.write() as conn:
        conn.executemany(
            "INSERT INTO t VALUES (?, ?)", [(f"k{i}", f"PLATE{i:04d}X") for i in range(50)]
        )
    db.checkpoint()
    with db.write() as conn:
        conn.execute("DELETE FROM t WHERE k != 'k0'")
    db.checkpoint()
    blob = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert b"PLATE0000X" in blob
    assert not any(f"PLATE{i:04d}X".encode() in blob for i in range(1, 50))
    db.close()


def test_a_file_left_open_by_an_older_version_is_tightened(tmp_path: Path) -> None:
    path = tmp_path / "old.db"
    sqlite3.connect(path).close()
    os.chmod(path, 0o644)
    PrivateDB(path, schema=SCHEMA).close()
    assert _mode(path) == 0o600


def test_readonly_opening_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "r.db"
    with PrivateDB(path, schema=SCHEMA).write() as conn:
        conn.execute("INSERT INTO t VALUES ('a', 'b')")
    reader = PrivateDB(path, readonly=True)
    assert reader.query("SELECT v FROM t") == [("b",)]
    with pytest.raises(StoreError), reader.write() as conn:
        conn.execute("INSERT INTO t VALUES ('c', 'd')")
    reader.close()
