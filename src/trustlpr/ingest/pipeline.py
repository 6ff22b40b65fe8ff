"""The ingest pipeline: validated reads in, durable (or deliberately forgotten) reads out.

One writer thread takes submissions from a bounded queue and handles them in batches:

    dedupe → hot-list match → retention decision → store.append (encrypts)
           → hot-list alerts raised → audit → acknowledgment

Batches form by themselves (group commit): whatever queued while the previous batch was
being written goes into the next, and the writer lingers ``linger`` (2 ms) for stragglers, so
clients that answer an acknowledgment with their next request share one commit (one fsync).
A submission's future resolves only after its batch is committed, so a caller acknowledges a
read only once it is durable. When the queue is full, ``submit`` raises
``OverloadedError`` at once (the HTTP face answers 503 with ``Retry-After``). ``close`` stops
taking submissions and drains what is queued.

If a batch fails, its submissions are retried one by one, so one bad submission fails alone.
That is why the hot-list stage is split in two: matching (``HitHook``) is pure and runs inside
the write; the alerts it found are raised (stored, audited, pushed) only after the reads are
durable (``MatchedBatch.committed``), once however often the write was attempted.

In hit-only mode non-hits never reach the store: they go to the injected ``NonHitBuffer``
(or are dropped when there is none). A buffered read that became a hit later (a hot-list entry
added within the window, an officer's confirmation) comes back as a *late* submission
(``submit(..., late=True)``): stored as a hit by this same writer, deduplicated against other
late hits, not counted in ``reads_ingested`` a second time (it was counted when it arrived).

Batches from the ingest bus (``trustlpr.bus``) carry a ``tag`` (their message id), named in
the private detail of the ``reads_ingested`` entry that counts them, so a writer restarted
after a crash can tell whether a redelivered batch was already committed. A batch submitted
again after such a crash is ``recover``-ing: its reads the store already holds (same plate,
camera and moment) are counted but not stored a second time.

A submission may carry the count of its reads that were not collected (taken too near a
sensitive place, ``collection``); they are handed to ``not_collected`` (the node's
``CollectionRule.add``) once the submission committed, so a batch that fails and comes back
is counted once.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections import Counter
from collections.abc import Callable, Collection, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Protocol

from ..core.clock import Clock, system_clock
from ..core.errors import OverloadedError, StoreError
from ..core.events import AuditEvent, AuditSink, EventType
from ..core.reads import Read
from ..store.base import ReadStore
from .collection import NotCollected
from .dedupe import Deduper, Undo

log = logging.getLogger(__name__)


class MatchedBatch(Protocol):
    """The hot-list verdict on one batch: ``hits[i]`` for ``reads[i]``, and the alerts found."""

    @property
    def hits(self) -> Sequence[bool]: ...

    def committed(self) -> None:
        """Raises the batch's alerts; called once its reads are durable."""
        ...


class HitHook(Protocol):
    """The hot-list stage (``HotlistService.judge``): judges a batch without side effects,
    ``images[i]`` being the image of ``reads[i]``. ``late``: the reads are hits already (back
    from the hit-only buffer); only their exact alerts are to be raised."""

    def __call__(
        self, reads: Sequence[Read], images: Mapping[int, bytes], *, late: bool = False
    ) -> MatchedBatch: ...


class NonHitBuffer(Protocol):
    """Where hit-only mode puts non-hits (``hotlist.HitOnlyBuffer``): memory, for minutes."""

    def add_many(self, reads: Sequence[Read], images: Mapping[int, bytes] | None = None) -> Any: ...


class Unrecorded(Protocol):
    """The protected-plates registry's ingest check (``ProtectedPlates.not_recorded``):
    which reads the policy forbids recording at all. They go nowhere — not to the hot lists,
    the hit-only buffer or the store — and the sender sees them accepted like any other."""

    def not_recorded(self, reads: Sequence[Read]) -> list[bool]: ...


class Coverage(Protocol):
    """Where mobile units read (``ingest.coverage.MobileCoverage.count``): handed the reads
    ``reads_ingested`` counted, once they are durable."""

    def count(self, reads: Sequence[Read]) -> int: ...


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
    late: bool = False
    tag: str | None = None
    recover: bool = False
    future: Future[IngestResult] = field(default_factory=Future)


@dataclass
class _Written:
    """A batch written: the reads to count in ``reads_ingested``, each job's result, the
    hot-list verdicts whose alerts are still to be raised, how to forget the dedupe, and the
    tags (bus message ids) of the jobs whose reads are counted, by agency."""

    counted: list[Read]
    results: list[IngestResult]
    matched: list[MatchedBatch]
    undo: list[Undo]
    tags: dict[str, set[str]] = field(default_factory=dict)


_STOP = object()


