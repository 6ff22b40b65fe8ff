"""The writer's side of the bus: a durable pull consumer feeding the node's one pipeline.

``BusWriter`` fetches batches from the stream's durable consumer ``writer`` and, for each
fetch:

1. opens and decodes every message; one that does not open (tampered, another node's, a
   foreign key id) or does not parse is **dead-lettered** — copied, still sealed, to
   ``<STREAM>_DEAD`` with the reason in a header, counted (``dead_letter_<cause>``), and
   terminated so it is never delivered again — and the others go on: one bad message never
   blocks the stream. A message whose day key was destroyed is past retention: terminated and
   counted as ``expired``;
2. asks the ledger (``ledger``) about the ids: a finished one is acknowledged and skipped; one
   begun by a writer that died is looked for in the audit log and then either only finished
   or submitted again with ``recover``;
3. records the new ids as begun, submits every batch to the pipeline (dedupe, hot lists,
   retention, encrypted store, audit: the same stages as a camera's direct request) and
   waits for the commits;
4. records them finished and only then acknowledges them to JetStream.

With a writer lease (``lease``; ``serve --role writer`` always has one) the writer is the
node's *active* writer: on start it resets the durable consumer, so what a dead writer had
been delivered but not acknowledged comes back at once instead of after the ack wait, and
before committing a fetch it confirms with NATS that the lease is still its own. A writer that
lost it commits nothing more and stops fetching (its process exits: ``serve_cmds``).

A consumer JetStream does not set up at once (a cluster electing a leader, a loaded server)
is asked for again every ``RETRY_DELAY`` seconds, with ``bus`` ``subscribing`` in ``/healthz``:
the writer never gives up consuming while its process runs.

A batch the pipeline could not store is not acknowledged (``nak`` with a delay) and comes
back. Messages are acknowledged only after their commit, so killing the writer at any moment
loses nothing, and the ledger makes the redelivery change nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Awaitable, Collection, Iterable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import timedelta

import nats
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig

from ..audit import AuditLog
from ..core.errors import (
    BusUnavailableError,
    InputError,
    KeyDestroyedError,
    OverloadedError,
    VerificationError,
)
from ..core.events import EventType
from ..ingest import IngestPipeline, IngestResult
from ..ingest.health import IngestHealth
from .config import BusConfig
from .connection import BusLoop
from .envelope import Batch, BusCipher, Sealed, decode
from .lease import WriterLease
from .ledger import BatchState, BusLedger
from .publisher import KEY_HEADER

log = logging.getLogger(__name__)

FETCH = 256
ACK_WAIT = timedelta(seconds=60)
RETRY_DELAY = 2.0
PRUNE_EVERY = 600.0  # seconds between ledger prunes


@dataclass
class _Delivery:
    msg: Msg
    msg_id: str
    batch: Batch
    recover: bool = False


def committed_in(log_: AuditLog, start: int, ids: Iterable[str]) -> set[str]:
    """Which of ``ids`` a ``reads_ingested`` entry at or after ``start`` names as counted."""
    wanted = set(ids)
    found: set[str] = set()
    if not wanted:
        return found
    for detail in log_.details(start):
        if detail.type == EventType.READS_INGESTED.value:
            named = detail.private.get("bus", [])
            found.update(i for i in named if i in wanted)
    return found


class BusWriter:
    """The durable consumer; see the module docstring. ``start`` connects and begins."""

    def __init__(
        self,
        config: BusConfig,
        cipher: BusCipher,
        *,
        pipeline: IngestPipeline,
        ledger: BusLedger,
        audit_log: AuditLog,
        health: IngestHealth,
        max_age: timedelta,
        lease: WriterLease | None = None,
    ) -> None:
        self._config = config
        self._lease = lease
        self._cipher = cipher
        self._pipeline = pipeline
        self._ledger = ledger
        self._audit = audit_log
        self._health = health
        self._max_age = max_age
        self._bus = BusLoop(config, name="trustlpr-writer", health=health)
        self._stopping = threading.Event()
        self._running: Future[None] | None = None

    def start(self) -> None:
        """Connects (``BusUnavailableError`` if NATS is unreachable) and starts consuming."""
        self._bus.connect(self._max_age)
        self._running = self._bus.run(self._consume())

    async def _subscribe(self) -> JetStreamContext.PullSubscription:
        js = self._bus.js
        assert js is not None
        if self._lease is not None:  # taking over: what the last writer held comes back now
            with contextlib.suppress(nats.js.errors.NotFoundError):
                await js.delete_consumer(self._config.stream, self._config.durable)
            self._health.set_state(
                "writer_lease", "active", healthy=True, revision=self._lease.revision
            )
        return await js.pull_subscribe(
            self._config.subject,
            durable=self._config.durable,
            stream=self._config.stream,
            config=ConsumerConfig(
                ack_policy=AckPolicy.EXPLICIT,
                ack_wait=ACK_WAIT.total_seconds(),
                max_deliver=-1,
                max_ack_pending=FETCH * 16,
            ),
        )

    async def _consume(self) -> None:
        # JetStream may not answer at once (a cluster electing a leader, a loaded server):
        # the consumer is set up again until it is, never given up, and /healthz says so
        sub: JetStreamContext.PullSubscription | None = None
        while sub is None:
            if self._stopping.is_set() or self._fenced():
                return
            try:
                sub = await self._subscribe()
            except (nats.errors.Error, OSError, TimeoutError) as exc:
                self._health.set_state("bus", "subscribing", healthy=False)
                log.warning(
                    "bus consumer not set up (%s); again in %g s", type(exc).__name__, RETRY_DELAY
                )
                await asyncio.sleep(RETRY_DELAY)
        self._health.set_state("bus", "consuming", healthy=True)
        pruned = 0.0
        while not self._stopping.is_set() and not self._fenced():
            if time.monotonic() - pruned > PRUNE_EVERY:
                pruned = time.monotonic()
                # JetStream holds nothing older than max_age: neither need the ledger
                keep = 2 * self._max_age.total_seconds() + 3600.0
                await asyncio.get_running_loop().run_in_executor(None, self._ledger.prune, keep)
            try:
                msgs = await sub.fetch(FETCH, timeout=1.0)
            except TimeoutError:  # nothing to fetch (nats.errors.TimeoutError is one too)
                continue
            except (nats.errors.Error, OSError) as exc:
                log.warning("bus fetch failed: %s; retrying", type(exc).__name__)
                await asyncio.sleep(RETRY_DELAY)
                continue
            try:
                await self._handle(msgs)
            except Exception as exc:  # the consumer must survive anything one fetch does
                log.error("bus batch handling failed: %s: %s", type(exc).__name__, exc)
                for msg in msgs:
                    await _quietly(msg.nak(delay=RETRY_DELAY))

    async def _handle(self, msgs: Sequence[Msg]) -> None:
        deliveries: dict[str, _Delivery] = {}
        for msg in msgs:
            delivery = await self._open(msg)
            if delivery is None:
                continue
            if delivery.msg_id in deliveries:  # the same batch twice in one fetch
                await msg.ack()
                self._health.count("bus", "redelivered")
                continue
            deliveries[delivery.msg_id] = delivery
        if not deliveries or not await self._still_active(deliveries.values()):
            return
        run = asyncio.get_running_loop().run_in_executor
        known = await run(None, self._ledger.entries, list(deliveries))
        begun = {i: e for i, e in known.items() if e.state is BatchState.BEGUN}
        done = {i for i, e in known.items() if e.state is BatchState.FINISHED}
        if begun:  # in flight when a writer died: committed then, or not?
            start = min(e.audit_from for e in begun.values())
            committed = await run(None, committed_in, self._audit, start, list(begun))
            done |= committed
            if committed:
                await run(None, self._ledger.finish, sorted(committed))
            for i in set(begun) - committed:
                deliveries[i].recover = True
        for i in done:
            await deliveries.pop(i).msg.ack()
            self._health.count("bus", "redelivered")
        if not deliveries:
            return
        fresh = [i for i in deliveries if i not in begun]
        if fresh:
            await run(None, self._ledger.begin, fresh, self._audit.size)
        ok = await self._submit(list(deliveries.values()))
        if ok:
            await run(None, self._ledger.finish, [d.msg_id for d in ok])
        for d in ok:
            await d.msg.ack()
        self._health.count("bus", "stored", len(ok))

    def _fenced(self) -> bool:
        if self._lease is None or self._lease.lost is None:
            return False
        self._health.set_state("writer_lease", "lost", healthy=False, reason=self._lease.lost)
        return True

    async def _still_active(self, deliveries: Collection[_Delivery]) -> bool:
        """The fence: commit only while NATS says the lease is this writer's. Lost: nothing
        is acknowledged (the new writer gets it all); unknown now: all comes back later."""
        if self._lease is None:
            return True
        try:
            if await asyncio.wrap_future(self._lease.confirm()):
                return True
        except BusUnavailableError as exc:
            log.warning("bus batches put back: %s", exc.message)
            for d in deliveries:
                await _quietly(d.msg.nak(delay=RETRY_DELAY))
            return False
        self._health.count("bus", "fenced", len(deliveries))
        return False

    async def _open(self, msg: Msg) -> _Delivery | None:
        """The message's batch, or None when it was dead-lettered or expired."""
        headers = msg.headers or {}
        msg_id = headers.get("Nats-Msg-Id", "")
        try:
            if not msg_id:
                raise InputError("the message has no Nats-Msg-Id", field="Nats-Msg-Id")
            sealed = Sealed(msg_id, headers.get(KEY_HEADER, ""), msg.data)
            return _Delivery(msg, msg_id, decode(self._cipher.open(sealed)))
        except KeyDestroyedError:
            self._health.count("bus", "expired")
            await msg.term()
        except VerificationError as exc:
            await self._dead_letter(msg, "undecryptable", exc.message)
        except InputError as exc:
            await self._dead_letter(msg, "unparseable", exc.message)
        return None

    async def _dead_letter(self, msg: Msg, cause: str, reason: str) -> None:
        js = self._bus.js
        assert js is not None
        seq = msg.metadata.sequence.stream
        try:
            await js.publish(
                self._config.dead_day_subject((msg.headers or {}).get(KEY_HEADER, "")),
                msg.data,
                stream=self._config.dead_stream,
                headers={
                    "Nats-Msg-Id": f"dead-{seq}",
                    "TrustLPR-Reason": cause,
                    "TrustLPR-Stream-Seq": str(seq),
                    **({KEY_HEADER: k} if (k := (msg.headers or {}).get(KEY_HEADER)) else {}),
                },
            )
        except (nats.errors.Error, OSError) as exc:
            log.warning("dead-lettering bus message %d failed: %s", seq, type(exc).__name__)
            await _quietly(msg.nak(delay=RETRY_DELAY))
            return
        await msg.term()
        self._health.reject(
            "bus",
            f"dead_letter_{cause}",
            f"bus message {seq} dead-lettered ({cause}): {reason}",
            key=cause,
            logger=log,
        )

    async def _submit(self, deliveries: list[_Delivery]) -> list[_Delivery]:
        """Submits every batch to the pipeline and waits; the ones committed."""
        waiting: list[tuple[_Delivery, asyncio.Future[IngestResult]]] = []
        for d in deliveries:
            while True:
                try:
                    future = self._pipeline.submit(
                        d.batch.reads,
                        images=d.batch.images,
                        links=d.batch.links,
                        consensus=d.batch.consensus,
                        tag=d.msg_id,
                        recover=d.recover,
                        not_collected=d.batch.not_collected,
                    )
                    break
                except OverloadedError as exc:  # full queue: wait, keeping the message ours
                    await d.msg.in_progress()
                    await asyncio.sleep(min(exc.retry_after, 5.0))
            waiting.append((d, asyncio.wrap_future(future)))
        ok: list[_Delivery] = []
        for d, fut in waiting:
            try:
                await fut
                ok.append(d)
            except Exception as exc:
                log.error("bus batch not stored (will come back): %s", type(exc).__name__)
                self._health.count("bus", "store_failed")
                await _quietly(d.msg.nak(delay=RETRY_DELAY))
        return ok

    def close(self) -> None:
        """Stops fetching, finishes the fetch in hand (commits and acks), disconnects."""
        self._stopping.set()
        if self._running is not None:
            try:
                self._running.result(120.0)
            except Exception as exc:
                log.warning("bus writer stopped with %s", type(exc).__name__)
        self._bus.close()


async def _quietly(action: Awaitable[None]) -> None:
    with contextlib.suppress(nats.errors.Error, OSError):
        await action
