"""A protected plate under a "not recorded" policy never reaches any file of the data directory.

A real node (strict-default: every category ``not_recorded``) with two admins registers a
plate; a camera then sends it over the real HTTP ingest route among ordinary reads, with a
plate image. Every byte of every file under the data directory — read partitions and their
WAL, keys, the audit log and detail store, identity, cameras, the registry, the node's debug
log — is scanned while the node is open and after it closed: neither the plate, nor a misread
of it, nor its image may be anywhere. The store, opened with the node's keys, holds the other
reads and none of it; the camera is told all were accepted; the public log gets one count for
the day, once the day is over.
"""

from __future__ import annotations

import base64
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from tests.conftest import FakeClock
from trustlpr.audit import parse_leaf
from trustlpr.core import Role
from trustlpr.core.events import EventType
from trustlpr.runtime import System, initialise
from trustlpr.settings import Settings
from trustlpr.web.app import create_app

START = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)
PROTECTED = "QV7J3K"
MISREAD = "0V7J3K"  # O/Q/0 are one confusion class: a misread of the protected plate
OTHERS = ["HT4M2W", "LR9C6P"]
IMAGE = b"\xff\xd8\xff\xe0PROTECTED-IMAGE-SENTINEL-7f3a9c\xff\xd9"


def _files(data_dir: Path) -> dict[str, bytes]:
    found = (p for p in data_dir.rglob("*") if p.is_file())
    return {str(p.relative_to(data_dir)): p.read_bytes() for p in found}


def _leaks(files: dict[str, bytes]) -> list[str]:
    needles = [PROTECTED.encode(), MISREAD.encode(), b"PROTECTED-IMAGE-SENTINEL",
               base64.b64encode(IMAGE)[:24], PROTECTED.lower().encode()]  # fmt: skip
    return [f"{name}: {n!r}" for name, blob in files.items() for n in needles if n in blob]


def test_a_not_recorded_plate_reaches_no_file(tmp_path: Path) -> None:
    data_dir = tmp_path / "node"
    settings = Settings.load(data_dir, env={}, agency_id="nhpd", agency_state="CT")
    initialise(settings)
    handler = logging.FileHandler(data_dir / "node.log", encoding="utf-8")
    root = logging.getLogger("trustlpr")
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    clock = FakeClock(START)
    try:
        with System(settings, clock=clock) as node:
            ids = node.identity
            first = ids.add_user("adm1", "nhpd", Role.ADMIN, "First Admin", actor=None)
            second = ids.add_user("adm2", "nhpd", Role.ADMIN, "Second Admin", actor=None)
            entry = node.protected.propose(
                PROTECTED, category="address_confidentiality", actor=first,
                expires_at=START + timedelta(days=365), note="ACP 2026-0042",
            )  # fmt: skip
            node.protected.approve(entry.id, actor=second)
            _, key = node.cameras.add("Elm St", 41.31, -72.93, agency_id="nhpd", camera_id="elm")
            client = TestClient(create_app(node))
            reads = [
                {"plate": plate, "observed_at": (START + timedelta(minutes=i)).isoformat(),
                 "confidence": 0.93, "state": "CT",
                 "plate_crop_jpeg": base64.b64encode(IMAGE).decode()}
                for i, plate in enumerate([PROTECTED, *OTHERS, MISREAD.lower()])
            ]  # fmt: skip
            sent = client.post(
                "/api/v1/reads", json={"reads": reads}, headers={"Authorization": f"Bearer {key}"}
            )
            assert sent.status_code == 200, sent.text
            receipt = sent.json()
            assert (receipt["accepted"], receipt["stored"], receipt["duplicates"]) == (4, 4, 0)
            window = (START - timedelta(hours=1), START + timedelta(hours=1))
            assert node.store.lookup(PROTECTED, *window, variants=True) == []
            assert [s.read.plate for s in node.store.lookup(OTHERS[0], *window)] == [OTHERS[0]]
            assert node.pipeline.stats["protected_not_recorded"] == 2
            clock.advance(days=1)
            node.snapshot()
            counted = [e for e in _public(node) if e.get("action") == "reads_not_recorded"]
            assert counted == [{"action": "reads_not_recorded", "days": "2026-11-03", "count": 2}]
            open_leaks = _leaks(_files(data_dir))  # while open: WAL files as they are
        assert open_leaks == []
        assert _leaks(_files(data_dir)) == []
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        handler.close()


def _public(node: System) -> list[dict[str, object]]:
    out = []
    for _, leaf in node.audit.log.entries():
        parsed = parse_leaf(leaf)
        if parsed.get("type") == EventType.PROTECTED_CHANGED.value:
            out.append(dict(parsed.get("public") or {}))
    return out
