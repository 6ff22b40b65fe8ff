"""The server read store: PostgreSQL tables range-partitioned by UTC day.

``<schema>.reads_<class>`` is partitioned on ``t`` (microseconds); each day is its own table
``reads_<class>_<YYYYMMDD>`` with its own blind-index index. Dropping a day is ``DROP TABLE``
(its relation files are unlinked) plus destroying the day's keys; what PostgreSQL's WAL still
holds of it is ciphertext whose keys no longer exist, and is recycled at later checkpoints.
Rows are written with binary ``COPY`` (REFERENCE.md §5: ~300k rows/s). Which rows a lookup
returns and which days expire is decided in ``partitioned``, shared with the SQLite backend.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Any

import psycopg
from psycopg import sql
from psycopg.adapt import PyFormat

from ..core.clock import day_start
from ..core.errors import ConfigError, StoreError
from ..keys import KeyRing
from .base import RetentionClass
from .codec import SealedRead, to_us
from .partitioned import ATTRIBUTE_COLUMNS, SCAN_CHUNK, DayPartitionedStore, Row, SealImages

_PARTITION = re.compile(r"^reads_(nonhit|hit)_(\d{8})$")


class PostgresReadStore(DayPartitionedStore):
    """``ReadStore`` on PostgreSQL; ``schema`` separates nodes (and tests) in one database."""

    def __init__(
        self, url: str, rings: Mapping[RetentionClass, KeyRing], *, schema: str = "trustlpr"
    ) -> None:
        if not re.fullmatch(r"[a-z_][a-z0-9_]{0,40}", schema):
            raise ConfigError(f"schema name {schema!r} must be lower-case letters, digits, _")
        super().__init__(rings)
        self._schema = schema
        try:
            self._conn = psycopg.connect(url, autocommit=True)
        except psycopg.Error as exc:
            raise StoreError(f"cannot connect to PostgreSQL: {exc}") from exc
        # COPY picks dumpers by column type, and for bytea that is psycopg's DB-API wrapper
        # dumper, in Python; the C dumper for bytes (the same wire bytes) makes COPY ~20 % faster.
        adapters = self._conn.adapters
        adapters.register_dumper(bytes, adapters.get_dumper(bytes, PyFormat.BINARY))
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
            # attribute blind indexes (added after the first release: ALTER reaches old days)
            parts.append(
                sql.SQL(
                    "ALTER TABLE {}.{} ADD COLUMN IF NOT EXISTS midx bigint, "
                    "ADD COLUMN IF NOT EXISTS kidx bigint, ADD COLUMN IF NOT EXISTS bidx bigint, "
                    "ADD COLUMN IF NOT EXISTS gidx bigint"
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
        for column in ATTRIBUTE_COLUMNS.values():
            statements.append(
                sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} ({}) WHERE {} IS NOT NULL").format(
                    sql.Identifier(f"{column}_{cls.value}_{day.strftime('%Y%m%d')}"),
                    self._table("reads", cls, day),
                    sql.Identifier(column),
                    sql.Identifier(column),
                )
            )
        # not partial: old rows' NULL cell is looked up through it too (_by_cells)
        statements.append(
            sql.SQL("CREATE INDEX IF NOT EXISTS {} ON {} (gidx)").format(
                sql.Identifier(f"gidx_{cls.value}_{day.strftime('%Y%m%d')}"),
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

    # -- row primitives ---------------------------------------------------------------------

    def _insert(
        self,
        cls: RetentionClass,
        day: date,
        rows: Iterable[SealedRead],
        count: int,
        images: SealImages,
    ) -> list[int]:
        self._ensure_day(cls, day)
        ids = [
            r[0]
            for r in self._execute(
                sql.SQL("SELECT nextval({}) FROM generate_series(1, %s)").format(
                    sql.Literal(f"{self._schema}.read_ids")
                ),
                (count,),
            )
        ]
        image_rows = images(ids)
        try:
            with self._conn.transaction(), self._conn.cursor() as cur:
                with cur.copy(
                    sql.SQL(
                        "COPY {} (id, t, camera, cidx, nonce, ct, midx, kidx, bidx, gidx) "
                        "FROM STDIN (FORMAT BINARY)"
                    ).format(self._table("reads", cls, day))
                ) as copy:
                    copy.set_types(
                        ["int8", "int8", "text", "int8", "bytea", "bytea"] + ["int8"] * 4
                    )
                    for row_id, row in zip(ids, rows, strict=True):
                        copy.write_row((row_id, *row))
                if image_rows:
                    cur.executemany(
                        sql.SQL("INSERT INTO {} VALUES (%s, %s, %s, %s)").format(
                            self._table("images", cls, day)
                        ),
                        image_rows,
                    )
        except psycopg.Error as exc:
            raise StoreError(f"append to {cls.value}/{day} failed: {exc}") from exc
        return ids

    def _rows(self, query: sql.Composable, params: Sequence[Any]) -> list[Row]:
        return [
            (int(i), int(t), str(camera), bytes(nonce), bytes(ct))
            for i, t, camera, nonce, ct in self._execute(query, params)
        ]

    def _by_index(self, cls: RetentionClass, day: date, cidx: int, lo: int, hi: int) -> list[Row]:
        return self._rows(
            sql.SQL(
                "SELECT id, t, camera, nonce, ct FROM {} "
                "WHERE cidx = %s AND t >= %s AND t < %s ORDER BY id"
            ).format(self._table("reads", cls, day)),
            (cidx, lo, hi),
        )

    def _by_indexes(
        self, probes: Sequence[tuple[RetentionClass, date, int]], lo: int, hi: int
    ) -> list[list[Row]]:
        """Every probe in one statement: a ``UNION ALL`` of the days' partitions, each branch
        tagged with its probe's position. One round trip instead of one per day (30 for a
        month's window), and no planning over the parent's partitions: each branch names its
        table and that day's key's index value."""
        if len(probes) <= 1:
            return super()._by_indexes(probes, lo, hi)
        branches = [
            sql.SQL(
                "SELECT {}::int AS probe, id, t, camera, nonce, ct FROM {} "
                "WHERE cidx = %s AND t >= %s AND t < %s"
            ).format(sql.Literal(number), self._table("reads", cls, day))
            for number, (cls, day, _) in enumerate(probes)
        ]
        params = [value for _, _, cidx in probes for value in (cidx, lo, hi)]
        found: list[list[Row]] = [[] for _ in probes]
        query = sql.SQL("{} ORDER BY probe, id").format(sql.SQL(" UNION ALL ").join(branches))
        for number, i, t, camera, nonce, ct in self._execute(query, params):
            found[number].append((int(i), int(t), str(camera), bytes(nonce), bytes(ct)))
        return found

    def _by_attributes(
        self,
        cls: RetentionClass,
        day: date,
        wanted: Mapping[str, int],
        lo: int,
        hi: int,
        cameras: Sequence[str] | None,
    ) -> list[Row]:
        conditions: list[sql.Composable] = [sql.SQL("t >= %s AND t < %s")]
        params: list[Any] = [lo, hi]
        for kind, value in wanted.items():
            conditions.append(sql.SQL("{} = %s").format(sql.Identifier(ATTRIBUTE_COLUMNS[kind])))
            params.append(value)
        if cameras is not None:
            conditions.append(sql.SQL("camera = ANY(%s::text[])"))
            params.append(list(cameras))
        return self._rows(
            sql.SQL("SELECT id, t, camera, nonce, ct FROM {} WHERE {}").format(
                self._table("reads", cls, day), sql.SQL(" AND ").join(conditions)
            ),
            params,
        )

    def _by_cells(
        self,
        cls: RetentionClass,
        day: date,
        cells: Sequence[int],
        wanted: Mapping[str, int],
        lo: int,
        hi: int,
    ) -> list[Row]:
        conditions: list[sql.Composable] = [
            sql.SQL("t >= %s AND t < %s AND (gidx = ANY(%s::bigint[]) OR gidx IS NULL)")
        ]
        params: list[Any] = [lo, hi, sorted(set(cells))]
        for kind, value in wanted.items():
            conditions.append(sql.SQL("{} = %s").format(sql.Identifier(ATTRIBUTE_COLUMNS[kind])))
            params.append(value)
        return self._rows(
            sql.SQL("SELECT id, t, camera, nonce, ct FROM {} WHERE {}").format(
                self._table("reads", cls, day), sql.SQL(" AND ").join(conditions)
            ),
            params,
        )

    def _chunk(
        self,
        cls: RetentionClass,
        day: date,
        after: int,
        lo: int,
        hi: int,
        cameras: Sequence[str] | None,
    ) -> list[Row]:
        query = sql.SQL(
            "SELECT id, t, camera, nonce, ct FROM {} WHERE id > %s AND t >= %s AND t < %s "
            "AND (%s::text[] IS NULL OR camera = ANY(%s::text[])) ORDER BY id LIMIT {}"
        ).format(self._table("reads", cls, day), sql.Literal(SCAN_CHUNK))
        cams = list(cameras) if cameras is not None else None
        return self._rows(query, (after, lo, hi, cams, cams))

    def _row(self, cls: RetentionClass, day: date, row_id: int) -> Row | None:
        rows = self._rows(
            sql.SQL("SELECT id, t, camera, nonce, ct FROM {} WHERE id = %s").format(
                self._table("reads", cls, day)
            ),
            (row_id,),
        )
        return rows[0] if rows else None

    def _image(self, cls: RetentionClass, day: date, row_id: int) -> tuple[bytes, bytes] | None:
        rows = self._execute(
            sql.SQL("SELECT nonce, ct FROM {} WHERE read_id = %s").format(
                self._table("images", cls, day)
            ),
            (row_id,),
        )
        return (bytes(rows[0][0]), bytes(rows[0][1])) if rows else None

    def _delete(self, cls: RetentionClass, day: date, row_id: int) -> None:
        try:
            with self._conn.transaction(), self._conn.cursor() as cur:
                for kind, column in (("reads", "id"), ("images", "read_id")):
                    cur.execute(
                        sql.SQL("DELETE FROM {} WHERE {} = %s").format(
                            self._table(kind, cls, day), sql.Identifier(column)
                        ),
                        (row_id,),
                    )
        except psycopg.Error as exc:
            raise StoreError(f"deleting from {cls.value}/{day} failed: {exc}") from exc

    def _drop(self, cls: RetentionClass, day: date) -> None:
        self._execute(
            sql.SQL("DROP TABLE IF EXISTS {}, {}").format(
                self._table("reads", cls, day), self._table("images", cls, day)
            )
        )

    def _trim(self, cls: RetentionClass, day: date, before_us: int) -> int:
        try:
            with self._conn.transaction(), self._conn.cursor() as cur:
                cur.execute(
                    sql.SQL("DELETE FROM {} WHERE t < %s").format(self._table("images", cls, day)),
                    (before_us,),
                )
                cur.execute(
                    sql.SQL("DELETE FROM {} WHERE t < %s").format(self._table("reads", cls, day)),
                    (before_us,),
                )
                return max(cur.rowcount, 0)
        except psycopg.Error as exc:
            raise StoreError(f"trimming {cls.value}/{day} failed: {exc}") from exc

    def _count(self, cls: RetentionClass, day: date) -> tuple[int, int | None, int | None]:
        ((count, lo, hi),) = self._execute(
            sql.SQL("SELECT count(*), min(t), max(t) FROM {}").format(
                self._table("reads", cls, day)
            )
        )
        return int(count), lo, hi

    @property
    def backend_pid(self) -> int:
        """The server process serving this store's connection (benches read its CPU time)."""
        return int(self._conn.info.backend_pid)

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
