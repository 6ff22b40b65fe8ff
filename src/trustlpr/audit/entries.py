"""The append-only entries file and its index: the durable truth of the log.

``entries.bin`` holds records ``u32 length | leaf bytes | u32 crc32``; ``entries.idx`` holds one
40-byte slot per entry, ``u64 start offset || SHA-256 leaf hash``, so entry ``i`` is one
``pread`` away and the right edge of the tree is rebuilt on open from the index alone. A batch
is written entries-first, index-second, each fsync'd before ``append`` returns: a slot never
points at bytes that are not on disk. On open, a torn tail (a half-written record or slot from
a crash) was never acknowledged; the writer moves those bytes to ``torn/`` for evidence and
truncates, readers simply stop before them. Two independent records of each leaf (its bytes and
its slot's hash) make an edit of either file point at the exact entry.
"""

from __future__ import annotations

import hashlib
import os
import struct
import time
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path

from ..core.errors import AuditError, InputError, NotFoundError
from .merkle import leaf_hash
from .tiles import fsync_dir

MAX_ENTRY = 65535  # C2SP entry bundles prefix each entry with a u16 length
_HEAD = struct.Struct(">I")
_SLOT = struct.Struct(">Q32s")  # start offset, leaf hash
_READ_CHUNK = 1 << 20
_BATCH = 4096  # entries per batch of iter_checked_batches


def _bad(index: int, message: str) -> AuditError:
    return AuditError(f"entry {index}: {message}")


def frame(leaf: bytes) -> bytes:
    """One record as stored: length, bytes, CRC-32 (catches torn and garbled writes)."""
    return _HEAD.pack(len(leaf)) + leaf + _HEAD.pack(zlib.crc32(leaf))


