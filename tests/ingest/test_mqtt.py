"""Frigate reads through the real Mosquitto broker at 127.0.0.1:1883, published as Frigate
publishes them (QoS 1 JSON on ``<prefix>/events`` and ``<prefix>/tracked_object_update``)."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Callable, Iterator
from datetime import timedelta

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from trustlpr.core.errors import ConfigError
from trustlpr.ingest import FrigateSubscriber, IngestPipeline, IngestService
from trustlpr.ingest.mqtt import BrokerURL

from . import payloads as p
from .helpers import stored
from .test_pipeline import GatedStore

pytestmark = pytest.mark.mqtt
BROKER = "127.0.0.1"


def wait_for(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail("timed out waiting for the broker")
        time.sleep(0.05)


@pytest.fixture
def prefix() -> Iterator[str]:
    name = f"test-frigate-{secrets.token_hex(4)}"
    yield name
    # drop the persistent session the subscriber left on the broker
    cleaner = mqtt.Client(
        CallbackAPIVersion.VERSION2, client_id=f"trustlpr-{name}", clean_session=True
    )
    cleaner.connect(BROKER, 1883)
    cleaner.disconnect()


@pytest.fixture
def publisher() -> Iterator[mqtt.Client]:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"pub-{secrets.token_hex(4)}")
    client.connect(BROKER, 1883)
    client.loop_start()
    yield client
    client.loop_stop()
    client.disconnect()


def publish(client: mqtt.Client, topic: str, payload: object) -> None:
    raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
    client.publish(topic, raw, qos=1).wait_for_publish(5)


@pytest.fixture
def driveway(registry):
    camera, _ = registry.add(
        "Driveway",
        41.3,
        -72.9,
        agency_id="nhpd",
        adapter="frigate",
        external_id="driveway_cam",
        camera_id="drive",
    )
    return camera


def test_frigate_reads_arrive_through_the_broker(
    service, driveway, store, clock, prefix, publisher
):
    sub = FrigateSubscriber(
        f"mqtt://{BROKER}:1883/{prefix}", service, client_id=f"trustlpr-{prefix}"
    )
    sub.start()
    try:
        when = clock.now - timedelta(seconds=30)
        oid = "1607123955.475377-mxklsc"
        publish(
            publisher,
            f"{prefix}/events",
            p.frigate_event("driveway_cam", oid, None, None, when, "new"),
        )
        publish(
            publisher,
            f"{prefix}/events",
            p.frigate_event("driveway_cam", oid, "ABC1234", 0.93, when),
        )
        publish(
            publisher,
            f"{prefix}/tracked_object_update",
            p.frigate_lpr("driveway_cam", oid, "ABC1234", 0.95, when),
        )
        publish(
            publisher,
            f"{prefix}/tracked_object_update",
            {"type": "description", "id": oid, "description": "a car"},
        )
        publish(
            publisher,
            f"{prefix}/events",
            p.frigate_event(
                "driveway_cam",
                "1607124000.1-abcdef",
                "XYZ987",
                0.88,
                when + timedelta(seconds=20),
                "end",
            ),
        )
        publish(
            publisher, f"{prefix}/events", p.frigate_event("garage_cam", "9", "QQQ111", 0.9, when)
        )
        publish(publisher, f"{prefix}/events", b"{not json")
        wait_for(lambda: sub.stats["received"] >= 7 and service.pipeline.pending == 0)
        wait_for(lambda: len(stored(store, when)) >= 2)
        time.sleep(0.2)
    finally:
        sub.stop()
    reads = sorted((s.read.plate, s.read.camera_id) for s in stored(store, when))
    assert reads == [("ABC1234", "drive"), ("XYZ987", "drive")]
    assert sub.stats["unknown_camera"] == 1
    assert sub.stats["rejected"] == 2  # unknown camera and the broken message, both acked


def test_a_message_is_acknowledged_only_once_durable(
    registry, store, audit, clock, driveway, prefix, publisher
):
    gated = GatedStore(store)
    gated.gate.clear()
    pipeline = IngestPipeline(gated, audit=audit, clock=clock)
    service = IngestService(registry, pipeline, clock=clock)
    client_id = f"trustlpr-{prefix}"
    url = f"mqtt://{BROKER}:1883/{prefix}"
    try:
        first = FrigateSubscriber(url, service, client_id=client_id)
        first.start()
        publish(
            publisher,
            f"{prefix}/tracked_object_update",
            p.frigate_lpr("driveway_cam", "42.0-a", "HELD01", 0.9, clock.now),
        )
        wait_for(lambda: first.stats["received"] == 1)
        first.stop()  # dies before the read was durable: nothing acknowledged
        gated.gate.set()
        wait_for(lambda: pipeline.pending == 0)
        second = FrigateSubscriber(url, service, client_id=client_id)
        second.start()  # same persistent session: the broker delivers the message again
        try:
            wait_for(lambda: second.stats["stored"] == 1)
        finally:
            second.stop()
    finally:
        pipeline.close()
    assert [s.read.plate for s in stored(store, clock.now)] == ["HELD01"]  # once, not twice


def test_broker_urls():
    url = BrokerURL.parse("mqtts://user:p%40ss@broker.example/site/frigate")
    assert (url.host, url.port, url.tls, url.username, url.password, url.prefix) == (
        "broker.example",
        8883,
        True,
        "user",
        "p@ss",
        "site/frigate",
    )
    assert "p@ss" not in repr(url)
    assert BrokerURL.parse("127.0.0.1").prefix == "frigate"
    with pytest.raises(ConfigError):
        BrokerURL.parse("http://host")


def test_an_unreachable_broker_is_a_config_error(service):
    sub = FrigateSubscriber("mqtt://127.0.0.1:1", service)
    with pytest.raises(ConfigError, match="cannot reach"):
        sub.start()
