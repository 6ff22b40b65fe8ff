"""Camera settings (mobile/fixed, clock time zone, country): validated, audited, kept across
restarts, added to a ``cameras.db`` made before they existed, and set from the CLI."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from trustlpr.cameras import CameraRegistry, CameraSettings
from trustlpr.core.errors import InputError
from trustlpr.core.events import EventType

from .test_cli import Operator, op  # noqa: F401
from .test_registry import ListAudit


def test_settings_are_validated_audited_and_kept(tmp_path: Path) -> None:
    audit = ListAudit()
    registry = CameraRegistry(tmp_path, audit=audit)
    cam, _ = registry.add(
        "Car 12",
        41.3,
        -72.9,
        agency_id="nhpd",
        camera_id="car12",
        settings=CameraSettings(mobile=True, timezone="America/New_York"),
    )
    assert (cam.camera.mobile, cam.camera.timezone, cam.camera.country) == (
        True,
        "America/New_York",
        None,
    )
    changed = registry.configure("car12", CameraSettings(country="de"), actor="alice")
    assert (changed.camera.mobile, changed.camera.timezone, changed.camera.country) == (
        True,
        "America/New_York",
        "DE",
    )
    cleared = registry.configure("car12", CameraSettings(timezone="", mobile=False))
    assert (cleared.camera.mobile, cleared.camera.timezone) == (False, None)
    last = audit.events[-1]
    assert last.type is EventType.CAMERA_CHANGED and last.public["action"] == "settings_changed"
    for bad in (
        CameraSettings(timezone="Mars/Olympus"),
        CameraSettings(timezone="america/new_york"),
        CameraSettings(country="XX"),
        CameraSettings(country="Germany"),
    ):
        with pytest.raises(InputError):
            registry.configure("car12", bad)
    registry.close()
    again = CameraRegistry(tmp_path, audit=audit)
    assert again.get("car12").camera.country == "DE"
    again.close()


def test_a_registry_file_from_before_the_settings_opens_with_defaults(tmp_path: Path) -> None:
    db = sqlite3.connect(tmp_path / "cameras.db")
    db.executescript(
        "CREATE TABLE cameras (id TEXT PRIMARY KEY, agency_id TEXT NOT NULL, name TEXT NOT NULL,"
        " latitude REAL NOT NULL, longitude REAL NOT NULL, direction REAL, adapter TEXT NOT NULL,"
        " external_id TEXT, enabled INTEGER NOT NULL DEFAULT 1, key_id TEXT NOT NULL UNIQUE,"
        " key_hash TEXT NOT NULL, created_at TEXT NOT NULL, updated_at TEXT NOT NULL);"
        "INSERT INTO cameras VALUES ('old', 'nhpd', 'Old', 41.3, -72.9, NULL, 'native', NULL, 1,"
        " 'k1', 'h', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z');"
    )
    db.commit()
    db.close()
    audit = ListAudit()
    registry = CameraRegistry(tmp_path, audit=audit)
    old = registry.get("old").camera
    assert (old.mobile, old.timezone, old.country) == (False, None, None)
    registry.configure("old", CameraSettings(mobile=True))
    registry.attend("old", "off7")  # the attendance table is added to the old file too
    assert audit.events[-1].public == {"action": "attended", "count": 1}
    registry.close()
    again = CameraRegistry(tmp_path, audit=audit)
    found = again.attendance("old")
    assert found is not None and found.officer == "off7" and "off7" not in repr(found)
    again.close()


def test_camera_set_from_the_cli(op) -> None:  # noqa: F811
    run, token = op
    run(
        "camera",
        "add",
        "Gate",
        "--lat",
        "41.3",
        "--lon",
        "-72.9",
        "--id",
        "gate",
        "--adapter",
        "platerecognizer",
        "--timezone",
        "America/Chicago",
        "--token",
        token,
    )
    out = run("camera", "set", "gate", "--mobile", "--country", "us", "--token", token, "--json")
    row = json.loads(out)
    assert (row["mobile"], row["timezone"], row["country"]) == (True, "America/Chicago", "US")
    out = run("camera", "set", "gate", "--timezone", "Nowhere/City", "--token", token, code=65)
    assert "IANA time zone" in out
    run("camera", "set", "gate", "--token", token, code=65)
    listed = json.loads(run("camera", "list", "--json"))
    assert listed[0]["mobile"] is True and listed[0]["country"] == "US"


def test_camera_attend_from_the_cli(op) -> None:  # noqa: F811
    run, token = op
    add = ("camera", "add", "Cruiser 12", "--lat", "43.2", "--lon", "-71.5", "--id", "car12")
    run(*add, "--mobile", "--token", token)
    out = run("camera", "attend", "car12", "--officer", "alice", "--until", "10h",
              "--token", token, "--json")  # fmt: skip
    row = json.loads(out)
    assert (row["camera_id"], row["officer"]) == ("car12", "alice") and row["until"]
    out = run("camera", "attend", "car12", "--officer", "nobody", "--token", token, code=66)
    assert "nobody" in out
    run("camera", "set", "car12", "--fixed", "--token", token)
    out = run("camera", "attend", "car12", "--officer", "alice", "--token", token, code=65)
    assert "fixed" in out
