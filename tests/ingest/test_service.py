"""The service's checks: keys, a camera writing only as itself, heartbeats, clocks, limits."""

from __future__ import annotations

from datetime import timedelta

import pytest

from trustlpr.core.errors import AuthError, ForbiddenError, InputError, RateLimitedError
from trustlpr.ingest import IngestLimits, IngestService

from . import payloads as p
from .helpers import stored


@pytest.fixture
def elm(registry):
    return registry.add(
        "Elm St NB", 41.31, -72.92, agency_id="nhpd", adapter="openalpr", camera_id="elm"
    )


def _native(plate: str, when, **extra):
    return {
        "reads": [{"plate": plate, "observed_at": when.isoformat(), "confidence": 0.9, **extra}]
    }


def test_a_camera_key_is_required(service):
    with pytest.raises(AuthError):
        service.authenticate(None)
    with pytest.raises(AuthError):
        service.authenticate("cam_nothere_secret")


def test_a_camera_writes_only_as_itself(service, registry, elm, clock):
    _camera, key = elm
    registry.add("Oak", 41.3, -72.9, agency_id="nhpd", camera_id="oak")
    sender = service.authenticate(key)
    with pytest.raises(ForbiddenError, match="oak"):
        service.ingest("native", _native("ABC123", clock.now, camera_id="oak"), sender)
    with pytest.raises(ForbiddenError, match="agency"):
        service.ingest("native", _native("ABC123", clock.now, agency_id="other"), sender)
    with pytest.raises(ForbiddenError):
        service.ingest(
            "platerecognizer", p.pr_snapshot("oak", clock.now, [p.pr_result("ab1234", 0.9)]), sender
        )
    receipt = service.ingest("native", _native("ABC123", clock.now, camera_id="elm"), sender)
    assert receipt["stored"] == 1 and receipt["camera_id"] == "elm"


def test_openalpr_numeric_ids_map_through_the_heartbeat(service, registry, elm, store, clock):
    _camera, key = elm
    sender = service.authenticate(key)
    frame = p.openalpr_results(
        1630410444, "f1", clock.now, [p.openalpr_result("AB12345", 90, None)]
    )
    with pytest.raises(ForbiddenError, match="1630410444"):
        service.ingest("openalpr", frame, sender)
    beat = p.openalpr_heartbeat(
        [(1630410444, "Elm St NB"), (555, "Someone else's camera")], clock.now
    )
    assert service.ingest("openalpr", beat, sender)["kind"] == "heartbeat"
    assert registry.resolve("openalpr", "555") is None  # not this camera's stream: not bound
    assert service.ingest("openalpr", frame, sender)["stored"] == 1
    # another camera cannot use the bound id
    _, other_key = registry.add("Oak", 41.3, -72.9, agency_id="nhpd", adapter="openalpr")
    with pytest.raises(ForbiddenError):
        service.ingest("openalpr", frame, service.authenticate(other_key))
    assert [s.read.camera_id for s in stored(store, clock.now)] == ["elm"]


def test_the_test_ping_stores_nothing(service, elm):
    receipt = service.ingest("openalpr", p.OPENALPR_TEST_PING, service.authenticate(elm[1]))
    assert receipt == {
        "status": "ok",
        "kind": "test",
        "camera_id": "elm",
        "accepted": 0,
        "stored": 0,
        "duplicates": 0,
        "expired": 0,
        "rejected": [],
    }


def test_reads_from_the_future_are_refused_and_expired_ones_dropped(
    registry, pipeline, store, clock, elm
):
    service = IngestService(
        registry, pipeline, clock=clock, limits=IngestLimits(max_age=timedelta(minutes=3))
    )
    sender = service.authenticate(elm[1])
    with pytest.raises(InputError) as err:
        service.ingest("native", _native("ABC123", clock.now + timedelta(hours=2)), sender)
    assert err.value.field == "observed_at"
    body = {
        "reads": [
            {
                "plate": "OLD111",
                "observed_at": (clock.now - timedelta(minutes=10)).isoformat(),
                "confidence": 1,
            },
            {"plate": "NEW222", "observed_at": clock.now.isoformat(), "confidence": 1},
        ]
    }
    receipt = service.ingest("native", body, sender)
    assert (receipt["accepted"], receipt["stored"], receipt["expired"]) == (2, 1, 1)
    assert [s.read.plate for s in stored(store, clock.now)] == ["NEW222"]


def test_each_camera_has_its_own_rate_limit(registry, pipeline, clock, elm):
    service = IngestService(
        registry, pipeline, clock=clock, limits=IngestLimits(rate_per_s=0.5, burst=3)
    )
    _, other_key = registry.add("Oak", 41.3, -72.9, agency_id="nhpd")
    for _ in range(3):
        service.authenticate(elm[1])
    with pytest.raises(RateLimitedError) as err:
        service.authenticate(elm[1])
    assert err.value.http_status == 429 and 0 < err.value.retry_after <= 2.0
    service.authenticate(other_key)  # another camera is unaffected


def test_unknown_adapter_is_an_input_error(service, elm):
    with pytest.raises(InputError) as err:
        service.accept("nope", {}, service.authenticate(elm[1]))
    assert err.value.field == "adapter"
