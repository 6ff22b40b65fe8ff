"""The server read store: PostgreSQL tables range-partitioned by UTC day.

``<schema>.reads_<class>`` is partitioned on ``t`` (microseconds); each day is its own table
``reads_<class>_<YYYYMMDD>`` with its own blind-index index. Dropping a day is ``DROP TABLE``
(its relation files are unlinked) plus destroying the day's keys; what PostgreSQL's WAL still
holds of it is ciphertext whose keys no longer exist, and is recycled at later checkpoints.
Rows are written with binary ``COPY`` (REFERENCE.md §5: ~300k rows/s).
"""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

import psycopg
from psycopg import sql

from ..core.clock import day_start, days_between
from ..core.errors import ConfigError, KeyDestroyedError, StoreError
from ..core.plates import confusion_key
from ..core.reads import Read
from ..keys import KeyRing
from .base import (
    PurgeReport,
    RetentionClass,
    StoredRead,
    StoreStats,
    make_ref,
    parse_ref,
    partitions,
)
from .codec import CONFUSION_DOMAIN, from_us, seal, seal_image, to_us, unseal, unseal_image

_PARTITION = re.compile(r"^reads_(nonhit|hit)_(\d{8})$")
_SCAN_CHUNK = 2000


class PostgresReadStore:
    """``ReadStore`` on PostgreSQL; ``schema`` separates nodes (and tests) in one database."""

    def __init__(
        self, url: str, rings: Mapping[RetentionClass, KeyRing], *, schema: str = "trustlpr"
    ) -> None:
        if not re.fullmatch(r"[a-z_][a-z0-9_]{0,40}", schema):
            raise ConfigError(f"schema name {schema!r} must be lower-case letters, digits, _")
        self._rings = dict(rings)
        self._schema = schema
        self._lock = threading.RLock()
        try:
            self._conn = psycopg.connect(url, autocommit=True)
        except psycopg.Error as exc:
            raise StoreError(f"cannot connect to PostgreSQL: {exc}") from exc
        self._days: dict[RetentionClass, set[date]] = {cls: set() for cls in RetentionClass}
        self._execute(self._schema_sql())
        for table in self._partitions():
            match = _PARTITION.match(table)
            if match:
                day = datetime.strptime(match.group(2), "%Y%m%d").date()
                self._days[RetentionClass(match.group(1))].add(day)

    # -- plumbing ---------------------------------------------------------------------------

    def _execute(self, query: Any, params: Sequence[Any] | None = None) -> list[tuple[Any, ...]]:
        try:
            with self._conn.cursor() as cur:
                cur.execute(query, params)
                return cur.fetchall() if cur.description else []
        except psycopg.Error as exc:
            raise StoreError(f"PostgreSQL: {exc}".strip()) from exc

    def _schema_sql(self) -> sql.Composed:
        parts = [sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(self._schema))]
        for cls in RetentionClass:
            parts.append(
                sql.SQL(
                    "CREATE TABLE IF NOT EXISTS {}.{} (id bigint NOT NULL, t bigint NOT NULL, "
                    "camera text NOT NULL, cidx bigint NOT NULL, nonce bytea NOT NULL, "
                    "ct bytea NOT NULL) PARTITION BY RANGE (t)"
                ).format(sql.Identifier(self._schema), sql.Identifier(f"reads_{cls.value}"))
            )
            parts.append(
                sql.SQL(
                    "CREATE TABLE IF NOT EXISTS {}.{} (read_id bigint NOT NULL, t bigint NOT NULL,"
                    " nonce bytea NOT NULL, ct bytea NOT NULL) PARTITION BY RANGE (t)"
                ).format(sql.Identifier(self._schema), sql.Identifier(f"images_{cls.value}"))
            )
        parts.append(
            sql.SQL("CREATE SEQUENCE IF NOT EXISTS {}.read_ids").format(
                sql.Identifier(self._schema)
            )
        )
        return sql.SQL("; ").join(parts)

    def _partitions(self) -> list[str]:
        rows = self._execute(
            "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = %s",
            (self._schema,),
        )
        return [r[0] for r in rows]

    def _table(self, kind: str, cls: RetentionClass, day: date) -> sql.Composed:
        return sql.SQL("{}.{}").format(
            sql.Identifier(self._schema),
            sql.Identifier(f"{kind}_{cls.value}_{day.strftime('%Y%m%d')}"),
        )

    def _ensure_day(self, cls: RetentionClass, day: date) -> None:
        if day in self._days[cls]:
            return
        lo = to_us(day_start(day))
        hi = to_us(day_start(day) + timedelta(days=1))
        statements = []
        for kind in ("reads", "images"):
            statements.append(
                sql.SQL(
                    "CREATE TABLE IF NOT EXISTS {} PARTITION OF {}.{} FOR VALUES FROM ({}) TO ({})"
                ).format(
                    self._table(kind, cls, day),
                    sql.Identifier(self._schema),
                    sql.Identifier(f"{kind}_{cls.value}"),
                    sql.Literal(lo),
                    sql.Literal(hi),
                )
            )
        statements.append(
            sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} (cidx)").format(
                sql.Identifier(f"cidx_{cls.value}_{day.strftime('%Y%m%d')}"),
                self._table("reads", cls, day),
            )
        )
        statements.append(
            sql.SQL("CREATE UNIQUE INDEX IF NOT EXISTS {} ON {} (id)").format(
                sql.Identifier(f"id_{cls.value}_{day.strftime('%Y%m%d')}"),
                self._table("reads", cls, day),
            )
        )
        self._execute(sql.SQL("; ").join(statements))
        self._days[cls].add(day)

    # -- writing ----------------------------------------------------------------------------

    def append(
        self,
        reads: Sequence[Read],
        *,
        hits: Sequence[bool] | None = None,
        images: Mapping[int, bytes] | None = None,
    ) -> list[str]:
        groups = partitions(reads, hits)
        refs = [""] * len(reads)
        with self._lock:
            for (cls, day), members in groups.items():
                self._ensure_day(cls, day)
                keys = self._rings[cls].get(day, create=True)
                ids = [
                    r[0]
                    for r in self._execute(
                        sql.SQL("SELECT nextval({}) FROM generate_series(1, %s)").format(
                            sql.Literal(f"{self._schema}.read_ids")
                        ),
                        (len(members),),
                    )
                ]
                try:
                    with self._conn.transaction(), self._conn.cursor() as cur:
                        with cur.copy(
                            sql.SQL(
                                "COPY {} (id, t, camera, cidx, nonce, ct) "
                                "FROM STDIN (FORMAT BINARY)"
                            ).format(self._table("reads", cls, day))
                        ) as copy:
                            copy.set_types(["int8", "int8", "text", "int8", "bytea", "bytea"])
                            for row_id, i in zip(ids, members, strict=True):
                                copy.write_row((row_id, *seal(reads[i], keys, cls.value)))
                                refs[i] = make_ref(cls, day, row_id)
                        if images:
                            rows = []
                            for row_id, i in zip(ids, members, strict=True):
                                if i in images:
                                    nonce, ct = seal_image(images[i], keys, cls.value, refs[i])
                                    rows.append((row_id, to_us(reads[i].observed_at), nonce, ct))
                            cur.executemany(
                                sql.SQL("INSERT INTO {} VALUES (%s, %s, %s, %s)").format(
                                    self._table("images", cls, day)
                                ),
                                rows,
                            )
                except psycopg.Error as exc:
                    raise StoreError(f"append to {cls.value}/{day} failed: {exc}") from exc
        return refs

    def promote(self, refs: Sequence[str]) -> int:
        moved = 0
        with self._lock:
            for ref in refs:
                cls, day, row_id = parse_ref(ref)
                if cls is RetentionClass.HIT or day not in self._days[cls]:
                    continue
                rows = self._execute(
                    sql.SQL("SELECT t, camera, nonce, ct FROM {} WHERE id = %s").format(
                        self._table("reads", cls, day)
                    ),
                    (row_id,),
                )
                if not rows:
                    continue
                read = unseal(self._rings[cls].get(day), cls.value, *rows[0])
                image = self.image(ref)
                self.append([read], hits=[True], images={0: image} if image else None)
                for kind, column in (("reads", "id"), ("images", "read_id")):
                    self._execute(
                        sql.SQL("DELETE FROM {} WHERE {} = %s").format(
                            self._table(kind, cls, day), sql.Identifier(column)
                        ),
                        (row_id,),
                    )
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
                for day in (d for d in days_between(start, end) if d in self._days[cls]):
                    try:
                        keys = self._rings[cls].get(day)
                    except KeyDestroyedError:
                        continue
                    rows = self._execute(
                        sql.SQL(
                            "SELECT id, t, camera, nonce, ct FROM {} "
                            "WHERE cidx = %s AND t >= %s AND t < %s"
                        ).format(self._table("reads", cls, day)),
                        (keys.blind_index(CONFUSION_DOMAIN, key), lo, hi),
                    )
                    for row_id, t_us, camera, nonce, ct in rows:
                        if camera_set is not None and camera not in camera_set:
                            continue
                        read = unseal(keys, cls.value, t_us, camera, bytes(nonce), bytes(ct))
                        match = confusion_key(read.plate) if variants else read.plate
                        if match == (key if variants else plate):
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
        for cls in RetentionClass:
            for day in days_between(start, end):
                last_id = -1
                while True:
                    with self._lock:
                        if day not in self._days[cls]:
                            break
                        try:
                            keys = self._rings[cls].get(day)
                        except KeyDestroyedError:
                            break
                        query = sql.SQL(
                            "SELECT id, t, camera, nonce, ct FROM {} WHERE id > %s AND t >= %s "
                            "AND t < %s AND (%s::text[] IS NULL OR camera = ANY(%s::text[])) "
                            "ORDER BY id LIMIT {}"
                        ).format(self._table("reads", cls, day), sql.Literal(_SCAN_CHUNK))
                        cams = list(cameras) if cameras is not None else None
                        chunk = self._execute(query, (last_id, lo, hi, cams, cams))
                    if not chunk:
                        break
                    last_id = chunk[-1][0]
                    for row_id, t_us, camera, nonce, ct in chunk:
                        read = unseal(keys, cls.value, t_us, camera, bytes(nonce), bytes(ct))
                        if predicate is None or predicate(read):
                            yield StoredRead(make_ref(cls, day, row_id), read, cls)

    def image(self, ref: str) -> bytes | None:
        cls, day, row_id = parse_ref(ref)
        with self._lock:
            if day not in self._days[cls]:
                return None
            rows = self._execute(
                sql.SQL("SELECT nonce, ct FROM {} WHERE read_id = %s").format(
                    self._table("images", cls, day)
                ),
                (row_id,),
            )
            if not rows:
                return None
            keys = self._rings[cls].get(day)
            return unseal_image(keys, cls.value, ref, bytes(rows[0][0]), bytes(rows[0][1]))

    # -- expiry and statistics ----------------------------------------------------------------

    def purge(self, nonhit_before: datetime, hit_before: datetime) -> PurgeReport:
        report = PurgeReport()
        cutoffs = {RetentionClass.NONHIT: nonhit_before, RetentionClass.HIT: hit_before}
        with self._lock:
            for cls, cutoff in cutoffs.items():
                ring = self._rings[cls]
                for day in sorted(self._days[cls] | set(ring.days())):
                    if day_start(day) + timedelta(days=1) <= cutoff:
                        if day in self._days[cls]:
                            self._execute(
                                sql.SQL("DROP TABLE IF EXISTS {}, {}").format(
                                    self._table("reads", cls, day), self._table("images", cls, day)
                                )
                            )
                            self._days[cls].discard(day)
                        report.days_dropped.append((cls, day))
                        key_id = ring.destroy(day)
                        if key_id:
                            report.key_ids_destroyed.append(key_id)
                    elif day_start(day) < cutoff and day in self._days[cls]:
                        limit = to_us(cutoff)
                        self._execute(
                            sql.SQL("DELETE FROM {} WHERE t < %s").format(
                                self._table("images", cls, day)
                            ),
                            (limit,),
                        )
                        with self._conn.cursor() as cur:
                            cur.execute(
                                sql.SQL("DELETE FROM {} WHERE t < %s").format(
                                    self._table("reads", cls, day)
                                ),
                                (limit,),
                            )
                            report.rows_deleted += max(cur.rowcount, 0)
        return report

    def stats(self) -> StoreStats:
        by_day: dict[str, int] = {}
        hits = 0
        oldest: int | None = None
        newest: int | None = None
        with self._lock:
            for cls in RetentionClass:
                for day in sorted(self._days[cls]):
                    ((count, lo, hi),) = self._execute(
                        sql.SQL("SELECT count(*), min(t), max(t) FROM {}").format(
                            self._table("reads", cls, day)
                        )
                    )
                    if not count:
                        continue
                    by_day[day.isoformat()] = by_day.get(day.isoformat(), 0) + count
                    hits += count if cls is RetentionClass.HIT else 0
                    oldest = lo if oldest is None else min(oldest, lo)
                    newest = hi if newest is None else max(newest, hi)
        return StoreStats(
            reads_total=sum(by_day.values()),
            reads_by_day=dict(sorted(by_day.items())),
            hits_total=hits,
            oldest=from_us(oldest) if oldest is not None else None,
            newest=from_us(newest) if newest is not None else None,
        )

    def drop_schema(self) -> None:
        """Removes every table of this store (tests, decommissioning)."""
        with self._lock:
            self._execute(
                sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(self._schema))
            )
            self._days = {cls: set() for cls in RetentionClass}

    def close(self) -> None:
        with self._lock:
            self._conn.close()
