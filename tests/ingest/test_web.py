"""The ingest routes through the real app: every system's payload with images, and every
refusal as a precise 4xx (or 503/429 with Retry-After) that loses nothing already accepted."""

from __future__ import annotations

import json
from datetime import timedelta
from types import SimpleNamespace

import pytest
from fastapi.testclient import TestClient

from trustlpr.ingest import IngestLimits, IngestPipeline, IngestService
from trustlpr.settings import Settings
from trustlpr.web.app import create_app

from . import payloads as p
from .helpers import plate_crops, stored
from .test_pipeline import GatedStore, read


def _client(service: IngestService) -> TestClient:
    """The app over a system with the attributes the ingest router documents."""
    system = SimpleNamespace(
        cameras=service.cameras,
        pipeline=service.pipeline,
        ingest_limits=service.limits,
        clock=service.clock,
        settings=Settings(agency_id="nhpd", agency_name="New Haven PD"),
    )
    return TestClient(create_app(system), raise_server_exceptions=False)


@pytest.fixture
def cams(registry):
    _elm, elm_key = registry.add(
        "Elm St NB",
        41.31,
        -72.92,
        agency_id="nhpd",
        camera_id="elm",
        adapter="openalpr",
        external_id="Elm St NB",
        direction=180,
    )
    _pr, pr_key = registry.add(
        "Gate",
        41.32,
        -72.93,
        agency_id="nhpd",
        camera_id="gate",
        adapter="platerecognizer",
        external_id="camera-1",
    )
    return {"elm": elm_key, "gate": pr_key}


@pytest.fixture
def client(service):
    with _client(service) as c:
        yield c


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


def test_native_json_and_csv(client, cams, store, clock):
    body = {
        "reads": [
            {
                "plate": "ABC1234",
                "state": "CT",
                "observed_at": clock.now.isoformat(),
                "confidence": 0.91,
            }
        ]
    }
    r = client.post("/api/v1/reads", json=body, headers=bearer(cams["elm"]))
    assert r.status_code == 200, r.text
    assert r.json() == {
        "status": "ok",
        "kind": "reads",
        "camera_id": "elm",
        "accepted": 1,
        "stored": 1,
        "duplicates": 0,
        "expired": 0,
        "rejected": [],
    }
    csv_body = f"plate,observed_at,confidence\nXYZ987,{clock.now.isoformat()},0.8\n"
    r = client.post(
        "/api/v1/reads",
        content=csv_body.encode(),
        headers={**bearer(cams["elm"]), "Content-Type": "text/csv"},
    )
    assert r.status_code == 200, r.text
    reads = {s.read.plate: s.read for s in stored(store, clock.now)}
    assert set(reads) == {"ABC1234", "XYZ987"}
    assert reads["XYZ987"].camera_id == "elm" and reads["XYZ987"].direction == 180.0


def test_openalpr_webhooks_with_header_or_query_key(client, cams, store, clock, shared_dir):
    (plate, jpeg), (plate2, jpeg2), _ = plate_crops(shared_dir, 3)
    headers = {"X-Api-Key": cams["elm"]}
    assert (
        client.post("/api/v1/ingest/openalpr", json=p.OPENALPR_TEST_PING, headers=headers).json()[
            "kind"
        ]
        == "test"
    )
    beat = p.openalpr_heartbeat([(1630410444, "Elm St NB")], clock.now)
    assert client.post("/api/v1/ingest/openalpr", json=beat, headers=headers).status_code == 200
    frame = p.openalpr_results(1630410444, "f1", clock.now, [p.openalpr_result(plate, 93.1, jpeg)])
    r = client.post(f"/api/v1/ingest/openalpr?key={cams['elm']}", json=frame)
    assert r.status_code == 200 and r.json()["stored"] == 1, r.text
    group = p.openalpr_group(
        1630410444, plate, clock.now, clock.now + timedelta(seconds=1), ["f1"], vehicle_crop=jpeg2
    )
    r = client.post("/api/v1/ingest/openalpr", json=group, headers=headers)
    assert r.json()["stored"] == 1  # the group's consensus (with make, colour…) is kept
    r = client.post("/api/v1/ingest/openalpr", json=group, headers=headers)
    assert r.json()["duplicates"] == 1  # the same group again is a duplicate
    alert = p.openalpr_alert(
        p.openalpr_group(
            1630410444,
            plate2,
            clock.now + timedelta(seconds=30),
            clock.now + timedelta(seconds=31),
            ["f9"],
            vehicle_crop=jpeg2,
        )
    )
    assert client.post("/api/v1/ingest/openalpr", json=alert, headers=headers).json()["stored"] == 1
    rows = {(s.read.plate, s.read.make): s for s in stored(store, clock.now)}
    assert store.image(rows[plate, None].ref) == jpeg  # the frame, with its plate crop
    assert store.image(rows[plate, "toyota"].ref) == jpeg2  # the group, with its vehicle crop
    rows = {s.read.plate: s for s in stored(store, clock.now)}
    assert store.image(rows[plate2].ref) == jpeg2
    assert rows[plate2].read.make == "toyota"


