"""The camera registry: keys shown once and stored hashed, changes audited, names resolved."""

from __future__ import annotations

import json
import sqlite3
import stat
from collections.abc import Sequence
from pathlib import Path

import pytest
from argon2 import PasswordHasher

from trustlpr.cameras import OSM_TAGS, CameraRegistry, cameras_geojson
from trustlpr.core.errors import (
    AuditError,
    AuthError,
    ConflictError,
    ForbiddenError,
    InputError,
    NotFoundError,
)
from trustlpr.core.events import AuditEvent, EventType


class ListAudit:
    def __init__(self, refuse: bool = False) -> None:
        self.events: list[AuditEvent] = []
        self.refuse = refuse

    def append(self, event: AuditEvent) -> int:
        if self.refuse:
            raise AuditError("audit log unavailable")
        self.events.append(event)
        return len(self.events) - 1

    def append_many(self, events: Sequence[AuditEvent]) -> list[int]:
        return [self.append(e) for e in events]


@pytest.fixture
def audit() -> ListAudit:
    return ListAudit()


@pytest.fixture
def registry(tmp_path: Path, audit: ListAudit, clock) -> CameraRegistry:
    reg = CameraRegistry(tmp_path, audit=audit, clock=clock)
    yield reg
    reg.close()


def test_add_returns_a_working_key_that_is_never_stored(registry, tmp_path):
    cam, key = registry.add("Elm St NB", 41.3, -72.9, agency_id="nhpd", direction=180)
    assert key.startswith("cam_") and cam.key_id in key
    assert registry.authenticate(key).id == cam.id
    assert registry.get(cam.id).camera.direction == 180.0
    db = tmp_path / "cameras.db"
    assert stat.S_IMODE(db.stat().st_mode) == 0o600
    secret = key.split("_", 2)[2].encode()
    for path in tmp_path.iterdir():
        assert secret not in path.read_bytes(), path


def test_every_change_is_audited_without_names_in_public(registry, audit):
    registry.add("Elm St NB", 41.3, -72.9, agency_id="nhpd", camera_id="elm-nb")
    registry.set_enabled("elm-nb", False)
    registry.set_enabled("elm-nb", True)
    registry.rotate_key("elm-nb")
    actions = [e.public["action"] for e in audit.events]
    assert actions == ["added", "disabled", "enabled", "key_rotated"]
    for event in audit.events:
        assert event.type is EventType.CAMERA_CHANGED
        assert event.agency_id == "nhpd"
        assert set(event.public) == {"action", "count"}
        assert event.private["camera_id"] == "elm-nb"
    assert audit.events[0].private["name"] == "Elm St NB"


def test_a_refused_audit_entry_rolls_the_change_back(tmp_path, clock):
    audit = ListAudit()
    reg = CameraRegistry(tmp_path, audit=audit, clock=clock)
    cam, key = reg.add("Elm", 41.3, -72.9, agency_id="nhpd")
    audit.refuse = True
    with pytest.raises(AuditError):
        reg.set_enabled(cam.id, False)
    with pytest.raises(AuditError):
        reg.add("Oak", 41.3, -72.9, agency_id="nhpd", camera_id="oak")
    assert reg.get(cam.id).camera.enabled
    assert [c.id for c in reg.list()] == [cam.id]
    assert reg.authenticate(key).id == cam.id


def test_rotation_and_disabling_stop_the_old_key_at_once(registry):
    cam, key = registry.add("Elm", 41.3, -72.9, agency_id="nhpd")
    registry.authenticate(key)  # now cached as verified
    new_key = registry.rotate_key(cam.id)
    with pytest.raises(AuthError):
        registry.authenticate(key)
    assert registry.authenticate(new_key).id == cam.id
    registry.set_enabled(cam.id, False)
    with pytest.raises(ForbiddenError, match="disabled"):
        registry.authenticate(new_key)


@pytest.mark.parametrize(
    "presented", ["", "cam_", "cam_abc_def", "tok_abc_def", "x" * 300, "cam_" + "a" * 500]
)
def test_bad_keys_are_auth_errors(registry, presented):
    registry.add("Elm", 41.3, -72.9, agency_id="nhpd")
    with pytest.raises(AuthError):
        registry.authenticate(presented)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "a\nb"}, "name"),
        ({"latitude": 91.0}, "lat"),
        ({"longitude": float("nan")}, "lon"),
        ({"direction": 361.0}, "direction"),
        ({"adapter": "No Such"}, "adapter"),
        ({"camera_id": "bad id!"}, "id"),
        ({"agency_id": " "}, "agency_id"),
    ],
)
def test_bad_camera_fields_are_named(registry, kwargs, field):
    args = {"name": "Elm", "latitude": 41.3, "longitude": -72.9, "agency_id": "nhpd", **kwargs}
    with pytest.raises(InputError) as err:
        registry.add(args.pop("name"), args.pop("latitude"), args.pop("longitude"), **args)
    assert err.value.field == field


