"""Group commit: callers appending at the same time share one durable write (a fast path);
each gets its own batch's indices, and the log is the one the plain path writes."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from tests.audit.conftest import search_event
from trustlpr.audit import AuditLog, open_audit, parse_leaf, verify_log
from trustlpr.audit.leaf import PreparedEntry, prepare
from trustlpr.core.errors import AuditError


def _prepared(first: int, count: int) -> list[PreparedEntry]:
    """Entries with fixed salts, so two logs given them hold the same bytes."""
    return [prepare(search_event(i), bytes([i % 256]) * 32) for i in range(first, first + count)]


def _wait_for(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 30
    while not condition():
        assert time.monotonic() < deadline, "the appending threads did not get there"
        time.sleep(0.001)


def _group_writes(log: AuditLog) -> list[int]:
    """Records the size of every write the log makes (each write is one round of fsyncs)."""
    sizes: list[int] = []
    plain = log._write

    def counting(prepared: Sequence[PreparedEntry]) -> list[int]:
        sizes.append(len(prepared))
        return plain(prepared)

    log._write = counting  # type: ignore[method-assign]
    return sizes


def _append_while_held(log: AuditLog, batches: list[list[PreparedEntry]]) -> dict[int, object]:
    """Appends ``batches`` from one thread each while the test holds the writer's lock: the
    first caller leads (and waits for the lock), the rest queue behind it as one group."""
    results: dict[int, object] = {}

    def run(number: int) -> None:
        try:
            results[number] = log._append_prepared(batches[number])
        except Exception as exc:  # collected for the test to inspect
            results[number] = exc

    threads = [threading.Thread(target=run, args=(n,)) for n in range(len(batches))]
    with log._lock:
        threads[0].start()
        _wait_for(lambda: log._leading)
        for thread in threads[1:]:
            thread.start()
        _wait_for(lambda: len(log._pending) == len(batches) - 1)
    for thread in threads:
        thread.join()
    return results


def test_waiting_callers_share_one_write_and_the_log_is_the_plain_paths(tmp_path: Path) -> None:
    grouped = open_audit(tmp_path / "grouped", agency_id="ct-nhpd")
    plain = open_audit(tmp_path / "plain", agency_id="ct-nhpd")
    try:
        sizes = [1, 3, 1, 2, 5, 1, 4, 2]
        batches, first = [], 0
        for size in sizes:
            batches.append(_prepared(first, size))
            first += size
        writes = _group_writes(grouped.log)
        results = _append_while_held(grouped.log, batches)
        assert writes == [1, sum(sizes) - 1]  # the leader's batch, then everyone else's at once
        landed: list[tuple[int, PreparedEntry]] = []
        for number, batch in enumerate(batches):
            indices = results[number]
            assert isinstance(indices, list) and len(indices) == len(batch)
            assert indices == list(range(indices[0], indices[0] + len(batch)))  # contiguous
            for index, entry in zip(indices, batch, strict=True):
                assert grouped.log.leaf(index) == entry.leaf
                assert grouped.log.detail(index).private_json == entry.private_json
                landed.append((index, entry))
        landed.sort(key=lambda pair: pair[0])
        assert [index for index, _ in landed] == list(range(sum(sizes)))
        for _, entry in landed:  # the plain path: one caller, one write each
            plain.log._write([entry])
        size = grouped.log.size
        assert plain.log.size == size
        for index in range(size):
            assert grouped.log.leaf(index) == plain.log.leaf(index)
        assert [grouped.log.root(n) for n in range(1, size + 1)] == [
            plain.log.root(n) for n in range(1, size + 1)
        ]
        ours, theirs = grouped.maybe_checkpoint(), plain.maybe_checkpoint()
        assert ours is not None and theirs is not None
        assert ours.checkpoint.body() == theirs.checkpoint.body()
        assert verify_log(grouped.log, grouped.verifier, grouped.checkpoints()).ok
    finally:
        grouped.close()
        plain.close()


def test_a_group_that_cannot_be_written_fails_every_caller_in_it(tmp_path: Path) -> None:
    audit = open_audit(tmp_path, agency_id="ct-nhpd")
    try:
        audit.log.append_many([search_event(i) for i in range(3)])
        batches = [_prepared(3, 1), _prepared(4, 2), _prepared(6, 1)]
        # what a failed tile write leaves behind: the writer refuses until reopened
        audit.log._broken = "tile write failed"
        results = _append_while_held(audit.log, batches)
        assert all(isinstance(r, AuditError) for r in results.values()), results
        assert audit.log.size == 3
    finally:
        audit.log._broken = None
        audit.close()


@pytest.mark.parametrize("writers", [8])
def test_concurrent_single_appends_each_get_their_own_durable_entry(
    tmp_path: Path, writers: int
) -> None:
    audit = open_audit(tmp_path, agency_id="ct-nhpd")
    per_writer = 25
    got: dict[int, list[int]] = {}
    try:
        writes = _group_writes(audit.log)

        def run(writer: int) -> None:
            got[writer] = [audit.append(search_event(writer * 1000 + i)) for i in range(per_writer)]

        threads = [threading.Thread(target=run, args=(w,)) for w in range(writers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        indices = sorted(i for found in got.values() for i in found)
        assert indices == list(range(writers * per_writer))
        assert sum(writes) == writers * per_writer
        for writer, found in got.items():
            assert found == sorted(found)  # a caller's appends land in the order it made them
            for i, index in zip(range(per_writer), found, strict=True):
                public = parse_leaf(audit.log.leaf(index))["public"]
                assert public["request_id"] == f"req-{writer * 1000 + i}"
        audit.maybe_checkpoint()
        assert verify_log(audit.log, audit.verifier, audit.checkpoints()).ok
    finally:
        audit.close()
    with open_audit(tmp_path, readonly=True) as reopened:  # all of it is on disk
        assert reopened.log.size == writers * per_writer
