"""Mobile units' payloads as their senders post them: each read at its own GPS position, and a
read without a usable one refused alone, naming its field."""

from __future__ import annotations

import json
import math
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from trustlpr.core.errors import InputError
from trustlpr.core.identity import Camera
from trustlpr.ingest import ADAPTERS, FormPayload

from . import payloads as p

PATROL = Camera(
    id="car12",
    agency_id="nhpd",
    name="Cruiser 12",
    latitude=41.30,  # its base: the precinct
    longitude=-72.90,
    adapter="openalpr",
    mobile=True,
)
WHEN = datetime(2026, 11, 1, 11, 59, 30, 250000, tzinfo=UTC)


def parse(adapter: str, payload, camera: Camera = PATROL):
    return ADAPTERS[adapter].parse(payload, camera)


# -- OpenALPR / Rekor mobile agents ------------------------------------------------------------


def test_a_mobile_agents_group_is_stored_at_its_gps_fix_with_its_travel_direction():
    body = p.openalpr_group(
        4, "AB12345", WHEN, WHEN + timedelta(seconds=1), ["f1"], gps=(41.3527, -72.9411),
        travel_direction=273.5,
    )  # fmt: skip
    [read] = parse("openalpr", body).reads
    assert (read.latitude, read.longitude, read.direction) == (41.3527, -72.9411, 273.5)


@pytest.mark.parametrize(
    ("gps", "reason"),
    [
        ((0.0, 0.0), "no fix"),
        ((None, None), "no fix"),
        ((91.5, -72.9), "outside -90..90"),
        ((41.3, "NaN"), "not a finite number"),
    ],
)
def test_a_mobile_group_without_a_usable_fix_is_refused_naming_the_field(gps, reason):
    body = p.openalpr_group(4, "AB12345", WHEN, WHEN, ["f1"])
    body["gps_latitude"], body["gps_longitude"] = gps
    with pytest.raises(InputError) as caught:
        parse("openalpr", body)
    assert caught.value.field in ("gps_latitude", "gps_longitude")
    assert reason in caught.value.reason


def test_an_alert_groups_missing_fix_names_the_groups_field():
    group = p.openalpr_group(4, "AB12345", WHEN, WHEN, ["f1"])
    with pytest.raises(InputError) as caught:
        parse("openalpr", p.openalpr_alert(group))
    assert caught.value.field == "group.gps_latitude"
    assert "car12" in caught.value.reason and "mobile" in caught.value.reason


def test_frames_of_a_mobile_agent_take_the_frames_fix_or_are_refused():
    results = [p.openalpr_result("AB12345", 90.1, None, 0), p.openalpr_result("CD678", 80.0, None)]
    frame = p.openalpr_results(4, "frame-1", WHEN, results)
    with pytest.raises(InputError) as caught:  # every result refused: so is the frame
        parse("openalpr", frame)
    assert caught.value.field == "gps_latitude" and "1 more" in caught.value.reason
    frame |= {"gps_latitude": 41.31, "gps_longitude": -72.95}
    parsed = parse("openalpr", frame)
    assert [(r.latitude, r.longitude) for r in parsed.reads] == [(41.31, -72.95)] * 2


def test_a_fixed_cameras_group_without_gps_is_still_at_its_place():
    fixed = replace(PATROL, mobile=False)
    [read] = parse("openalpr", p.openalpr_group(4, "AB12345", WHEN, WHEN, ["f1"]), fixed).reads
    assert (read.latitude, read.longitude) == (41.30, -72.90)


# -- Plate Recognizer: GPS in user_data --------------------------------------------------------


def _stream(results: list[dict], **data: object) -> dict:
    body = p.pr_stream("car12", WHEN, results)
    body["data"].update(data)
    return body


def _result(plate: str, user_data: object, speed: float | None = None) -> dict:
    result = p.pr_result(plate, 0.9, direction=95.0)
    result["user_data"] = user_data
    result["speed"] = speed
    return result


