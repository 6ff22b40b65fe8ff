"""Mobile units on a real node: reads stored at their own positions and found there by a
governed search, a read without a position refused alone, the officer attending a unit in
the private log only, and — under Washington's rule — a read taken near a school that never
reaches any file of the data directory, counted publicly by category only."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.conftest import FakeClock
from tests.web.portal_node import Node, build_node, exact, form
from trustlpr.audit import parse_leaf
from trustlpr.cameras import PLACES_FILE, CameraSettings
from trustlpr.core import Purpose
from trustlpr.core.errors import ForbiddenError, InputError
from trustlpr.core.reads import Read
from trustlpr.runtime import System, initialise
from trustlpr.search import Status
from trustlpr.settings import Settings
from trustlpr.web.app import create_app

from . import payloads as p
from .helpers import not_collected_counts

START = datetime(2026, 11, 3, 9, 0, tzinfo=UTC)
PATROL = CameraSettings(mobile=True)


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    built = build_node(tmp_path_factory.mktemp("mobile") / "data", FakeClock(START))
    yield built
    built.close()


def _post(client: TestClient, path: str, key: str, body: object) -> dict:
    answer = client.post(path, json=body, headers={"Authorization": f"Bearer {key}"})
    assert answer.status_code in (200, 207), answer.text
    return answer.json()


def test_a_mobile_units_reads_are_stored_and_found_at_their_own_positions(node: Node) -> None:
    system, clock = node.system, node.clock
    _, key = system.cameras.add("Cruiser 12", 41.76, -72.67, agency_id="ctpd",
                                camera_id="car12", settings=PATROL)  # fmt: skip
    _, pr_key = system.cameras.add("Cruiser 14", 41.76, -72.67, agency_id="ctpd",
                                   camera_id="car14", adapter="platerecognizer",
                                   settings=PATROL)  # fmt: skip
    client = TestClient(create_app(system))
    now = clock.now
    route = [(41.7637, -72.6851), (41.7702, -72.6745), (41.7810, -72.6603)]
    reads = [
        {"plate": "MOB4455", "state": "CT", "confidence": 0.94, "lat": lat, "lon": lon,
         "direction": 90 * i, "speed": 40.0 + i,
         "observed_at": (now - timedelta(minutes=30 - 10 * i)).isoformat()}
        for i, (lat, lon) in enumerate(route)
    ] + [{"plate": "MOB4455", "state": "CT", "confidence": 0.9,
          "observed_at": (now - timedelta(minutes=1)).isoformat()}]  # fmt: skip
    receipt = _post(client, "/api/v1/reads", key, {"reads": reads})
    assert (receipt["status"], receipt["accepted"], receipt["stored"]) == ("partial", 3, 3)
    [refused] = receipt["rejected"]
    assert refused["path"] == "reads[3]" and refused["field"] == "reads[3].lat"
    assert "mobile" in refused["reason"] and "GPS" in refused["reason"]
    stream = p.pr_stream("car14", now - timedelta(minutes=5), [p.pr_result("MOB4455", 0.9)])
    stream["data"]["user_data"] = json.dumps({"lat": 41.7901, "lon": -72.6512})
    assert _post(client, "/api/v1/ingest/platerecognizer", pr_key, stream)["stored"] == 1

    asked = form(Purpose.STOLEN_VEHICLE, "vehicle reported stolen from Main Street lot",
                 exact("MOB4455", now, days=1), offense_code="larceny_motor_vehicle")  # fmt: skip
    outcome = system.search.request(node.users["off1"], system.owner, asked)
    assert outcome.status is Status.COMPLETED
    found = sorted((s.observed_at, s.camera_id, s.latitude, s.longitude, s.direction)
                   for s in outcome.results)  # fmt: skip
    assert [(c, lat, lon) for _, c, lat, lon, _ in found] == [
        ("car12", *route[0]), ("car12", *route[1]), ("car12", *route[2]),
        ("car14", 41.7901, -72.6512),
    ]  # fmt: skip
    assert [d for *_, d in found[:3]] == [0.0, 90.0, 180.0]
    window = (now - timedelta(hours=1), now)
    speeds = sorted(s.read.speed or 0 for s in system.store.lookup("MOB4455", *window))
    assert speeds == [0, 40.0, 41.0, 42.0]  # sealed with the read, and back


def test_an_officer_attends_a_mobile_unit_named_in_the_private_log_only(node: Node) -> None:
    system = node.system
    system.cameras.add("Cruiser 16", 41.76, -72.67, agency_id="ctpd", camera_id="car16",
                       settings=PATROL)  # fmt: skip
    admin = node.users["adm1"]
    done = system.admin.run("cameras.attend", {"id": "car16", "officer": "off2", "until": "10h"},
                            admin)  # fmt: skip
    assert done["officer"] == "off2"
    assert done["until"] == (node.clock.now + timedelta(hours=10)).isoformat().replace(
        "+00:00", "Z"
    )
    attended = system.cameras.attendance("car16")
    assert attended is not None and attended.officer == "off2"
    log = system.audit.log
    index = log.size - 1
    leaf = parse_leaf(log.leaf(index))
    assert leaf["public"] == {"action": "attended", "count": 1}
    assert b"off2" not in log.leaf(index)
    private = log.detail(index).private
    assert (private["officer"], private["actor"], private["camera_id"]) == ("off2", "adm1", "car16")
    node.clock.advance(hours=11)
    assert system.cameras.attendance("car16") is None  # the shift is over
    with pytest.raises(InputError, match="not an active user"):
        system.admin.run("cameras.attend", {"id": "car16", "officer": "nyoff"}, admin)
    system.cameras.add("Elm St", 41.70, -72.60, agency_id="ctpd", camera_id="elm")
    with pytest.raises(InputError, match="fixed"):
        system.admin.run("cameras.attend", {"id": "elm", "officer": "off2"}, admin)
    with pytest.raises(ForbiddenError):
        system.admin.run("cameras.attend", {"id": "car16", "officer": "off2"}, node.users["off1"])


# -- Washington: no collection near schools ----------------------------------------------------

SCHOOL = (47.6101, -122.3421)  # lat, lon
NEAR_PLATE = "WSQ7731"
FAR_PLATES = ["WHT4821", "WLR9064"]
IMAGE = b"\xff\xd8\xff\xe0NEAR-SCHOOL-IMAGE-SENTINEL-55c1\xff\xd9"


def _files(data_dir: Path) -> dict[str, bytes]:
    found = (f for f in data_dir.rglob("*") if f.is_file())
    return {str(f.relative_to(data_dir)): f.read_bytes() for f in found}


def _leaks(files: dict[str, bytes]) -> list[str]:
    needles = [NEAR_PLATE.encode(), NEAR_PLATE.lower().encode(), b"NEAR-SCHOOL-IMAGE-SENTINEL",
               base64.b64encode(IMAGE)[:24]]  # fmt: skip
    return [f"{name}: {n!r}" for name, blob in files.items() for n in needles if n in blob]


def test_a_mobile_read_near_a_school_reaches_no_file(tmp_path: Path) -> None:
    data_dir = tmp_path / "node"
    settings = Settings.load(data_dir, env={}, agency_id="spd", agency_state="WA",
                             policy="wa-sb-6002")  # fmt: skip
    initialise(settings)
    school = {"type": "Feature", "properties": {"amenity": "school", "name": "Pike Elementary"},
              "geometry": {"type": "Point", "coordinates": [SCHOOL[1], SCHOOL[0]]}}  # fmt: skip
    (data_dir / PLACES_FILE).write_text(json.dumps({"type": "FeatureCollection",
                                                    "features": [school]}))  # fmt: skip
    handler = logging.FileHandler(data_dir / "node.log", encoding="utf-8")
    root = logging.getLogger("trustlpr")
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    clock = FakeClock(START)
    try:
        with System(settings, clock=clock) as node:
            with pytest.raises(ForbiddenError, match="Pike Elementary"):  # a pole: refused
                node.cameras.add("Pike St", SCHOOL[0] + 0.0005, SCHOOL[1], agency_id="spd")
            # a cruiser whose base is beside the school is registered: its reads are judged
            _, key = node.cameras.add("Cruiser 3", SCHOOL[0] + 0.0005, SCHOOL[1],
                                      agency_id="spd", camera_id="car3",
                                      settings=PATROL)  # fmt: skip
            client = TestClient(create_app(node))
            crop = base64.b64encode(IMAGE).decode()
            near = (SCHOOL[0] + 0.0009, SCHOOL[1])  # ~100 m north: inside 150 m
            spots = [(47.6205, -122.3493), near, (47.6062, -122.3321), near]
            reads = [
                {"plate": plate, "observed_at": (START - timedelta(minutes=9 - i)).isoformat(),
                 "confidence": 0.93, "state": "WA", "lat": lat, "lon": lon,
                 "plate_crop_jpeg": crop}
                for i, (plate, (lat, lon)) in enumerate(
                    zip([FAR_PLATES[0], NEAR_PLATE, FAR_PLATES[1], NEAR_PLATE.lower()], spots,
                        strict=True))
            ]  # fmt: skip
            receipt = _post(client, "/api/v1/reads", key, {"reads": reads})
            assert (receipt["accepted"], receipt["stored"], receipt["rejected"]) == (4, 2, [])
            group = p.openalpr_group(3, NEAR_PLATE, START, START, ["u-near"], gps=near,
                                     vehicle_crop=IMAGE) | {"camera_id": "car3"}  # fmt: skip
            assert _post(client, "/api/v1/ingest/openalpr", key, group)["stored"] == 0
            window = (START - timedelta(hours=1), START + timedelta(hours=1))
            assert node.store.lookup(NEAR_PLATE, *window, variants=True) == []
            stored = {s.read.plate for f in FAR_PLATES for s in node.store.lookup(f, *window)}
            assert stored == set(FAR_PLATES)
            from_file = Read(NEAR_PLATE, "WA", 0.9, START, "car3", "spd", *near)
            assert node.ingest([from_file]) == 0  # a file's read near the school: the same
            assert not_collected_counts(node) == []  # counted, not yet published
            assert node.collection.flush() == 4
            assert not_collected_counts(node) == [{"category": "school", "count": 4}]
            assert node.collection.flush() == 0
            open_leaks = _leaks(_files(data_dir))  # while open: WAL files as they are
        assert open_leaks == []
        assert _leaks(_files(data_dir)) == []
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        handler.close()
