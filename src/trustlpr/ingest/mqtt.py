"""Frigate over MQTT: subscribe to ``frigate/events`` and ``frigate/tracked_object_update``.

The subscriber keeps a persistent session (``clean_session=False``) under a client id that
is stable for this node and unique to it (``default_client_id``: two nodes on one broker with
one id would take over each other's session), and acknowledges each QoS 1 message only after
its reads are durable (paho's ``manual_ack``): if TrustLPR dies mid-way, the broker delivers
the message again. The broker keeps messages for an offline subscriber only if they were
*published* at QoS 1 or 2; Frigate publishes at ``mqtt.qos`` 0 unless configured, which is
warned about at start-up when the subscription itself was granted QoS 0.

No message stops the subscriber: a payload that is not JSON, holds a number beyond Python's
limits, is not a Frigate message, names an unknown camera, or makes any part of ingest fail
is counted by cause (``health``), logged once per cause (or camera), acknowledged so it does
not come back forever, and the next message is read. Messages are trusted as far as the
broker is (its own credentials and ACLs); a Frigate camera name becomes one of our cameras
only if that camera is registered with adapter ``frigate`` and the name as its external id
(or id).
"""

from __future__ import annotations

import hashlib
import json
import logging
import socket
import ssl
import threading
import time
from collections import Counter
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
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
SUBSYSTEM = "mqtt"
MAX_PAYLOAD = 1024 * 1024
"""Largest message taken (Frigate's event JSON is a few kB; it never sends images here)."""