def test_plate_recognizer_stream_multipart_and_snapshot(client, cams, store, clock, shared_dir):
    (plate, jpeg), *_ = plate_crops(shared_dir, 1)
    stream = p.pr_stream("camera-1", clock.now, [p.pr_result(plate, 0.97, direction=200)])
    r = client.post(
        "/api/v1/ingest/platerecognizer",
        data={"json": json.dumps(stream)},
        files={"upload": ("12-00-00.jpg", jpeg, "image/jpeg")},
        headers={"Authorization": f"Token {cams['gate']}"},
    )
    assert r.status_code == 200 and r.json()["stored"] == 1, r.text
    snap = p.pr_snapshot(None, clock.now + timedelta(seconds=20), [p.pr_result("nhk552", 0.9)])
    r = client.post("/api/v1/ingest/platerecognizer", json=snap, headers=bearer(cams["gate"]))
    assert r.status_code == 200 and r.json()["stored"] == 1
    rows = {s.read.plate: s for s in stored(store, clock.now)}
    assert store.image(rows[plate].ref) == jpeg
    assert rows[plate].read.direction == 200.0 and rows["NHK552"].read.camera_id == "gate"


@pytest.mark.parametrize(
    ("headers", "status"),
    [({}, 401), ({"Authorization": "Bearer cam_nope_nope"}, 401), ({"X-Api-Key": "junk"}, 401)],
)
def test_missing_or_bad_keys_are_401(client, cams, headers, status):
    r = client.post("/api/v1/reads", json={"reads": []}, headers=headers)
    assert r.status_code == status and r.json()["error"] == "AuthError"


def test_disabled_camera_and_foreign_payload_are_403(client, cams, registry, clock):
    r = client.post(
        "/api/v1/ingest/platerecognizer",
        headers=bearer(cams["gate"]),
        json=p.pr_snapshot("elm", clock.now, [p.pr_result("ab1234", 0.9)]),
    )
    assert r.status_code == 403 and "elm" in r.json()["detail"]
    registry.set_enabled("gate", False)
    r = client.post("/api/v1/reads", json={"reads": []}, headers=bearer(cams["gate"]))
    assert r.status_code == 403 and "disabled" in r.json()["detail"]


def test_bad_input_is_a_precise_422_and_loses_nothing(client, cams, store, clock):
    good = {"reads": [{"plate": "KEEP01", "observed_at": clock.now.isoformat(), "confidence": 1}]}
    assert client.post("/api/v1/reads", json=good, headers=bearer(cams["elm"])).status_code == 200
    cases = [
        (b"{not json", "body"),
        (json.dumps({"reads": [{"plate": "A$", "observed_at": "x"}]}).encode(), "reads[0].plate"),
        (json.dumps({"reads": "all of them"}).encode(), "reads"),
    ]
    for body, field in cases:
        r = client.post(
            "/api/v1/reads",
            content=body,
            headers={**bearer(cams["elm"]), "Content-Type": "application/json"},
        )
        assert r.status_code == 422, r.text
        assert r.json()["field"] == field and field.split(".")[-1] in r.json()["detail"]
    r = client.post(
        "/api/v1/reads",
        content=b"plate,observed_at,confidence\nAB12,never,1\n",
        headers={**bearer(cams["elm"]), "Content-Type": "text/csv"},
    )
    assert r.status_code == 422 and r.json()["line"] == 2 and r.json()["field"] == "observed_at"
    r = client.post(
        "/api/v1/ingest/platerecognizer",
        headers=bearer(cams["gate"]),
        content=b"--x\r\nbroken",
    )
    assert r.status_code == 422
    r = client.post(
        "/api/v1/ingest/platerecognizer",
        headers=bearer(cams["gate"]),
        data={"json": "{}"},
        files={"upload": ("a.jpg", b"not an image", "image/jpeg")},
    )
    assert r.status_code == 422 and r.json()["field"] == "upload"
    assert [s.read.plate for s in stored(store, clock.now)] == ["KEEP01"]
    assert (
        client.post("/api/v1/reads", json={"reads": []}, headers=bearer(cams["elm"])).status_code
        == 200
    )


