"""The log as components use it: durable indices, thread safety, one writer, readers alongside,
the private detail for auditors, and proofs that any RFC 9162 verifier accepts."""

from __future__ import annotations

import stat
import threading
from pathlib import Path

import pytest

from tests.audit.conftest import PLATE, fill, search_event
from trustlpr.audit import AuditLog, AuditService, open_audit, parse_leaf
from trustlpr.audit.detail import DetailStore
from trustlpr.audit.leaf import prepare
from trustlpr.audit.merkle import leaf_hash, root_of, verify_consistency, verify_inclusion
from trustlpr.core.errors import AuditError, InputError, NotFoundError, VerificationError
from trustlpr.core.events import AuditEvent, AuditSink, EventType


def test_is_an_audit_sink(audit: AuditService) -> None:
    sink: AuditSink = audit  # the service
    sink_log: AuditSink = audit.log  # and the bare log
    assert sink.append(search_event(0)) == 0
    assert sink_log.append_many([search_event(1), search_event(2)]) == [1, 2]
    assert audit.log.size == 3


def test_bad_event_in_a_batch_writes_nothing(audit: AuditService) -> None:
    fill(audit, 5)
    bad = AuditEvent(EventType.SEARCH_DECIDED, search_event(0).at, "ct-nhpd", {"plate": PLATE})
    with pytest.raises(InputError) as caught:
        audit.append_many([search_event(5), bad, search_event(6)])
    assert caught.value.line == 1 and caught.value.field == "plate"
    assert audit.log.size == 5
    assert audit.append(search_event(5)) == 5


def test_oversized_public_part_is_refused_before_anything_is_written(
    audit: AuditService,
) -> None:
    fill(audit, 2)
    huge = AuditEvent(
        EventType.READS_INGESTED,
        search_event(0).at,
        "ct-nhpd",
        {"camera_counts": {f"camera-{i:05d}": i for i in range(1000)} | {"x": 1}},
    )
    with pytest.raises(InputError):
        audit.append(huge)  # more than 1000 cameras: refused by the guard
    wide = AuditEvent(
        EventType.READS_INGESTED,
        search_event(0).at,
        "ct-nhpd",
        {"camera_counts": {f"camera-{'x' * 50}-{i:05d}": 10**9 for i in range(1000)}},
    )
    with pytest.raises(InputError, match="too large"):
        audit.append_many([search_event(2), wide])
    assert audit.log.size == 2
    assert audit.append(search_event(2)) == 2  # no detail row was left behind to clash
    audit.log.detail(2)


def test_entries_detail_and_roots(audit: AuditService) -> None:
    fill(audit, 300)
    log = audit.log
    leaves = [leaf for _, leaf in log.entries()]
    assert len(leaves) == 300
    assert [i for i, _ in log.entries(290, 295)] == [290, 291, 292, 293, 294]
    assert list(log.entries(295, 10_000))[-1][0] == 299
    assert log.entry(17)["public"]["request_id"] == "req-17"
    detail = log.detail(17)
    assert detail.private["plate"] == PLATE and detail.at.endswith("Z")
    assert PLATE not in repr(detail)
    hashes = [leaf_hash(x) for x in leaves]
    assert log.root() == root_of(hashes)
    assert log.root(100) == root_of(hashes[:100])
    for index in (0, 99, 255, 256, 299):
        assert log.leaf_hash(index) == hashes[index]
        verify_inclusion(index, 300, hashes[index], log.inclusion_proof(index), log.root())
        verify_inclusion(0, 100, hashes[0], log.inclusion_proof(0, 100), root_of(hashes[:100]))
    verify_consistency(100, 300, log.consistency_proof(100), root_of(hashes[:100]), log.root())
    with pytest.raises(InputError):
        log.inclusion_proof(300)
    with pytest.raises(InputError):
        log.inclusion_proof(5, 301)
    with pytest.raises(InputError):
        log.consistency_proof(301)
    with pytest.raises(NotFoundError):
        log.leaf(300)
    with pytest.raises(InputError):
        list(log.entries(-1, 3))


