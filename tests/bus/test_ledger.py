"""The writer's ledger: a begun id keeps the audit size it was begun at (a redelivery after a
crash must search from there), finished ids stay finished, old ids are pruned, and the file is
private from creation."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from trustlpr.bus import BusLedger
from trustlpr.bus.ledger import BatchState, Entry


def test_begin_finish_and_prune(tmp_path: Path) -> None:
    ledger = BusLedger(tmp_path / "bus.db")
    ledger.begin(["a", "b"], 10)
    ledger.begin(["b", "c"], 25)  # b was begun before: it keeps 10
    ledger.finish(["a"])
    assert ledger.entries(["a", "b", "c", "d"]) == {
        "a": Entry(BatchState.FINISHED, 10),
        "b": Entry(BatchState.BEGUN, 10),
        "c": Entry(BatchState.BEGUN, 25),
    }
    assert ledger.prune(3600.0) == 0
    assert ledger.prune(-1.0) == 3  # everything is older than "one second in the future"
    assert ledger.entries(["a", "b", "c"]) == {}
    ledger.close()
    assert stat.S_IMODE(os.stat(tmp_path / "bus.db").st_mode) == 0o600


def test_many_ids_at_once(tmp_path: Path) -> None:
    ledger = BusLedger(tmp_path / "bus.db")
    ids = [f"id{i}" for i in range(1200)]
    ledger.begin(ids, 0)
    ledger.finish(ids[::2])
    found = ledger.entries(ids)
    assert len(found) == 1200
    assert sum(e.state is BatchState.FINISHED for e in found.values()) == 600
    ledger.close()
