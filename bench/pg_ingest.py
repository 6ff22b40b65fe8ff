"""PostgreSQL: reads/s through the full pipeline (normalise, encrypt, blind index, binary
``COPY`` into day partitions) against raw binary ``COPY`` of the same rows as plaintext into an
indexed table, in the same run; then exact-lookup latency over 30 daily partitions.

    python bench/pg_ingest.py --json                          # 30 days x 1M reads (the goal)
    python bench/pg_ingest.py --reads-per-day 100000 --json   # the same at a tenth the scale

Everything happens in a throwaway database created on the server at ``--url`` (default the
local server, trust auth) and dropped at the end. Ingest: each round inserts ``--reads`` fresh
native-format rows on each side in batches of ``--batch`` (one committed transaction per
batch, ``synchronous_commit=on`` as the server is configured): ours through
``read_from_mapping`` and ``PostgresReadStore.append`` into a new schema, the baseline with
psycopg 3 ``cursor.copy(... FORMAT BINARY)`` of the plaintext fields into a new table with a
primary key and a (plate, t) index, both alternated round by round (``_rounds.alternate``);
``ratio`` is the median of ours / COPY reads/s per round (goal >= 0.5, issue 19). The input
dicts are generated before the clock starts, so neither side's figure includes making them.

Lookups: ``--days`` partitions of ``--reads-per-day`` reads are built through our store's own
bulk path (``append``: reads our code seals, written with binary ``COPY``) and ``ANALYZE``d
(what autovacuum does on a live server); each round then times ``--lookups`` exact lookups of
random fleet plates over the whole window, item by item against the plain path on the same
schema (``_rounds.interleave``: one query per day partition, ``per_partition_*``), after 50
untimed lookups. Ours sends the window's blind-index probes (one per day, each day has its own
key) as one ``UNION ALL`` statement. ``lookup_p99_ms`` is the median of the per-round p99s
(goal <= 10 ms), ``lookup_p99_ratio`` the median of ours / per-partition p99 per round (lower
is better); the page cache is warm (the partitions were just written).
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import secrets
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import psycopg
from psycopg import sql

from _common import T0, cpu_s, emit, percentile, plates, raw_reads
from _rounds import Rounds, alternate, interleave
from trustlpr.core import Read, read_from_mapping
from trustlpr.store.factory import key_rings
from trustlpr.store.partitioned import DayPartitionedStore
from trustlpr.store.postgres import PostgresReadStore

DEFAULT_URL = os.environ.get(
    "TRUSTLPR_BENCH_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/postgres"
)


class PerPartition(PostgresReadStore):
    """The lookup baseline: the plain path, one query per day partition."""

    _by_indexes = DayPartitionedStore._by_indexes


@contextmanager
def throwaway_database(url: str) -> Iterator[str]:
    """A fresh database on the server (dropped afterwards); yields its URL."""
    name = f"bench_{secrets.token_hex(6)}"
    with psycopg.connect(url, autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    print(f"  throwaway database {name}", file=sys.stderr, flush=True)
    info = psycopg.conninfo.conninfo_to_dict(url)
    info["dbname"] = name
    try:
        yield psycopg.conninfo.make_conninfo(**info)  # type: ignore[arg-type]
    finally:
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )


class CpuClock:
    """CPU seconds of this process plus of its server backend (``/proc``, local server):
    on a loaded machine the wall clock measures each side's share of the cores, this
    what each side costs. ``spent`` collects microseconds per read by side; the first
    ``skip`` rounds of each (``alternate``'s warm-up) are left out of the figures."""

    def __init__(self, skip: int) -> None:
        self.skip = skip
        self.spent: dict[str, list[tuple[float, float]]] = {"ours": [], "copy": []}

    @contextmanager
    def timing(self, side: str, backend_pid: int, n: int) -> Iterator[None]:
        client, server = time.process_time(), cpu_s(backend_pid)
        yield
        self.spent[side].append(
            ((time.process_time() - client) * 1e6 / n, (cpu_s(backend_pid) - server) * 1e6 / n)
        )

    def figures(self) -> dict[str, float | int]:
        """Reads per CPU second, ours / COPY per round (``cpu_ratio``), and the medians."""
        kept = {side: spent[self.skip :] for side, spent in self.spent.items()}
        totals = {side: [c + s for c, s in spent] for side, spent in kept.items()}
        per_cpu = Rounds([1 / t for t in totals["ours"]], [1 / t for t in totals["copy"]])
        out: dict[str, float | int] = {
            f"cpu_{key}": value for key, value in per_cpu.ratio().items() if key != "rounds"
        }
        for side, spent in kept.items():
            out[f"{side}_client_us_per_read"] = round(statistics.median(c for c, _ in spent), 2)
            out[f"{side}_server_us_per_read"] = round(statistics.median(s for _, s in spent), 2)
        return out


def ours(url: str, tmp: Path, n: int, batch: int, seed: int, clock: CpuClock) -> float:
    schema = f"ours_{secrets.token_hex(4)}"
    rings = key_rings(tmp / schema, secrets.token_bytes(32))
    store = PostgresReadStore(url, rings, schema=schema)
    rows = list(raw_reads(n, seed=seed))
    with clock.timing("ours", store.backend_pid, n):
        start = time.perf_counter()
        for i in range(0, n, batch):
            store.append([read_from_mapping(raw) for raw in rows[i : i + batch]])
        elapsed = time.perf_counter() - start
    store.drop_schema()
    store.close()
    return n / elapsed


def copy(url: str, n: int, batch: int, seed: int, clock: CpuClock) -> float:
    table = sql.Identifier(f"raw_{secrets.token_hex(4)}")
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(
            sql.SQL(
                "CREATE TABLE {} (id bigint PRIMARY KEY, plate text, state text, t text,"
                " camera text, confidence float8, lat float8, lon float8)"
            ).format(table)
        )
        conn.execute(sql.SQL("CREATE INDEX ON {} (plate, t)").format(table))
        statement = sql.SQL(
            "COPY {} (id, plate, state, t, camera, confidence, lat, lon) FROM STDIN (FORMAT BINARY)"
        ).format(table)
        types = ["int8", "text", "text", "text", "text", "float8", "float8", "float8"]
        rows = list(raw_reads(n, seed=seed))
        row_id = 0
        with clock.timing("copy", conn.info.backend_pid, n):
            start = time.perf_counter()
            for i in range(0, n, batch):
                with conn.transaction(), conn.cursor() as cur, cur.copy(statement) as out:
                    out.set_types(types)
                    for r in rows[i : i + batch]:
                        row_id += 1
                        out.write_row(
                            (row_id, r["plate"], r["state"], r["observed_at"], r["camera_id"],
                             r["confidence"], r["lat"], r["lon"])
                        )  # fmt: skip
            elapsed = time.perf_counter() - start
        conn.execute(sql.SQL("DROP TABLE {}").format(table))
    return n / elapsed


def populate(store: PostgresReadStore, days: int, per_day: int, fleet: list[str]) -> float:
    """Fills ``days`` partitions through ``append``; returns the reads/s it took."""
    rng = random.Random(3)
    step = 86400 / per_day
    chunk = 20_000
    start = time.perf_counter()
    for day in range(days):
        for offset in range(0, per_day, chunk):
            store.append(
                [
                    Read(
                        plate=fleet[rng.randrange(len(fleet))],
                        state="CT",
                        confidence=0.9,
                        observed_at=T0 + timedelta(days=day, seconds=(offset + i) * step),
                        camera_id=f"cam-{i % 50}",
                        agency_id="a",
                        latitude=41.3,
                        longitude=-72.9,
                    )
                    for i in range(min(chunk, per_day - offset))
                ]
            )
        print(f"  populated day {day + 1}/{days}", file=sys.stderr, flush=True)
    return days * per_day / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default=DEFAULT_URL, help="server (maintenance database)")
    parser.add_argument("--reads", type=int, default=40_000, help="ingest reads per round/side")
    parser.add_argument("--batch", type=int, default=10_000, help="reads per transaction")
    parser.add_argument("--rounds", type=int, default=5, help="alternated rounds")
    parser.add_argument("--days", type=int, default=30, help="daily partitions for lookups")
    parser.add_argument("--reads-per-day", type=int, default=1_000_000)
    parser.add_argument("--lookups", type=int, default=300, help="lookups per round")
    parser.add_argument("--json", action="store_true", help="only the JSON line")
    args = parser.parse_args()
    # a stopped run still drops its database (SIGINT is ignored in background jobs)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    with tempfile.TemporaryDirectory() as name, throwaway_database(args.url) as url:
        tmp = Path(name)
        clock = CpuClock(skip=1)
        rounds = alternate(
            lambda k: ours(url, tmp, args.reads, args.batch, k + 2, clock),
            lambda k: copy(url, args.reads, args.batch, k + 2, clock),
            args.rounds,
            warmup=True,
        )
        fleet = plates(max(1000, args.reads_per_day // 4))
        rings = key_rings(tmp / "days", secrets.token_bytes(32))
        store = PostgresReadStore(url, rings, schema="days")
        populate_rate = populate(store, args.days, args.reads_per_day, fleet)
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute("ANALYZE")
        plain = PerPartition(url, rings, schema="days")
        gc.collect()
        gc.freeze()  # as `trustlpr serve` does after start-up
        rng = random.Random(11)
        window = (T0, T0 + timedelta(days=args.days))
        wanted = [fleet[rng.randrange(len(fleet))] for _ in range(args.lookups)]
        found: list[int] = []
        timed = interleave(
            wanted,
            {
                "ours": lambda plate: found.append(len(store.lookup(plate, *window))),
                "per_partition": lambda plate: plain.lookup(plate, *window),
            },
            args.rounds,
            warmup=min(50, args.lookups),
        )
        plain.close()
        store.close()
    p99 = timed.rounds("ours", "per_partition", lambda ms: percentile(ms, 0.99))
    p50 = timed.rounds("ours", "per_partition", lambda ms: percentile(ms, 0.5))
    lookup_ratio = p99.ratio()
    ours_rate, copy_rate = rounds.medians()
    emit(
        {
            "reads": args.reads,
            "batch": args.batch,
            "ours_reads_per_s": round(ours_rate),
            "copy_reads_per_s": round(copy_rate),
            **rounds.ratio(),
            "ratio_goal": 0.5,
            **clock.figures(),
            "days": args.days,
            "reads_per_day": args.reads_per_day,
            "populate_reads_per_s": round(populate_rate),
            "mean_results": round(sum(found) / len(found), 2),
            "lookup_p50_ms": round(statistics.median(p50.ours), 3),
            "lookup_p99_ms": round(statistics.median(p99.ours), 3),
            "lookup_p99_min_ms": round(min(p99.ours), 3),
            "lookup_p99_max_ms": round(max(p99.ours), 3),
            "lookup_p99_goal_ms": 10,
            "per_partition_p50_ms": round(statistics.median(p50.baseline), 3),
            "per_partition_p99_ms": round(statistics.median(p99.baseline), 3),
            "lookup_p99_ratio": lookup_ratio["ratio"],
            "lookup_p99_ratio_min": lookup_ratio["ratio_min"],
            "lookup_p99_ratio_max": lookup_ratio["ratio_max"],
        },
        args.json,
    )


if __name__ == "__main__":
    main()
