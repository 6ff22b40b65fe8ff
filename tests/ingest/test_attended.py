"""New Hampshire: only vehicle-mounted readers attended by an officer (``[collection]``).

A fixed camera is refused at registration; a mobile unit nobody is recorded operating has its
reads dropped at ingest, counted as ``unattended`` and kept nowhere — not even a hot-list hit."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.conftest import FakeClock
from trustlpr.audit import parse_leaf
from trustlpr.cameras import CameraSettings
from trustlpr.core.errors import ForbiddenError
from trustlpr.core.events import EventType
from trustlpr.runtime import System, initialise
from trustlpr.settings import Settings
from trustlpr.web.app import create_app

START = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)
PATROL = CameraSettings(mobile=True)
ATTENDED, UNATTENDED = "NHA4417", "NHU8830"  # both hot-listed
UNLISTED = "NHZ2291"  # on no list: its plate is in no file at all
IMAGE = b"\xff\xd8\xff\xe0UNATTENDED-IMAGE-SENTINEL-7e2d\xff\xd9"


def _entry(plate: str) -> dict[str, str]:
    return {"plate": plate, "state": "NH", "category": "W", "reason": "felony warrant",
            "case_number": "26-000417", "owner": "state police",
            "expires_at": (START + timedelta(days=1)).isoformat()}  # fmt: skip


def _read(plate: str, image: bytes | None = None) -> dict[str, object]:
    read: dict[str, object] = {"plate": plate, "observed_at": (START - timedelta(minutes=1))
                               .isoformat(), "confidence": 0.94, "state": "NH",
                               "lat": 43.2081, "lon": -71.5376}  # fmt: skip
    if image is not None:
        read["plate_crop_jpeg"] = base64.b64encode(image).decode()
    return read


def _post(client: TestClient, key: str, plate: str, image: bytes | None = None) -> dict:
    answer = client.post("/api/v1/reads", json={"reads": [_read(plate, image)]},
                         headers={"Authorization": f"Bearer {key}"})  # fmt: skip
    assert answer.status_code == 200, answer.text
    return answer.json()


def _leaks(data_dir: Path) -> list[str]:
    """Where an unattended read's plate or image is in any file (the hot-listed plate may
    stand where its list entry is: the hot-list store and the entry's private audit detail)."""
    found = []
    for f in (f for f in data_dir.rglob("*") if f.is_file()):
        blob, name = f.read_bytes(), str(f.relative_to(data_dir))
        needles = [b"UNATTENDED-IMAGE-SENTINEL", base64.b64encode(IMAGE)[:24], UNLISTED.encode()]
        if not name.startswith(("hotlist", "audit/detail")):
            needles += [UNATTENDED.encode(), UNATTENDED.lower().encode()]
        found += [f"{name}: {n!r}" for n in needles if n in blob]
    return found


def test_nh_refuses_fixed_cameras_and_keeps_nothing_of_an_unattended_unit(tmp_path: Path) -> None:
    data_dir = tmp_path / "node"
    settings = Settings.load(data_dir, env={}, agency_id="nhpd", agency_state="NH",
                             policy="nh-rsa-261-75b")  # fmt: skip
    initialise(settings)
    with System(settings, clock=FakeClock(START)) as node:
        refusal = r"'main' is fixed; N\.H\. RSA 261:75-b allows only vehicle-mounted readers"
        with pytest.raises(ForbiddenError, match=refusal):
            node.cameras.add("Main St", 43.2, -71.5, agency_id="nhpd", camera_id="main")
        _, attended_key = node.cameras.add("Cruiser 1", 43.2, -71.5, agency_id="nhpd",
                                           camera_id="car1", settings=PATROL)  # fmt: skip
        _, unattended_key = node.cameras.add("Cruiser 2", 43.2, -71.5, agency_id="nhpd",
                                             camera_id="car2", settings=PATROL)  # fmt: skip
        with pytest.raises(ForbiddenError, match="'car2' is fixed"):
            node.cameras.configure("car2", CameraSettings(mobile=False))
        node.cameras.attend("car1", "off1")
        for plate in (ATTENDED, UNATTENDED):
            node.hotlists.add_entry(_entry(plate), list_id="nhsp", actor="test")
        client = TestClient(create_app(node))
        assert _post(client, unattended_key, UNATTENDED, IMAGE)["stored"] == 0  # a hit
        assert _post(client, unattended_key, UNLISTED, IMAGE)["stored"] == 0
        assert _post(client, attended_key, ATTENDED)["stored"] == 1
        window = (START - timedelta(hours=1), START + timedelta(hours=1))
        assert node.store.lookup(UNATTENDED, *window, variants=True) == []
        assert [s.read.camera_id for s in node.store.lookup(ATTENDED, *window)] == ["car1"]
        assert node.collection.flush() == 2
        leaves = [parse_leaf(leaf) for _, leaf in node.audit.log.entries()]
        kind = EventType.READS_NOT_COLLECTED.value
        counted = [leaf.get("public") for leaf in leaves if leaf.get("type") == kind]
        assert counted == [{"category": "unattended", "count": 2}]
        open_leaks = _leaks(data_dir)  # while open: WAL files as they are
    assert open_leaks == []
    assert _leaks(data_dir) == []