def test_stream_results_carry_their_fix_in_user_data_as_json_or_lat_lon_text():
    body = _stream([
        _result("ab12345", json.dumps({"lat": 41.3527, "lon": -72.9411}), speed=48.0),
        _result("cd67890", "41.3530, -72.9420"),
        _result("ef24680", {"gps_latitude": 41.36, "gps_longitude": -72.95}),
    ])  # fmt: skip
    reads = parse("platerecognizer", body).reads
    assert [(r.latitude, r.longitude) for r in reads] == [
        (41.3527, -72.9411), (41.3530, -72.9420), (41.36, -72.95)
    ]  # fmt: skip
    assert [r.speed for r in reads] == [48.0, None, None]
    assert {r.direction for r in reads} == {95.0}


def test_the_recognitions_user_data_serves_results_without_their_own():
    body = _stream([_result("ab12345", "")], user_data='{"latitude": 41.35, "longitude": -72.94}')
    [read] = parse("platerecognizer", body).reads
    assert (read.latitude, read.longitude) == (41.35, -72.94)


def test_a_multipart_stream_webhook_carries_the_fix_too():
    body = _stream([_result("ab12345", "41.3527,-72.9411")])
    form = FormPayload(fields={"json": json.dumps(body)})
    [read] = parse("platerecognizer", form).reads
    assert (read.latitude, read.longitude) == (41.3527, -72.9411)


def test_stream_results_of_a_mobile_unit_without_a_fix_are_refused_alone():
    body = _stream([
        _result("ab12345", "41.3527,-72.9411"),
        _result("cd67890", ""),
        _result("ef24680", "0,0"),
        _result("gh13579", '{"lat": 41.3, "lon": 200}'),
        _result("jk97531", "41.3,-72.9", speed=900.0),
    ])  # fmt: skip
    parsed = parse("platerecognizer", body)
    assert [r.plate for r in parsed.reads] == ["AB12345"]
    refused = {r.path: (r.field, r.reason) for r in parsed.rejected}
    assert refused["data.results[1]"][0] == "data.results[1].user_data"
    assert "no fix" in refused["data.results[2]"][1]
    assert refused["data.results[3]"][0] == "data.results[3].user_data.lon"
    assert refused["data.results[4]"] == ("data.results[4].speed", "900.0 is outside 0..400 km/h")


def test_a_fixed_stream_camera_stays_at_its_place_whatever_user_data_says():
    fixed = replace(PATROL, mobile=False, adapter="platerecognizer")
    parsed = parse("platerecognizer", _stream([_result("ab12345", "44.95,-93.09")]), fixed)
    assert (parsed.reads[0].latitude, parsed.reads[0].longitude) == (41.30, -72.90)
    assert parsed.positions[0].latitude == 44.95  # reported, for the service's check
    plain = parse("platerecognizer", _stream([_result("cd67890", "gate 3, north")]), fixed)
    assert plain.reads[0].latitude == 41.30  # free text is no position


# -- native ------------------------------------------------------------------------------------


def _native(**read: object) -> dict:
    base = {"plate": "AB12345", "observed_at": WHEN.isoformat(), "confidence": 0.9}
    return {"reads": [base | read]}


def test_native_reads_of_a_mobile_camera_need_their_own_lat_lon():
    [read] = parse("native", _native(lat=41.35, lon=-72.94, direction=12, speed=61.5)).reads
    assert (read.latitude, read.longitude, read.direction, read.speed) == (
        41.35, -72.94, 12.0, 61.5
    )  # fmt: skip
    for bad, field in (({}, "reads[0].lat"), ({"lat": 0, "lon": 0}, "reads[0].lat"),
                       ({"lat": math.nan, "lon": 1.0}, "reads[0].lat"),
                       ({"lat": 41.3, "lon": -181}, "reads[0].lon")):  # fmt: skip
        with pytest.raises(InputError) as caught:
            parse("native", _native(**bad))
        assert caught.value.field == field, bad


def test_a_native_csv_line_without_a_position_is_refused_and_the_others_kept():
    csv = (
        "plate,observed_at,confidence,lat,lon\n"
        f"AB12345,{WHEN.isoformat()},0.9,41.35,-72.94\n"
        f"CD67890,{WHEN.isoformat()},0.9,,\n"
    ).encode()
    parsed = parse("native_csv", csv)
    assert [r.plate for r in parsed.reads] == ["AB12345"]
    [refused] = parsed.rejected
    assert (refused.line, refused.field) == (3, "lat")
