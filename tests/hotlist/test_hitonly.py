"""Hit-only mode: non-hit reads stay in memory for the window, late entries still match them,
and not one byte of a non-hit read reaches the data directory."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path

import pytest

from tests.conftest import FakeClock
from tests.hotlist.conftest import ENTRY, ListAudit, make_read, ncic_line
from trustlpr.core.errors import InputError
from trustlpr.hotlist import BufferedRead, HitOnlyBuffer, HotlistService, Match
from trustlpr.hotlist.matcher import NO_MATCH

WINDOW = timedelta(minutes=3)


def test_buffer_keeps_reads_for_the_window_only(clock: FakeClock) -> None:
    buffer = HitOnlyBuffer(WINDOW, clock)
    assert buffer.add(make_read("AAA111", "CT", clock.now))
    clock.advance(minutes=1)
    assert buffer.add(make_read("BBB222", "CT", clock.now))
    assert not buffer.add(make_read("OLD111", "CT", clock.now - WINDOW))  # too old to keep
    assert len(buffer) == 2
    clock.advance(minutes=2)
    assert len(buffer) == 1  # the first read's window closed
    clock.advance(minutes=1)
    assert len(buffer) == 0


def test_window_starts_at_arrival_when_the_camera_clock_runs_fast(clock: FakeClock) -> None:
    buffer = HitOnlyBuffer(WINDOW, clock)
    buffer.add(make_read("AAA111", "CT", clock.now + timedelta(hours=1)))
    clock.advance(minutes=3)
    assert len(buffer) == 0


def test_buffer_is_bounded_and_drops_the_oldest(clock: FakeClock) -> None:
    buffer = HitOnlyBuffer(WINDOW, clock, max_reads=2)
    for i, plate in enumerate(("AAA111", "BBB222", "CCC333")):
        clock.advance(seconds=i)
        buffer.add(make_read(plate, "CT", clock.now))
    assert len(buffer) == 2 and buffer.dropped_full == 1
    found = buffer.rematch(lambda r: Match(possible=()) if r.plate != "AAA111" else NO_MATCH)
    assert found == []


def test_rematch_takes_hits_out_and_leaves_possibles(clock: FakeClock) -> None:
    from trustlpr.hotlist.matcher import HotlistMatcher, ListIndex

    buffer = HitOnlyBuffer(WINDOW, clock)
    buffer.add(make_read("AAA111", "CT", clock.now), b"jpeg-1")
    buffer.add(make_read("AAA111", "NY", clock.now))
    buffer.add(make_read("ZZZ999", "CT", clock.now))
    index = ListIndex("amber")
    index.add(1, "AAA111", "CT", "A", (clock.now + timedelta(days=1)).timestamp())
    probe = HotlistMatcher(clock)
    probe.install(index)
    found = buffer.rematch(probe.match)
    assert sorted((b.read.state, m.hit) for b, m in found) == [("CT", True), ("NY", False)]
    assert [b.image for b, m in found if m.hit] == [b"jpeg-1"]
    assert len(buffer) == 2  # the NY possible and the innocent read stay until the window closes


def test_bad_configuration_is_refused(clock: FakeClock) -> None:
    with pytest.raises(InputError):
        HitOnlyBuffer(timedelta(0), clock)
    with pytest.raises(InputError):
        HitOnlyBuffer(WINDOW, clock, max_reads=0)


def _hit_only(
    tmp_path: Path, audit: ListAudit, clock: FakeClock, sink: list[BufferedRead]
) -> HotlistService:
    def late(reads: Sequence[BufferedRead]) -> None:
        # what the pipeline does with late hits: store them (here: keep them), then raise
        # their alerts
        sink.extend(reads)
        images = {i: b.image for i, b in enumerate(reads) if b.image is not None}
        service.judge([b.read for b in reads], images, late=True).committed()

    service = HotlistService.open(
        tmp_path,
        audit=audit,
        agency_id="nhpd",
        clock=clock,
        hit_only_window=WINDOW,
        late_hit_sink=late,
    )
    return service


def test_entry_added_within_the_window_matches_earlier_reads(
    tmp_path: Path, audit: ListAudit, clock: FakeClock
) -> None:
    late: list[BufferedRead] = []
    svc = _hit_only(tmp_path, audit, clock, late)
    try:
        reads = [make_read("ABC1234", "CT", clock.now), make_read("XYZ999", "CT", clock.now)]
        flags = svc.on_reads(reads)
        assert flags == [False, False]
        assert svc.buffer is not None
        svc.buffer.add_many(reads, {0: b"image-of-the-car"})
        clock.advance(minutes=2)
        svc.add_entry({**ENTRY, "category": "A"}, list_id="amber", actor="sup")
        assert [(b.read.plate, b.image) for b in late] == [("ABC1234", b"image-of-the-car")]
        (alert,) = svc.alerts.list_alerts()
        assert alert.kind == "alert" and alert.has_image
        late.clear()
        clock.advance(minutes=2)  # XYZ999's window has closed
        svc.add_entry({**ENTRY, "plate": "XYZ999"}, list_id="amber", actor="sup")
        assert late == [] and len(svc.buffer) == 0
    finally:
        svc.close()


def test_late_hits_wait_in_an_outbox_without_a_sink(
    tmp_path: Path, audit: ListAudit, clock: FakeClock
) -> None:
    svc = HotlistService.open(
        tmp_path, audit=audit, agency_id="nhpd", clock=clock, hit_only_window=WINDOW
    )
    try:
        assert svc.buffer is not None
        svc.buffer.add(make_read("ABC1234", "CT", clock.now))
        svc.add_entry(ENTRY, list_id="local", actor="sup")
        assert [b.read.plate for b in svc.drain_late_hits()] == ["ABC1234"]
        assert svc.drain_late_hits() == []
    finally:
        svc.close()


def test_possible_match_in_hit_only_mode_is_memory_only_until_confirmed(
    tmp_path: Path, audit: ListAudit, clock: FakeClock
) -> None:
    late: list[BufferedRead] = []
    svc = _hit_only(tmp_path, audit, clock, late)
    try:
        svc.add_entry(ENTRY, list_id="local", actor="sup")
        read = make_read("A8C1234", "CT", clock.now)
        assert svc.on_reads([read]) == [False]
        assert svc.buffer is not None
        svc.buffer.add(read)
        (possible,) = svc.alerts.list_alerts()
        assert possible.kind == "possible" and svc.alerts.store.find() == []
        confirmed = svc.alerts.verify(possible.id, "confirmed", note="plate bent", user="ofc")
        assert confirmed.status == "confirmed"
        assert [r.id for r in svc.alerts.store.find()] == [possible.id]
        assert [b.read for b in late] == [read] and len(svc.buffer) == 0
        # another possible, never verified, vanishes with the window
        svc.on_reads([make_read("A8C1234", "MA", clock.now)])
        assert len(svc.alerts.list_alerts(kind=None, status="unverified")) == 1
        clock.advance(minutes=3)
        assert svc.alerts.list_alerts(status="unverified") == []
    finally:
        svc.close()


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def test_no_byte_of_a_non_hit_read_reaches_the_data_directory(
    tmp_path: Path, audit: ListAudit, clock: FakeClock
) -> None:
    data_dir = tmp_path / "data"
    late: list[BufferedRead] = []
    svc = _hit_only(data_dir, audit, clock, late)
    hit_plate, listed = "HQ7J4K2", "W8R3M9T"
    innocent = [f"N{secrets.token_hex(3).upper()}X" for _ in range(200)]
    images = {
        i: f"JPEG-{plate}-{secrets.token_hex(8)}".encode() for i, plate in enumerate(innocent)
    }
    try:
        svc.import_bytes(
            ("HEADER\n" + ncic_line(plate=listed) + "\n").encode(),
            list_id="ncic",
            fmt="ncic",
            actor="sup",
        )
        sibling = "W8R3M9T".replace("8", "B")  # a confusion sibling: possible, never persisted
        reads = [make_read(p, "NH", clock.now) for p in [*innocent, sibling, hit_plate]]
        flags = svc.on_reads(reads, images)
        assert not any(flags)
        assert svc.buffer is not None
        svc.buffer.add_many([r for r, hit in zip(reads, flags, strict=True) if not hit], images)
        clock.advance(minutes=1)
        svc.add_entry({**ENTRY, "plate": hit_plate, "state": "NH"}, list_id="local", actor="sup")
        assert [b.read.plate for b in late] == [hit_plate]
        clock.advance(minutes=3)
        svc.tick()
        assert len(svc.buffer) == 0
    finally:
        svc.close()
    blobs = [p.read_bytes() for p in _files(data_dir)]
    assert len(blobs) >= 2
    assert any(hit_plate.encode() in b for b in blobs), "positive control: the late hit is stored"
    for plate in [*innocent, sibling]:
        needle = plate.encode()
        assert not any(needle in b for b in blobs), "a non-hit plate reached the disk"
        assert not any(plate.encode("utf-16-le") in b for b in blobs)
    for image in images.values():
        assert not any(image in b for b in blobs), "a non-hit image reached the disk"
