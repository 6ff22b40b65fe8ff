"""Delivery over real transports: SSE through uvicorn, a webhook receiver, Mosquitto."""

from __future__ import annotations

import json
import queue
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion

from tests.conftest import FakeClock
from tests.hotlist.conftest import ENTRY, make_read
from tests.hotlist.servers import AppServer, WebhookReceiver
from trustlpr.core.errors import InputError, VerificationError
from trustlpr.core.identity import Role, User
from trustlpr.hotlist import SIGNATURE_HEADER, HotlistService, verify_signature
from trustlpr.hotlist.delivery import sign
from trustlpr.settings import Settings
from trustlpr.web.app import create_app

SECRET = "webhook-secret-0123456789"


@pytest.fixture
def listed(service: HotlistService) -> HotlistService:
    service.add_entry(ENTRY, list_id="ncic", actor="sup")
    return service


def test_signature_round_trip_and_tampering() -> None:
    now = datetime(2026, 11, 1, tzinfo=UTC)
    header = sign(SECRET, b'{"a":1}', int(now.timestamp()))
    verify_signature(SECRET, header, b'{"a":1}', now=now)
    for bad_secret, body, hdr in (
        ("other-secret-0123456789", b'{"a":1}', header),
        (SECRET, b'{"a":2}', header),
        (SECRET, b'{"a":1}', "t=1,v1=00"),
        (SECRET, b'{"a":1}', "garbage"),
    ):
        with pytest.raises(VerificationError):
            verify_signature(bad_secret, hdr, body, now=now)


def test_signature_check_refuses_a_naive_now_and_defaults_to_the_current_time() -> None:
    """A naive ``now`` would be read in the receiver's local zone (issue 25 item 7)."""
    body = b'{"a":1}'
    header = sign(SECRET, body, int(time.time()))
    with pytest.raises(InputError, match="timezone-aware"):
        verify_signature(SECRET, header, body, now=datetime(2026, 11, 1, 12, 0))
    verify_signature(SECRET, header, body)
    with pytest.raises(VerificationError):
        verify_signature(SECRET, sign(SECRET, body, int(time.time()) - 3600), body)


def test_webhook_receives_signed_alert_after_retries(
    listed: HotlistService, clock: FakeClock
) -> None:
    with WebhookReceiver(fail_first=2) as hook:
        target = listed.alerts.add_target(hook.url, actor="adm", secret=SECRET)
        listed.on_reads([make_read("ABC1234", "CT", clock.now)], {0: b"jpeg-bytes"})
        listed.on_reads([make_read("A8C1234", "CT", clock.now)])  # possible: never pushed
        assert listed.alerts.dispatcher.flush(20)
    assert len(hook.requests) == 3  # two 503s, then delivered
    headers, body = hook.requests[-1]
    verify_signature(SECRET, headers[SIGNATURE_HEADER], body, now=clock.now)
    payload = json.loads(body)
    assert payload["kind"] == "alert" and payload["read"]["plate"] == "ABC1234"
    assert payload["entry"]["case_number"] == "2026-000123"
    assert payload["image_b64"] == "anBlZy1ieXRlcw=="
    assert headers["X-TrustLPR-Alert-Id"] == payload["id"]
    (delivery,) = listed.alerts.store.deliveries(payload["id"])
    assert delivery == {"target_id": target.id, "status": "sent", "attempts": 3, "error": None}


def test_webhook_that_keeps_failing_is_recorded_as_failed(
    listed: HotlistService, clock: FakeClock
) -> None:
    with WebhookReceiver(fail_first=100, status=400) as hook:
        listed.alerts.add_target(hook.url, actor="adm", secret=SECRET)
        listed.on_reads([make_read("ABC1234", "CT", clock.now)])
        assert listed.alerts.dispatcher.flush(20)
    assert len(hook.requests) == 1  # a 400 is not retried
    (alert,) = listed.alerts.list_alerts()
    (delivery,) = listed.alerts.store.deliveries(alert.id)
    assert (delivery["status"], delivery["error"]) == ("failed", "HTTP 400")


