"""The writer lease: at most one writer consumes a node's bus, the others stand by.

A node's audit log has one writer, so of the ``serve --role writer`` processes started for a
node one is *active* and the rest are *standby*. Who is active is decided by NATS itself: a
JetStream key-value bucket ``<STREAM>_WRITER`` whose entries live ``lease`` seconds (the
bucket's TTL, ``?lease=`` in ``--bus``, 10 s by default) holds the key ``writer``.

- **Taking it**: ``create`` succeeds only if the key is absent (never written, expired, or
  deleted by a writer that stopped), so of two processes trying at once exactly one wins. The
  others poll every quarter lease and log that they stand by, and who holds it.
- **Keeping it**: the active writer rewrites the key every fifth of the lease with a
  compare-and-set on its revision (``update(last=…)``), which resets the TTL. A rewrite that
  finds another revision means the key expired or was taken: the lease is **lost**.
- **Fencing**: a writer counts on its lease only until ``lease × 3/4`` after the last renewal it
  *sent* (the server cannot expire the key sooner), and before each commit ``confirm`` reads
  the key and checks that it still names this process. A writer that cannot renew in time,
  finds another holder, or is told so by ``confirm`` stops committing at once and its process
  exits (``on_lost``); what it had in flight is redelivered to the new writer, whose ledger
  and the store's and audit log's idempotence make the repetition change nothing. On the same
  machine the audit log's ``flock`` is a second fence: the new writer opens the node only
  when the old process has let go of it.
- **Handing it over**: a writer that stops cleanly deletes the key (compare-and-set), so a
  standby takes over within a quarter lease instead of a whole one.
- **A cluster still forming**: JetStream answers 400 with err_code 10005 ("no suitable peers
  for placement") while fewer servers than ``?replicas=`` have joined. That is not "another
  writer made the bucket": ``acquire`` asks again with backoff for up to ``placement_wait``
  seconds, then raises ``BusUnavailableError`` saying so (the supervisor starts it again).
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass

import nats
from nats.js.api import KeyValueConfig, StorageType
from nats.js.errors import BadRequestError, KeyNotFoundError, KeyWrongLastSequenceError
from nats.js.kv import KeyValue

from ..core.errors import BusUnavailableError
from ..ingest.health import IngestHealth
from .config import BusConfig
from .connection import BusLoop

log = logging.getLogger(__name__)

KEY = "writer"
TRUSTED_SHARE = 0.75  # of the lease after the last renewal sent: how long a writer trusts it
RENEW_SHARE = 0.2  # renew every fifth of the lease: three tries before it is no longer trusted
POLL_SHARE = 0.25  # a standby tries every quarter lease
NO_PLACEMENT = 10005  # JetStream's err_code: not enough servers (yet) for the replicas asked
PLACEMENT_WAIT = 60.0  # seconds a cluster may take to form before acquire gives up


@dataclass(frozen=True)
class Holder:
    """Who holds the lease, as the key's value says (a random token names the process)."""

    token: str
    host: str
    pid: int

    def encode(self) -> bytes:
        return json.dumps({"token": self.token, "host": self.host, "pid": self.pid}).encode()

    @classmethod
    def decode(cls, data: bytes | None) -> Holder:
        try:
            value = json.loads(data or b"")
            return cls(str(value["token"]), str(value["host"]), int(value["pid"]))
        except (ValueError, KeyError, TypeError):
            return cls("", "?", 0)

    def __str__(self) -> str:
        return f"pid {self.pid} on {self.host}"


