"""Shared pieces of the ingest tests: a list-backed audit sink, real stores, real JPEG crops."""

from __future__ import annotations

import csv
import secrets
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

import cv2

from trustlpr.audit import parse_leaf
from trustlpr.core.events import AuditEvent, EventType
from trustlpr.runtime import System
from trustlpr.store import SQLiteReadStore, StoredRead
from trustlpr.store.factory import key_rings


class ListAudit:
    """An ``AuditSink`` that keeps events in a list (our own seam; the real log is tested
    by the audit package)."""

    def __init__(self) -> None:
        self.events: list[AuditEvent] = []

    def append(self, event: AuditEvent) -> int:
        self.events.append(event)
        return len(self.events) - 1

    def append_many(self, events: Sequence[AuditEvent]) -> list[int]:
        return [self.append(e) for e in events]


def open_store(data_dir: Path, root_key: bytes | None = None) -> SQLiteReadStore:
    """The real SQLite read store with real key rings under ``data_dir``."""
    return SQLiteReadStore(
        data_dir / "reads", key_rings(data_dir, root_key or secrets.token_bytes(32))
    )


def stored(store: SQLiteReadStore, around: datetime, hours: float = 48) -> list[StoredRead]:
    span = timedelta(hours=hours)
    return list(store.scan(around - span, around + span))


def plate_crops(shared_dir: Path, count: int = 3) -> list[tuple[str, bytes]]:
    """(true plate, JPEG bytes) of real US plate crops from the OpenALPR benchmark set."""
    folder = shared_dir / "data" / "plates" / "us_crops"
    with open(folder / "groundtruth.csv", newline="") as handle:
        rows = list(csv.reader(handle))[:count]
    crops = []
    for name, _state, plate in rows:
        image = cv2.imread(str(folder / "images" / name))
        assert image is not None, name
        ok, jpeg = cv2.imencode(".jpg", image)
        assert ok
        crops.append((plate, jpeg.tobytes()))
    return crops


def not_collected_counts(system: System) -> list[dict[str, object]]:
    """The public part of every ``reads_not_collected`` entry in the node's log, in order."""
    out = []
    for _, leaf in system.audit.log.entries():
        parsed = parse_leaf(leaf)
        if parsed.get("type") == EventType.READS_NOT_COLLECTED.value:
            out.append(dict(parsed.get("public") or {}))
    return out
