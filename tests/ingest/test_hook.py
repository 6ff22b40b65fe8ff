"""The pipeline's hot-list hook: judged inside the write, raised only after it, once per
stored batch; late hits from the hit-only buffer are stored by the same writer, once."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

import pytest

from trustlpr.core.errors import OverloadedError, StoreError
from trustlpr.core.events import EventType
from trustlpr.core.reads import Read
from trustlpr.hotlist import HitOnlyBuffer
from trustlpr.ingest import IngestPipeline
from trustlpr.store import RetentionClass

from .helpers import stored
from .test_pipeline import T0, GatedStore, read


def _until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 10
    while not condition():
        assert time.monotonic() < deadline, "the writer did not get there"
        time.sleep(0.005)


@dataclass
class Verdict:
    """What a hot-list hook returns; ``committed`` notes which reads were durable by then."""

    reads: list[Read]
    hits: list[bool]
    hook: Hook
    late: bool = False

    def committed(self) -> None:
        self.hook.raised.append(self)
        self.hook.durable_at_raise.append(
            {s.read.plate for s in stored(self.hook.store, T0)} >= {r.plate for r in self.reads}
        )
        if self.hook.fail_raise:
            self.hook.fail_raise -= 1
            raise StoreError("alerts.db is full (test)")


@dataclass
class Hook:
    store: object
    hot: set[str] = field(default_factory=set)
    judged: list[Verdict] = field(default_factory=list)
    raised: list[Verdict] = field(default_factory=list)
    durable_at_raise: list[bool] = field(default_factory=list)
    fail_raise: int = 0

    def __call__(
        self, reads: Sequence[Read], images: Mapping[int, bytes], *, late: bool = False
    ) -> Verdict:
        verdict = Verdict(list(reads), [late or r.plate in self.hot for r in reads], self, late)
        self.judged.append(verdict)
        return verdict


def test_alerts_are_raised_after_the_write_and_once_when_it_is_retried(store, audit, clock):
    gated = GatedStore(store)
    gated.gate.clear()  # hold the writer: the next two submissions become one batch
    hook = Hook(store, hot={"HOT123"})
    pipe = IngestPipeline(gated, audit=audit, hot_lists=hook, clock=clock)
    try:
        warmup = pipe.submit([read("WARM01")])
        _until(lambda: gated.calls == 1)  # the writer holds the warm-up inside its write
        hit = pipe.submit([read("HOT123", 1)])
        bad = pipe.submit([read("BAD001", 2)])
        gated.poison.add("BAD001")
        gated.gate.set()
        assert warmup.result(10).kept == 1 and hit.result(10).kept == 1
        with pytest.raises(StoreError):
            bad.result(10)
    finally:
        pipe.close()
    # judged: warm-up, the failed batch, then each job alone; raised: only what was stored
    assert [[r.plate for r in v.reads] for v in hook.judged] == [
        ["WARM01"], ["HOT123", "BAD001"], ["HOT123"], ["BAD001"]
    ]  # fmt: skip
    assert [[r.plate for r in v.reads] for v in hook.raised] == [["WARM01"], ["HOT123"]]
    assert all(hook.durable_at_raise)


def test_a_failed_raise_fails_the_job_and_its_resend_is_judged_again(store, audit, clock):
    hook = Hook(store, hot={"HOT123"}, fail_raise=1)
    pipe = IngestPipeline(store, audit=audit, hot_lists=hook, clock=clock)
    try:
        with pytest.raises(StoreError, match=r"alerts\.db"):
            pipe.ingest([read("HOT123")])
        assert pipe.ingest([read("HOT123")]).kept == 1  # not dropped as a duplicate
    finally:
        pipe.close()
    assert len(hook.raised) == 2 and len(hook.judged) == 2
    counted = [e for e in audit.events if e.type is EventType.READS_INGESTED]
    assert sum(int(e.public["count"]) for e in counted) == 1


def test_late_hits_are_stored_as_hits_once_and_not_counted_again(store, audit, clock):
    buffer = HitOnlyBuffer(timedelta(minutes=3), clock)
    hook = Hook(store, hot={"OTHER1"})
    gated = GatedStore(store)
    pipe = IngestPipeline(
        gated,
        audit=audit,
        hot_lists=hook,
        hit_only=True,
        nonhit_buffer=buffer,
        clock=clock,
        max_queue=1,
    )
    try:
        clock.now = T0
        assert pipe.ingest([read("LATE01")]).kept == 1  # a non-hit: buffered, not stored
        assert stored(store, T0) == []
        gated.gate.clear()
        held = pipe.submit([read("OTHER1", 5)])  # a hit: its write holds the writer
        _until(lambda: gated.calls == 1)
        with pytest.raises(OverloadedError):  # the queue is full now
            pipe.submit([read("NEW001", 9)])
        late = pipe.submit([read("LATE01")], images={0: b"jpeg"}, late=True)
        again = pipe.submit([read("LATE01")], late=True)  # handed over a second time
        gated.gate.set()
        assert held.result(10).kept == 1
        assert late.result(10).kept == 1 and again.result(10).duplicates == 1
    finally:
        pipe.close()
    rows = {s.read.plate: s for s in stored(store, T0)}
    assert set(rows) == {"LATE01", "OTHER1"}
    assert rows["LATE01"].retention is RetentionClass.HIT
    assert store.image(rows["LATE01"].ref) == b"jpeg"
    assert [v.late for v in hook.raised if v.reads[0].plate == "LATE01"] == [False, True]
    counted = [e for e in audit.events if e.type is EventType.READS_INGESTED]
    assert sum(int(e.public["count"]) for e in counted) == 2  # LATE01 and OTHER1, once each
    assert pipe.stats["late_hits"] == 1