def test_bodies_over_the_limit_are_413_even_without_a_length(registry, pipeline, clock, cams):
    service = IngestService(
        registry, pipeline, clock=clock, limits=IngestLimits(max_body_bytes=1000)
    )
    with _client(service) as c:
        r = c.post(
            "/api/v1/reads",
            content=b"x" * 5000,
            headers={**bearer(cams["elm"]), "Content-Type": "application/json"},
        )
        assert r.status_code == 413 and "1000" in r.json()["detail"]

        def chunks():
            for _ in range(10):
                yield b"y" * 500

        r = c.post("/api/v1/reads", content=chunks(), headers=bearer(cams["elm"]))
        assert r.status_code == 413
        assert "content-length" not in {k.lower() for k in r.request.headers}


def test_rate_limit_is_429_with_retry_after(registry, pipeline, clock, cams):
    service = IngestService(
        registry, pipeline, clock=clock, limits=IngestLimits(rate_per_s=0.2, burst=2)
    )
    with _client(service) as c:
        codes = [
            c.post("/api/v1/reads", json={"reads": []}, headers=bearer(cams["elm"]))
            for _ in range(3)
        ]
    assert [r.status_code for r in codes] == [200, 200, 429]
    assert int(codes[2].headers["Retry-After"]) >= 1


def test_a_full_queue_is_503_with_retry_after(registry, store, audit, clock, cams):
    gated = GatedStore(store)
    gated.gate.clear()
    pipe = IngestPipeline(gated, audit=audit, clock=clock, max_queue=5)
    service = IngestService(registry, pipe, clock=clock)
    try:
        held = pipe.submit([read(f"HLD{i:03d}", i * 10, camera="elm") for i in range(5)])
        with _client(service) as c:
            body = {
                "reads": [
                    {"plate": "LATE01", "observed_at": clock.now.isoformat(), "confidence": 1}
                ]
            }
            r = c.post("/api/v1/reads", json=body, headers=bearer(cams["elm"]))
            assert r.status_code == 503 and int(r.headers["Retry-After"]) >= 1
            gated.gate.set()
            assert held.result(10).kept == 5
            assert (
                c.post("/api/v1/reads", json=body, headers=bearer(cams["elm"])).status_code == 200
            )
    finally:
        pipe.close()


def test_public_camera_inventory(client, cams):
    r = client.get("/api/v1/cameras.geojson")
    assert r.status_code == 200
    features = {f["id"]: f["properties"] for f in r.json()["features"]}
    assert features["elm"]["surveillance:type"] == "ALPR"
    assert features["elm"]["operator"] == "New Haven PD"
    assert "key" not in json.dumps(r.json()).lower().replace("monkey", "")


def test_openapi_documents_the_ingest_routes_and_key_schemes(client):
    schema = client.get("/openapi.json").json()
    for path in ("/api/v1/reads", "/api/v1/ingest/openalpr", "/api/v1/ingest/platerecognizer"):
        post = schema["paths"][path]["post"]
        assert "requestBody" in post and "503" in post["responses"]
    assert {"HTTPBearer", "APIKeyHeader", "APIKeyQuery"} <= set(
        schema["components"]["securitySchemes"]
    )


def test_a_multipart_body_without_boundary_is_422(client, cams):
    r = client.post(
        "/api/v1/ingest/platerecognizer",
        content=b"json=%7B%7D",
        headers={**bearer(cams["gate"]), "Content-Type": "multipart/form-data"},
    )
    assert r.status_code == 422 and r.json()["field"] == "body"


def test_a_system_without_a_pipeline_is_a_config_error():
    with TestClient(create_app(SimpleNamespace()), raise_server_exceptions=False) as c:
        r = c.post("/api/v1/reads", json={"reads": []}, headers=bearer("cam_x_y"))
    assert r.status_code == 500 and r.json()["error"] == "ConfigError"


def test_a_rotated_key_is_refused_at_once_even_if_just_used(client, cams, registry):
    ok = client.post("/api/v1/reads", json={"reads": []}, headers=bearer(cams["elm"]))
    assert ok.status_code == 200
    new_key = registry.rotate_key("elm")
    old = client.post("/api/v1/reads", json={"reads": []}, headers=bearer(cams["elm"]))
    assert old.status_code == 401
    assert (
        client.post("/api/v1/reads", json={"reads": []}, headers=bearer(new_key)).status_code == 200
    )
