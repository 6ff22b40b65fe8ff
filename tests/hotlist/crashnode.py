"""A node process for the crash test: ``python -m tests.hotlist.crashnode DATA_DIR MODE``.

``ingest``: ingests one read of a listed plate, prints ``committed`` once the pipeline has
acknowledged it (read and alert durable), then waits to be killed. ``recover``: opens the
node, runs the hot-list housekeeping ``serve`` runs every few seconds, waits until pending
deliveries are done, prints ``recovered`` and closes.
"""

from __future__ import annotations

import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path

from trustlpr.core import Read
from trustlpr.runtime import System
from trustlpr.settings import Settings

PLATE = "AB1234"


def listed_read() -> Read:
    at = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=1)
    return Read(PLATE, "CT", 0.9, at, "cam-1", "nhpd", 41.3, -72.9)


def main(data_dir: Path, mode: str) -> None:
    system = System(Settings.load(data_dir, env={}))
    if mode == "ingest":
        assert system.ingest([listed_read()], {0: b"jpeg-of-the-listed-car"}) == 1
        print("committed", flush=True)
        threading.Event().wait()  # until SIGKILL
    elif mode == "recover":
        system.hotlists.tick()
        assert system.alerts.dispatcher.flush(30), "pending deliveries were not delivered"
        print("recovered", flush=True)
        system.close()
    else:
        raise SystemExit(f"unknown mode {mode!r}")


if __name__ == "__main__":
    main(Path(sys.argv[1]), sys.argv[2])
