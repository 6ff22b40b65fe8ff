"""No message stops the Frigate subscriber, through the real Mosquitto at 127.0.0.1:1883.

Issue 12 item 10 (a 5,000-digit number killed paho's thread for good, and the broker sent it
again after every restart) and issue 13 item 12 (a fixed client id shared by two nodes, QoS 0
unseen, an unknown camera logged for every message)."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from trustlpr.ingest import FrigateSubscriber

from . import conformance as c
from .helpers import stored
from .test_mqtt import BROKER, driveway, prefix, publish, publisher, wait_for  # noqa: F401
from .test_web import _client

pytestmark = pytest.mark.mqtt
HUGE = b'{"type": "lpr", "camera": "driveway_cam", "score": ' + b"9" * 5000 + b"}"


def _forget_session(client_id: str) -> None:
    cleaner = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=client_id, clean_session=True)
    cleaner.connect(BROKER, 1883)
    cleaner.disconnect()


@pytest.fixture
def subscriber(service, prefix) -> Iterator[FrigateSubscriber]:  # noqa: F811
    sub = FrigateSubscriber(
        f"mqtt://{BROKER}:1883/{prefix}", service, client_id=f"trustlpr-{prefix}"
    )
    sub.start()
    yield sub
    sub.stop()


def test_a_malformed_message_is_rejected_acknowledged_and_ingest_goes_on(
    service,
    driveway,  # noqa: F811
    store,
    clock,
    prefix,  # noqa: F811
    publisher,  # noqa: F811
    subscriber,
    caplog,
):
    caplog.set_level(logging.WARNING, logger="trustlpr.ingest")
    when = clock.now
    for _ in range(3):
        publish(publisher, f"{prefix}/tracked_object_update", HUGE)
    publish(publisher, f"{prefix}/events", b"[1, 2, 3]")  # JSON, not a Frigate message
    publish(publisher, f"{prefix}/tracked_object_update", {"type": "lpr", "camera": [1]})
    good = c.frigate_lpr("driveway_cam", "1.5-b", "GOOD123", 0.94, when)
    publish(publisher, f"{prefix}/tracked_object_update", good)
    wait_for(lambda: subscriber.stats["stored"] == 1)
    assert [s.read.plate for s in stored(store, when)] == ["GOOD123"]
    assert subscriber._client._thread is not None and subscriber._client._thread.is_alive()
    mqtt_state = service.health.snapshot()["subsystems"]["mqtt"]
    assert mqtt_state["state"] == "subscribed" and mqtt_state["healthy"]
    assert mqtt_state["counts"]["rejected_not_json"] == 3
    assert mqtt_state["counts"]["stored"] == 1
    assert "not JSON" in mqtt_state["last_error"] or "rejected" in mqtt_state["last_error"]
    not_json = [r for r in caplog.records if "not JSON" in r.getMessage()]
    assert len(not_json) == 1  # logged once per cause, then counted
    assert "9999" not in caplog.text  # the payload itself is never logged


def test_a_restarted_subscriber_does_not_get_the_bad_message_again(
    service,
    driveway,  # noqa: F811
    store,
    clock,
    prefix,  # noqa: F811
    publisher,  # noqa: F811
):
    url, client_id = f"mqtt://{BROKER}:1883/{prefix}", f"trustlpr-{prefix}"
    first = FrigateSubscriber(url, service, client_id=client_id)
    first.start()
    publish(publisher, f"{prefix}/tracked_object_update", HUGE)
    wait_for(lambda: first.stats["rejected"] == 1)
    time.sleep(0.3)  # let the acknowledgment reach the broker before disconnecting
    first.stop()
    second = FrigateSubscriber(url, service, client_id=client_id)
    second.start()  # the persistent session: anything unacknowledged would come back now
    try:
        publish(publisher, f"{prefix}/tracked_object_update",
                c.frigate_lpr("driveway_cam", "2.0-c", "AFTER01", 0.9, clock.now))  # fmt: skip
        wait_for(lambda: second.stats["stored"] == 1)
    finally:
        second.stop()
    assert second.stats["rejected"] == 0 and second.stats["received"] == 1


def test_healthz_reports_the_subscriber(
    service,
    driveway,  # noqa: F811
    prefix,  # noqa: F811
    publisher,  # noqa: F811
):
    sub = FrigateSubscriber(f"mqtt://{BROKER}:1883/{prefix}", service,
                            client_id=f"trustlpr-{prefix}")  # fmt: skip
    with _client(service) as client:
        client.app.state.ingest_service = service
        sub.start()
        try:
            publish(publisher, f"{prefix}/tracked_object_update", HUGE)
            wait_for(lambda: sub.stats["rejected"] == 1)
            r = client.get("/healthz")
            assert r.status_code == 200, r.text
            mqtt_state = r.json()["ingest"]["mqtt"]
            assert mqtt_state["state"] == "subscribed"
            assert mqtt_state["counts"]["rejected_not_json"] == 1
            assert mqtt_state["granted_qos"] == [1, 1]
        finally:
            sub.stop()
        r = client.get("/healthz")
        assert r.status_code == 503 and r.json()["status"] == "degraded"
        assert r.json()["ingest"]["mqtt"]["state"] == "stopped"


def test_unknown_cameras_are_counted_and_logged_once_each(
    service,
    subscriber,
    prefix,  # noqa: F811
    publisher,  # noqa: F811
    clock,
    caplog,
):
    caplog.set_level(logging.WARNING, logger="trustlpr.ingest")
    for i in range(5):
        publish(publisher, f"{prefix}/tracked_object_update",
                c.frigate_lpr("garage_cam", f"{i}.0-g", "QQQ111", 0.9, clock.now))  # fmt: skip
    for i in range(2):
        publish(publisher, f"{prefix}/tracked_object_update",
                c.frigate_lpr("shed_cam", f"{i}.0-s", "QQQ222", 0.9, clock.now))  # fmt: skip
    wait_for(lambda: subscriber.stats["received"] == 7)
    assert subscriber.stats["unknown_camera"] == 7
    counts = service.health.snapshot()["subsystems"]["mqtt"]["counts"]
    assert counts["rejected_unknown_camera"] == 7
    logged = [
        r.getMessage() for r in caplog.records if "no enabled frigate camera" in r.getMessage()
    ]
    assert len(logged) == 2
    assert any("garage_cam" in m for m in logged) and any("shed_cam" in m for m in logged)


def test_a_qos_0_subscription_is_warned_about(service, prefix, caplog):  # noqa: F811
    caplog.set_level(logging.WARNING, logger="trustlpr.ingest")
    sub = FrigateSubscriber(f"mqtt://{BROKER}:1883/{prefix}", service,
                            client_id=f"trustlpr-{prefix}", qos=0)  # fmt: skip
    sub.start()
    sub.stop()
    assert any("QoS 0" in r.getMessage() and "mqtt.qos" in r.getMessage() for r in caplog.records)


def test_two_nodes_on_one_broker_keep_their_own_sessions(
    service,
    driveway,  # noqa: F811
    store,
    clock,
    prefix,  # noqa: F811
    publisher,  # noqa: F811
    tmp_path: Path,
):
    from trustlpr.ingest.mqtt import default_client_id

    ids = [default_client_id(tmp_path / "node-a"), default_client_id(tmp_path / "node-b")]
    assert ids[0] != ids[1] and ids[0] == default_client_id(tmp_path / "node-a")
    other = f"{prefix}-other"
    a = FrigateSubscriber(f"mqtt://{BROKER}:1883/{prefix}", service, client_id=None)
    a_id = default_client_id()
    assert a.client_id == a_id
    a = FrigateSubscriber(f"mqtt://{BROKER}:1883/{prefix}", service, client_id=ids[0])
    b = FrigateSubscriber(f"mqtt://{BROKER}:1883/{other}", service, client_id=ids[1])
    a.start()
    b.start()
    try:
        time.sleep(0.5)  # with one shared id the broker would now have dropped the first
        publish(publisher, f"{prefix}/tracked_object_update",
                c.frigate_lpr("driveway_cam", "3.0-d", "NODEA01", 0.9, clock.now))  # fmt: skip
        wait_for(lambda: a.stats["stored"] == 1)
        assert a.ready.is_set() and b.ready.is_set()
    finally:
        a.stop()
        b.stop()
        for client_id in ids:
            _forget_session(client_id)
