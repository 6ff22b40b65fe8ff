"""An ingest front-end's way to the writer: checked batches published to JetStream.

``BusPublisher`` is the ``Submitter`` of ``--role ingest``: the same ``IngestService`` checks
the camera, parses and validates, and hands the accepted reads here instead of to a pipeline.
Each submission becomes one sealed message (``envelope``) published with its ``Nats-Msg-Id``;
the future resolves when JetStream acknowledged it (the batch is on the stream's disk, and on
a majority of its replicas), so the camera is answered only then. JetStream's answer that the
id is a duplicate (the camera sent this payload before) is reported as duplicates.

A bus that does not answer within ``timeout`` fails the submission with
``BusUnavailableError`` (503 and ``Retry-After``): the camera keeps the batch and retries,
and the retry has the same id, so a publish that did land is not stored twice.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Collection, Mapping, Sequence
from concurrent.futures import Future
from datetime import timedelta

import nats
from nats.js.api import PubAck

from ..core.errors import BusUnavailableError, OverloadedError, TooLargeError
from ..core.reads import Read
from ..ingest import IngestResult
from ..ingest.collection import NotCollected
from ..ingest.health import IngestHealth
from .config import BusConfig
from .connection import BusLoop
from .envelope import Batch, BusCipher, Sealed, encode

log = logging.getLogger(__name__)

KEY_HEADER = "TrustLPR-Key"
"""The header naming the day key a message is sealed under (``nonhit:2026-11-02``)."""


class BusPublisher:
    """The front-end's ``Submitter``; see the module docstring."""

    def __init__(
        self,
        config: BusConfig,
        cipher: BusCipher,
        *,
        max_age: timedelta,
        health: IngestHealth,
        timeout: float = 10.0,
        max_pending: int = 2_000,
    ) -> None:
        self._config = config
        self._cipher = cipher
        self._health = health
        self._timeout = timeout
        self._max_pending = max_pending
        self._pending = 0
        self._lock = threading.Lock()
        self._closed = False
        self._bus = BusLoop(config, name="trustlpr-ingest", health=health)
        try:
            self._bus.connect(max_age)
        except BaseException:
            self._bus.close()
            raise

    def submit(
        self,
        reads: Sequence[Read],
        *,
        images: Mapping[int, bytes] | None = None,
        links: Mapping[int, Sequence[str]] | None = None,
        consensus: Collection[int] = (),
        not_collected: NotCollected | None = None,
    ) -> Future[IngestResult]:
        """Seals and publishes one batch; the future resolves on JetStream's ack. The counts
        of reads not collected go with it, alone (a count-only batch) when no read is left."""
        done: Future[IngestResult] = Future()
        if not reads and not not_collected:
            done.set_result(IngestResult(0, 0, 0))
            return done
        batch = Batch(
            reads[0].camera_id if reads else "",
            list(reads),
            images or {},
            links or {},
            frozenset(consensus),
            not_collected or {},
            "" if reads else secrets.token_hex(16),
        )
        sealed = self._cipher.seal(encode(batch))
        nc = self._bus.nc
        if nc is not None and len(sealed.data) > nc.max_payload:
            raise TooLargeError(
                f"the batch is {len(sealed.data)} bytes sealed, over the bus's max_payload of "
                f"{nc.max_payload}: send fewer reads or smaller images per request"
            )
        with self._lock:
            if self._closed:
                raise OverloadedError("ingest is shutting down; retry shortly", retry_after=5.0)
            if self._pending >= self._max_pending:
                raise OverloadedError(
                    f"{self._pending} batches are waiting for the bus", retry_after=2.0
                )
            self._pending += 1
        inner = self._bus.run(self._publish(sealed))
        count = len(reads)

        def settle(f: Future[PubAck]) -> None:
            with self._lock:
                self._pending -= 1
            exc = f.exception()
            if exc is None:
                ack = f.result()
                self._health.count("bus", "duplicate" if ack.duplicate else "published")
                dup = count if ack.duplicate else 0
                done.set_result(IngestResult(count, count - dup, dup))
            elif isinstance(exc, (nats.errors.Error, OSError, TimeoutError)):
                self._health.count("bus", "publish_failed")
                done.set_exception(
                    BusUnavailableError(
                        f"the bus did not acknowledge the batch: {type(exc).__name__}",
                        retry_after=2.0,
                    )
                )
            else:
                done.set_exception(exc)

        inner.add_done_callback(settle)
        return done

    async def _publish(self, sealed: Sealed) -> PubAck:
        js = self._bus.js
        if js is None:
            raise BusUnavailableError("the bus is not connected", retry_after=2.0)
        return await js.publish(
            self._config.day_subject(sealed.key_id),
            sealed.data,
            timeout=self._timeout,
            stream=self._config.stream,
            headers={"Nats-Msg-Id": sealed.msg_id, KEY_HEADER: sealed.key_id},
        )

    def close(self) -> None:
        """Stops taking batches; the ones published wait for their acks (the drain)."""
        with self._lock:
            self._closed = True
        self._bus.close()
