"""Hostile numbers in every numeric field of every adapter get a precise 4xx, never a 5xx
(issue 12 item 11): integers past Python's int-string conversion limit (``json.loads`` raises
``ValueError``), integers ``float()`` cannot hold (``OverflowError``), ``1e999`` (JSON text that
Python reads as ``inf``), and ordinary out-of-range values. Sent over HTTP as raw JSON text,
and for Plate Recognizer also inside the multipart ``json`` part; Frigate through the service
that the MQTT subscriber uses (the broker path itself: ``test_mqtt_resilience``)."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from trustlpr.core.errors import InputError
from trustlpr.ingest import IngestLimits, IngestService

from . import conformance as c
from .test_web import _client

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
MARK = "__HOSTILE__"

numbers = st.one_of(
    st.integers(300, 6000).map(lambda n: "9" * n),  # past float, and past the 4300-digit limit
    st.integers(300, 6000).map(lambda n: "-" + "9" * n),
    st.sampled_from(["1e999", "-1e999", "1e-999", "1.8e308", "-0", "0", "1e400", "123456789e300"]),
    st.integers(-(10**20), 10**20).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
)


def _set(payload: Any, path: tuple[str | int, ...]) -> Any:
    target = payload
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = MARK
    return payload


def _native() -> dict[str, Any]:
    return {"reads": [{"plate": "AB12345", "observed_at": NOW.isoformat(), "confidence": 0.9,
                       "lat": 41.3, "lon": -72.9, "direction": 90}]}  # fmt: skip


def _frame() -> dict[str, Any]:
    return c.rekor_frame(1234, "agent-1234-1", NOW, [c.alpr_plate("AB12345", 90.0, "us-ct")])


def _group() -> dict[str, Any]:
    return c.rekor_group(1234, "AB12345", NOW, NOW, ["u1"], gps=(41.3, -72.9))


def _pr() -> dict[str, Any]:
    return c.pr_stream("camera-1", NOW, [c.pr_plate_result("NHK552", 0.9, "us-ct")])


def _pr_vehicle() -> dict[str, Any]:
    return c.pr_stream("camera-1", NOW, [c.pr_vehicle_result("NHK552", 0.9, "us-ct")])


FIELDS: list[tuple[str, str, Callable[[], Any], tuple[str | int, ...]]] = [
    ("/api/v1/reads", "elm", _native, ("reads", 0, "confidence")),
    ("/api/v1/reads", "elm", _native, ("reads", 0, "lat")),
    ("/api/v1/reads", "elm", _native, ("reads", 0, "lon")),
    ("/api/v1/reads", "elm", _native, ("reads", 0, "direction")),
    ("/api/v1/reads", "elm", _native, ("reads", 0, "observed_at")),
    ("/api/v1/ingest/openalpr", "elm", _frame, ("epoch_time",)),
    ("/api/v1/ingest/openalpr", "elm", _frame, ("camera_id",)),
    ("/api/v1/ingest/openalpr", "elm", _frame, ("results", 0, "confidence")),
    ("/api/v1/ingest/openalpr", "elm", _frame, ("results", 0, "plate_index")),
    ("/api/v1/ingest/openalpr", "elm", _group, ("epoch_start",)),
    ("/api/v1/ingest/openalpr", "elm", _group, ("best_confidence",)),
    ("/api/v1/ingest/openalpr", "elm", _group, ("gps_latitude",)),
    ("/api/v1/ingest/openalpr", "elm", _group, ("gps_longitude",)),
    ("/api/v1/ingest/openalpr", "elm", _group, ("travel_direction",)),
    ("/api/v1/ingest/openalpr", "elm", _group, ("plate_indexes", 0)),
    ("/api/v1/ingest/openalpr", "elm", _group, ("vehicle", "make", 0, "confidence")),
    ("/api/v1/ingest/platerecognizer", "gate", _pr, ("data", "timestamp")),
    ("/api/v1/ingest/platerecognizer", "gate", _pr, ("data", "results", 0, "score")),
    ("/api/v1/ingest/platerecognizer", "gate", _pr, ("data", "camera_id")),
    ("/api/v1/ingest/platerecognizer", "gate", _pr_vehicle, ("data", "results", 0, "direction")),
    ("/api/v1/ingest/platerecognizer", "gate", _pr_vehicle,
     ("data", "results", 0, "plate", "props", "plate", 0, "score")),
    ("/api/v1/ingest/platerecognizer", "gate", _pr_vehicle,
     ("data", "results", 0, "vehicle", "props", "make_model", 0, "score")),
]  # fmt: skip


@pytest.fixture
def node(registry, pipeline, clock):
    clock.now = NOW + timedelta(seconds=30)
    service = IngestService(registry, pipeline, clock=clock,
                            limits=IngestLimits(rate_per_s=1e9, burst=1e9))  # fmt: skip
    keys = {
        "elm": registry.add("Elm", 41.31, -72.92, agency_id="nhpd", camera_id="elm",
                            adapter="openalpr", external_id="1234")[1],
        "gate": registry.add("Gate", 41.32, -72.93, agency_id="nhpd", camera_id="gate",
                             adapter="platerecognizer", external_id="camera-1")[1],
    }  # fmt: skip
    with _client(service) as client:
        client.app.state.ingest_service = service
        yield client, keys


def _check(client: TestClient, route: str, key: str, body: bytes, form: bool = False) -> None:
    headers = {"Authorization": f"Bearer {key}"}
    if form:
        r = client.post(route, headers=headers, data={"json": body.decode()})
    else:
        r = client.post(route, headers={**headers, "Content-Type": "application/json"},
                        content=body)  # fmt: skip
    assert r.status_code < 500, r.text
    assert r.status_code in (200, 207, 403, 413, 422), r.text
    if r.status_code == 422:
        assert r.json()["detail"] and len(r.json()["detail"]) < 600


@pytest.mark.parametrize(("route", "camera", "build", "path"), FIELDS)
@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(raw=numbers)
@example(raw="9" * 5000)  # the message that stopped Frigate ingest for good
@example(raw="9" * 400)  # an int float() cannot hold
@example(raw="1e999")  # inf
@example(raw="-1e999")
def test_hostile_numbers_get_a_precise_4xx(node, route, camera, build, path, raw):
    client, keys = node
    body = json.dumps(_set(build(), path)).replace(f'"{MARK}"', raw).encode()
    _check(client, route, keys[camera], body)
    if route.endswith("platerecognizer"):
        _check(client, route, keys[camera], body, form=True)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(raw=numbers, field=st.sampled_from(["frame_time", "start_time", "score", "timestamp"]))
@example(raw="9" * 400, field="frame_time")
@example(raw="1e999", field="score")
@example(raw="-1e999", field="timestamp")
def test_hostile_numbers_in_frigate_messages_are_input_errors(service, registry, raw, field):
    if registry.resolve("frigate", "driveway") is None:
        registry.add("Driveway", 41.3, -72.9, agency_id="nhpd", camera_id="drive",
                     adapter="frigate", external_id="driveway")  # fmt: skip
    camera = registry.resolve("frigate", "driveway")
    if field in ("frame_time", "start_time"):
        payload: Any = c.frigate_event(c.frigate_after("driveway", "1.0-a", NOW, ["AB1234", 0.9]))
        path: tuple[str | int, ...] = ("after", field)
    else:
        payload = c.frigate_lpr("driveway", "1.0-a", "AB1234", 0.9, NOW)
        path = (field,)
    text = json.dumps(_set(payload, path)).replace(f'"{MARK}"', raw)
    try:
        decoded = json.loads(text)
    except ValueError:
        return  # the subscriber refuses it before parsing (test_mqtt_resilience)
    try:
        receipt = service.ingest("frigate", decoded, camera)
    except InputError as exc:
        assert exc.field is not None
    else:
        assert receipt["status"] in ("ok", "partial")


def test_json_reads_1e999_as_infinity():
    """Why ``1e999`` is in the list: valid JSON text that Python turns into ``inf``."""
    assert math.isinf(json.loads("1e999"))
    with pytest.raises(ValueError, match="digits"):
        json.loads("9" * 5000)
