"""The ingest pipeline: validated reads in, durable (or deliberately forgotten) reads out.

One writer thread takes submissions from a bounded queue and handles them in batches:

    dedupe → hot-list hook → retention decision → store.append (encrypts) → audit

Batches form by themselves (group commit): whatever queued while the previous batch was
being written goes into the next, and the writer lingers ``linger`` (2 ms) for stragglers, so
clients that answer an acknowledgment with their next request share one commit (one fsync).
A submission's future resolves only after its batch is committed, so a caller acknowledges a
read only once it is durable. When the queue is full, ``submit`` raises
``OverloadedError`` at once (the HTTP face answers 503 with ``Retry-After``). ``close`` stops
taking submissions and drains what is queued.

If a batch fails, its submissions are retried one by one, so one bad submission fails alone.
In hit-only mode non-hits never reach the store: they go to the injected ``NonHitBuffer``
(or are dropped when there is none).
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

from ..core.clock import Clock, system_clock
from ..core.errors import OverloadedError, StoreError
from ..core.events import AuditEvent, AuditSink, EventType
from ..core.reads import Read
from ..store.base import ReadStore
from .dedupe import Deduper

log = logging.getLogger(__name__)


class HitHook(Protocol):
    """The hot-list stage (``HotlistService.on_reads``): hit flags for a batch; it raises
    its own alerts, with ``images[i]`` as the image of ``reads[i]``."""

    def __call__(self, reads: Sequence[Read], images: Mapping[int, bytes]) -> Sequence[bool]: ...


class NonHitBuffer(Protocol):
    """Where hit-only mode puts non-hits (``hotlist.HitOnlyBuffer``): memory, for minutes."""

    def add_many(self, reads: Sequence[Read], images: Mapping[int, bytes] | None = None) -> Any: ...


@dataclass(frozen=True, slots=True)
class IngestResult:
    """The fate of one submission: ``kept`` reads were stored (or buffered), the rest were
    duplicates of reads already kept. Hits are not reported back to the sender."""

    accepted: int
    kept: int
    duplicates: int


@dataclass
class _Job:
    reads: Sequence[Read]
    images: Mapping[int, bytes]
    links: Mapping[int, Sequence[str]]
    consensus: frozenset[int] = frozenset()
    future: Future[IngestResult] = field(default_factory=Future)


_STOP = object()


class IngestPipeline:
    """Batches submissions into the store; see the module docstring for the stages."""

    def __init__(
        self,
        store: ReadStore,
        *,
        audit: AuditSink,
        on_reads: HitHook | None = None,
        hit_only: bool = False,
        nonhit_buffer: NonHitBuffer | None = None,
        clock: Clock = system_clock,
        dedupe_window: timedelta = timedelta(seconds=5),
        max_queue: int = 50_000,
        max_batch: int = 5_000,
        linger: float = 0.002,
    ) -> None:
        self._store = store
        self._audit = audit
        self._on_reads = on_reads
        self._hit_only = hit_only
        self._buffer = nonhit_buffer
        self._clock = clock
        self._dedupe = Deduper(dedupe_window)
        self._max_queue = max_queue
        self._max_batch = max_batch
        self._linger = linger
        self._queue: queue.SimpleQueue[_Job | object] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._pending = 0
        self._closed = False
        self._rate = 1000.0  # reads/s, a running estimate for Retry-After
        self.stats: Counter[str] = Counter()
        self._thread = threading.Thread(target=self._run, name="ingest-writer", daemon=True)
        self._thread.start()

    # -- submitting ---------------------------------------------------------------------------

    def submit(
        self,
        reads: Sequence[Read],
        *,
        images: Mapping[int, bytes] | None = None,
        links: Mapping[int, Sequence[str]] | None = None,
        consensus: Collection[int] = (),
    ) -> Future[IngestResult]:
        """Queues reads; the future resolves once they are durable. ``OverloadedError`` now
        if the queue is full or the pipeline is closing. ``consensus``: indexes of reads that
        are a sender's verdict over the reads they link (see ``dedupe``)."""
        job = _Job(reads, images or {}, links or {}, frozenset(consensus))
        if not reads:
            job.future.set_result(IngestResult(0, 0, 0))
            return job.future
        with self._lock:
            if self._closed:
                raise OverloadedError("ingest is shutting down; retry shortly", retry_after=5.0)
            if self._pending and self._pending + len(reads) > self._max_queue:
                self.stats["rejected_overload"] += len(reads)
                wait = max(1.0, min(30.0, self._pending / max(self._rate, 1.0)))
                raise OverloadedError(
                    f"ingest queue is full ({self._pending} reads waiting)", retry_after=wait
                )
            self._pending += len(reads)
        self._queue.put(job)
        return job.future

    def ingest(
        self,
        reads: Sequence[Read],
        *,
        images: Mapping[int, bytes] | None = None,
        links: Mapping[int, Sequence[str]] | None = None,
        consensus: Collection[int] = (),
        timeout: float | None = 60.0,
    ) -> IngestResult:
        """``submit`` and wait until durable."""
        return self.submit(reads, images=images, links=links, consensus=consensus).result(timeout)

    @property
    def pending(self) -> int:
        with self._lock:
            return self._pending

    def close(self, timeout: float | None = 60.0) -> None:
        """Stops taking submissions, writes everything queued, and stops the writer."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._queue.put(_STOP)
        self._thread.join(timeout)

    # -- the writer ---------------------------------------------------------------------------

    def _run(self) -> None:
        stopping = False
        while not stopping:
            first = self._queue.get()
            if first is _STOP:
                break
            assert isinstance(first, _Job)
            jobs, size = [first], len(first.reads)
            deadline = time.monotonic() + self._linger
            while size < self._max_batch:
                try:
                    nxt = self._queue.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    break
                if nxt is _STOP:
                    stopping = True
                    break
                assert isinstance(nxt, _Job)
                jobs.append(nxt)
                size += len(nxt.reads)
            started = time.perf_counter()
            self._process(jobs)
            elapsed = max(time.perf_counter() - started, 1e-6)
            self._rate = 0.8 * self._rate + 0.2 * (size / elapsed)
            with self._lock:
                self._pending -= size

    def _process(self, jobs: list[_Job]) -> None:
        try:
            kept, results = self._write(jobs)
        except Exception as exc:  # a failed batch fails its submissions, never the writer
            if len(jobs) > 1:
                for job in jobs:
                    self._process([job])
                return
            self._fail(jobs, exc)
            return
        try:  # the reads are durable now; a refused audit entry must still be loud
            if kept:
                self._record(kept)
        except Exception as exc:
            self._fail(jobs, exc)
            return
        for job, result in zip(jobs, results, strict=True):
            job.future.set_result(result)

    def _fail(self, jobs: list[_Job], exc: Exception) -> None:
        count = sum(len(job.reads) for job in jobs)
        log.error("ingest of %d reads failed: %s: %s", count, type(exc).__name__, exc)
        self.stats["failed"] += count
        for job in jobs:
            job.future.set_exception(exc)

    def _write(self, jobs: list[_Job]) -> tuple[list[Read], list[IngestResult]]:
        """Dedupe and retain one batch; on failure the deduper forgets it again."""
        reads: list[Read] = []
        images: dict[int, bytes] = {}
        links: dict[int, Sequence[str]] = {}
        consensus: set[int] = set()
        for job in jobs:
            base = len(reads)
            reads.extend(job.reads)
            images.update({base + i: img for i, img in job.images.items()})
            links.update({base + i: ln for i, ln in job.links.items()})
            consensus.update(base + i for i in job.consensus)
        keep, undo = self._dedupe.check(reads, links, consensus)
        kept = [i for i, k in enumerate(keep) if k]
        try:
            self._retain([reads[i] for i in kept], [images.get(i) for i in kept])
        except BaseException:
            self._dedupe.undo(undo)
            raise
        results, offset = [], 0
        for job in jobs:
            n = len(job.reads)
            mine = sum(keep[offset : offset + n])
            results.append(IngestResult(accepted=n, kept=mine, duplicates=n - mine))
            offset += n
        self.stats["accepted"] += len(reads)
        self.stats["duplicates"] += len(reads) - len(kept)
        self.stats["batches"] += 1
        return [reads[i] for i in kept], results

    def _retain(self, reads: list[Read], images: list[bytes | None]) -> None:
        """Hot-list hook, then the retention decision, then the store."""
        if not reads:
            return
        by_index = {i: img for i, img in enumerate(images) if img is not None}
        hits = list(self._on_reads(reads, by_index)) if self._on_reads else [False] * len(reads)
        if len(hits) != len(reads):
            raise StoreError(f"hot-list hook returned {len(hits)} flags for {len(reads)} reads")
        if self._hit_only:
            stored = [i for i, hit in enumerate(hits) if hit]
            others = [i for i, hit in enumerate(hits) if not hit]
            if others and self._buffer is not None:
                self._buffer.add_many(
                    [reads[i] for i in others],
                    {j: img for j, i in enumerate(others) if (img := images[i]) is not None},
                )
            self.stats["nonhit_buffered"] += len(others)
        else:
            stored = list(range(len(reads)))
        if stored:
            self._store.append(
                [reads[i] for i in stored],
                hits=[hits[i] for i in stored],
                images={j: img for j, i in enumerate(stored) if (img := images[i]) is not None},
            )
        self.stats["stored"] += len(stored)
        self.stats["hits"] += sum(hits)

    def _record(self, reads: list[Read]) -> None:
        """One READS_INGESTED event per agency in the batch: counts per camera, no plates."""
        per_agency: dict[str, Counter[str]] = {}
        for read in reads:
            per_agency.setdefault(read.agency_id, Counter())[read.camera_id] += 1
        now = self._clock()
        self._audit.append_many(
            [
                AuditEvent(
                    type=EventType.READS_INGESTED,
                    at=now,
                    agency_id=agency or None,
                    public={"camera_counts": dict(counts), "count": sum(counts.values())},
                )
                for agency, counts in sorted(per_agency.items())
            ]
        )
