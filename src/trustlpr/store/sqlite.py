"""The embedded read store: one SQLite file per (retention class, UTC day).

``reads/<class>/<YYYY-MM-DD>.db`` holds sealed rows (see ``codec``), opened as a private file
(``trustlpr.privatedb``: 0600 from creation, WAL, ``secure_delete``). Dropping a day is closing
its file, zero-filling and unlinking it with its WAL and shared-memory files, and destroying
the day's keys; the oldest surviving day is trimmed row by row with ``secure_delete`` on and
its WAL truncated, so expired ciphertext leaves the files too. Which rows a lookup returns and
which days expire is decided in ``partitioned``, shared with the PostgreSQL backend.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from pathlib import Path

from ..keys import KeyRing
from ..privatedb import SIDE_FILES, PrivateDB
from .base import RetentionClass
from .codec import SealedRead
from .partitioned import ATTRIBUTE_COLUMNS, SCAN_CHUNK, DayPartitionedStore, Row, SealImages

_SCHEMA = """
CREATE TABLE IF NOT EXISTS reads (
    id INTEGER PRIMARY KEY,
    t INTEGER NOT NULL,
    camera TEXT NOT NULL,
    cidx INTEGER NOT NULL,
    nonce BLOB NOT NULL,
    ct BLOB NOT NULL,
    midx INTEGER,
    kidx INTEGER,
    bidx INTEGER,
    gidx INTEGER
);
CREATE INDEX IF NOT EXISTS reads_cidx ON reads (cidx);
CREATE TABLE IF NOT EXISTS images (
    read_id INTEGER PRIMARY KEY,
    nonce BLOB NOT NULL,
    ct BLOB NOT NULL
);
"""
_ATTRIBUTE_INDEXES = [
    # SQLite uses one index per query: each is led by one attribute and followed by the other
    # two, so every combination asked for is an equality prefix of one of them (make and
    # colour: the first), and a search reads only the rows that match all it names
    f"CREATE INDEX IF NOT EXISTS reads_attr_{a} ON reads ({a}, {b}, {c}) WHERE {a} IS NOT NULL"
    for a, b, c in (("midx", "kidx", "bidx"), ("kidx", "bidx", "midx"), ("bidx", "midx", "kidx"))
]
_CELL_INDEX = "CREATE INDEX IF NOT EXISTS reads_gidx ON reads (gidx)"
"""Not partial: ``gidx IS NULL`` (rows of before the column) is looked up through it too."""
_OLD_INDEXES = ("reads_midx", "reads_kidx", "reads_bidx")  # single-column, before 2026-12-02
_DAY_DB = re.compile(r"^(\d{4}-\d{2}-\d{2})\.db$")
_MAX_OPEN = 128


class SQLiteReadStore(DayPartitionedStore):
    """``ReadStore`` on SQLite files under ``root``; ``rings`` hold each class's day keys."""

    def __init__(
        self, root: Path, rings: Mapping[RetentionClass, KeyRing], *, synchronous: str = "FULL"
    ) -> None:
        super().__init__(rings)
        self._root = root
        self._sync = synchronous
        self._open: dict[tuple[RetentionClass, date], PrivateDB] = {}
        for cls in RetentionClass:
            folder = root / cls.value
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            self._days[cls] = {
                date.fromisoformat(m.group(1))
                for m in (_DAY_DB.match(p.name) for p in folder.iterdir())
                if m
            }

    def _path(self, cls: RetentionClass, day: date) -> Path:
        return self._root / cls.value / f"{day.isoformat()}.db"

    def _db(self, cls: RetentionClass, day: date) -> PrivateDB:
        db = self._open.get((cls, day))
        if db is not None:
            return db
        db = PrivateDB(
            self._path(cls, day),
            schema=_SCHEMA,
            label=f"partition {cls.value}/{day}",
            synchronous=self._sync,
        )
        _add_attribute_columns(db)
        _add_cell_column(db)
        if len(self._open) >= _MAX_OPEN:  # bound open files; the oldest-opened closes first
            self._open.pop(next(iter(self._open))).close()
        self._open[(cls, day)] = db
        return db

    # -- row primitives ---------------------------------------------------------------------

    def _insert(
        self,
        cls: RetentionClass,
        day: date,
        rows: Iterable[SealedRead],
        count: int,
        images: SealImages,
    ) -> list[int]:
        with self._db(cls, day).write() as conn:
            conn.executemany(
                "INSERT INTO reads (t, camera, cidx, nonce, ct, midx, kidx, bidx, gidx) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
            last = conn.execute("SELECT last_insert_rowid()").fetchone()[0]
            ids = list(range(last - count + 1, last + 1))
            conn.executemany(
                "INSERT INTO images (read_id, nonce, ct) VALUES (?, ?, ?)",
                [(row_id, nonce, ct) for row_id, _, nonce, ct in images(ids)],
            )
        return ids

    def _by_index(self, cls: RetentionClass, day: date, cidx: int, lo: int, hi: int) -> list[Row]:
        return self._db(cls, day).query(
            "SELECT id, t, camera, nonce, ct FROM reads WHERE cidx = ? AND t >= ? AND t < ?",
            (cidx, lo, hi),
        )

    def _by_attributes(
        self,
        cls: RetentionClass,
        day: date,
        wanted: Mapping[str, int],
        lo: int,
        hi: int,
        cameras: Sequence[str] | None,
    ) -> list[Row]:
        sql = "SELECT id, t, camera, nonce, ct FROM reads WHERE t >= ? AND t < ? "
        params: list[object] = [lo, hi]
        for column, value in wanted.items():
            sql += f"AND {ATTRIBUTE_COLUMNS[column]} = ? "
            params.append(value)
        if cameras is not None:
            sql += f"AND camera IN ({','.join('?' * len(cameras))}) "
            params += cameras
        return self._db(cls, day).query(sql, params)

    def _by_cells(
        self,
        cls: RetentionClass,
        day: date,
        cells: Sequence[int],
        wanted: Mapping[str, int],
        lo: int,
        hi: int,
    ) -> list[Row]:
        distinct = sorted(set(cells))
        sql = (
            "SELECT id, t, camera, nonce, ct FROM reads WHERE t >= ? AND t < ? "
            f"AND (gidx IN ({','.join('?' * len(distinct))}) OR gidx IS NULL) "
        )
        params: list[object] = [lo, hi, *distinct]
        for column, value in wanted.items():
            sql += f"AND {ATTRIBUTE_COLUMNS[column]} = ? "
            params.append(value)
        return self._db(cls, day).query(sql, params)

    def _chunk(
        self,
        cls: RetentionClass,
        day: date,
        after: int,
        lo: int,
        hi: int,
        cameras: Sequence[str] | None,
    ) -> list[Row]:
        sql = "SELECT id, t, camera, nonce, ct FROM reads WHERE id > ? AND t >= ? AND t < ? "
        params: list[object] = [after, lo, hi]
        if cameras is not None:
            sql += f"AND camera IN ({','.join('?' * len(cameras))}) "
            params += cameras
        return self._db(cls, day).query(sql + f"ORDER BY id LIMIT {SCAN_CHUNK}", params)

    def _row(self, cls: RetentionClass, day: date, row_id: int) -> Row | None:
        rows = self._db(cls, day).query(
            "SELECT id, t, camera, nonce, ct FROM reads WHERE id = ?", (row_id,)
        )
        return rows[0] if rows else None

    def _image(self, cls: RetentionClass, day: date, row_id: int) -> tuple[bytes, bytes] | None:
        rows = self._db(cls, day).query("SELECT nonce, ct FROM images WHERE read_id = ?", (row_id,))
        return (rows[0][0], rows[0][1]) if rows else None

    def _delete(self, cls: RetentionClass, day: date, row_id: int) -> None:
        with self._db(cls, day).write() as conn:
            conn.execute("DELETE FROM reads WHERE id = ?", (row_id,))
            conn.execute("DELETE FROM images WHERE read_id = ?", (row_id,))

    def _drop(self, cls: RetentionClass, day: date) -> None:
        db = self._open.pop((cls, day), None)
        if db is not None:
            db.close()
        base = self._path(cls, day)
        for path in (base, *(Path(f"{base}{suffix}") for suffix in SIDE_FILES)):
            if path.exists():
                _overwrite_and_unlink(path)

    def _trim(self, cls: RetentionClass, day: date, before_us: int) -> int:
        db = self._db(cls, day)
        with db.write() as conn:
            conn.execute(
                "DELETE FROM images WHERE read_id IN (SELECT id FROM reads WHERE t < ?)",
                (before_us,),
            )
            deleted = int(conn.execute("DELETE FROM reads WHERE t < ?", (before_us,)).rowcount)
        if deleted:
            db.checkpoint()
        return deleted

    def _count(self, cls: RetentionClass, day: date) -> tuple[int, int | None, int | None]:
        count, lo, hi = self._db(cls, day).query("SELECT COUNT(*), MIN(t), MAX(t) FROM reads")[0]
        return int(count), lo, hi

    def close(self) -> None:
        with self._lock:
            for db in self._open.values():
                db.close()
            self._open.clear()


def _add_attribute_columns(db: PrivateDB) -> None:
    """Day files written before attribute search get its (empty) columns and indexes: their
    reads stay unfindable by attribute, but new reads of the same day are indexed."""
    have = {row[1] for row in db.query("PRAGMA table_info(reads)")}
    missing = [c for c in ATTRIBUTE_COLUMNS.values() if c not in have]
    if not missing and db.query("PRAGMA index_info(reads_attr_bidx)"):
        return
    with db.write() as conn:
        for column in missing:
            conn.execute(f"ALTER TABLE reads ADD COLUMN {column} INTEGER")
        for old in _OLD_INDEXES:
            conn.execute(f"DROP INDEX IF EXISTS {old}")
        for statement in _ATTRIBUTE_INDEXES:
            conn.execute(statement)


def _add_cell_column(db: PrivateDB) -> None:
    """Day files written before area search get the (empty) cell column and its index; their
    reads have no cell, so an area search decrypts them and tests their positions."""
    have = {row[1] for row in db.query("PRAGMA table_info(reads)")}
    if "gidx" in have and db.query("PRAGMA index_info(reads_gidx)"):
        return
    with db.write() as conn:
        if "gidx" not in have:
            conn.execute("ALTER TABLE reads ADD COLUMN gidx INTEGER")
        conn.execute(_CELL_INDEX)


def _overwrite_and_unlink(path: Path) -> None:
    """Zero-fills then unlinks, so the expired bytes are not left in a reused file extent."""
    size = path.stat().st_size
    with open(path, "r+b") as handle:
        chunk = b"\0" * (1 << 20)
        for offset in range(0, size, len(chunk)):
            handle.write(chunk[: min(len(chunk), size - offset)])
        handle.flush()
        os.fsync(handle.fileno())
    path.unlink()
