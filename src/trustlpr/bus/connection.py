"""One NATS connection on its own asyncio loop thread, and the node's JetStream streams.

nats-py is asyncio-only, and its users here are not: the front-end's ``submit`` is called from
request handlers, the writer's pipeline runs on threads. So each bus user owns a ``BusLoop``
(a daemon thread running an event loop that holds the connection) and hands it coroutines.
NATS reconnects by itself; the connection's state goes to ``/healthz`` as the ``bus``
subsystem.

The streams are made (or brought up to date) by whoever connects first:

- ``<STREAM>``: subject ``trustlpr.<STREAM>.batches``, file storage, **work-queue** retention
  (a batch is deleted as soon as the writer acknowledged it: the bus keeps nothing it does not
  have to), ``max_age`` the non-hit retention (minutes in hit-only mode) so nothing on the
  bus's disk outlives what the law lets the node keep, and a duplicate window of two minutes
  (at most ``max_age``) for ``Nats-Msg-Id``;
- ``<STREAM>_DEAD``: the dead letters, same ``max_age``, limits retention.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Coroutine
from concurrent.futures import Future
from datetime import timedelta
from typing import Any, TypeVar

import nats
from nats.aio.client import Client
from nats.js import JetStreamContext
from nats.js.api import DiscardPolicy, RetentionPolicy, StorageType, StreamConfig
from nats.js.errors import BadRequestError, NotFoundError

from ..core.errors import BusUnavailableError
from ..ingest.health import IngestHealth
from .config import BusConfig

log = logging.getLogger(__name__)
T = TypeVar("T")

DUPLICATE_WINDOW = timedelta(minutes=2)
CONNECT_TIMEOUT = 10.0


class BusLoop:
    """An event loop thread holding one NATS connection; see the module docstring."""

    def __init__(self, config: BusConfig, *, name: str, health: IngestHealth) -> None:
        self.config = config
        self._name = name
        self._health = health
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name=name, daemon=True)
        self._thread.start()
        self.nc: Client | None = None
        self.js: JetStreamContext | None = None
        self._closing = False

    def run(self, coro: Coroutine[Any, Any, T]) -> Future[T]:
        """Schedules ``coro`` on the loop; its result as a thread-safe future."""
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    def connect(self, max_age: timedelta | None) -> None:
        """Connects and makes sure the streams exist with this ``max_age`` (None: leaves
        them alone); ``BusUnavailableError`` if NATS cannot be reached in time."""
        try:
            self.run(self._connect(max_age)).result(CONNECT_TIMEOUT + 30.0)
        except (nats.errors.Error, OSError, TimeoutError) as exc:
            self._health.set_state("bus", "unreachable", healthy=False)
            raise BusUnavailableError(
                f"the bus at {len(self.config.servers)} NATS server(s) cannot be reached: "
                f"{type(exc).__name__}",
                retry_after=5.0,
            ) from exc

    async def _connect(self, max_age: timedelta | None) -> None:
        async def disconnected() -> None:
            if self._closing:
                return
            self._health.set_state("bus", "disconnected", healthy=False)
            log.warning("%s: disconnected from NATS; reconnecting", self._name)

        async def reconnected() -> None:
            self._health.set_state("bus", "connected", healthy=True)
            log.info("%s: reconnected to NATS", self._name)

        async def error(exc: Exception) -> None:
            log.warning("%s: NATS error: %s", self._name, type(exc).__name__)

        # once connected, reconnect forever; the first connection must come within the timeout
        self.nc = await asyncio.wait_for(
            nats.connect(
                servers=list(self.config.servers),
                name=self._name,
                connect_timeout=CONNECT_TIMEOUT / 2,
                max_reconnect_attempts=-1,
                reconnect_time_wait=0.5,
                disconnected_cb=disconnected,
                reconnected_cb=reconnected,
                error_cb=error,
            ),
            CONNECT_TIMEOUT,
        )
        self.js = self.nc.jetstream()
        if max_age is not None:
            await ensure_streams(self.js, self.config, max_age)
        self._health.set_state(
            "bus", "connected", healthy=True, stream=self.config.stream, role=self._name
        )

    def close(self) -> None:
        """Flushes and closes the connection, then stops the loop."""
        self._closing = True
        if self.nc is not None and not self.nc.is_closed:
            try:
                self.run(self._close(self.nc)).result(15.0)
            except (nats.errors.Error, OSError, TimeoutError) as exc:
                log.warning("%s: closing the NATS connection: %r", self._name, exc)
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10.0)
        if not self._thread.is_alive():
            self._loop.close()
        self._health.set_state("bus", "stopped", healthy=False)

    @staticmethod
    async def _close(nc: Client) -> None:
        await nc.flush(timeout=5)  # acks and publishes still buffered go out first
        await nc.close()


async def ensure_streams(js: JetStreamContext, config: BusConfig, max_age: timedelta) -> None:
    """Creates the batch and dead-letter streams, or updates their limits (``max_age`` follows
    the policy in force)."""
    age = max_age.total_seconds()
    window = min(DUPLICATE_WINDOW.total_seconds(), age)
    batches = StreamConfig(
        name=config.stream,
        subjects=[config.subject],
        retention=RetentionPolicy.WORK_QUEUE,
        storage=StorageType.FILE,
        max_age=age,
        duplicate_window=window,
        num_replicas=config.replicas,
        discard=DiscardPolicy.OLD,
    )
    dead = StreamConfig(
        name=config.dead_stream,
        subjects=[config.dead_subject],
        retention=RetentionPolicy.LIMITS,
        storage=StorageType.FILE,
        max_age=age,
        duplicate_window=window,
        num_replicas=config.replicas,
    )
    for stream in (batches, dead):
        try:
            await js.stream_info(stream.name or "")
        except NotFoundError:
            try:
                await js.add_stream(stream)
                continue
            except BadRequestError:  # another process made it meanwhile
                pass
        await js.update_stream(stream)