class EntryFile:
    """Append-only leaf storage with an index of offsets and leaf hashes. The log serialises
    writers; reads use ``pread`` and may run alongside an append."""

    def __init__(self, directory: Path, *, readonly: bool = False) -> None:
        self._dir = directory
        self._readonly = readonly
        flags = os.O_RDONLY if readonly else os.O_RDWR | os.O_CREAT
        try:
            self._data = os.open(directory / "entries.bin", flags, 0o644)
            self._index = os.open(directory / "entries.idx", flags, 0o644)
        except FileNotFoundError as exc:
            raise NotFoundError(f"no audit log in {directory}") from exc
        except OSError as exc:
            raise AuditError(f"cannot open the audit log in {directory}: {exc}") from exc
        self.torn_bytes = 0
        self._size, self._end = self._recover()

    @property
    def size(self) -> int:
        return self._size

    def _recover(self) -> tuple[int, int]:
        """Finds the last complete, checksummed entry; the writer cuts off anything after it."""
        index_len = os.fstat(self._index).st_size
        data_len = os.fstat(self._data).st_size
        count = index_len // _SLOT.size
        end = 0
        while count > 0:
            try:
                start, _ = self._slot(count - 1)
                end = start + len(self._read_record(count - 1, start, data_len))
                break
            except AuditError:
                count -= 1
        self.torn_bytes = (index_len - count * _SLOT.size) + (data_len - end)
        if self.torn_bytes and not self._readonly:
            self._cut(count, end, index_len, data_len)
        return count, end

    def _cut(self, count: int, end: int, index_len: int, data_len: int) -> None:
        keep_index = count * _SLOT.size
        try:
            torn_dir = self._dir / "torn"
            torn_dir.mkdir(exist_ok=True)
            stamp = f"{count}-{int(time.time())}"
            (torn_dir / f"{stamp}.bin").write_bytes(os.pread(self._data, data_len - end, end))
            (torn_dir / f"{stamp}.idx").write_bytes(
                os.pread(self._index, index_len - keep_index, keep_index)
            )
            os.ftruncate(self._data, end)
            os.ftruncate(self._index, keep_index)
            os.fsync(self._data)
            os.fsync(self._index)
        except OSError as exc:
            raise AuditError(f"cannot trim the torn tail of the audit log: {exc}") from exc

    def _slot(self, index: int) -> tuple[int, bytes]:
        raw = os.pread(self._index, _SLOT.size, index * _SLOT.size)
        if len(raw) != _SLOT.size:
            raise _bad(index, "index slot is missing")
        offset, digest = _SLOT.unpack(raw)
        return int(offset), bytes(digest)

    def _read_record(self, index: int, start: int, limit: int | None = None) -> bytes:
        head = os.pread(self._data, _HEAD.size, start)
        if len(head) != _HEAD.size:
            raise _bad(index, "record header is cut off")
        (length,) = _HEAD.unpack(head)
        if length > MAX_ENTRY or (limit is not None and start + length + 8 > limit):
            raise _bad(index, "record length runs past the end of the file")
        body = os.pread(self._data, length + _HEAD.size, start + _HEAD.size)
        return self._check(index, head + body)

    @staticmethod
    def _check(index: int, record: bytes) -> bytes:
        if len(record) < 2 * _HEAD.size:
            raise _bad(index, "record is cut off")
        (length,) = _HEAD.unpack_from(record)
        if len(record) != length + 2 * _HEAD.size:
            raise _bad(index, "record length does not match its slot")
        leaf = record[_HEAD.size : _HEAD.size + length]
        (crc,) = _HEAD.unpack_from(record, _HEAD.size + length)
        if crc != zlib.crc32(leaf):
            raise _bad(index, "record checksum does not match")
        return record

    def append(self, leaves: Sequence[bytes]) -> list[bytes]:
        """Writes and fsyncs a batch and returns the leaf hashes; on failure the files are cut
        back to where they were."""
        if self._readonly:
            raise AuditError("the audit log was opened read-only")
        for number, leaf in enumerate(leaves):
            if len(leaf) > MAX_ENTRY:
                raise InputError(f"entry of {len(leaf)} bytes exceeds {MAX_ENTRY}", line=number)
        records = [frame(leaf) for leaf in leaves]
        hashes = [leaf_hash(leaf) for leaf in leaves]
        slots = []
        position = self._end
        for record, digest in zip(records, hashes, strict=True):
            slots.append(_SLOT.pack(position, digest))
            position += len(record)
        try:
            _write_all(self._data, b"".join(records), self._end)
            os.fsync(self._data)
            _write_all(self._index, b"".join(slots), self._size * _SLOT.size)
            os.fsync(self._index)
        except OSError as exc:
            self._rollback()
            raise AuditError(f"cannot append to the audit log: {exc}") from exc
        self._size += len(records)
        self._end = position
        return hashes

    def _rollback(self) -> None:
        try:
            os.ftruncate(self._index, self._size * _SLOT.size)
            os.ftruncate(self._data, self._end)
        except OSError as exc:
            raise AuditError(f"cannot roll back a failed audit append: {exc}") from exc

    def read(self, index: int) -> bytes:
        """The leaf bytes of entry ``index``."""
        if not 0 <= index < self._size:
            raise NotFoundError(f"no audit entry {index}; the log holds {self._size}")
        record = self._read_record(index, self._slot(index)[0])
        return record[_HEAD.size : -_HEAD.size]

    def hashes(self, start: int, end: int) -> list[bytes]:
        """The leaf hashes of ``[start, end)`` as recorded in the index (no entry reads)."""
        if start >= end:
            return []
        raw = os.pread(self._index, (end - start) * _SLOT.size, start * _SLOT.size)
        if len(raw) != (end - start) * _SLOT.size:
            raise _bad(start + len(raw) // _SLOT.size, "index slot is missing")
        return [raw[i + 8 : i + _SLOT.size] for i in range(0, len(raw), _SLOT.size)]

    def iter_range(self, start: int, end: int) -> Iterator[bytes]:
        """Leaf bytes of ``[start, end)`` in order, read in large sequential chunks."""
        for leaf, _ in self._scan(start, end, False):
            yield leaf

    def iter_checked(self, start: int, end: int) -> Iterator[tuple[bytes, bytes]]:
        """``(leaf, leaf hash)`` of ``[start, end)``, each record's position and hash checked
        against its index slot, so neither file can be edited alone without naming the entry."""
        return self._scan(start, end, True)

    def iter_checked_batches(
        self, start: int, end: int
    ) -> Iterator[tuple[list[bytes], list[bytes]]]:
        """What ``iter_checked`` yields, as ``(leaves, leaf hashes)`` lists of up to
        ``_BATCH`` consecutive entries: ``verify`` pays Python's per-entry cost once per batch.

        Each batch is checked as a whole (lengths, CRCs, slot offsets and hashes compared as
        lists); a batch where any check fails, or that cannot be read whole, is scanned again
        entry by entry by ``_scan``, which yields the good entries before the first bad one and
        then raises its error, so what is accepted and what is reported are ``_scan``'s."""
        end = min(end, self._size)
        if start >= end:
            return
        at = self._slot(start)[0]
        stop = self._slot(end)[0] if end < self._size else self._end
        index = start
        while index < end:
            count = min(_BATCH, end - index)
            batch = self._whole_batch(index, count, at, stop)
            if batch is None:
                leaves, digests = [], []
                try:
                    for leaf, digest in self._scan(index, index + count, True, at, stop):
                        leaves.append(leaf)
                        digests.append(digest)
                except AuditError:
                    if leaves:
                        yield leaves, digests
                    raise
                batch = leaves, digests
            yield batch
            at += sum(map(len, batch[0])) + 8 * count
            index += count

    def _whole_batch(
        self, index: int, count: int, at: int, stop: int
    ) -> tuple[list[bytes], list[bytes]] | None:
        """Entries ``[index, index + count)`` starting at file offset ``at``, or None unless
        every record and slot in it passes every check ``_scan`` makes."""
        more = 1 if index + count < self._size else 0  # the next slot says where to stop reading
        slots = os.pread(self._index, (count + more) * _SLOT.size, index * _SLOT.size)
        if len(slots) != (count + more) * _SLOT.size:
            return None
        until = _SLOT.unpack_from(slots, count * _SLOT.size)[0] if more else stop
        limit = min(stop, until, at + count * (MAX_ENTRY + 8)) - at
        slots = slots[: count * _SLOT.size]
        data = os.pread(self._data, limit, at) if limit > 0 else b""
        unpack, leaves, crcs, starts, pos = _HEAD.unpack_from, [], [], [], 0
        try:
            for _ in range(count):
                (length,) = unpack(data, pos)
                starts.append(at + pos)
                leaves.append(data[pos + 4 : pos + 4 + length])
                crcs.append(unpack(data, pos + 4 + length)[0])
                pos += length + 8
        except struct.error:  # the chunk ends inside a record
            return None
        if pos > len(data) or max(map(len, leaves)) > MAX_ENTRY:
            return None
        if list(map(zlib.crc32, leaves)) != crcs:
            return None
        stored = list(_SLOT.iter_unpack(slots))
        if [offset for offset, _ in stored] != starts:
            return None
        sha256 = hashlib.sha256
        digests = [sha256(b"\x00" + leaf).digest() for leaf in leaves]
        if digests != [digest for _, digest in stored]:
            return None
        return leaves, digests

    def _scan(
        self,
        start: int,
        end: int,
        check_index: bool,
        chunk_at: int | None = None,
        stop: int | None = None,
    ) -> Iterator[tuple[bytes, bytes]]:
        """One entry at a time from file offset ``chunk_at`` (default: ``start``'s slot), not
        reading past ``stop`` (default: where entry ``end`` begins)."""
        end = min(end, self._size)
        if start >= end:
            return
        if chunk_at is None:
            chunk_at = self._slot(start)[0]
        if stop is None:
            stop = self._slot(end)[0] if end < self._size else self._end
        chunk, pos = b"", 0  # chunk holds file bytes from chunk_at
        slots, slots_from = b"", start
        for index in range(start, end):
            avail = len(chunk) - pos
            need = _HEAD.unpack_from(chunk, pos)[0] + 8 if avail >= _HEAD.size else 8
            if need > MAX_ENTRY + 8:
                raise _bad(index, "record length is impossible")
            if avail < need:
                chunk_at += pos
                chunk = os.pread(self._data, min(max(_READ_CHUNK, need), stop - chunk_at), chunk_at)
                pos = 0
                if len(chunk) < 8 or len(chunk) < _HEAD.unpack_from(chunk)[0] + 8:
                    raise _bad(index, "the entries file ends inside this record")
            (length,) = _HEAD.unpack_from(chunk, pos)
            leaf = chunk[pos + 4 : pos + 4 + length]
            if _HEAD.unpack_from(chunk, pos + 4 + length)[0] != zlib.crc32(leaf):
                raise _bad(index, "record checksum does not match")
            digest = b""
            if check_index:
                if index - slots_from >= len(slots) // _SLOT.size:
                    count = min(_READ_CHUNK // _SLOT.size, end - index)
                    slots = os.pread(self._index, count * _SLOT.size, index * _SLOT.size)
                    slots_from = index
                    if len(slots) != count * _SLOT.size:
                        raise _bad(index, "index slot is missing")
                offset, stored = _SLOT.unpack_from(slots, (index - slots_from) * _SLOT.size)
                if offset != chunk_at + pos:
                    raise _bad(index, "index slot does not point at this record")
                digest = leaf_hash(leaf)
                if digest != stored:
                    raise _bad(index, "leaf does not match the hash in its index slot")
            pos += length + 8
            yield leaf, digest

    def close(self) -> None:
        for fd in (self._data, self._index):
            try:
                os.close(fd)
            except OSError:
                continue


def _write_all(fd: int, data: bytes, offset: int) -> None:
    view = memoryview(data)
    while view:
        written = os.pwrite(fd, view, offset)
        view = view[written:]
        offset += written


def create_dir(directory: Path) -> None:
    """Makes the audit directory durable before the first file in it is."""
    if not directory.is_dir():
        directory.mkdir(parents=True, exist_ok=True)
        fsync_dir(directory.parent)
