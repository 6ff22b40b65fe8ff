"""The ReadStore contract, run against every backend."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from trustlpr.core import KeyDestroyedError, NotFoundError, confusion_key
from trustlpr.store import ReadStore, RetentionClass
from trustlpr.store.partitioned import SEAL_CHUNK

from .conftest import T0, make_read, week_of_reads


def test_lookup_finds_exactly_the_plate_in_the_window(store: ReadStore) -> None:
    reads = week_of_reads()
    store.append(reads)
    start, end = T0 + timedelta(days=1), T0 + timedelta(days=3)
    found = store.lookup("AB1234", start, end)
    expected = [r for r in reads if r.plate == "AB1234" and start <= r.observed_at < end]
    assert [f.read for f in found] == expected
    assert all(f.read.plate == "AB1234" for f in found)


def test_lookup_with_variants_uses_the_confusion_key(store: ReadStore) -> None:
    store.append([make_read("OS1Z", T0), make_read("0512", T0 + timedelta(hours=1))])
    exact = store.lookup("OS1Z", T0, T0 + timedelta(days=1))
    both = store.lookup("OS1Z", T0, T0 + timedelta(days=1), variants=True)
    assert [f.read.plate for f in exact] == ["OS1Z"]
    assert sorted(f.read.plate for f in both) == ["0512", "OS1Z"]
    assert {confusion_key(f.read.plate) for f in both} == {"0512"}


def test_lookup_honours_camera_filter(store: ReadStore) -> None:
    store.append(week_of_reads())
    found = store.lookup("AB1234", T0, T0 + timedelta(days=7), cameras=["cam-0"])
    assert found and all(f.read.camera_id == "cam-0" for f in found)


def test_scan_applies_window_cameras_and_predicate(store: ReadStore) -> None:
    reads = week_of_reads()
    store.append(reads)
    start, end = T0, T0 + timedelta(days=2)
    got = list(store.scan(start, end, cameras=["cam-1"], predicate=lambda r: r.plate[:2] == "XY"))
    want = [
        r
        for r in reads
        if start <= r.observed_at < end and r.camera_id == "cam-1" and r.plate.startswith("XY")
    ]
    assert sorted(g.read.observed_at for g in got) == sorted(r.observed_at for r in want)


def test_vehicles_yields_the_plate_and_state_of_every_read_in_the_window(
    store: ReadStore,
) -> None:
    reads = [*week_of_reads(), replace(make_read("NO5TATE", T0 + timedelta(hours=1)), state=None)]
    store.append(reads, hits=[i % 3 == 0 for i in range(len(reads))])  # both classes
    start, end = T0 + timedelta(hours=1), T0 + timedelta(days=3)
    want = sorted(((r.plate, r.state) for r in reads if start <= r.observed_at < end), key=str)
    assert want and any(s is None for _, s in want)
    assert sorted(store.vehicles(start, end), key=str) == want
    assert sorted(store.vehicles(start, end), key=str) == sorted(
        ((s.read.plate, s.read.state) for s in store.scan(start, end)), key=str
    )


def test_round_trip_keeps_every_field(store: ReadStore) -> None:
    read = make_read(
        "ZZ12",
        T0 + timedelta(seconds=1, microseconds=7),
        direction=270.0,
        make="Honda",
        colour="white",
        vehicle_type="sedan",
        image_ref="img-1",
    )
    store.append([read])
    (found,) = store.lookup("ZZ12", T0, T0 + timedelta(days=1))
    assert found.read == read
    assert found.retention is RetentionClass.NONHIT


def test_images_are_stored_and_returned(store: ReadStore) -> None:
    (ref,) = store.append([make_read("IM1", T0)], images={0: b"\xff\xd8jpeg-bytes"})
    assert store.image(ref) == b"\xff\xd8jpeg-bytes"
    with pytest.raises(NotFoundError):
        store.image("garbage")


def test_purge_drops_expired_days_and_trims_the_boundary_day(store: ReadStore) -> None:
    reads = week_of_reads()
    store.append(reads)
    cutoff = T0 + timedelta(days=3, hours=12)
    report = store.purge(cutoff, cutoff)
    assert {d for _, d in report.days_dropped} == {
        (T0 + timedelta(days=i)).date() for i in range(3)
    }
    assert sorted(report.key_ids_destroyed) == [
        f"nonhit:{(T0 + timedelta(days=i)).date()}" for i in range(3)
    ]
    # the three dropped days' reads count as deleted, with the boundary day's trimmed ones
    assert report.rows_deleted == 3 * 24 + 12
    remaining = [r for r in reads if r.observed_at >= cutoff]
    assert store.stats().reads_total == len(remaining)
    assert store.lookup("AB1234", T0, cutoff) == []


def test_hits_outlive_nonhits(store: ReadStore) -> None:
    refs = store.append([make_read("HIT1", T0), make_read("MISS1", T0)], hits=[True, False])
    assert refs[0].startswith("hit:") and refs[1].startswith("nonhit:")
    store.purge(T0 + timedelta(days=2), T0)
    assert [f.read.plate for f in store.lookup("HIT1", T0, T0 + timedelta(days=1))] == ["HIT1"]
    assert store.lookup("MISS1", T0, T0 + timedelta(days=1)) == []
    assert store.stats().hits_total == 1


def test_a_batch_across_days_and_classes_returns_each_reads_own_ref(store: ReadStore) -> None:
    # Interleaved days and classes: append groups them by partition, the refs stay in input order.
    days = [T0 + timedelta(days=d, hours=h) for h in range(3) for d in (0, 2, 1)]
    reads = [make_read(f"MX{i}", at) for i, at in enumerate(days)]
    hits = [i % 3 == 1 for i in range(len(reads))]
    refs = store.append(reads, hits=hits)
    for read, hit, ref in zip(reads, hits, refs, strict=True):
        (found,) = store.lookup(read.plate, T0, T0 + timedelta(days=3))
        assert (found.ref, found.read) == (ref, read)
        cls = RetentionClass.HIT if hit else RetentionClass.NONHIT
        assert ref.startswith(f"{cls.value}:{read.observed_at.date().isoformat()}:")
    assert len(set(refs)) == len(refs)


def test_a_partition_larger_than_one_seal_chunk_keeps_refs_reads_and_images_in_order(
    store: ReadStore,
) -> None:
    # append seals a partition SEAL_CHUNK reads at a time while the backend writes them
    count = 2 * SEAL_CHUNK + 7
    reads = [make_read(f"CH{i}", T0 + timedelta(seconds=i)) for i in range(count)]
    images = {i: f"image-{i}".encode() for i in (0, SEAL_CHUNK - 1, SEAL_CHUNK, count - 1)}
    refs = store.append(reads, images=images)
    assert len(set(refs)) == count
    for i in (0, SEAL_CHUNK - 1, SEAL_CHUNK, SEAL_CHUNK + 1, count - 1):
        (found,) = store.lookup(reads[i].plate, T0, T0 + timedelta(days=1))
        assert (found.ref, found.read) == (refs[i], reads[i])
        assert store.image(refs[i]) == images.get(i)
    assert [s.read for s in store.scan(T0, T0 + timedelta(days=1))] == reads


def test_promote_moves_a_read_into_the_hit_class(store: ReadStore) -> None:
    (ref,) = store.append([make_read("LATE1", T0)], images={0: b"img"})
    assert store.promote([ref]) == 1
    store.purge(T0 + timedelta(days=2), T0)
    (found,) = store.lookup("LATE1", T0, T0 + timedelta(days=1))
    assert found.retention is RetentionClass.HIT
    assert store.image(found.ref) == b"img"


def test_promoting_a_read_twice_moves_it_once(store: ReadStore) -> None:
    """A ref already promoted (its non-hit row gone) is skipped, not an error."""
    ref, _ = store.append([make_read("LATE1", T0), make_read("STAYS1", T0)])
    assert store.promote([ref, ref]) == 1
    assert store.promote([ref]) == 0
    assert len(store.lookup("LATE1", T0, T0 + timedelta(days=1))) == 1


def test_stats_count_by_day(store: ReadStore) -> None:
    store.append(week_of_reads())
    stats = store.stats()
    assert stats.reads_total == 7 * 24
    assert stats.reads_by_day == {str((T0 + timedelta(days=i)).date()): 24 for i in range(7)}
    assert stats.oldest == T0 + timedelta(minutes=7)


def test_text_with_unit_separator_survives_the_json_fallback(store: ReadStore) -> None:
    read = make_read("SEP1", T0, make="odd\x1fmake")
    store.append([read])
    (found,) = store.lookup("SEP1", T0, T0 + timedelta(days=1))
    assert found.read == read


# -- expiry at its edges (each kills a plausible bug in the shared purge) ----------------------


def test_purge_at_exact_midnight_drops_the_day_and_destroys_its_keys(store: ReadStore) -> None:
    last_instant = T0 + timedelta(days=1) - timedelta(microseconds=1)
    midnight = T0 + timedelta(days=1)
    store.append([make_read("EDGE1", last_instant), make_read("EDGE2", midnight)])
    report = store.purge(midnight, midnight)
    assert report.days_dropped == [(RetentionClass.NONHIT, T0.date())]
    assert report.key_ids_destroyed == [f"nonhit:{T0.date()}"]
    assert report.rows_deleted == 1  # EDGE1 went with its day
    assert store.lookup("EDGE1", T0, midnight + timedelta(days=1)) == []
    assert [f.read.plate for f in store.lookup("EDGE2", T0, T0 + timedelta(days=2))] == ["EDGE2"]
    with pytest.raises(KeyDestroyedError):
        store.rings[RetentionClass.NONHIT].get(T0.date())  # type: ignore[attr-defined]


def test_trim_removes_reads_before_the_cutoff_and_keeps_the_one_at_it(store: ReadStore) -> None:
    cutoff = T0 + timedelta(hours=12)
    store.append(
        [make_read("TRIMA", cutoff - timedelta(microseconds=1)), make_read("TRIMB", cutoff)]
    )
    report = store.purge(cutoff, cutoff)
    assert report.rows_deleted == 1 and not report.days_dropped
    day = (T0, T0 + timedelta(days=1))
    assert store.lookup("TRIMA", *day) == []
    assert [f.read.observed_at for f in store.lookup("TRIMB", *day)] == [cutoff]


def test_purge_destroys_key_files_that_have_no_partition(store: ReadStore) -> None:
    ring = store.rings[RetentionClass.HIT]  # type: ignore[attr-defined]
    orphan, young = T0.date(), (T0 + timedelta(days=5)).date()
    ring.get(orphan, create=True)  # e.g. an audit detail of a read that never reached the disk
    ring.get(young, create=True)
    report = store.purge(T0, T0 + timedelta(days=2))
    assert (RetentionClass.HIT, orphan) in report.days_dropped
    assert report.key_ids_destroyed == [f"hit:{orphan}"]
    assert ring.days() == [young]
    with pytest.raises(KeyDestroyedError):
        ring.get(orphan)


def test_purge_destroys_through_the_ring_that_served_the_reads(store: ReadStore) -> None:
    store.append([make_read("RING1", T0 + timedelta(hours=3))], hits=[True])
    assert store.lookup("RING1", T0, T0 + timedelta(days=1))  # the day's keys are now cached
    ring = store.rings[RetentionClass.HIT]  # type: ignore[attr-defined]
    served = ring.get(T0.date())
    store.purge(T0 + timedelta(days=2), T0 + timedelta(days=2))
    with pytest.raises(KeyDestroyedError):
        ring.get(T0.date())  # not from the cache either
    assert not ring.has(T0.date())
    assert served.key_id == f"hit:{T0.date()}"


def test_an_exact_lookup_keeps_only_the_plate_asked_for(store: ReadStore) -> None:
    members = ["OS12", "0S12", "O512", "QS1Z"]  # one confusion class
    store.append([make_read(p, T0 + timedelta(minutes=i)) for i, p in enumerate(members)])
    window = (T0, T0 + timedelta(days=1))
    for plate in members:
        assert [f.read.plate for f in store.lookup(plate, *window)] == [plate]
    assert sorted(f.read.plate for f in store.lookup("OS12", *window, variants=True)) == sorted(
        members
    )
