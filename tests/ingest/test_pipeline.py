"""The pipeline over the real SQLite read store: durability, dedupe, hits, hit-only mode,
back-pressure, failure isolation, audit, and draining on close."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest

from trustlpr.core.errors import AuditError, OverloadedError, StoreError
from trustlpr.core.events import EventType
from trustlpr.core.identity import Camera
from trustlpr.core.reads import Read
from trustlpr.hotlist import HitOnlyBuffer
from trustlpr.ingest import ADAPTERS, IngestPipeline
from trustlpr.store import RetentionClass

from . import payloads as p
from .helpers import ListAudit, plate_crops, stored

T0 = datetime(2026, 11, 1, 11, 59, tzinfo=UTC)


def read(plate: str, seconds: float = 0.0, camera: str = "c1", agency: str = "a1") -> Read:
    return Read(
        plate=plate,
        state="CT",
        confidence=0.9,
        observed_at=T0 + timedelta(seconds=seconds),
        camera_id=camera,
        agency_id=agency,
        latitude=41.3,
        longitude=-72.9,
    )


@dataclass
class Flags:
    """A hot-list verdict with nothing to raise (the hot-list tests cover raising)."""

    hits: list[bool]
    raised: int = 0

    def committed(self) -> None:
        self.raised += 1


class GatedStore:
    """Our own ``ReadStore`` seam around the real store: can hold appends or fail some."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.gate = threading.Event()
        self.gate.set()
        self.poison: set[str] = set()
        self.calls = 0

    def append(
        self, reads: Sequence[Read], *, hits=None, images: Mapping[int, bytes] | None = None
    ):
        self.calls += 1
        self.gate.wait(30)
        if any(r.plate in self.poison for r in reads):
            raise StoreError("disk says no")
        return self.inner.append(reads, hits=hits, images=images)

    def __getattr__(self, name: str):
        return getattr(self.inner, name)


def test_reads_and_images_are_durable_when_acknowledged(pipeline, store, shared_dir):
    (plate, jpeg), *_ = plate_crops(shared_dir, 1)
    result = pipeline.ingest([read(plate), read("XYZ987", 1)], images={0: jpeg})
    assert (result.accepted, result.kept, result.duplicates) == (2, 2, 0)
    rows = {s.read.plate: s for s in stored(store, T0)}
    assert set(rows) == {plate, "XYZ987"}
    assert store.image(rows[plate].ref) == jpeg
    assert store.image(rows["XYZ987"].ref) is None
    assert rows[plate].retention is RetentionClass.NONHIT


def test_same_plate_same_camera_within_the_window_is_one_read(pipeline, store):
    first = pipeline.ingest([read("ABC123", 0), read("ABC123", 2)])
    assert (first.kept, first.duplicates) == (1, 1)
    again = pipeline.ingest([read("ABC123", 4.5), read("ABC123", 5.5, camera="c2")])
    assert (again.kept, again.duplicates) == (1, 1)  # other camera is a new read
    later = pipeline.ingest([read("ABC123", 6)])  # 6 s after the kept read: a new pass
    assert later.kept == 1
    confusable = pipeline.ingest([read("A8C123", 1)])  # never merged with a variant
    assert confusable.kept == 1
    assert len(stored(store, T0)) == 4


def test_an_alpr_group_is_kept_over_its_frames_once(pipeline, store):
    cam = Camera(id="c1", agency_id="a1", name="Cam", latitude=41.3, longitude=-72.9)
    adapter = ADAPTERS["openalpr"]
    frames = [
        adapter.parse(
            p.openalpr_results(
                7,
                f"f{i}",
                T0 + timedelta(milliseconds=300 * i),
                [p.openalpr_result("AB12345", 80 + i, None)],
            ),
            cam,
        )
        for i in range(3)
    ]
    for frame in frames:
        pipeline.ingest(frame.reads, images=frame.images, links=frame.links)
    assert len(stored(store, T0)) == 1  # frames of one pass: one read
    # the group arrives ~8 s later, dated at its first frame, and names the frames: it is the
    # agent's consensus, kept with its attributes
    group = adapter.parse(
        p.openalpr_group(7, "AB12345", T0, T0 + timedelta(seconds=0.6), ["f0", "f1", "f2"]), cam
    )
    kept = pipeline.ingest(group.reads, links=group.links, consensus=group.consensus)
    assert (kept.kept, kept.duplicates) == (1, 0)
    again = pipeline.ingest(group.reads, links=group.links, consensus=group.consensus)
    assert again.duplicates == 1  # the same group again
    # a final group whose consensus changed the plate is kept: it may be the hot-listed one
    other = adapter.parse(p.openalpr_group(7, "AB12346", T0, T0, ["f1"]), cam)
    assert pipeline.ingest(other.reads, links=other.links, consensus=other.consensus).kept == 1
    assert sorted(s.read.plate for s in stored(store, T0)) == ["AB12345", "AB12345", "AB12346"]


def test_a_failed_group_is_forgotten_so_its_retry_is_stored(store, audit, clock):
    gated = GatedStore(store)
    gated.poison.add("AB12345")
    running = IngestPipeline(gated, audit=audit, clock=clock)
    try:
        group = [read("AB12345")]
        with pytest.raises(StoreError):
            running.ingest(group, links={0: ("f0#0",)}, consensus={0})
        gated.poison.clear()
        assert running.ingest(group, links={0: ("f0#0",)}, consensus={0}).kept == 1
    finally:
        running.close()


