"""Pushing alerts out: server-sent events to the staff console, signed webhooks, an MQTT topic.

Only alerts are pushed to webhooks and MQTT; possible matches reach the console only,
labelled "possible — verify". Webhooks and MQTT run on one background thread so that a slow
receiver never holds up ingest. The thread works from the ``pending`` deliveries of
``alerts.db`` (queued by the outbox), so what was not delivered before a crash is delivered
after the restart; each delivery's outcome (sent, failed, after how many attempts) replaces
its pending row.

Webhook bodies are signed: ``X-TrustLPR-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of
"<t>." + body>`` with the target's secret; receivers check it with ``verify_signature``.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import threading
import time
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol
from urllib.parse import unquote, urlsplit

import httpx
import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from ..core.clock import Clock, system_clock
from ..core.errors import ConfigError, InputError, StoreError, VerificationError
from .records import AlertRecord, DeliveryTarget

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-TrustLPR-Signature"
DEFAULT_MQTT_TOPIC = "trustlpr/alerts"
_RETRY_STATUS = {408, 425, 429, 500, 502, 503, 504}


def sign(secret: str, body: bytes, at: int) -> str:
    """The signature header value for ``body`` sent at unix time ``at``."""
    mac = hmac.new(secret.encode(), f"{at}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={at},v1={mac}"


def verify_signature(
    secret: str, header: str, body: bytes, *, now: datetime | None = None, tolerance: float = 300.0
) -> None:
    """Raises ``VerificationError`` unless ``header`` signs ``body`` recently with ``secret``.
    ``now`` (default: the current time) must be timezone-aware: a naive one would be read in
    the receiver's local zone and put every signature hours off (``InputError``)."""
    if now is not None and now.utcoffset() is None:
        raise InputError(
            "now must be a timezone-aware datetime, e.g. datetime.now(UTC)", field="now"
        )
    moment = time.time() if now is None else now.timestamp()
    parts = dict(p.split("=", 1) for p in header.split(",") if "=" in p)
    try:
        at = int(parts["t"])
        given = parts["v1"]
    except (KeyError, ValueError) as exc:
        raise VerificationError("signature header is malformed") from exc
    if abs(moment - at) > tolerance:
        raise VerificationError("signature is too old or from the future")
    expected = sign(secret, body, at).split("v1=", 1)[1]
    if not hmac.compare_digest(expected, given):
        raise VerificationError("signature does not match the body")


@dataclass(frozen=True, slots=True)
class SseEvent:
    event: str
    id: str
    data: str

    def encode(self) -> str:
        return f"id: {self.id}\nevent: {self.event}\ndata: {self.data}\n\n"


class Subscription:
    """One console connection: a bounded queue fed from any thread via its event loop."""

    def __init__(self, broker: AlertBroker, loop: asyncio.AbstractEventLoop, size: int) -> None:
        self._broker = broker
        self.loop = loop
        self._queue: asyncio.Queue[SseEvent] = asyncio.Queue(maxsize=size)
        self.lagged = False

    def offer(self, item: SseEvent) -> None:
        """Runs in the loop: queue ``item``, or mark the client lagged so it reconnects."""
        try:
            self._queue.put_nowait(item)
        except asyncio.QueueFull:
            self.lagged = True

    async def get(self, timeout: float) -> SseEvent | None:
        """The next event, or None after ``timeout`` seconds (time for a keep-alive)."""
        try:
            return await asyncio.wait_for(self._queue.get(), timeout)
        except TimeoutError:
            return None

    def close(self) -> None:
        self._broker.unsubscribe(self)


