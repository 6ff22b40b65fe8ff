"""Conformance: what each real sender publishes (``conformance.py`` cites the sources) is
stored as that sender meant it, through the real service, pipeline and encrypted store.

Each test names the issue item it pins; each failed on the code before its fix."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from trustlpr.core.errors import InputError
from trustlpr.ingest import ADAPTERS

from . import conformance as c
from .helpers import stored
from .test_web import _client


@pytest.fixture
def elm(registry):
    """A fixed OpenALPR camera whose agent calls it 1234 (taught by a heartbeat here)."""
    cam, key = registry.add("Elm St NB", 41.31, -72.92, agency_id="nhpd", camera_id="elm",
                            adapter="openalpr", external_id="1234")  # fmt: skip
    return cam, key


@pytest.fixture
def gate(registry):
    cam, key = registry.add("Gate", 41.32, -72.93, agency_id="nhpd", camera_id="gate",
                            adapter="platerecognizer", external_id="camera-1")  # fmt: skip
    return cam, key


def _rows(store, clock):
    return sorted(stored(store, clock.now), key=lambda s: (s.read.observed_at, s.read.plate))


# -- issue 13 item 8: the OpenALPR group's consensus wins and keeps its data ------------------


def test_a_group_whose_consensus_differs_from_its_frames_is_stored(service, elm, store, clock):
    sender = service.authenticate(elm[1])
    when = clock.now - timedelta(seconds=20)
    frame = c.rekor_frame(1234, "agent-1234-1", when, [c.alpr_plate("ABC1Z34", 81.0, "us-mo")])
    assert service.ingest("openalpr", frame, sender)["stored"] == 1
    group = c.rekor_group(1234, "ABC1234", when, when + timedelta(seconds=2), ["agent-1234-1"])
    receipt = service.ingest("openalpr", group, sender)
    assert (receipt["stored"], receipt["duplicates"]) == (1, 0)
    plates = [s.read.plate for s in _rows(store, clock)]
    assert plates == ["ABC1234", "ABC1Z34"]  # the consensus (maybe hot-listed) is a read


def test_a_group_over_frames_of_its_plate_keeps_its_attributes(service, elm, store, clock):
    sender = service.authenticate(elm[1])
    when = clock.now - timedelta(seconds=20)
    frame = c.rekor_frame(1234, "agent-1234-1", when, [c.alpr_plate("ABC1234", 71.0, "us-mo")])
    service.ingest("openalpr", frame, sender)
    group = c.rekor_group(1234, "ABC1234", when, when + timedelta(seconds=2), ["agent-1234-1"],
                          travel_direction=91.0, confidence=96.5)  # fmt: skip
    assert service.ingest("openalpr", group, sender)["stored"] == 1
    kept = [s.read for s in _rows(store, clock) if s.read.make is not None]
    assert len(kept) == 1
    read = kept[0]
    assert (read.make, read.colour, read.vehicle_type) == ("ford", "blue", "sedan-standard")
    assert read.direction == 91.0 and read.confidence == pytest.approx(0.965)
    # the same group again (or a final after its preview, same plate) is a duplicate
    assert service.ingest("openalpr", group, sender)["duplicates"] == 1


# -- issue 13 item 9: region codes are read by their scheme; countries are not states ----------


@pytest.mark.parametrize(
    ("code", "state", "country"),
    [
        ("ca", None, "CA"),  # Canada, not California
        ("de", None, "DE"),  # Germany, not Delaware
        ("ar", None, "AR"),
        ("az", None, "AZ"),
        ("in", None, "IN"),
        ("id", None, "ID"),
        ("il", None, "IL"),
        ("co", None, "CO"),
        ("pa", None, "PA"),
        ("me", None, "ME"),
        ("md", None, "MD"),
        ("nl", None, "NL"),
        ("gb", None, "GB"),
        ("us-ca", "CA", "US"),
        ("us-ct", "CT", "US"),
        ("ca-on", "ON", "CA"),
        ("gb-eng", None, "GB"),
        ("xx", None, None),
        ("", None, None),
    ],
)
def test_plate_recognizer_region_codes_are_iso_3166(code, state, country, clock):
    body = c.pr_stream("camera-1", clock.now, [c.pr_plate_result("NHK552", 0.9, code)])
    from trustlpr.core.identity import Camera

    camera = Camera("gate", "nhpd", "Gate", 41.32, -72.93, adapter="platerecognizer")
    [read] = ADAPTERS["platerecognizer"].parse(body, camera).reads
    assert read.state == state  # before the fix: "ca" was California, "de" Delaware
    assert read.country == country


@pytest.mark.parametrize(
    ("payload_country", "region", "camera_country", "state", "country"),
    [
        ("eu", "de", None, None, "DE"),  # the EU config: regions are countries
        ("us", "us-mo", None, "MO", "US"),  # Rekor's prefixed form
        ("us", "de", None, "DE", "US"),  # in the us config "de" really is Delaware
        ("au", "nsw", None, None, "AU"),
        (None, "md", None, "MD", "US"),  # alprd frame, no country: alprd's default us
        (None, "md", "DE", None, "MD"),  # alprd in Europe (camera --country DE): Moldova
        (None, "nsw", "AU", None, "AU"),
    ],
)
def test_openalpr_regions_are_read_with_their_country(
    payload_country, region, camera_country, state, country, clock
):
    from trustlpr.core.identity import Camera

    camera = Camera("elm", "nhpd", "Elm", 41.3, -72.9, adapter="openalpr")
    if camera_country is not None:
        camera = replace(camera, country=camera_country)
    when = clock.now
    if payload_country is None:
        body = c.alprd_frame(1, when, [c.alpr_plate("AB12345", 90.0, region)])
    else:
        body = c.rekor_group(1, "AB12345", when, when, ["u1"], country=payload_country,
                             best_region=region)  # fmt: skip
    [read] = ADAPTERS["openalpr"].parse(body, camera).reads
    assert read.state == state
    assert read.country == country


def test_the_country_is_stored_with_the_read(service, gate, store, clock):
    body = c.pr_stream("camera-1", clock.now, [c.pr_plate_result("NHK552", 0.9, "de")])
    service.ingest("platerecognizer", body, service.authenticate(gate[1]))
    [row] = _rows(store, clock)
    assert (row.read.state, row.read.country) == (None, "DE")


# -- issue 13 item 10: one bad result does not lose the good ones -----------------------------


def test_a_frame_with_bad_results_keeps_the_good_one_and_lists_the_others(
    service, elm, store, clock
):
    when = clock.now - timedelta(seconds=5)
    good = c.alpr_plate("GOOD123", 90.0, "ct", index=0)
    short = c.alpr_plate("A", 80.0, "ct", index=1)  # too short
    unsure = c.alpr_plate("NOCONF1", 80.0, "ct", index=2)
    del unsure["confidence"]
    frame = c.alprd_frame(1234, when, [good, short, unsure])
    with TestClient(_client(service).app, raise_server_exceptions=False) as client:
        r = client.post("/api/v1/ingest/openalpr", json=frame, headers={"X-Api-Key": elm[1]})
    assert r.status_code == 207, r.text
    body = r.json()
    assert body["status"] == "partial" and body["accepted"] == 1 and body["stored"] == 1
    assert [(x["path"], x["field"]) for x in body["rejected"]] == [
        ("results[1]", "results[1].plate"),
        ("results[2]", "results[2].confidence"),
    ]
    assert all(x["reason"] for x in body["rejected"])
    assert [s.read.plate for s in _rows(store, clock)] == ["GOOD123"]


def test_a_payload_whose_every_result_is_bad_is_still_a_422(service, elm, store, clock):
    frame = c.alprd_frame(1234, clock.now, [c.alpr_plate("A", 80.0, "ct")])
    with pytest.raises(InputError) as err:
        service.ingest("openalpr", frame, service.authenticate(elm[1]))
    assert err.value.field == "results[0].plate"
    assert _rows(store, clock) == []


def test_a_read_from_the_future_is_rejected_alone(service, elm, store, clock):
    late = (clock.now + timedelta(hours=3)).isoformat()
    body = {"reads": [{"plate": "FUT1234", "observed_at": late, "confidence": 0.9},
                      {"plate": "NOW1234", "observed_at": clock.now.isoformat(),
                       "confidence": 0.9}]}  # fmt: skip
    receipt = service.ingest("native", body, service.authenticate(elm[1]))
    assert receipt["stored"] == 1
    [rejected] = receipt["rejected"]
    assert (rejected["path"], rejected["field"]) == ("reads[0]", "observed_at")
    assert "ahead" in rejected["reason"]
    assert [s.read.plate for s in _rows(store, clock)] == ["NOW1234"]


# -- issue 13 item 11: Stream's vehicle mode; the Snapshot SDK's local times ------------------


def test_stream_vehicle_mode_is_accepted(service, gate, store, clock):
    results = [c.pr_vehicle_result("NHK552", 0.93, "us-ct"), c.pr_vehicle_result(None, 0, "")]
    body = c.pr_stream("camera-1", clock.now, results)
    receipt = service.ingest("platerecognizer", body, service.authenticate(gate[1]))
    assert (receipt["status"], receipt["stored"], receipt["rejected"]) == ("ok", 1, [])
    [row] = _rows(store, clock)
    read = row.read
    assert (read.plate, read.state, read.country) == ("NHK552", "CT", "US")
    assert read.confidence == pytest.approx(0.93)
    assert (read.make, read.colour, read.vehicle_type, read.direction) == (
        "Toyota",
        "white",
        "Sedan",
        270.0,
    )


def test_a_vehicle_without_a_plate_alone_is_ignored(service, gate, clock):
    body = c.pr_stream("camera-1", clock.now, [c.pr_vehicle_result(None, 0, "")])
    receipt = service.ingest("platerecognizer", body, service.authenticate(gate[1]))
    assert receipt["kind"] == "ignored" and receipt["stored"] == 0


def test_snapshot_sdk_local_times_need_the_camera_time_zone(service, registry, gate, store, clock):
    local = "2026-11-01 07:00:00.250000"  # 12:00:00.25 UTC in New York (EST, UTC-5)
    body = c.pr_snapshot_sdk([c.pr_plate_result("NHK552", 0.9, "us-ny")], local)
    sender = service.authenticate(gate[1])
    with pytest.raises(InputError) as err:
        service.ingest("platerecognizer", body, sender)
    assert err.value.field == "timestamp" and "--timezone" in err.value.reason
    from trustlpr.cameras import CameraSettings

    registry.configure("gate", CameraSettings(timezone="America/New_York"))
    receipt = service.ingest("platerecognizer", body, service.authenticate(gate[1]))
    assert receipt["stored"] == 1
    [row] = _rows(store, clock)
    assert row.read.observed_at == clock.now.replace(microsecond=250000)


# -- issue 13 item 13: a fixed camera stays where it is registered ----------------------------


def test_a_fixed_cameras_agent_gps_does_not_move_its_reads(service, registry, elm, store, clock):
    when = clock.now - timedelta(seconds=5)
    far = c.rekor_group(1234, "ABC1234", when, when, ["u1"], gps=(44.95, -93.09))  # St Paul
    receipt = service.ingest("openalpr", far, service.authenticate(elm[1]))
    assert receipt["stored"] == 1
    [row] = _rows(store, clock)
    assert (row.read.latitude, row.read.longitude) == (41.31, -72.92)
    positions = service.health.snapshot()["subsystems"]["positions"]
    assert positions["counts"] == {"fixed_camera_moved": 1}
    assert "1" in positions["last_error"] and "km" in positions["last_error"]
    from trustlpr.cameras import CameraSettings

    registry.configure("elm", CameraSettings(mobile=True))  # a patrol car's agent
    moving = c.rekor_group(1234, "XYZ987", when, when, ["u2"], gps=(41.40, -72.80))
    service.ingest("openalpr", moving, service.authenticate(elm[1]))
    read = next(s.read for s in _rows(store, clock) if s.read.plate == "XYZ987")
    assert (read.latitude, read.longitude) == (41.40, -72.80)


def test_scouts_camera_label_identifies_the_camera(service, registry, store, clock):
    _cam, key = registry.add("Elm St NB", 41.31, -72.92, agency_id="nhpd", camera_id="elm2",
                             adapter="openalpr")  # fmt: skip
    group = c.rekor_group(987654, "ABC1234", clock.now, clock.now, ["u9"], camera_label="Elm St NB")
    assert service.ingest("openalpr", group, service.authenticate(key))["stored"] == 1
    assert registry.resolve("openalpr", "987654").id == "elm2"  # learnt, as from a heartbeat


# -- Frigate: the code's [plate, score], the docs' string + score, the "car left" update ------


def test_frigate_publishes_the_plate_as_a_pair_or_as_documented_text(clock):
    from trustlpr.core.identity import Camera

    camera = Camera("drive", "nhpd", "Driveway", 41.3, -72.9, adapter="frigate")
    pair = c.frigate_event(c.frigate_after("driveway", "1.2-a", clock.now, ["ABC 1234", 0.93]))
    text_form = c.frigate_after("driveway", "1.2-a", clock.now, "abc1234")
    text_form["recognized_license_plate_score"] = 0.91
    for body, conf in ((pair, 0.93), (c.frigate_event(text_form), 0.91)):
        [read] = ADAPTERS["frigate"].parse(body, camera).reads
        assert read.plate == "ABC1234" and read.confidence == pytest.approx(conf)


def test_frigates_car_left_update_is_ignored(service, registry):
    _cam, key = registry.add("Driveway", 41.3, -72.9, agency_id="nhpd", camera_id="drive",
                             adapter="frigate", external_id="driveway")  # fmt: skip
    receipt = service.ingest("frigate", c.frigate_lpr_cleared("driveway"),
                             service.authenticate(key))  # fmt: skip
    assert receipt["kind"] == "ignored"
