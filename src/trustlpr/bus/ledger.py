"""The writer's ledger of bus messages: which batch ids it began and which it finished.

JetStream delivers at least once: a writer killed after its store commit but before its ack
gets the batch again. The ledger (``<data_dir>/bus.db``, a private SQLite file) makes that
second delivery change nothing:

- ``begin`` is written (durably) before a batch enters the pipeline, with the audit log's
  size at that moment;
- ``finish`` after the pipeline committed it (store, alerts, audit) and before the ack.

A delivery whose id is finished is acknowledged and skipped. One that was begun but not
finished was in flight when a writer died: the writer looks for the batch's
``reads_ingested`` entry in the audit log after the recorded size (the pipeline names its bus
batches in that entry's private detail) and, if it is there, only finishes it; otherwise the
batch goes through the pipeline again with ``recover`` set, so reads the crashed attempt did
store are counted but not stored twice. Ids are HMACs (``envelope``): nothing here names a
plate. Rows older than the stream's max age are pruned: JetStream no longer holds them.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from ..privatedb import PrivateDB

_SCHEMA = """
CREATE TABLE IF NOT EXISTS batches (
    msg_id TEXT PRIMARY KEY,
    state TEXT NOT NULL,
    audit_from INTEGER NOT NULL,
    at REAL NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS batches_at ON batches (at);
"""


class BatchState(StrEnum):
    BEGUN = "begun"
    FINISHED = "finished"


@dataclass(frozen=True, slots=True)
class Entry:
    state: BatchState
    audit_from: int


class BusLedger:
    """``<data_dir>/bus.db``; see the module docstring."""

    def __init__(self, path: Path) -> None:
        self._db = PrivateDB(path, schema=_SCHEMA, label="bus ledger")

    def entries(self, ids: Sequence[str]) -> dict[str, Entry]:
        """What the ledger knows of ``ids`` (unknown ids are absent)."""
        found: dict[str, Entry] = {}
        for start in range(0, len(ids), 500):
            chunk = list(ids[start : start + 500])
            marks = ",".join("?" * len(chunk))
            rows = self._db.query(
                f"SELECT msg_id, state, audit_from FROM batches WHERE msg_id IN ({marks})", chunk
            )
            found.update({r[0]: Entry(BatchState(r[1]), int(r[2])) for r in rows})
        return found

    def begin(self, ids: Sequence[str], audit_from: int) -> None:
        """Records ``ids`` as entering the pipeline (a begun id keeps its first size)."""
        now = time.time()
        with self._db.write() as conn:
            conn.executemany(
                "INSERT OR IGNORE INTO batches (msg_id, state, audit_from, at) VALUES (?,?,?,?)",
                [(i, BatchState.BEGUN.value, audit_from, now) for i in ids],
            )

    def finish(self, ids: Sequence[str]) -> None:
        """Records ``ids`` as committed: a later delivery of one is acknowledged and skipped."""
        with self._db.write() as conn:
            conn.executemany(
                "UPDATE batches SET state = ? WHERE msg_id = ?",
                [(BatchState.FINISHED.value, i) for i in ids],
            )

    def prune(self, older_than_s: float) -> int:
        """Forgets ids recorded more than ``older_than_s`` seconds ago; returns how many."""
        with self._db.write() as conn:
            cur = conn.execute("DELETE FROM batches WHERE at < ?", (time.time() - older_than_s,))
            return cur.rowcount

    def close(self) -> None:
        self._db.close()