class AlertBroker:
    """Fan-out to server-sent-event subscribers; ``publish`` is safe from any thread."""

    def __init__(self, queue_size: int = 1000) -> None:
        self._size = queue_size
        self._subs: set[Subscription] = set()
        self._lock = threading.Lock()

    def subscribe(self) -> Subscription:
        """Call from inside the event loop that will consume the subscription."""
        sub = Subscription(self, asyncio.get_running_loop(), self._size)
        with self._lock:
            self._subs.add(sub)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        with self._lock:
            self._subs.discard(sub)

    def publish(self, event: SseEvent) -> int:
        """Hands ``event`` to every subscriber; returns how many got it."""
        with self._lock:
            subs = list(self._subs)
        sent = 0
        for sub in subs:
            try:
                sub.loop.call_soon_threadsafe(sub.offer, event)
                sent += 1
            except RuntimeError:  # its loop has closed: the client is gone
                self.unsubscribe(sub)
        return sent

    @property
    def subscribers(self) -> int:
        with self._lock:
            return len(self._subs)


class MqttPublisher:
    """Publishes to ``mqtt://[user:pass@]host[:port][/topic]`` with QoS 1, reconnecting lazily."""

    def __init__(self, url: str, *, timeout: float = 5.0) -> None:
        parts = urlsplit(url)
        if parts.scheme != "mqtt" or not parts.hostname:
            raise ConfigError(f"MQTT target must look like mqtt://host:1883/topic, not {url!r}")
        self.host = parts.hostname
        self.port = parts.port or 1883
        self.topic = unquote(parts.path.lstrip("/")) or DEFAULT_MQTT_TOPIC
        if any(ch in self.topic for ch in "#+"):
            raise ConfigError("an MQTT publish topic cannot contain '#' or '+'")
        self._auth = (
            (unquote(parts.username), unquote(parts.password or "")) if parts.username else None
        )
        self._timeout = timeout
        self._client: mqtt.Client | None = None
        self._connected = threading.Event()
        self._lock = threading.Lock()

    def _on_connect(
        self, client: mqtt.Client, userdata: object, flags: object, rc: object, props: object
    ) -> None:
        if not getattr(rc, "is_failure", False):
            self._connected.set()

    def _on_disconnect(self, *args: object) -> None:
        self._connected.clear()

    def _connect(self) -> mqtt.Client:
        client = mqtt.Client(CallbackAPIVersion.VERSION2)
        if self._auth:
            client.username_pw_set(*self._auth)
        client.on_connect = self._on_connect
        client.on_disconnect = self._on_disconnect
        self._connected.clear()
        client.connect(self.host, self.port, keepalive=30)
        client.loop_start()
        if not self._connected.wait(self._timeout):
            client.loop_stop()
            client.disconnect()
            raise TimeoutError(f"MQTT broker {self.host}:{self.port} did not accept the connection")
        return client

    def publish(self, payload: bytes) -> None:
        """Returns once the broker acknowledged; raises ``OSError``/``RuntimeError`` otherwise."""
        with self._lock:
            if self._client is None or not self._connected.is_set():
                self.close_locked()
                self._client = self._connect()
            info = self._client.publish(self.topic, payload, qos=1)
            info.wait_for_publish(self._timeout)
            if not info.is_published():
                raise TimeoutError("MQTT broker did not acknowledge the alert in time")

    def close_locked(self) -> None:
        if self._client is not None:
            self._client.loop_stop()
            self._client.disconnect()
            self._client = None

    def close(self) -> None:
        with self._lock:
            self.close_locked()


class DeliveryQueue(Protocol):
    """The durable queue the dispatcher works from (``AlertStore``)."""

    def pending_deliveries(
        self, limit: int = 50
    ) -> list[tuple[AlertRecord, bytes | None, DeliveryTarget]]: ...

    def pending_count(self) -> int: ...

    def record_delivery(
        self,
        alert_id: str,
        target_id: int,
        status: str,
        attempts: int,
        error: str | None,
        at: datetime,
    ) -> None: ...