def test_unreachable_webhook_is_retried_then_failed(
    listed: HotlistService, clock: FakeClock
) -> None:
    listed.alerts.add_target("http://127.0.0.1:9/none", actor="adm", secret=SECRET)
    listed.on_reads([make_read("ABC1234", "CT", clock.now)])
    assert listed.alerts.dispatcher.flush(30)
    (alert,) = listed.alerts.list_alerts()
    (delivery,) = listed.alerts.store.deliveries(alert.id)
    assert delivery["status"] == "failed" and delivery["attempts"] == 4
    assert "ConnectError" in delivery["error"]


@pytest.mark.mqtt
def test_alert_is_published_to_the_real_mosquitto_broker(
    listed: HotlistService, clock: FakeClock
) -> None:
    topic = f"trustlpr-test/{secrets.token_hex(4)}/alerts"
    received: queue.Queue[bytes] = queue.Queue()
    subscribed = threading.Event()
    sub = mqtt.Client(CallbackAPIVersion.VERSION2)
    sub.on_connect = lambda c, u, f, rc, p: c.subscribe(topic, qos=1)
    sub.on_subscribe = lambda c, u, mid, rcs, p: subscribed.set()
    sub.on_message = lambda c, u, msg: received.put(msg.payload)
    sub.connect("127.0.0.1", 1883)
    sub.loop_start()
    try:
        assert subscribed.wait(10), "could not subscribe at the broker on 127.0.0.1:1883"
        target = listed.alerts.add_target(f"mqtt://127.0.0.1:1883/{topic}", actor="adm")
        listed.on_reads([make_read("A8C1234", "CT", clock.now)])  # possible: not published
        listed.on_reads([make_read("ABC1234", "CT", clock.now)], {0: b"img"})
        assert listed.alerts.dispatcher.flush(20)
        payload = json.loads(received.get(timeout=10))
        assert payload["kind"] == "alert" and payload["read"]["plate"] == "ABC1234"
        assert payload["image_b64"] == "aW1n"
        assert received.empty()
        alert = listed.alerts.get(payload["id"])
        assert listed.alerts.store.deliveries(alert.id)[0]["target_id"] == target.id
    finally:
        sub.loop_stop()
        sub.disconnect()


@dataclass
class FakeSystem:
    """What the alerts router needs from the composition root."""

    hotlists: HotlistService
    user: User = field(default_factory=lambda: User("ofc-1", "ctpd", Role.OFFICER))
    settings: Settings = field(default_factory=Settings)

    def authenticate(self, request: Any) -> User:
        return self.user


def _events(lines: Iterator[str], wanted: int) -> list[tuple[str, str, dict[str, Any]]]:
    found: list[tuple[str, str, dict[str, Any]]] = []
    event = event_id = ""
    for line in lines:
        if line.startswith("event: "):
            event = line[7:]
        elif line.startswith("id: "):
            event_id = line[4:]
        elif line.startswith("data: ") and event:
            found.append((event, event_id, json.loads(line[6:])))
            if len(found) == wanted:
                return found
    return found


def test_alerts_stream_to_the_console_over_sse(listed: HotlistService, clock: FakeClock) -> None:
    app = create_app(FakeSystem(listed))
    with AppServer(app) as server, httpx.Client(base_url=server.url, timeout=10) as client:
        with client.stream("GET", "/api/v1/alerts/stream") as response:
            assert response.status_code == 200
            assert response.headers["content-type"].startswith("text/event-stream")
            lines = response.iter_lines()
            assert next(lines) == "retry: 3000"
            listed.on_reads([make_read("ABC1234", "CT", clock.now)])
            listed.on_reads([make_read("A8C1234", "CT", clock.now)])
            (alert, possible) = _events(lines, 2)
            assert alert[0] == "alert" and alert[2]["read"]["plate"] == "ABC1234"
            assert possible[0] == "possible" and possible[2]["label"] == "possible — verify"
            listed.alerts.verify(alert[1], "confirmed", note="matches", user="ofc-1")
            ((kind, event_id, body),) = _events(lines, 1)
            assert (kind, event_id, body["status"]) == ("verified", alert[1], "confirmed")
        # a console reconnecting after the first alert gets what it missed
        with client.stream(
            "GET", "/api/v1/alerts/stream", headers={"Last-Event-ID": alert[1]}
        ) as response:
            ((kind, event_id, body),) = _events(response.iter_lines(), 1)
            assert (kind, event_id) == ("possible", possible[1])
    assert listed.alerts.broker.subscribers == 0
