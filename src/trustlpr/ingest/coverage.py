"""Where the mobile units read, as public counts per coarse cell and day: areas, never tracks.

The ingest pipeline hands every read it counted (the reads ``reads_ingested`` counts, once they
are durable) to ``MobileCoverage.count``; the reads of mobile cameras are tallied per UTC day
and cell of the coarse grid (``core.coverage_cells``) in ``<data_dir>/coverage.db``. Nothing
else is kept: no camera, no plate, no time.

Once a UTC day is over, ``publish`` (a periodic job of the running node) logs the day as
``mobile_coverage`` entries, each ``{day, cell, count, min_count}``: a cell only where the day
counted at least ``min_count`` reads in it, and the reads of every other cell together as one
entry of cell ``"other"`` — so no public count is small enough to stand for one car passing one
house. The published rows are deleted. A read arriving for a day already published is counted
on the first day not yet published, so every counted mobile read is published exactly once.
"""

from __future__ import annotations

import sqlite3
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from pathlib import Path

from ..core.clock import Clock, system_clock
from ..core.coverage_cells import MOBILE_OTHER, coverage_cell
from ..core.events import AuditEvent, AuditSink, EventType
from ..core.reads import Read
from ..privatedb import PrivateDB

DB_FILE = "coverage.db"
MIN_COUNT = 10
"""The fewest reads a cell must have on a day to be named in the public log."""
PUBLISH_INTERVAL = 600.0
"""Seconds between checks for a finished day to publish."""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS counts (
    day TEXT NOT NULL,
    cell TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (day, cell)
);
CREATE TABLE IF NOT EXISTS published (id INTEGER PRIMARY KEY CHECK (id = 1), through TEXT);
"""


class MobileCoverage:
    """The day's mobile reads per cell until the day is published; thread-safe.

    ``is_mobile`` says whether a camera id is a mobile unit (``CameraRegistry.is_mobile``)."""

    def __init__(
        self,
        path: Path,
        is_mobile: Callable[[str], bool],
        *,
        audit: AuditSink,
        agency_id: str | None = None,
        clock: Clock = system_clock,
        min_count: int = MIN_COUNT,
    ) -> None:
        self._db = PrivateDB(
            path / DB_FILE if path.is_dir() else path,
            schema=_SCHEMA,
            label="mobile coverage counts",
            synchronous="NORMAL",
        )
        self._is_mobile = is_mobile
        self._audit = audit
        self._agency = agency_id
        self._clock = clock
        self.min_count = min_count

    def count(self, reads: Sequence[Read]) -> int:
        """Tallies the mobile cameras' reads among ``reads``; returns how many."""
        cells: Counter[tuple[str, str]] = Counter()
        mobile: dict[str, bool] = {}
        for read in reads:
            found = mobile.get(read.camera_id)
            if found is None:
                found = mobile[read.camera_id] = self._is_mobile(read.camera_id)
            if found:
                day = read.observed_at.date().isoformat()
                cells[(day, coverage_cell(read.latitude, read.longitude))] += 1
        if not cells:
            return 0
        with self._db.write() as conn:
            through = self._through(conn)
            floor = (date.fromisoformat(through) + timedelta(days=1)).isoformat() if through else ""
            conn.executemany(
                "INSERT INTO counts (day, cell, count) VALUES (?, ?, ?) ON CONFLICT (day, cell) "
                "DO UPDATE SET count = count + excluded.count",
                [(max(day, floor), cell, n) for (day, cell), n in cells.items()],
            )
        return cells.total()

    def publish(self) -> int:
        """Logs every finished UTC day not yet published (see the module docstring) and
        forgets its counts; returns how many entries it appended."""
        now = self._clock()
        today = now.date().isoformat()
        with self._db.write() as conn:
            rows = conn.execute(
                "SELECT day, cell, count FROM counts WHERE day < ? ORDER BY day, cell", (today,)
            ).fetchall()
            if not rows:
                return 0
            events: list[AuditEvent] = []
            for day in sorted({str(r[0]) for r in rows}):
                events += self._entries(day, [(str(c), int(n)) for d, c, n in rows if d == day])
            self._audit.append_many(events)
            last = max(str(r[0]) for r in rows)
            conn.execute("DELETE FROM counts WHERE day <= ?", (last,))
            conn.execute(
                "INSERT INTO published (id, through) VALUES (1, ?) "
                "ON CONFLICT (id) DO UPDATE SET through = excluded.through",
                (last,),
            )
        return len(events)

    def _entries(self, day: str, cells: list[tuple[str, int]]) -> list[AuditEvent]:
        now = self._clock()
        shown = [(cell, n) for cell, n in cells if n >= self.min_count]
        other = sum(n for _, n in cells if n < self.min_count)
        if other:
            shown.append((MOBILE_OTHER, other))
        return [
            AuditEvent(
                EventType.MOBILE_COVERAGE,
                now,
                self._agency,
                {"day": day, "cell": cell, "count": n, "min_count": self.min_count},
            )
            for cell, n in shown
        ]

    @staticmethod
    def _through(conn: sqlite3.Connection) -> str | None:
        row = conn.execute("SELECT through FROM published WHERE id = 1").fetchone()
        return str(row[0]) if row and row[0] else None

    def close(self) -> None:
        self._db.close()