class WriterLease:
    """One process's claim on its node's writer lease; see the module docstring.

    ``acquire`` blocks until this process is the active writer; from then on it renews on its
    own loop thread (so a busy writer loop cannot starve it) and calls ``on_lost`` once,
    from that thread, if it loses the lease."""

    def __init__(
        self,
        config: BusConfig,
        *,
        on_lost: Callable[[str], None] = lambda reason: None,
        health: IngestHealth | None = None,
        placement_wait: float = PLACEMENT_WAIT,
    ) -> None:
        self.config = config
        self._placement_wait = placement_wait
        self.me = Holder(secrets.token_hex(8), socket.gethostname(), os.getpid())
        self._on_lost = on_lost
        self._bus = BusLoop(config, name="trustlpr-lease", health=health or IngestHealth())
        self._kv: KeyValue | None = None
        self._ttl = config.lease
        self.revision = 0
        self._trusted_until = 0.0
        self._lost: str | None = None
        self._lost_lock = threading.Lock()
        self._closed = False
        self._renewing: Future[None] | None = None

    @property
    def bucket(self) -> str:
        return f"{self.config.stream}_WRITER"

    @property
    def lost(self) -> str | None:
        """Why the lease was lost, or None while it is held (or not yet taken)."""
        return self._lost

    def acquire(self, stop: threading.Event | None = None) -> bool:
        """Waits until this process holds the lease (True) or ``stop`` is set (False);
        ``BusUnavailableError`` if NATS cannot be reached at first, or cannot place the bucket's
        replicas within ``placement_wait`` seconds."""
        self._bus.connect(None)
        kv = self._placed_bucket(stop)
        if kv is None:
            return False
        self._kv = kv
        seen: Holder | None = None
        while stop is None or not stop.is_set():
            try:
                holder = self._bus.run(self._try_take()).result(30.0)
            except (nats.errors.Error, OSError, TimeoutError) as exc:
                log.warning("writer lease: NATS did not answer (%s); again", type(exc).__name__)
                holder = seen
            else:
                if holder is None:
                    log.warning(
                        "ACTIVE writer of stream %s: this process (%s) holds the writer lease "
                        "(revision %d, %g s)",
                        self.config.stream,
                        self.me,
                        self.revision,
                        self._ttl,
                    )
                    self._renewing = self._bus.run(self._renew())
                    return True
                if holder != seen:
                    log.warning(
                        "STANDBY writer of stream %s: the writer lease is held by %s; this "
                        "process (%s) takes over when it lapses (at most %g s after its "
                        "holder stops renewing it)",
                        self.config.stream,
                        holder,
                        self.me,
                        self._ttl,
                    )
                seen = holder
            if stop is not None:
                stop.wait(self._ttl * POLL_SHARE)
            else:
                time.sleep(self._ttl * POLL_SHARE)
        return False

    def _placed_bucket(self, stop: threading.Event | None) -> KeyValue | None:
        """The lease bucket, asked for again while JetStream is not ready for it (no meta
        leader yet, or too few servers to place its replicas); None if ``stop`` was set."""
        deadline = time.monotonic() + self._placement_wait
        delay = 0.5
        while True:
            try:
                return self._bus.run(self._bucket()).result(30.0)
            except nats.js.errors.APIError as exc:
                if exc.err_code != NO_PLACEMENT:  # 10074 (one server, replicas > 1), …
                    raise BusUnavailableError(
                        f"JetStream refused the writer lease bucket {self.bucket}: "
                        f"{exc.description} (err_code {exc.err_code})",
                        retry_after=5.0,
                    ) from exc
                why = f"cannot place {self.config.replicas} replica(s): {exc.description}"
            except (nats.errors.Error, OSError, TimeoutError) as exc:
                why = f"JetStream did not answer ({type(exc).__name__})"
            left = deadline - time.monotonic()
            if left <= 0:
                raise BusUnavailableError(
                    f"JetStream cannot place the writer lease bucket {self.bucket} within "
                    f"{self._placement_wait:g} s: {why} (is the cluster still forming, or "
                    "has it fewer servers than ?replicas=?)",
                    retry_after=5.0,
                )
            pause = min(delay, left)
            log.warning("writer lease: %s; again in %g s", why, pause)
            if stop is None:
                time.sleep(pause)
            elif stop.wait(pause):
                return None
            delay = min(delay * 2, 5.0)

    async def _bucket(self) -> KeyValue:
        js = self._bus.js
        assert js is not None
        try:
            kv = await js.key_value(self.bucket)
        except (nats.js.errors.BucketNotFoundError, nats.js.errors.NotFoundError):
            config = KeyValueConfig(
                bucket=self.bucket,
                ttl=self.config.lease,
                history=1,
                storage=StorageType.FILE,
                replicas=self.config.replicas,
            )
            try:
                kv = await js.create_key_value(config)
            except BadRequestError as exc:
                if exc.err_code == NO_PLACEMENT:  # not "made meanwhile": nowhere to put it
                    raise
                kv = await js.key_value(self.bucket)  # another writer made it meanwhile
        # the bucket's TTL is what the server enforces: count on that, not on our ?lease=
        info = await js.stream_info(f"KV_{self.bucket}")
        if info.config.max_age:
            self._ttl = float(info.config.max_age)
        return kv

    async def _try_take(self) -> Holder | None:
        """None when this process took the lease, else who holds it."""
        assert self._kv is not None
        sent = time.monotonic()
        try:
            self.revision = await self._kv.create(KEY, self.me.encode())
        except KeyWrongLastSequenceError:
            try:
                entry = await self._kv.get(KEY)
            except KeyNotFoundError:  # lapsed between the two calls: the next poll takes it
                return Holder("", "?", 0)
            return Holder.decode(entry.value)
        self._trusted_until = sent + self._ttl * TRUSTED_SHARE
        return None

    async def _renew(self) -> None:
        assert self._kv is not None
        while self._lost is None and not self._closed:
            await asyncio.sleep(self._ttl * RENEW_SHARE)
            if self._lost is not None or self._closed:
                return
            sent = time.monotonic()
            try:
                self.revision = await self._kv.update(KEY, self.me.encode(), last=self.revision)
                self._trusted_until = sent + self._ttl * TRUSTED_SHARE
            except KeyWrongLastSequenceError:
                self._lose("the lease key changed under it (it lapsed or another writer took it)")
            except (nats.errors.Error, OSError, TimeoutError) as exc:
                if time.monotonic() >= self._trusted_until:
                    self._lose(f"it could not renew the lease in time ({type(exc).__name__})")
                else:
                    log.warning("writer lease: renewal failed (%s); retrying", type(exc).__name__)
            if self._lost is None and time.monotonic() >= self._trusted_until:
                self._lose("its last renewal came back too late")

    def confirm(self) -> Future[bool]:
        """Whether the lease is still this process's, asked of NATS (False: lost, and
        ``on_lost`` called); raises ``BusUnavailableError`` when NATS cannot tell now."""
        return self._bus.run(self._confirm())

    async def _confirm(self) -> bool:
        if self._lost is not None:
            return False
        if time.monotonic() >= self._trusted_until:
            self._lose("its lease was not renewed in time")
            return False
        assert self._kv is not None
        try:
            entry = await self._kv.get(KEY)
        except KeyNotFoundError:
            self._lose("the lease key is gone")
            return False
        except (nats.errors.Error, OSError, TimeoutError) as exc:
            raise BusUnavailableError(
                f"the writer lease cannot be read now ({type(exc).__name__})", retry_after=2.0
            ) from exc
        holder = Holder.decode(entry.value)
        if holder.token != self.me.token:
            self._lose(f"the lease is now held by {holder}")
            return False
        return True

    def _lose(self, reason: str) -> None:
        with self._lost_lock:
            if self._lost is not None or self._closed:
                return
            self._lost = reason
        log.error(
            "FENCED writer of stream %s: this process (%s) lost the writer lease: %s; it "
            "commits nothing more and stops",
            self.config.stream,
            self.me,
            reason,
        )
        self._on_lost(reason)

    def close(self) -> None:
        """Stops renewing and, if still held, hands the lease over (deletes the key)."""
        with self._lost_lock:
            if self._closed:
                return
            held = self._renewing is not None and self._lost is None
            self._closed = True
        if held and self._kv is not None:
            try:
                self._bus.run(self._kv.delete(KEY, last=self.revision)).result(5.0)
                log.warning("writer lease of stream %s handed over", self.config.stream)
            except (nats.errors.Error, OSError, TimeoutError) as exc:
                log.warning("writer lease not handed over (%s): it lapses", type(exc).__name__)
        if self._renewing is not None:
            self._renewing.cancel()
        self._bus.close()