def test_hits_go_to_the_hit_class_and_the_hook_sees_images(store, audit, clock, shared_dir):
    (plate, jpeg), *_ = plate_crops(shared_dir, 1)
    seen: list[tuple[list[str], dict[int, bytes]]] = []

    def judge(reads, images, *, late=False):
        seen.append(([r.plate for r in reads], dict(images)))
        return Flags([r.plate == plate for r in reads])

    pipe = IngestPipeline(store, audit=audit, hot_lists=judge, clock=clock)
    try:
        pipe.ingest([read("XYZ987"), read(plate, 1)], images={1: jpeg})
    finally:
        pipe.close()
    assert seen == [(["XYZ987", plate], {1: jpeg})]
    classes = {s.read.plate: s.retention for s in stored(store, T0)}
    assert classes == {"XYZ987": RetentionClass.NONHIT, plate: RetentionClass.HIT}


def test_hit_only_mode_keeps_non_hits_off_the_disk(store, audit, clock):
    buffer = HitOnlyBuffer(timedelta(minutes=3), clock)
    pipe = IngestPipeline(
        store,
        audit=audit,
        hot_lists=lambda reads, _, late=False: Flags([r.plate == "HOT123" for r in reads]),
        hit_only=True,
        nonhit_buffer=buffer,
        clock=clock,
    )
    try:
        clock.now = T0
        result = pipe.ingest([read("COLD11"), read("HOT123", 1), read("COLD22", 2)])
    finally:
        pipe.close()
    assert result.kept == 3
    assert [s.read.plate for s in stored(store, T0)] == ["HOT123"]
    assert len(buffer) == 2
    assert pipe.stats["nonhit_buffered"] == 2


def test_a_full_queue_refuses_at_once_and_recovers(store, audit, clock):
    gated = GatedStore(store)
    gated.gate.clear()
    pipe = IngestPipeline(gated, audit=audit, clock=clock, max_queue=10)
    try:
        futures = [pipe.submit([read(f"AAA{i:03d}", i * 10)]) for i in range(10)]
        with pytest.raises(OverloadedError) as err:
            pipe.submit([read("ZZZ999")])
        assert err.value.http_status == 503 and err.value.retry_after >= 1
        gated.gate.set()
        assert all(f.result(10).kept == 1 for f in futures)
        assert pipe.ingest([read("ZZZ999")]).kept == 1
    finally:
        pipe.close()
    assert len(stored(store, T0)) == 11


def test_one_bad_submission_fails_alone_and_nothing_else_is_lost(store, audit, clock):
    gated = GatedStore(store)
    gated.gate.clear()  # hold the writer so the next three land in one batch
    pipe = IngestPipeline(gated, audit=audit, clock=clock)
    try:
        warmup = pipe.submit([read("WARM01")])
        good1 = pipe.submit([read("GOOD01")])
        bad = pipe.submit([read("BAD001"), read("GOOD02", 1)])
        good2 = pipe.submit([read("GOOD03")])
        gated.poison.add("BAD001")
        gated.gate.set()
        assert warmup.result(10).kept == 1
        assert good1.result(10).kept == 1 and good2.result(10).kept == 1
        with pytest.raises(StoreError):
            bad.result(10)
        # the failed submission was not remembered as seen: a retry after the fix stores it
        gated.poison.clear()
        assert pipe.ingest([read("BAD001"), read("GOOD02", 1)]).kept == 2
    finally:
        pipe.close()
    assert sorted(s.read.plate for s in stored(store, T0)) == [
        "BAD001",
        "GOOD01",
        "GOOD02",
        "GOOD03",
        "WARM01",
    ]


def test_each_batch_is_audited_per_agency_without_plates(pipeline, audit):
    pipeline.ingest(
        [read("ABC123"), read("XYZ987", 1, camera="c2"), read("QRS456", 2, agency="a2")]
    )
    events = [e for e in audit.events if e.type is EventType.READS_INGESTED]
    by_agency = {e.agency_id: e.public for e in events}
    assert by_agency == {
        "a1": {"camera_counts": {"c1": 1, "c2": 1}, "count": 2},
        "a2": {"camera_counts": {"c1": 1}, "count": 1},
    }
    assert all(not e.private for e in events)
    assert "ABC123" not in repr([e.public for e in events])


def test_a_refused_audit_entry_fails_loudly_but_keeps_the_reads(store, clock):
    class Refusing(ListAudit):
        def append_many(self, events):
            raise AuditError("audit log is full")

    pipe = IngestPipeline(store, audit=Refusing(), clock=clock)
    try:
        with pytest.raises(AuditError):
            pipe.ingest([read("ABC123")])
        assert [s.read.plate for s in stored(store, T0)] == ["ABC123"]
        assert pipe.ingest([read("ABC123")]).duplicates == 1  # a retry is not stored twice
    finally:
        pipe.close()


def test_close_drains_the_queue_and_refuses_new_work(store, audit, clock):
    gated = GatedStore(store)
    gated.gate.clear()
    pipe = IngestPipeline(gated, audit=audit, clock=clock)
    futures = [pipe.submit([read(f"DRN{i:03d}", i * 10)]) for i in range(50)]
    closer = threading.Thread(target=pipe.close)
    closer.start()
    gated.gate.set()
    closer.join(30)
    assert all(f.done() and f.result().kept == 1 for f in futures)
    with pytest.raises(OverloadedError):
        pipe.submit([read("LATE01")])
    assert len(stored(store, T0)) == 50