def default_client_id(data_dir: Path | None = None) -> str:
    """``trustlpr-<host>-<8 hex of the data directory>``: the same for one node across
    restarts (its persistent session keeps unacknowledged messages), different for two nodes
    on one broker (a shared id makes the broker drop one connection for the other)."""
    host = "".join(ch for ch in socket.gethostname() if ch.isalnum() or ch in "-_")[:32]
    where = str((data_dir or Path.cwd()).resolve())
    digest = hashlib.sha256(where.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"trustlpr-{host or 'node'}-{digest}"


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
        client_id: str | None = None,
        qos: int = 1,
        patience: float = 10.0,
    ) -> None:
        self.broker = BrokerURL.parse(url)
        self.patience = patience
        self.client_id = client_id or default_client_id()
        if not 0 < len(self.client_id.encode()) <= 128:
            raise ConfigError("the MQTT client id must be 1 to 128 bytes")
        self._service = service
        self._health = service.health
        self._qos = qos
        self.stats: Counter[str] = Counter()
        self.ready = threading.Event()
        self.granted_qos: list[int] = []
        self._health.set_state(SUBSYSTEM, "starting", healthy=False, client_id=self.client_id)
        self._client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=self.client_id,
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
        except (OSError, ValueError) as exc:
            self._health.set_state(SUBSYSTEM, "unreachable", healthy=False)
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
        self._health.set_state(SUBSYSTEM, "stopped", healthy=False)

    # -- callbacks (paho's network thread) ----------------------------------------------------

    def _on_connect(self, client: mqtt.Client, _: Any, __: Any, reason: Any, ___: Any) -> None:
        if reason.is_failure:
            self._health.set_state(SUBSYSTEM, "refused", healthy=False)
            self._health.reject(SUBSYSTEM, "connect_refused", f"MQTT broker refused: {reason}",
                                logger=log, level=logging.ERROR)  # fmt: skip
            return
        self._health.set_state(SUBSYSTEM, "connected", healthy=False)
        client.subscribe([(topic, self._qos) for topic in self.topics])

    def _on_subscribe(self, _: mqtt.Client, __: Any, ___: int, codes: Any, ____: Any) -> None:
        if any(code.is_failure for code in codes):
            self._health.set_state(SUBSYSTEM, "subscription_refused", healthy=False)
            self._health.reject(SUBSYSTEM, "subscribe_refused",
                                f"MQTT broker refused the subscription to {self.topics}",
                                logger=log, level=logging.ERROR)  # fmt: skip
            return
        self.granted_qos = [int(code.value) for code in codes]
        if min(self.granted_qos, default=0) == 0:
            log.warning(
                "the MQTT subscription to %s runs at QoS 0: messages published while TrustLPR "
                "is down are lost. Ask the broker for QoS 1, and set Frigate's mqtt.qos to 1 "
                "(its default is 0) so the broker keeps them for TrustLPR.",
                self.topics,
            )
        self._health.set_state(
            SUBSYSTEM, "subscribed", healthy=True, granted_qos=list(self.granted_qos)
        )
        self.ready.set()  # subscribed, not merely connected: nothing published is missed

    def _on_disconnect(self, *_: Any) -> None:
        self.ready.clear()
        self._health.set_state(SUBSYSTEM, "disconnected", healthy=False)

    def _on_message(self, client: mqtt.Client, _: Any, msg: mqtt.MQTTMessage) -> None:
        """Never raises: whatever the message does, it is acknowledged (or, if ingest is full
        or failed to store it, left for redelivery) and the next one is read."""
        self.stats["received"] += 1
        self._health.count(SUBSYSTEM, "received")
        try:
            future = self._handle_patiently(bytes(msg.payload))
        except OverloadedError:
            # Left unacknowledged: the broker sends it again after the next reconnect.
            self.stats["overloaded"] += 1
            self._health.reject(SUBSYSTEM, "overloaded",
                                "ingest queue stayed full; frigate messages wait for redelivery",
                                logger=log, level=logging.ERROR)  # fmt: skip
            return
        except _Refused as refused:
            self._reject(client, msg, refused.cause, refused.error.message, refused.key)
            return
        except TrustLPRError as exc:
            self._reject(client, msg, type(exc).__name__, exc.message, type(exc).__name__)
            return
        except Exception as exc:  # a bug must cost one message, never the subscriber
            self.stats["failed"] += 1
            self._health.reject(SUBSYSTEM, "internal_error",
                                f"frigate message on {msg.topic} failed: {type(exc).__name__}",
                                key=type(exc).__name__, logger=log,
                                level=logging.ERROR)  # fmt: skip
            log.debug("internal error on a frigate message", exc_info=True)
            self._ack(client, msg)
            return
        if future is None:
            self._ack(client, msg)
            return
        future.add_done_callback(lambda done: self._done(client, msg, done))

    def _reject(
        self, client: mqtt.Client, msg: mqtt.MQTTMessage, cause: str, message: str, key: str
    ) -> None:
        self.stats["rejected"] += 1
        self._health.reject(SUBSYSTEM, f"rejected_{cause}",
                            f"frigate message on {msg.topic} rejected: {message}",
                            key=key, logger=log)  # fmt: skip
        self._ack(client, msg)

    def _ack(self, client: mqtt.Client, msg: mqtt.MQTTMessage) -> None:
        if msg.qos > 0:
            client.ack(msg.mid, msg.qos)

    def _done(self, client: mqtt.Client, msg: mqtt.MQTTMessage, done: Future[Any]) -> None:
        if done.exception() is None:
            self.stats["stored"] += 1
            self._health.count(SUBSYSTEM, "stored")
            self._ack(client, msg)
        else:  # not durable: leave unacknowledged so the broker sends it again
            self.stats["failed"] += 1
            self._health.reject(SUBSYSTEM, "store_failed",
                                f"frigate reads not stored: {done.exception()}",
                                logger=log, level=logging.ERROR)  # fmt: skip

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
        if len(raw) > MAX_PAYLOAD:
            error = InputError(f"message of {len(raw)} bytes; at most {MAX_PAYLOAD}")
            raise _Refused(error, "too_large")
        try:
            payload = json.loads(raw)
        except (ValueError, RecursionError) as exc:  # ValueError: also the int-digit limit
            error = InputError(f"not JSON: {str(exc)[:60]}", field="payload")
            raise _Refused(error, "not_json") from None
        name = camera_name(payload)
        if name is None:
            self.stats["ignored"] += 1
            self._health.count(SUBSYSTEM, "ignored")
            return None
        camera = self._service.cameras.resolve(FRIGATE, name)
        if camera is None or not camera.camera.enabled:
            self.stats["unknown_camera"] += 1
            shown = name[:64]
            unknown = NotFoundError(
                f"no enabled frigate camera named {shown!r} (register it with "
                f"trustlpr camera add ... --adapter frigate --external-id {shown!r})"
            )
            raise _Refused(unknown, "unknown_camera", key=f"unknown_camera:{shown}")
        submission = self._service.accept(FRIGATE, payload, camera)
        if submission.future is None:
            self.stats["ignored"] += 1
            self._health.count(SUBSYSTEM, "ignored")
        return submission.future


class _Refused(Exception):
    """A message refused before ingest, with the cause it is counted under and the key it is
    logged once for (``unknown_camera:<name>``)."""

    def __init__(self, error: TrustLPRError, cause: str, key: str | None = None) -> None:
        super().__init__(error.message)
        self.error, self.cause, self.key = error, cause, key or cause
