"""Each adapter on payloads built from its system's documented fields, with real JPEG crops."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from trustlpr.core.errors import InputError, PlateError, TooLargeError
from trustlpr.core.identity import Camera
from trustlpr.ingest import ADAPTERS, FormPayload
from trustlpr.ingest.frigate import camera_name

from . import payloads as p
from .helpers import plate_crops

CAMERA = Camera(
    id="elm-nb",
    agency_id="nhpd",
    name="Elm St NB",
    latitude=41.31,
    longitude=-72.92,
    direction=180.0,
    adapter="openalpr",
)
WHEN = datetime(2026, 11, 1, 11, 59, 30, 250000, tzinfo=UTC)


@pytest.fixture(scope="module")
def crops(shared_dir):
    return plate_crops(shared_dir, 3)


def parse(adapter: str, payload):
    return ADAPTERS[adapter].parse(payload, CAMERA)


# -- OpenALPR ---------------------------------------------------------------------------------


def test_openalpr_results_convert_units_and_keep_crops(crops):
    (plate1, jpeg1), (plate2, jpeg2), _ = crops
    body = p.openalpr_results(
        1630410444,
        "elm-cam1630410444-1",
        WHEN,
        [p.openalpr_result(plate1, 92.07, jpeg1, 0), p.openalpr_result(plate2, 61.5, jpeg2, 1)],
    )
    parsed = parse("openalpr", body)
    assert parsed.kind == "reads"
    assert [r.plate for r in parsed.reads] == [plate1, plate2]
    assert parsed.reads[0].confidence == pytest.approx(0.9207)
    assert parsed.reads[0].observed_at == WHEN  # milliseconds, exactly
    assert parsed.reads[0].state == "CT"
    assert parsed.reads[0].camera_id == "elm-nb" and parsed.reads[0].agency_id == "nhpd"
    assert (parsed.reads[0].latitude, parsed.reads[0].direction) == (41.31, 180.0)
    assert parsed.images == {0: jpeg1, 1: jpeg2}
    assert parsed.links == {0: ("elm-cam1630410444-1#0",), 1: ("elm-cam1630410444-1#1",)}
    assert parsed.claims == {"1630410444"}


def test_an_epoch_time_in_seconds_is_still_read():
    # alprd and the Rekor agent send milliseconds (getEpochTimeMs); seconds are read too
    body = p.openalpr_results(1, "u", WHEN, [p.openalpr_result("S11FRE", 77.1, None)])
    body["epoch_time"] = int(WHEN.timestamp())
    assert parse("openalpr", body).reads[0].observed_at == WHEN.replace(microsecond=0)


def test_openalpr_group_takes_best_plate_vehicle_and_gps(crops):
    plate, jpeg = crops[0]
    body = p.openalpr_group(
        1630410444,
        plate,
        WHEN,
        WHEN + timedelta(seconds=2),
        ["f1", "f2"],
        vehicle_crop=jpeg,
        gps=(41.5, -72.5),
        travel_direction=91.0,
    )
    parsed = ADAPTERS["openalpr"].parse(body, replace(CAMERA, mobile=True))
    [read] = parsed.reads
    assert read.plate == plate and read.confidence == pytest.approx(0.912)
    assert read.observed_at == WHEN
    assert (read.latitude, read.longitude, read.direction) == (41.5, -72.5, 91.0)
    assert (read.state, read.country) == ("CT", "US")
    fixed = parse("openalpr", body).reads[0]  # a fixed camera stays at its registered place
    assert (fixed.latitude, fixed.longitude) == (CAMERA.latitude, CAMERA.longitude)
    assert (read.make, read.colour, read.vehicle_type) == (
        "toyota",
        "silver-gray",
        "sedan-standard",
    )
    assert parsed.images == {0: jpeg}
    assert parsed.links == {0: ("f1#0", "f2#0")}


def test_openalpr_group_without_gps_stands_at_the_camera_and_prefers_the_plate_crop(crops):
    (plate, plate_jpeg), (_, vehicle_jpeg), _ = crops
    body = p.openalpr_group(
        7, plate, WHEN, WHEN, ["f1"], vehicle_crop=vehicle_jpeg, plate_crop=plate_jpeg
    )
    parsed = parse("openalpr", body)
    assert (parsed.reads[0].latitude, parsed.reads[0].longitude) == (41.31, -72.92)
    assert parsed.images == {0: plate_jpeg}


def test_openalpr_alert_ingests_its_group():
    group = p.openalpr_group(7, "AB12345", WHEN, WHEN, ["f1"])
    parsed = parse("openalpr", p.openalpr_alert(group))
    assert [r.plate for r in parsed.reads] == ["AB12345"]
    assert parsed.claims == {"7"}


def test_openalpr_heartbeat_test_ping_and_vehicle():
    beat = parse("openalpr", p.openalpr_heartbeat([(1630410444, "Elm St NB"), (99, "Oak")], WHEN))
    assert beat.kind == "heartbeat" and not beat.reads
    assert beat.aliases == {"1630410444": "Elm St NB", "99": "Oak"}
    assert parse("openalpr", p.OPENALPR_TEST_PING).kind == "test"
    assert parse("openalpr", {"data_type": "vehicle", "camera_id": 1}).kind == "ignored"


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda b: b.pop("data_type"), "data_type"),
        (lambda b: b.update(data_type="alpr_bogus"), "data_type"),
        (lambda b: b.pop("epoch_time"), "epoch_time"),
        (lambda b: b.update(epoch_time=0), "epoch_time"),
        (lambda b: b.update(results="no"), "results"),
        (lambda b: b["results"][0].update(confidence=130), "results[0].confidence"),
        (lambda b: b["results"][0].update(confidence="x"), "results[0].confidence"),
        (lambda b: b["results"][0].update(plate="AB*12"), "results[0].plate"),
        (lambda b: b["results"][0].pop("plate"), "results[0].plate"),
        (lambda b: b["results"][0].update(plate_crop_jpeg="%%%"), "results[0].plate_crop_jpeg"),
        (
            lambda b: b["results"][0].update(plate_crop_jpeg=base64.b64encode(b"GIF89a").decode()),
            "results[0].plate_crop_jpeg",
        ),
    ],
)
def test_openalpr_rejects_name_the_field(mutate, field):
    body = p.openalpr_results(1, "u", WHEN, [p.openalpr_result("AB12345", 90.0, None)])
    mutate(body)
    with pytest.raises(InputError) as err:
        parse("openalpr", body)
    assert err.value.field == field


def test_bad_plate_is_a_plate_error_at_its_path():
    body = p.openalpr_group(7, "AB-12345", WHEN, WHEN, ["f1"])
    body["best_plate_number"] = "TOOLONGPLATE123"
    with pytest.raises(PlateError) as err:
        parse("openalpr", body)
    assert err.value.field == "best_plate_number"
    alert = p.openalpr_alert(body)
    with pytest.raises(PlateError) as err:
        parse("openalpr", alert)
    assert err.value.field == "group.best_plate_number"


def test_oversized_crop_is_too_large():
    body = p.openalpr_results(1, "u", WHEN, [p.openalpr_result("AB12345", 90.0, None)])
    body["results"][0]["plate_crop_jpeg"] = base64.b64encode(
        b"\xff\xd8\xff" + b"0" * (3 << 20)
    ).decode()
    with pytest.raises(TooLargeError) as err:
        parse("openalpr", body)
    assert err.value.http_status == 413 and err.value.field == "results[0].plate_crop_jpeg"


# -- Plate Recognizer -------------------------------------------------------------------------


def test_plate_recognizer_snapshot():
    body = p.pr_snapshot("elm-nb", WHEN, [p.pr_result("nhk552", 0.904), p.pr_result("7ab123", 0.5)])
    parsed = parse("platerecognizer", body)
    assert [r.plate for r in parsed.reads] == ["NHK552", "7AB123"]
    read = parsed.reads[0]
    assert read.confidence == pytest.approx(0.904) and read.state == "CT"
    assert (read.make, read.colour, read.vehicle_type) == ("Honda", "black", "Sedan")
    assert read.observed_at == WHEN
    assert parsed.claims == {"elm-nb"} and parsed.images == {}


def test_plate_recognizer_snapshot_without_camera_claims_nothing():
    parsed = parse("platerecognizer", p.pr_snapshot(None, WHEN, [p.pr_result("nhk552", 0.9)]))
    assert parsed.claims == set()


def test_plate_recognizer_stream_form_with_upload(crops):
    plate, jpeg = crops[0]
    body = p.pr_stream("camera-1", WHEN, [p.pr_result(plate, 0.999, direction=200)])
    parsed = parse("platerecognizer", FormPayload({"json": json.dumps(body)}, {"upload": jpeg}))
    [read] = parsed.reads
    assert read.plate == plate and read.direction == 200.0 and read.observed_at == WHEN
    assert parsed.images == {0: jpeg}
    assert parsed.claims == {"camera-1"}


def test_plate_recognizer_stream_as_plain_json_and_other_events():
    body = p.pr_stream("camera-1", WHEN, [p.pr_result("ab1234", 0.9)])
    assert len(parse("platerecognizer", body).reads) == 1
    body["hook"]["event"] = "heartbeat"
    assert parse("platerecognizer", body).kind == "ignored"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        (FormPayload({}, {}), "json"),
        (FormPayload({"json": "{nope"}, {}), "json"),
        (FormPayload({"json": "[]"}, {}), "json"),
        (
            FormPayload({"json": json.dumps(p.pr_stream("c", WHEN, []))}, {"upload": b"text"}),
            "upload",
        ),
        (
            {"results": [{"plate": "ab1", "score": 2}], "timestamp": "2026-11-01T12:00:00Z"},
            "results[0].score",
        ),
        (
            {"results": [{"plate": "ab12", "score": 0.5}], "timestamp": "2026-11-01 12:00:00"},
            "timestamp",
        ),
        ({"data": {"results": [{"plate": "ab12", "score": 0.5}]}}, "data.timestamp"),
        (
            {
                "data": {
                    "timestamp": "2026-11-01T12:00:00Z",
                    "results": [{"plate": "ab12", "score": 0.5, "direction": 400}],
                }
            },
            "data.results[0].direction",
        ),
        (
            {
                "results": [{"plate": "ab12", "score": 0.5, "region": "us-ct"}],
                "timestamp": "2026-11-01T12:00:00Z",
            },
            "results[0].region",
        ),
    ],
)
def test_plate_recognizer_rejects_name_the_field(payload, field):
    with pytest.raises(InputError) as err:
        parse("platerecognizer", payload)
    assert err.value.field == field


def test_foreign_regions_are_reads_without_a_state():
    result = p.pr_result("wa88822", 0.99)
    result["region"] = {"code": "pl", "score": 0.7}
    parsed = parse("platerecognizer", p.pr_snapshot(None, WHEN, [result]))
    assert parsed.reads[0].state is None


# -- Frigate ----------------------------------------------------------------------------------


def test_frigate_event_with_a_recognised_plate():
    event = p.frigate_event("driveway_cam", "1607123955.475377-mxklsc", "ABC1234", 0.933, WHEN)
    assert camera_name(event) == "driveway_cam"
    parsed = parse("frigate", event)
    [read] = parsed.reads
    assert read.plate == "ABC1234" and read.confidence == pytest.approx(0.933)
    assert read.observed_at == WHEN
    assert parsed.links == {0: ("frigate:1607123955.475377-mxklsc:ABC1234",)}
    assert parsed.claims == {"driveway_cam"}


def test_frigate_event_without_plate_or_false_positive_is_ignored():
    assert parse("frigate", p.frigate_event("c", "1", None, None, WHEN)).kind == "ignored"
    event = p.frigate_event("c", "1", "ABC1234", 0.9, WHEN)
    event["after"]["false_positive"] = True
    assert parse("frigate", event).kind == "ignored"


def test_frigate_lpr_update_links_to_the_same_object():
    update = p.frigate_lpr("driveway_cam", "1607123955.475377-mxklsc", "ABC1234", 0.95, WHEN)
    assert camera_name(update) == "driveway_cam"
    parsed = parse("frigate", update)
    assert parsed.links == {0: ("frigate:1607123955.475377-mxklsc:ABC1234",)}
    assert parse("frigate", {"type": "face", "id": "x", "name": "someone"}).kind == "ignored"


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda b: b.update(type="weird"), "type"),
        (lambda b: b.update(score=1.5), "score"),
        (lambda b: b.update(timestamp="soon"), "timestamp"),
        (lambda b: b.pop("camera"), "camera"),
        (lambda b: b.update(plate="ÄB12"), "plate"),
    ],
)
def test_frigate_rejects_name_the_field(mutate, field):
    body = p.frigate_lpr("c", "1", "ABC1234", 0.9, WHEN)
    mutate(body)
    with pytest.raises(InputError) as err:
        parse("frigate", body)
    assert err.value.field == field


def test_frigate_event_of_a_person_with_a_plate_is_refused():
    event = p.frigate_event("c", "1", "ABC1234", 0.9, WHEN)
    event["after"]["label"] = "person"
    with pytest.raises(InputError) as err:
        parse("frigate", event)
    assert err.value.field == "after.label"


# -- native -----------------------------------------------------------------------------------


def test_native_batch_defaults_to_the_camera():
    body = {
        "reads": [
            {
                "plate": "abc-1234",
                "state": "ct",
                "observed_at": "2026-11-01T11:59:00Z",
                "confidence": 0.8,
            },
            {
                "plate": "XYZ987",
                "observed_at": "2026-11-01T11:59:01Z",
                "confidence": 0.7,
                "camera_id": "elm-nb",
                "agency_id": "nhpd",
                "lat": 41.0,
                "lon": -72.0,
                "direction": 10,
            },
        ]
    }
    parsed = parse("native", body)
    first, second = parsed.reads
    assert (first.plate, first.state, first.latitude, first.direction) == (
        "ABC1234",
        "CT",
        41.31,
        180.0,
    )
    # a fixed camera's reads stand at its registered place; the reported one is kept for the report
    assert (second.latitude, second.longitude, second.direction) == (41.31, -72.92, 10.0)
    assert (parsed.positions[1].latitude, parsed.positions[1].longitude) == (41.0, -72.0)
    assert parsed.claims == {"elm-nb"} and parsed.agencies == {"nhpd"}


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "reads"),
        ({"reads": {}}, "reads"),
        (
            {"reads": [{"plate": "AB12", "observed_at": "2026-11-01T11:59:00Z"}]},
            "reads[0].confidence",
        ),
        ({"reads": [None]}, "reads[0]"),
        (
            {"reads": [{"plate": "AB12", "observed_at": "2026-11-01T11:59:00", "confidence": 1}]},
            "reads[0].observed_at",
        ),
        (
            {
                "reads": [
                    {
                        "plate": "AB12",
                        "observed_at": "2026-11-01T11:59:00Z",
                        "confidence": 1,
                        "lat": 41.0,
                    }
                ]
            },
            "reads[0].lon",
        ),
        (
            {
                "reads": [
                    {
                        "plate": "AB12",
                        "observed_at": "2026-11-01T11:59:00Z",
                        "confidence": 1,
                        "camera_id": True,
                    }
                ]
            },
            "reads[0].camera_id",
        ),
        ({"reads": [{"plate": "AB12", "observed_at": "x", "confidence": 1}] * 1001}, "reads"),
    ],
)
def test_native_rejects_name_the_field(body, field):
    with pytest.raises(InputError) as err:
        parse("native", body)
    assert err.value.field == field


def test_native_csv_upload():
    csv_text = (
        "plate,state,observed_at,confidence,make\n"
        "ABC1234,CT,2026-11-01T11:59:00Z,0.9,Honda\n"
        "\n"
        "XYZ987,,2026-11-01T11:59:01Z,0.8,\n"
    )
    parsed = parse("native_csv", csv_text.encode())
    assert [(r.plate, r.state, r.make) for r in parsed.reads] == [
        ("ABC1234", "CT", "Honda"),
        ("XYZ987", None, None),
    ]


@pytest.mark.parametrize(
    ("content", "line", "field"),
    [
        (b"", 1, None),
        (b"plate,observed_at\n", 1, None),
        (b"plate,observed_at,confidence\nAB12,x,0.5\n", 2, "observed_at"),
        (b"plate,observed_at,confidence\nAB12,2026-11-01T11:59:00Z\n", 2, None),
        (b"plate,observed_at,confidence\n\xff\xfe,1,1\n", None, "body"),
    ],
)
def test_native_csv_rejects_name_line_and_field(content, line, field):
    with pytest.raises(InputError) as err:
        parse("native_csv", content)
    assert err.value.line == line
    assert err.value.field == field


def test_a_bad_csv_line_is_rejected_alone():
    content = b"plate,observed_at,confidence\nAB12,2026-11-01T11:59:00Z,0.5\nAB12,x,0.5\n"
    parsed = parse("native_csv", content)
    assert [r.plate for r in parsed.reads] == ["AB12"]
    [rejected] = parsed.rejected
    assert (rejected.line, rejected.field) == (3, "observed_at")
