"""The embedded read store: one SQLite file per (retention class, UTC day).

``reads/<class>/<YYYY-MM-DD>.db`` holds sealed rows (see ``codec``). Dropping a day is closing
its file, overwriting and unlinking it with its WAL and shared-memory files, and destroying
the day's keys; the oldest surviving day is trimmed row by row with ``secure_delete`` on and
its WAL truncated, so expired ciphertext leaves the files too.
"""

from __future__ import annotations

import os
import re
import sqlite3
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path

from ..core.clock import day_start, days_between
from ..core.errors import KeyDestroyedError, StoreError
from ..core.plates import confusion_key
from ..core.reads import Read
from ..keys import DayKeys, KeyRing
from .base import (
    PurgeReport,
    RetentionClass,
    StoredRead,
    StoreStats,
    make_ref,
    parse_ref,
    partitions,
)
from .codec import (
    CONFUSION_DOMAIN,
    from_us,
    seal,
    seal_image,
    to_us,
    unseal,
    unseal_image,
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS reads (
    id INTEGER PRIMARY KEY,
    t INTEGER NOT NULL,
    camera TEXT NOT NULL,
    cidx INTEGER NOT NULL,
    nonce BLOB NOT NULL,
    ct BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS reads_cidx ON reads (cidx);
CREATE TABLE IF NOT EXISTS images (
    read_id INTEGER PRIMARY KEY,
    nonce BLOB NOT NULL,
    ct BLOB NOT NULL
);
"""
_DAY_DB = re.compile(r"^(\d{4}-\d{2}-\d{2})\.db$")
_SCAN_CHUNK = 2000


class SQLiteReadStore:
    """``ReadStore`` on SQLite files under ``root``; ``rings`` hold each class's day keys."""

    def __init__(
        self, root: Path, rings: Mapping[RetentionClass, KeyRing], *, synchronous: str = "FULL"
    ) -> None:
        self._root = root
        self._rings = dict(rings)
        self._sync = synchronous
        self._conns: dict[tuple[RetentionClass, date], sqlite3.Connection] = {}
        self._lock = threading.RLock()
        self._days: dict[RetentionClass, set[date]] = {}
        for cls in RetentionClass:
            folder = root / cls.value
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
            self._days[cls] = {
                date.fromisoformat(m.group(1))
                for m in (_DAY_DB.match(p.name) for p in folder.iterdir())
                if m
            }

    # -- partitions -------------------------------------------------------------------------

    def _path(self, cls: RetentionClass, day: date) -> Path:
        return self._root / cls.value / f"{day.isoformat()}.db"

    def _conn(self, cls: RetentionClass, day: date) -> sqlite3.Connection:
        conn = self._conns.get((cls, day))
        if conn is not None:
            return conn
        try:
            conn = sqlite3.connect(self._path(cls, day), check_same_thread=False)
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute(f"PRAGMA synchronous={self._sync}")
            conn.execute("PRAGMA secure_delete=ON")
            conn.executescript(_SCHEMA)
        except sqlite3.Error as exc:
            raise StoreError(f"cannot open partition {cls.value}/{day}: {exc}") from exc
        os.chmod(self._path(cls, day), 0o600)
        if len(self._conns) >= 128:  # bound open files; the oldest-opened closes first
            old_key = next(iter(self._conns))
            self._conns.pop(old_key).close()
        self._conns[(cls, day)] = conn
        self._days[cls].add(day)
        return conn

    def _days_in(self, cls: RetentionClass, start: datetime, end: datetime) -> list[date]:
        return [d for d in days_between(start, end) if d in self._days[cls]]

    # -- writing ----------------------------------------------------------------------------

    def append(
        self,
        reads: Sequence[Read],
        *,
        hits: Sequence[bool] | None = None,
        images: Mapping[int, bytes] | None = None,
    ) -> list[str]:
        groups = partitions(reads, hits)
        refs: list[str] = [""] * len(reads)
        with self._lock:
            for (cls, day), members in groups.items():
                keys = self._rings[cls].get(day, create=True)
                rows = [seal(reads[i], keys, cls.value) for i in members]
                conn = self._conn(cls, day)
                try:
                    with conn:
                        conn.executemany(
                            "INSERT INTO reads (t, camera, cidx, nonce, ct) VALUES (?, ?, ?, ?, ?)",
                            rows,
                        )
                        last = conn.execute("SELECT last_insert_rowid()").fetchone()[0]
                        first = last - len(rows) + 1
                        for offset, i in enumerate(members):
                            refs[i] = make_ref(cls, day, first + offset)
                        if images:
                            self._insert_images(conn, keys, cls, members, refs, images)
                except sqlite3.Error as exc:
                    raise StoreError(f"append to {cls.value}/{day} failed: {exc}") from exc
        return refs

    def _insert_images(
        self,
        conn: sqlite3.Connection,
        keys: DayKeys,
        cls: RetentionClass,
        members: list[int],
        refs: list[str],
        images: Mapping[int, bytes],
    ) -> None:
        rows = []
        for i in members:
            if i in images:
                nonce, ct = seal_image(images[i], keys, cls.value, refs[i])
                rows.append((parse_ref(refs[i])[2], nonce, ct))
        conn.executemany("INSERT INTO images (read_id, nonce, ct) VALUES (?, ?, ?)", rows)

    def promote(self, refs: Sequence[str]) -> int:
        moved = 0
        with self._lock:
            for ref in refs:
                cls, day, row_id = parse_ref(ref)
                if cls is RetentionClass.HIT or day not in self._days[cls]:
                    continue
                conn = self._conn(cls, day)
                row = conn.execute(
                    "SELECT t, camera, nonce, ct FROM reads WHERE id = ?", (row_id,)
                ).fetchone()
                if row is None:
                    continue
                read = unseal(self._rings[cls].get(day), cls.value, *row)
                image = self.image(ref)
                self.append([read], hits=[True], images={0: image} if image else None)
                with conn:
                    conn.execute("DELETE FROM reads WHERE id = ?", (row_id,))
                    conn.execute("DELETE FROM images WHERE read_id = ?", (row_id,))
                moved += 1
        return moved

    # -- reading ----------------------------------------------------------------------------

    def lookup(
        self,
        plate: str,
        start: datetime,
        end: datetime,
        *,
        variants: bool = False,
        cameras: Sequence[str] | None = None,
    ) -> list[StoredRead]:
        key = confusion_key(plate)
        lo, hi = to_us(start), to_us(end)
        camera_set = set(cameras) if cameras is not None else None
        found: list[StoredRead] = []
        with self._lock:
            for cls in RetentionClass:
                for day in self._days_in(cls, start, end):
                    try:
                        keys = self._rings[cls].get(day)
                    except KeyDestroyedError:
                        continue
                    rows = self._conn(cls, day).execute(
                        "SELECT id, t, camera, nonce, ct FROM reads WHERE cidx = ? "
                        "AND t >= ? AND t < ?",
                        (keys.blind_index(CONFUSION_DOMAIN, key), lo, hi),
                    )
                    for row_id, t_us, camera, nonce, ct in rows.fetchall():
                        if camera_set is not None and camera not in camera_set:
                            continue
                        read = unseal(keys, cls.value, t_us, camera, nonce, ct)
                        match = confusion_key(read.plate) if variants else read.plate
                        if match == (key if variants else plate):  # the plate decides
                            found.append(StoredRead(make_ref(cls, day, row_id), read, cls))
        found.sort(key=lambda s: s.read.observed_at)
        return found

    def scan(
        self,
        start: datetime,
        end: datetime,
        *,
        cameras: Sequence[str] | None = None,
        predicate: Callable[[Read], bool] | None = None,
    ) -> Iterator[StoredRead]:
        lo, hi = to_us(start), to_us(end)
        camera_list = list(cameras) if cameras is not None else None
        for cls in RetentionClass:
            for day in self._days_in(cls, start, end):
                last_id = 0
                while True:
                    with self._lock:
                        try:
                            keys = self._rings[cls].get(day)
                        except KeyDestroyedError:
                            break
                        if day not in self._days[cls]:
                            break
                        sql = "SELECT id, t, camera, nonce, ct FROM reads WHERE id > ? "
                        params: list[object] = [last_id]
                        sql += "AND t >= ? AND t < ? "
                        params += [lo, hi]
                        if camera_list is not None:
                            sql += f"AND camera IN ({','.join('?' * len(camera_list))}) "
                            params += camera_list
                        sql += f"ORDER BY id LIMIT {_SCAN_CHUNK}"
                        chunk = self._conn(cls, day).execute(sql, params).fetchall()
                    if not chunk:
                        break
                    last_id = chunk[-1][0]
                    for row_id, t_us, camera, nonce, ct in chunk:
                        read = unseal(keys, cls.value, t_us, camera, nonce, ct)
                        if predicate is None or predicate(read):
                            yield StoredRead(make_ref(cls, day, row_id), read, cls)

    def image(self, ref: str) -> bytes | None:
        cls, day, row_id = parse_ref(ref)
        with self._lock:
            if day not in self._days[cls]:
                return None
            row = (
                self._conn(cls, day)
                .execute("SELECT nonce, ct FROM images WHERE read_id = ?", (row_id,))
                .fetchone()
            )
            if row is None:
                return None
            return unseal_image(self._rings[cls].get(day), cls.value, ref, row[0], row[1])

    # -- expiry -----------------------------------------------------------------------------

    def purge(self, nonhit_before: datetime, hit_before: datetime) -> PurgeReport:
        report = PurgeReport()
        cutoffs = {RetentionClass.NONHIT: nonhit_before, RetentionClass.HIT: hit_before}
        with self._lock:
            for cls, cutoff in cutoffs.items():
                ring = self._rings[cls]
                for day in sorted(self._days[cls] | set(ring.days())):
                    if day_start(day) + timedelta(days=1) <= cutoff:
                        self._drop_day(cls, day)
                        report.days_dropped.append((cls, day))
                        key_id = ring.destroy(day)
                        if key_id:
                            report.key_ids_destroyed.append(key_id)
                    elif day_start(day) < cutoff and day in self._days[cls]:
                        report.rows_deleted += self._trim_day(cls, day, cutoff)
        return report

    def _drop_day(self, cls: RetentionClass, day: date) -> None:
        conn = self._conns.pop((cls, day), None)
        if conn is not None:
            conn.close()
        self._days[cls].discard(day)
        base = self._path(cls, day)
        for path in (base, Path(f"{base}-wal"), Path(f"{base}-shm"), Path(f"{base}-journal")):
            if path.exists():
                _overwrite_and_unlink(path)

    def _trim_day(self, cls: RetentionClass, day: date, cutoff: datetime) -> int:
        conn = self._conn(cls, day)
        try:
            with conn:
                limit = to_us(cutoff)
                conn.execute(
                    "DELETE FROM images WHERE read_id IN (SELECT id FROM reads WHERE t < ?)",
                    (limit,),
                )
                deleted = conn.execute("DELETE FROM reads WHERE t < ?", (limit,)).rowcount
            if deleted:
                conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.Error as exc:
            raise StoreError(f"trimming {cls.value}/{day} failed: {exc}") from exc
        return int(deleted)

    # -- statistics -------------------------------------------------------------------------

    def stats(self) -> StoreStats:
        by_day: dict[str, int] = {}
        hits = 0
        oldest: int | None = None
        newest: int | None = None
        with self._lock:
            for cls in RetentionClass:
                for day in sorted(self._days[cls]):
                    count, lo, hi = (
                        self._conn(cls, day)
                        .execute("SELECT COUNT(*), MIN(t), MAX(t) FROM reads")
                        .fetchone()
                    )
                    if not count:
                        continue
                    by_day[day.isoformat()] = by_day.get(day.isoformat(), 0) + count
                    if cls is RetentionClass.HIT:
                        hits += count
                    oldest = lo if oldest is None else min(oldest, lo)
                    newest = hi if newest is None else max(newest, hi)
        return StoreStats(
            reads_total=sum(by_day.values()),
            reads_by_day=dict(sorted(by_day.items())),
            hits_total=hits,
            oldest=from_us(oldest) if oldest is not None else None,
            newest=from_us(newest) if newest is not None else None,
        )

    def close(self) -> None:
        with self._lock:
            for conn in self._conns.values():
                conn.close()
            self._conns.clear()


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
