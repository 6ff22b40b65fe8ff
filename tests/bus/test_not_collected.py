"""A front-end (``--role ingest``) drops a mobile unit's reads taken near a school, as the node
does, and its counts reach the writer in the bus batch (a count-only batch when nothing of the
submission is left): the writer's public log counts them once, on the real NATS server."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.ingest.helpers import not_collected_counts
from trustlpr.bus import BusConfig
from trustlpr.cameras import PLACES_FILE, CameraSettings
from trustlpr.runtime import FrontEnd, System, initialise
from trustlpr.settings import Settings

from .conftest import NATS_URL, BusNode, _delete_streams

pytestmark = pytest.mark.slow

SCHOOL = (47.6101, -122.3421)
NEAR = (SCHOOL[0] + 0.0009, SCHOOL[1])  # ~100 m: inside Washington's 150 m
FAR = (47.6205, -122.3493)


@pytest.fixture
def wa_node(tmp_path: Path) -> Iterator[BusNode]:
    data = tmp_path / "node"
    settings = Settings.load(data, env={}, agency_id="spd", agency_state="WA",
                             policy="wa-sb-6002")  # fmt: skip
    initialise(settings)
    school = {"type": "Feature", "properties": {"amenity": "school", "name": "Pike Elementary"},
              "geometry": {"type": "Point", "coordinates": [SCHOOL[1], SCHOOL[0]]}}  # fmt: skip
    (data / PLACES_FILE).write_text(json.dumps({"type": "FeatureCollection",
                                                "features": [school]}))  # fmt: skip
    with System(settings) as system:
        key = system.cameras.add("Cruiser 3", *FAR, agency_id="spd", camera_id="car3",
                                 settings=CameraSettings(mobile=True))[1]  # fmt: skip
    url = f"{NATS_URL}/T{secrets.token_hex(6)}"
    config = BusConfig.parse(url, agency_id="spd")
    try:
        yield BusNode(data, settings, config, key, url)
    finally:
        _delete_streams(config)


def _payload(spots: list[tuple[str, tuple[float, float]]]) -> dict[str, object]:
    now = datetime.now(UTC)
    return {"reads": [{"plate": plate, "observed_at": (now - timedelta(seconds=i)).isoformat(),
                       "confidence": 0.9, "state": "WA", "lat": lat, "lon": lon}
                      for i, (plate, (lat, lon)) in enumerate(spots)]}  # fmt: skip


def test_a_front_ends_not_collected_counts_are_published_by_the_writer(wa_node: BusNode) -> None:
    with System(wa_node.settings) as system:
        system.bus_writer(wa_node.bus).start()
        with FrontEnd(wa_node.settings, wa_node.bus) as front:
            camera = front.ingest_service.authenticate(wa_node.camera_key)
            mixed = front.ingest_service.ingest(
                "native", _payload([("WHT4821", FAR), ("WSQ7731", NEAR), ("WSQ7732", NEAR)]),
                camera,
            )  # fmt: skip
            assert (mixed["accepted"], mixed["stored"]) == (3, 1)
            alone = front.ingest_service.ingest("native", _payload([("WSQ7733", NEAR)]), camera)
            assert (alone["accepted"], alone["stored"], alone["rejected"]) == (1, 0, [])
            # a second count-only submission of equal counts is not taken for a duplicate
            again = front.ingest_service.ingest("native", _payload([("WSQ7734", NEAR)]), camera)
            assert again["accepted"] == 1
            assert front.ingest_service.collection is not None
            assert front.ingest_service.collection.flush() == 0  # a front-end logs nothing
        deadline = time.monotonic() + 60
        while system.collection.stats["school"] < 4:
            if time.monotonic() > deadline:
                pytest.fail(f"the writer tallied {system.collection.stats} of 4 school reads")
            time.sleep(0.05)
        assert not_collected_counts(system) == []  # tallied, published at the hourly flush
        assert system.collection.flush() == 4
        assert not_collected_counts(system) == [{"category": "school", "count": 4}]
        now = datetime.now(UTC)
        stored = system.store.scan(now - timedelta(days=1), now + timedelta(hours=1))
        assert sorted(s.read.plate for s in stored) == ["WHT4821"]
