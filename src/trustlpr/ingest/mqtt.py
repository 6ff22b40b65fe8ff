"""Frigate over MQTT: subscribe to ``frigate/events`` and ``frigate/tracked_object_update``.

The subscriber keeps a persistent session (fixed client id, ``clean_session=False``) and
acknowledges each QoS 1 message only after its reads are durable (paho's ``manual_ack``):
if TrustLPR dies mid-way, the broker delivers the message again. Messages are trusted as far
as the broker is (its own credentials and ACLs); a Frigate camera name becomes one of our
cameras only if that camera is registered with adapter ``frigate`` and the name as its
external id (or id). Messages for unknown cameras and bad payloads are counted, logged
without their content, and acknowledged so they do not come back forever.
"""

from __future__ import annotations

import json
import logging
import ssl
import threading
import time
from collections import Counter
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

from ..core.errors import ConfigError, InputError, NotFoundError, OverloadedError, TrustLPRError
from .frigate import NAME as FRIGATE
from .frigate import camera_name
from .pipeline import IngestResult
from .service import IngestService

log = logging.getLogger(__name__)
TOPICS = ("events", "tracked_object_update")


@dataclass(frozen=True)
class BrokerURL:
    """``mqtt://[user[:password]@]host[:port][/topic_prefix]`` (``mqtts://`` for TLS)."""

    host: str
    port: int
    tls: bool
    username: str | None
    password: str | None
    prefix: str

    @classmethod
    def parse(cls, url: str) -> BrokerURL:
        parts = urlsplit(url if "://" in url else f"mqtt://{url}")
        if parts.scheme not in ("mqtt", "mqtts", "tcp", "ssl") or not parts.hostname:
            raise ConfigError(f"{url!r} is not an MQTT URL like mqtt://host:1883/frigate")
        tls = parts.scheme in ("mqtts", "ssl")
        try:
            port = parts.port or (8883 if tls else 1883)
        except ValueError as exc:
            raise ConfigError(f"{url!r} has a bad port") from exc
        return cls(
            host=parts.hostname,
            port=port,
            tls=tls,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            prefix=parts.path.strip("/") or "frigate",
        )

    def __repr__(self) -> str:  # the password never reaches a log
        return f"BrokerURL(host={self.host!r}, port={self.port}, prefix={self.prefix!r})"


class FrigateSubscriber:
    """Feeds Frigate's plate reads from an MQTT broker into an ``IngestService``."""

    def __init__(
        self,
        url: str,
        service: IngestService,
        *,
        client_id: str = "trustlpr-ingest",
        qos: int = 1,
        patience: float = 10.0,
    ) -> None:
        self.broker = BrokerURL.parse(url)
        self.patience = patience
        self._service = service
        self._qos = qos
        self.stats: Counter[str] = Counter()
        self.ready = threading.Event()
        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            clean_session=False,
            manual_ack=True,
        )
        if self.broker.username:
            self._client.username_pw_set(self.broker.username, self.broker.password)
        if self.broker.tls:
            self._client.tls_set(cert_reqs=ssl.CERT_REQUIRED)
        self._client.on_connect = self._on_connect
        self._client.on_disconnect = self._on_disconnect
        self._client.on_subscribe = self._on_subscribe
        self._client.on_message = self._on_message

    @property
    def topics(self) -> list[str]:
        return [f"{self.broker.prefix}/{t}" for t in TOPICS]

    def start(self, timeout: float = 10.0) -> None:
        """Connects and subscribes in a background thread; ``ConfigError`` if unreachable."""
        try:
            self._client.connect(self.broker.host, self.broker.port, keepalive=30)
        except OSError as exc:
            raise ConfigError(
                f"cannot reach the MQTT broker {self.broker.host}:{self.broker.port}: {exc}"
            ) from exc
        self._client.loop_start()
        if not self.ready.wait(timeout):
            self.stop()
            raise ConfigError(
                f"the MQTT broker {self.broker.host} did not accept the connection and subscription"
            )

    def stop(self) -> None:
        self._client.disconnect()
        self._client.loop_stop()

    # -- callbacks (paho's network thread) ----------------------------------------------------

    def _on_connect(self, client: mqtt.Client, _: Any, __: Any, reason: Any, ___: Any) -> None:
        if reason.is_failure:
            log.error("MQTT broker refused the connection: %s", reason)
            return
        client.subscribe([(topic, self._qos) for topic in self.topics])

    def _on_subscribe(self, _: mqtt.Client, __: Any, ___: int, codes: Any, ____: Any) -> None:
        if any(code.is_failure for code in codes):
            log.error("MQTT broker refused the subscription to %s", self.topics)
            return
        self.ready.set()  # subscribed, not merely connected: nothing published is missed

    def _on_disconnect(self, *_: Any) -> None:
        self.ready.clear()

    def _on_message(self, client: mqtt.Client, _: Any, msg: mqtt.MQTTMessage) -> None:
        self.stats["received"] += 1
        try:
            future = self._handle_patiently(bytes(msg.payload))
        except OverloadedError:
            # Left unacknowledged: the broker sends it again after the next reconnect.
            self.stats["overloaded"] += 1
            log.error("ingest queue stayed full; a frigate message waits for redelivery")
            return
        except TrustLPRError as exc:
            self.stats["rejected"] += 1
            log.warning("frigate message on %s rejected: %s", msg.topic, exc.message)
            client.ack(msg.mid, msg.qos)
            return
        if future is None:
            client.ack(msg.mid, msg.qos)
            return
        future.add_done_callback(lambda done: self._done(client, msg, done))

    def _done(self, client: mqtt.Client, msg: mqtt.MQTTMessage, done: Future[Any]) -> None:
        if done.exception() is None:
            self.stats["stored"] += 1
            client.ack(msg.mid, msg.qos)
        else:  # not durable: leave unacknowledged so the broker sends it again
            self.stats["failed"] += 1
            log.error("frigate reads not stored: %s", done.exception())

    def _handle_patiently(self, raw: bytes) -> Future[IngestResult] | None:
        """While the pipeline is full, wait (briefly) instead of dropping: blocking this
        thread stops reading from the broker, which is the back-pressure MQTT has."""
        deadline = time.monotonic() + self.patience
        while True:
            try:
                return self._handle(raw)
            except OverloadedError as exc:
                if time.monotonic() + exc.retry_after > deadline:
                    raise
                time.sleep(min(exc.retry_after, 1.0))

    def _handle(self, raw: bytes) -> Future[IngestResult] | None:
        try:
            payload = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
            raise InputError(f"not JSON: {str(exc)[:60]}", field="payload") from None
        name = camera_name(payload)
        if name is None:
            self.stats["ignored"] += 1
            return None
        camera = self._service.cameras.resolve(FRIGATE, name)
        if camera is None or not camera.camera.enabled:
            self.stats["unknown_camera"] += 1
            raise NotFoundError(f"no enabled frigate camera named {name[:64]!r}")
        submission = self._service.accept(FRIGATE, payload, camera)
        if submission.future is None:
            self.stats["ignored"] += 1
        return submission.future
