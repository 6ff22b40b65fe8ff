"""The entries file: append, read back, recover from torn tails, and catch doctored indexes."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from trustlpr.audit.entries import MAX_ENTRY, EntryFile
from trustlpr.audit.merkle import leaf_hash
from trustlpr.core.errors import AuditError, InputError, NotFoundError

LEAVES = [f'{{"n":{i},"pad":"{"x" * (i % 37)}"}}'.encode() for i in range(500)]


def written(tmp_path: Path, count: int = 500) -> EntryFile:
    entries = EntryFile(tmp_path)
    for start in range(0, count, 64):
        entries.append(LEAVES[start : min(count, start + 64)])
    return entries


def test_append_read_and_scan(tmp_path: Path) -> None:
    entries = written(tmp_path)
    assert entries.size == 500
    assert entries.read(0) == LEAVES[0]
    assert entries.read(499) == LEAVES[499]
    assert list(entries.iter_range(10, 20)) == LEAVES[10:20]
    assert list(entries.iter_range(0, 10_000)) == LEAVES
    assert entries.hashes(3, 6) == [leaf_hash(x) for x in LEAVES[3:6]]
    assert [h for _, h in entries.iter_checked(0, 500)] == [leaf_hash(x) for x in LEAVES]
    with pytest.raises(NotFoundError):
        entries.read(500)
    entries.close()
    again = EntryFile(tmp_path)
    assert again.size == 500 and again.torn_bytes == 0
    assert again.read(250) == LEAVES[250]


def test_oversized_entry_refused_and_nothing_written(tmp_path: Path) -> None:
    entries = written(tmp_path, 10)
    with pytest.raises(InputError, match="exceeds"):
        entries.append([b"ok", b"x" * (MAX_ENTRY + 1)])
    assert entries.size == 10


@pytest.mark.parametrize("cut", [1, 5, 20])
def test_torn_data_tail_is_cut_and_kept_as_evidence(tmp_path: Path, cut: int) -> None:
    written(tmp_path).close()
    data = tmp_path / "entries.bin"
    os.truncate(data, data.stat().st_size - cut)  # the last record was only partly written
    reader = EntryFile(tmp_path, readonly=True)
    assert reader.size == 499 and reader.torn_bytes > 0
    assert data.stat().st_size == (tmp_path / "entries.bin").stat().st_size  # untouched
    writer = EntryFile(tmp_path)
    assert writer.size == 499
    assert list(writer.iter_range(0, 499)) == LEAVES[:499]
    assert len(list((tmp_path / "torn").iterdir())) == 2
    writer.append([b"after"])
    assert writer.read(499) == b"after"


def test_torn_index_slot_and_orphan_data(tmp_path: Path) -> None:
    written(tmp_path).close()
    with open(tmp_path / "entries.bin", "ab") as handle:
        handle.write(b"\x00\x00\x00\x05hello")  # a record without its checksum or slot
    with open(tmp_path / "entries.idx", "ab") as handle:
        handle.write(b"\x00" * 17)  # half a slot
    entries = EntryFile(tmp_path)
    assert entries.size == 500
    assert entries.torn_bytes == 9 + 17
    assert (tmp_path / "entries.idx").stat().st_size == 500 * 40


def test_doctored_index_is_named(tmp_path: Path) -> None:
    written(tmp_path).close()
    with open(tmp_path / "entries.idx", "r+b") as handle:
        handle.seek(123 * 40 + 8)
        handle.write(b"\xff")  # one byte of entry 123's recorded hash
    entries = EntryFile(tmp_path, readonly=True)
    assert list(entries.iter_range(0, 500)) == LEAVES  # plain reads do not look at hashes
    with pytest.raises(AuditError, match="entry 123: leaf does not match"):
        list(entries.iter_checked(0, 500))


def test_garbled_record_is_named(tmp_path: Path) -> None:
    entries = written(tmp_path)
    offset = int.from_bytes((tmp_path / "entries.idx").read_bytes()[77 * 40 : 77 * 40 + 8], "big")
    with open(tmp_path / "entries.bin", "r+b") as handle:
        handle.seek(offset + 6)
        handle.write(b"#")
    with pytest.raises(AuditError, match="entry 77: record checksum"):
        entries.read(77)
    with pytest.raises(AuditError, match="entry 77"):
        list(entries.iter_range(0, 500))


def test_readonly_refuses_to_append(tmp_path: Path) -> None:
    written(tmp_path, 3).close()
    with pytest.raises(AuditError, match="read-only"):
        EntryFile(tmp_path, readonly=True).append([b"x"])
    with pytest.raises(NotFoundError):
        EntryFile(tmp_path / "nowhere", readonly=True)


def _outcome(entries: EntryFile, batched: bool) -> tuple[list[tuple[bytes, bytes]], str | None]:
    got: list[tuple[bytes, bytes]] = []
    try:
        if batched:
            for leaves, digests in entries.iter_checked_batches(0, entries.size):
                got.extend(zip(leaves, digests, strict=True))
        else:
            got.extend(entries.iter_checked(0, entries.size))
    except AuditError as exc:
        return got, exc.message
    return got, None


@pytest.mark.parametrize(
    ("where", "offset"),
    [
        ("bin", 0),
        ("bin", 4),
        ("bin", 7_000),
        ("bin", -300),
        ("idx", 40 * 300),
        ("idx", 40 * 77 + 9),
    ],
)
def test_batches_accept_and_name_exactly_what_the_entry_scan_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str, offset: int
) -> None:
    """The batched fast path (``iter_checked_batches``) against the one-entry-at-a-time scan:
    same entries yielded before the same error, on a pristine file and with one byte flipped."""
    monkeypatch.setattr("trustlpr.audit.entries._BATCH", 64)
    entries = written(tmp_path)
    assert _outcome(entries, True) == _outcome(entries, False)
    assert _outcome(entries, True)[1] is None
    entries.close()
    path = tmp_path / f"entries.{where}"
    data = bytearray(path.read_bytes())
    data[offset] ^= 0x41
    path.write_bytes(bytes(data))
    doctored = EntryFile(tmp_path, readonly=True)
    fast, slow = _outcome(doctored, True), _outcome(doctored, False)
    assert fast == slow
    assert slow[1] is not None