def test_detail_that_does_not_open_is_refused(tmp_path: Path) -> None:
    with open_audit(tmp_path) as audit:
        fill(audit, 3)
    store = DetailStore(tmp_path / "audit" / "detail.db")
    store.drop_from(1)
    store.insert_many(1, [prepare(search_event(99), bytes(32))])  # someone swapped the detail
    store.close()
    with open_audit(tmp_path) as audit:
        with pytest.raises(VerificationError, match="entry 1"):
            audit.log.detail(1)
        with pytest.raises(NotFoundError):
            audit.log.detail(7)


def test_concurrent_appends_get_distinct_contiguous_indices(audit: AuditService) -> None:
    got: list[int] = []
    lock = threading.Lock()

    def worker(offset: int) -> None:
        for i in range(50):
            indices = audit.append_many([search_event(offset + i), search_event(offset + i + 1)])
            with lock:
                got.extend(indices)

    threads = [threading.Thread(target=worker, args=(k * 1000,)) for k in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(got) == list(range(400))
    assert audit.log.root() == root_of([leaf_hash(x) for _, x in audit.log.entries()])


def test_one_writer_many_readers(tmp_path: Path) -> None:
    with open_audit(tmp_path) as writer:
        fill(writer, 10)
        with pytest.raises(AuditError, match="another process"):
            AuditLog(tmp_path / "audit")
        reader = open_audit(tmp_path, readonly=True)
        fill(writer, 5)
        assert reader.log.size == 10  # a snapshot taken at open
        assert reader.log.root() == writer.log.root(10)
        with pytest.raises(AuditError, match="read-only"):
            reader.append(search_event(0))
        reader.close()
    with pytest.raises(NotFoundError):
        open_audit(tmp_path / "elsewhere", readonly=True)


def test_private_files_are_owner_only(audit: AuditService) -> None:
    fill(audit, 2)
    names = ["log.key", *(p.name for p in audit.directory.glob("detail.db*"))]
    assert len(names) >= 2
    for name in names:  # the database and its WAL files
        mode = stat.S_IMODE((audit.directory / name).stat().st_mode)
        assert mode == 0o600, name


def test_detail_rows_without_a_leaf_are_dropped_on_reopen(tmp_path: Path) -> None:
    with open_audit(tmp_path) as audit:
        fill(audit, 4)
    # a crash after the detail commit but before the leaves were written
    store = DetailStore(tmp_path / "audit" / "detail.db")
    store.insert_many(4, [prepare(search_event(4), bytes(32))])
    store.close()
    with open_audit(tmp_path) as audit:
        assert audit.log.size == 4
        assert audit.append(search_event(4)) == 4  # the index is reused without a clash
        assert parse_leaf(audit.log.leaf(4))["public"]["request_id"] == "req-4"
        audit.log.detail(4)


def test_reopen_is_the_same_tree(tmp_path: Path) -> None:
    with open_audit(tmp_path) as audit:
        fill(audit, 1000, batch=333)
        root = audit.log.root()
    with open_audit(tmp_path) as audit:
        assert audit.log.size == 1000 and audit.log.root() == root
        assert audit.append(search_event(1000)) == 1000
    assert "size=1001" in repr(open_audit(tmp_path, readonly=True).log)


def test_entry_bundles_and_tiles(audit: AuditService) -> None:
    fill(audit, 300)
    log = audit.log
    bundle = log.entry_bundle(0)
    first = log.leaf(0)
    assert bundle[:2] == len(first).to_bytes(2, "big") and bundle[2 : 2 + len(first)] == first
    assert log.entry_bundle(1, 44).count(b'"v":1') == 44
    with pytest.raises(NotFoundError):
        log.entry_bundle(1)
    assert log.tile(0, 0) == b"".join(log.leaf_hash(i) for i in range(256))
    assert log.tile(0, 1, 44) == b"".join(log.leaf_hash(i) for i in range(256, 300))