class IngestPipeline:
    """Batches submissions into the store; see the module docstring for the stages."""

    def __init__(
        self,
        store: ReadStore,
        *,
        audit: AuditSink,
        hot_lists: HitHook | None = None,
        hit_only: bool = False,
        nonhit_buffer: NonHitBuffer | None = None,
        protected: Unrecorded | None = None,
        coverage: Coverage | None = None,
        not_collected: Callable[[NotCollected], None] | None = None,
        clock: Clock = system_clock,
        dedupe_window: timedelta = timedelta(seconds=5),
        max_queue: int = 50_000,
        max_batch: int = 5_000,
        linger: float = 0.002,
    ) -> None:
        self._store = store
        self._audit = audit
        self._hot_lists = hot_lists
        self._hit_only = hit_only
        self._buffer = nonhit_buffer
        self._protected = protected
        self._coverage = coverage
        self._not_collected = not_collected
        self._clock = clock
        self._dedupe = Deduper(dedupe_window)
        self._late_dedupe = Deduper(dedupe_window)  # a late hit handed over twice is one read
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
        late: bool = False,
        tag: str | None = None,
        recover: bool = False,
        not_collected: NotCollected | None = None,
    ) -> Future[IngestResult]:
        """Queues reads; the future resolves once they are durable. ``OverloadedError`` now
        if the queue is full or the pipeline is closing. ``consensus``: indexes of reads that
        are a sender's verdict over the reads they link (see ``dedupe``). ``late``: hit-only
        mode's buffered reads that became hits (see the module docstring); never refused for a
        full queue. ``tag`` and ``recover``: a bus batch's id, and whether it is submitted
        again after a writer crash (see the module docstring). ``not_collected``: the count of
        the submission's reads not collected, tallied once it committed."""
        job = _Job(reads, images or {}, links or {}, frozenset(consensus), late, tag, recover)
        if not_collected and self._not_collected is not None:
            tally, counts = self._not_collected, not_collected
            job.future.add_done_callback(lambda f: f.exception() is None and tally(counts))
        if not reads:
            job.future.set_result(IngestResult(0, 0, 0))
            return job.future
        with self._lock:
            if self._closed:
                raise OverloadedError("ingest is shutting down; retry shortly", retry_after=5.0)
            if not late and self._pending and self._pending + len(reads) > self._max_queue:
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
            written = self._write(jobs)
        except Exception as exc:  # a failed batch fails its submissions, never the writer
            if len(jobs) > 1:
                for job in jobs:
                    self._process([job])
                return
            self._fail(jobs, exc)
            return
        try:  # the reads are durable now: raise their alerts, once
            for matched in written.matched:
                matched.committed()
        except Exception as exc:
            # The alerts were not recorded: fail loudly and forget the reads in the deduper, so
            # that the sender's retry is matched again (the read may be stored twice; its alert
            # ids are stable, so it is raised once).
            for undo in written.undo:
                self._dedupe.undo(undo)
            self._fail(jobs, exc)
            return
        try:  # a refused audit entry must still be loud
            if written.counted:
                self._record(written.counted, written.tags)
        except Exception as exc:
            self._fail(jobs, exc)
            return
        if self._coverage is not None and written.counted:
            try:
                self._coverage.count(written.counted)
            except Exception as exc:  # the reads are durable and counted: only the map lags
                self.stats["coverage_failed"] += len(written.counted)
                log.error("mobile coverage not counted: %s: %s", type(exc).__name__, exc)
        for job, result in zip(jobs, written.results, strict=True):
            job.future.set_result(result)

    def _fail(self, jobs: list[_Job], exc: Exception) -> None:
        count = sum(len(job.reads) for job in jobs)
        log.error("ingest of %d reads failed: %s: %s", count, type(exc).__name__, exc)
        self.stats["failed"] += count
        for job in jobs:
            job.future.set_exception(exc)

    def _write(self, jobs: list[_Job]) -> _Written:
        """Dedupe and retain one batch; on failure the dedupers forget it again."""
        fresh = _Gathered([job for job in jobs if not job.late])
        late = _Gathered([job for job in jobs if job.late])
        keep, undo = self._dedupe.check(fresh.reads, fresh.links, fresh.consensus)
        late_keep, late_undo = self._late_dedupe.check(late.reads)
        try:
            stored = self._recordable(fresh.reads, keep)
            late_keep = self._recordable(late.reads, late_keep)
            recovering = [r for r, k in zip(fresh.recover, stored, strict=True) if k]
            matched = self._retain(fresh.kept(stored), late.kept(late_keep), recovering)
        except BaseException:
            self._dedupe.undo(undo)
            self._late_dedupe.undo(late_undo)
            raise
        flags = {
            id(job): flag for g, k in ((fresh, keep), (late, late_keep)) for job, flag in g.split(k)
        }
        results = []
        for job in jobs:
            mine = sum(flags[id(job)])
            results.append(
                IngestResult(accepted=len(job.reads), kept=mine, duplicates=len(job.reads) - mine)
            )
        reads = len(fresh.reads) + len(late.reads)
        kept = sum(keep) + sum(late_keep)
        self.stats["accepted"] += reads
        self.stats["duplicates"] += reads - kept
        self.stats["late_hits"] += sum(late_keep)
        self.stats["batches"] += 1
        counted = [r for r, k in zip(fresh.reads, stored, strict=True) if k]
        tags: dict[str, set[str]] = {}
        for job, counts in fresh.split(stored):
            if job.tag is not None:
                for read, flag in zip(job.reads, counts, strict=True):
                    if flag:
                        tags.setdefault(read.agency_id, set()).add(job.tag)
        return _Written(counted, results, matched, [undo, late_undo], tags)

    def _recordable(self, reads: Sequence[Read], keep: Sequence[bool]) -> list[bool]:
        """``keep`` without the reads the protected-plates registry forbids recording."""
        if self._protected is None or not any(keep):
            return list(keep)
        kept = [r for r, k in zip(reads, keep, strict=True) if k]
        drop = iter(self._protected.not_recorded(kept))
        out = [k and not next(drop) for k in keep]
        self.stats["protected_not_recorded"] += sum(keep) - sum(out)
        return out

    def _retain(
        self,
        fresh: tuple[list[Read], list[bytes | None]],
        late: tuple[list[Read], list[bytes | None]],
        recovering: Sequence[bool],
    ) -> list[MatchedBatch]:
        """Hot-list match, then the retention decision, then the store: one append for the
        fresh reads and the late hits (without ``recovering`` reads the store already holds).
        Returns the verdicts whose alerts are to be raised."""
        reads, images = fresh
        matched: list[MatchedBatch] = []
        hits = [False] * len(reads)
        if reads and self._hot_lists is not None:
            verdict = self._hot_lists(reads, _by_index(images))
            hits = list(verdict.hits)
            if len(hits) != len(reads):
                raise StoreError(f"hot-list hook returned {len(hits)} flags for {len(reads)} reads")
            matched.append(verdict)
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
        if any(recovering):
            held = {i for i in stored if recovering[i] and self._holds(reads[i])}
            self.stats["recovered_already_stored"] += len(held)
            stored = [i for i in stored if i not in held]
        late_reads, late_images = late
        if late_reads and self._hot_lists is not None:
            matched.append(self._hot_lists(late_reads, _by_index(late_images), late=True))
        out = [reads[i] for i in stored] + late_reads
        out_images = [images[i] for i in stored] + late_images
        if out:
            self._store.append(
                out,
                hits=[hits[i] for i in stored] + [True] * len(late_reads),
                images={i: img for i, img in enumerate(out_images) if img is not None},
            )
        self.stats["stored"] += len(out)
        self.stats["hits"] += sum(hits) + len(late_reads)
        return matched

    def _holds(self, read: Read) -> bool:
        """Whether the store holds this read already (same plate, camera and microsecond)."""
        found = self._store.lookup(
            read.plate,
            read.observed_at,
            read.observed_at + timedelta(microseconds=1),
            cameras=[read.camera_id],
        )
        return any(s.read.plate == read.plate for s in found)

    def _record(self, reads: list[Read], tags: Mapping[str, set[str]]) -> None:
        """One READS_INGESTED event per agency in the batch: counts per camera, no plates;
        the bus batches it counts (their ids) in the private detail."""
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
                    private={"bus": sorted(tags[agency])} if agency in tags else {},
                )
                for agency, counts in sorted(per_agency.items())
            ]
        )