class Dispatcher:
    """Delivers pending alerts to webhooks and MQTT on one background thread, with retries."""

    def __init__(
        self,
        queue: DeliveryQueue,
        *,
        clock: Clock = system_clock,
        attempts: int = 4,
        backoff: float = 0.5,
        timeout: float = 5.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._queue = queue
        self._clock = clock
        self._attempts = max(1, attempts)
        self._backoff = backoff
        self._timeout = timeout
        self._http = httpx.Client(timeout=timeout, transport=transport)
        self._mqtt: dict[str, MqttPublisher] = {}
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def wake(self) -> None:
        """Something is pending: start the thread if need be and let it look."""
        with self._start_lock:
            if self._stop.is_set():
                return
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="alert-dispatch", daemon=True
                )
                self._thread.start()
        self._wake.set()

    def flush(self, timeout: float = 30.0) -> bool:
        """Waits until no delivery is pending (each was sent or gave up); False on timeout."""
        deadline = time.monotonic() + timeout
        try:
            if self._queue.pending_count():
                self.wake()
            while self._queue.pending_count():
                if time.monotonic() > deadline or self._stop.is_set():
                    return False
                time.sleep(0.01)
        except StoreError:
            return False
        return True

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.clear()
            try:
                batch = self._queue.pending_deliveries()
            except StoreError as exc:  # the store closed under us, or the disk failed
                log.error("alert delivery stopped: %s", exc)
                return
            if not batch:
                self._wake.wait(30.0)
                continue
            for record, image, target in batch:
                if self._stop.is_set():
                    return
                payload = json.dumps(record.to_json(image), sort_keys=True).encode()
                if not self._deliver(target, record.id, payload):
                    return

    def _deliver(self, target: DeliveryTarget, alert_id: str, payload: bytes) -> bool:
        """One delivery with retries, its outcome recorded; False if the thread must stop
        (closing: the delivery stays pending for the next start)."""
        error: str | None = None
        attempt = 0
        for attempt in range(1, self._attempts + 1):
            try:
                if target.kind == "webhook":
                    retry, error = self._post(target, alert_id, payload)
                else:
                    self._publisher(target).publish(payload)
                    retry, error = False, None
            except (httpx.HTTPError, OSError, RuntimeError, ValueError, ConfigError) as exc:
                retry, error = True, f"{type(exc).__name__}: {str(exc)[:200]}"
            if error is None:
                return self._outcome(alert_id, target.id, "sent", attempt, None)
            if not retry or attempt == self._attempts:
                break
            if self._stop.wait(self._backoff * 2 ** (attempt - 1)):
                return False
        return self._outcome(alert_id, target.id, "failed", attempt, error)

    def _outcome(
        self, alert_id: str, target_id: int, status: str, attempts: int, error: str | None
    ) -> bool:
        try:
            self._queue.record_delivery(alert_id, target_id, status, attempts, error, self._clock())
        except StoreError as exc:
            log.error("cannot record the delivery of alert %s: %s", alert_id, exc)
            return False
        return True

    def _post(
        self, target: DeliveryTarget, alert_id: str, payload: bytes
    ) -> tuple[bool, str | None]:
        headers = {"Content-Type": "application/json", "X-TrustLPR-Alert-Id": alert_id}
        if target.secret:
            headers[SIGNATURE_HEADER] = sign(target.secret, payload, int(self._clock().timestamp()))
        response = self._http.post(target.url, content=payload, headers=headers)
        if response.is_success:
            return False, None
        return response.status_code in _RETRY_STATUS, f"HTTP {response.status_code}"

    def _publisher(self, target: DeliveryTarget) -> MqttPublisher:
        found = self._mqtt.get(target.url)
        if found is None:
            found = self._mqtt[target.url] = MqttPublisher(target.url, timeout=self._timeout)
        return found

    def close(self, timeout: float = 10.0) -> None:
        """Delivers what is pending (up to ``timeout``), then stops the thread and connections;
        what is still pending then is delivered after the next start."""
        if self._thread is not None:
            self.flush(timeout)
        with self._start_lock:
            self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)
        for publisher in self._mqtt.values():
            publisher.close()
        self._http.close()