def test_duplicates_and_unknowns(registry):
    registry.add("Elm", 41.3, -72.9, agency_id="nhpd", camera_id="elm")
    with pytest.raises(ConflictError):
        registry.add("Elm 2", 41.3, -72.9, agency_id="nhpd", camera_id="elm")
    registry.add("Gate", 41.3, -72.9, agency_id="nhpd", adapter="frigate", external_id="gate")
    with pytest.raises(ConflictError):
        registry.add("Gate 2", 41.3, -72.9, agency_id="nhpd", adapter="frigate", external_id="gate")
    with pytest.raises(NotFoundError):
        registry.rotate_key("nope")
    with pytest.raises(NotFoundError):
        registry.set_enabled("nope", False)


def test_resolve_by_external_id_alias_and_id(registry, audit):
    frigate, _ = registry.add(
        "Gate", 41.3, -72.9, agency_id="nhpd", adapter="frigate", external_id="driveway_cam"
    )
    registry.add(
        "Elm",
        41.3,
        -72.9,
        agency_id="nhpd",
        adapter="openalpr",
        external_id="Elm St NB",
        camera_id="elm",
    )
    assert registry.resolve("frigate", "driveway_cam").id == frigate.id
    assert registry.resolve("frigate", frigate.id).id == frigate.id
    assert registry.resolve("openalpr", "driveway_cam") is None
    assert registry.resolve("openalpr", "1630410444") is None
    assert registry.bind_alias("elm", "openalpr", "1630410444") is True
    assert registry.bind_alias("elm", "openalpr", "1630410444") is False  # unchanged
    assert registry.resolve("openalpr", "1630410444").id == "elm"
    assert audit.events[-1].public["action"] == "alias_bound"


def test_registry_survives_reopening(tmp_path, audit, clock):
    reg = CameraRegistry(tmp_path, audit=audit, clock=clock)
    cam, key = reg.add("Elm", 41.3, -72.9, agency_id="nhpd")
    reg.bind_alias(cam.id, "openalpr", "77")
    reg.close()
    again = CameraRegistry(tmp_path, audit=audit, clock=clock)
    assert again.authenticate(key).id == cam.id
    assert again.resolve("openalpr", "77").id == cam.id
    again.close()


def test_a_key_stored_as_a_legacy_argon2_hash_still_authenticates(tmp_path, audit, clock):
    """Registries written before keys were stored as ``sha256$<hex>`` keep working."""
    reg = CameraRegistry(tmp_path, audit=audit, clock=clock)
    cam, key = reg.add("Elm", 41.3, -72.9, agency_id="nhpd")
    reg.close()
    legacy = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1).hash(key)
    with sqlite3.connect(tmp_path / "cameras.db") as conn:
        (stored,) = conn.execute("SELECT key_hash FROM cameras WHERE id = ?", (cam.id,)).fetchone()
        assert stored.startswith("sha256$")
        conn.execute("UPDATE cameras SET key_hash = ? WHERE id = ?", (legacy, cam.id))
    conn.close()
    again = CameraRegistry(tmp_path, audit=audit, clock=clock)
    assert again.authenticate(key).id == cam.id
    with pytest.raises(AuthError):
        again.authenticate(key[:-1])
    again.close()


def test_geojson_has_the_osm_alpr_tags(registry):
    registry.add("Elm St NB", 41.31, -72.92, agency_id="nhpd", direction=90, camera_id="elm")
    registry.add("Oak", 41.32, -72.93, agency_id="nhpd", camera_id="oak")
    registry.set_enabled("oak", False)
    collection = cameras_geojson(registry.list(), {"nhpd": "New Haven Police Department"})
    json.dumps(collection)  # serialisable as is
    assert collection["type"] == "FeatureCollection"
    [feature] = collection["features"]
    assert feature["geometry"] == {"type": "Point", "coordinates": [-72.92, 41.31]}
    props = feature["properties"]
    assert props["man_made"] == "surveillance"
    assert props["surveillance:type"] == "ALPR"
    assert props["surveillance"] == "public"
    assert props["operator"] == "New Haven Police Department"
    assert props["direction"] == "90"
    assert props["ref"] == "elm"
    assert OSM_TAGS.items() <= props.items()
    every = cameras_geojson(registry.list(), include_disabled=True)
    assert {f["id"] for f in every["features"]} == {"elm", "oak"}
    assert "direction" not in every["features"][1]["properties"]
    assert every["features"][1]["properties"]["operator"] == "nhpd"


def test_mobile_units_in_service_are_counted_by_the_public_changes(registry, audit):
    from trustlpr.cameras import CameraSettings

    mobile = CameraSettings(mobile=True)
    registry.add("Car 7", 41.3, -72.9, agency_id="nhpd", camera_id="car-7", settings=mobile)
    registry.add("Elm St", 41.3, -72.9, agency_id="nhpd", camera_id="elm")
    registry.configure("elm", mobile)  # a fixed camera in service becomes a mobile unit
    registry.configure("elm", mobile)  # no change
    registry.set_enabled("car-7", False)
    registry.set_enabled("car-7", False)  # already off
    registry.configure("car-7", CameraSettings(mobile=False))  # off: not in service anyway
    registry.set_enabled("car-7", True)  # a fixed camera again
    registry.set_enabled("elm", False)
    steps = [e.public.get("mobile_units", 0) for e in audit.events]
    assert steps == [1, 0, 1, 0, -1, 0, 0, 0, -1]
    assert sum(steps) == sum(c.camera.mobile and c.camera.enabled for c in registry.list())