def _by_index(images: Sequence[bytes | None]) -> dict[int, bytes]:
    return {i: img for i, img in enumerate(images) if img is not None}


class _Gathered:
    """The reads, images and links of some jobs, concatenated in order."""

    def __init__(self, jobs: list[_Job]) -> None:
        self.jobs = jobs
        self.reads: list[Read] = []
        self.images: list[bytes | None] = []
        self.links: dict[int, Sequence[str]] = {}
        self.consensus: set[int] = set()
        self.recover: list[bool] = []
        for job in jobs:
            base = len(self.reads)
            self.reads.extend(job.reads)
            self.recover.extend([job.recover] * len(job.reads))
            self.images.extend(job.images.get(i) for i in range(len(job.reads)))
            self.links.update({base + i: ln for i, ln in job.links.items()})
            self.consensus.update(base + i for i in job.consensus)

    def kept(self, keep: Sequence[bool]) -> tuple[list[Read], list[bytes | None]]:
        idx = [i for i, k in enumerate(keep) if k]
        return [self.reads[i] for i in idx], [self.images[i] for i in idx]

    def split(self, keep: Sequence[bool]) -> list[tuple[_Job, Sequence[bool]]]:
        out, offset = [], 0
        for job in self.jobs:
            out.append((job, keep[offset : offset + len(job.reads)]))
            offset += len(job.reads)
        return out
