"""The append-only entries file and its offsets index: the durable truth of the log.

``entries.bin`` holds records ``u32 length | leaf bytes | u32 crc32``; ``entries.idx`` holds one
big-endian ``u64`` start offset per entry, so entry ``i`` is one ``pread`` away. A batch is
written entries-first, index-second, each fsync'd before ``append`` returns: an index record
therefore never points at bytes that are not on disk. On open, a torn tail (a half-written
record or index slot from a crash) was never acknowledged; the writer moves those bytes to
``torn/`` for evidence and truncates, readers simply stop before them.
"""

from __future__ import annotations

import os
import struct
import time
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path

from ..core.errors import AuditError, InputError, NotFoundError
from .tiles import fsync_dir

MAX_ENTRY = 65535  # C2SP entry bundles prefix each entry with a u16 length
_HEAD = struct.Struct(">I")
_OFFSET = struct.Struct(">Q")
_READ_CHUNK = 1 << 20


def _bad(index: int, message: str) -> AuditError:
    return AuditError(f"entry {index}: {message}")


def frame(leaf: bytes) -> bytes:
    """One record as stored: length, bytes, CRC-32 (catches torn and garbled writes)."""
    return _HEAD.pack(len(leaf)) + leaf + _HEAD.pack(zlib.crc32(leaf))


class EntryFile:
    """Append-only leaf storage with an offsets index. The log serialises writers."""

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
        count = index_len // _OFFSET.size
        end = 0
        while count > 0:
            start = self._offset(count - 1)
            try:
                end = start + len(self._read_record(count - 1, start, data_len))
                break
            except AuditError:
                count -= 1
        self.torn_bytes = (index_len - count * _OFFSET.size) + (data_len - end)
        if self.torn_bytes and not self._readonly:
            self._cut(count, end, index_len, data_len)
        return count, end

    def _cut(self, count: int, end: int, index_len: int, data_len: int) -> None:
        keep_index = count * _OFFSET.size
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

    def _offset(self, index: int) -> int:
        raw = os.pread(self._index, _OFFSET.size, index * _OFFSET.size)
        if len(raw) != _OFFSET.size:
            raise _bad(index, "index slot is missing")
        return int(_OFFSET.unpack(raw)[0])

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

    def append(self, leaves: Sequence[bytes]) -> None:
        """Writes and fsyncs a batch; on failure the files are cut back to where they were."""
        if self._readonly:
            raise AuditError("the audit log was opened read-only")
        for number, leaf in enumerate(leaves):
            if len(leaf) > MAX_ENTRY:
                raise InputError(f"entry of {len(leaf)} bytes exceeds {MAX_ENTRY}", line=number)
        records = [frame(leaf) for leaf in leaves]
        offsets = []
        position = self._end
        for record in records:
            offsets.append(_OFFSET.pack(position))
            position += len(record)
        try:
            _write_all(self._data, b"".join(records), self._end)
            os.fsync(self._data)
            _write_all(self._index, b"".join(offsets), self._size * _OFFSET.size)
            os.fsync(self._index)
        except OSError as exc:
            self._rollback()
            raise AuditError(f"cannot append to the audit log: {exc}") from exc
        self._size += len(records)
        self._end = position

    def _rollback(self) -> None:
        try:
            os.ftruncate(self._index, self._size * _OFFSET.size)
            os.ftruncate(self._data, self._end)
        except OSError as exc:
            raise AuditError(f"cannot roll back a failed audit append: {exc}") from exc

    def read(self, index: int) -> bytes:
        """The leaf bytes of entry ``index``."""
        if not 0 <= index < self._size:
            raise NotFoundError(f"no audit entry {index}; the log holds {self._size}")
        record = self._read_record(index, self._offset(index))
        return record[_HEAD.size : -_HEAD.size]

    def iter_range(self, start: int, end: int, *, check_index: bool = False) -> Iterator[bytes]:
        """Leaf bytes of ``[start, end)`` in order, read in large sequential chunks.

        With ``check_index`` each record's position is also compared with its index slot, so a
        doctored index cannot make single-entry reads disagree with a sequential scan.
        """
        end = min(end, self._size)
        if start >= end:
            return
        base = self._offset(start)
        stop = self._offset(end) if end < self._size else self._end
        chunk, chunk_at, pos = b"", base, 0  # chunk holds file bytes from chunk_at
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
            if check_index:
                if index - slots_from >= len(slots) // _OFFSET.size:
                    count = min(_READ_CHUNK // _OFFSET.size, end - index)
                    slots = os.pread(self._index, count * _OFFSET.size, index * _OFFSET.size)
                    slots_from = index
                    if len(slots) != count * _OFFSET.size:
                        raise _bad(index, "index slot is missing")
                (slot,) = _OFFSET.unpack_from(slots, (index - slots_from) * _OFFSET.size)
                if slot != chunk_at + pos:
                    raise _bad(index, "index slot does not point at this record")
            (length,) = _HEAD.unpack_from(chunk, pos)
            record = chunk[pos : pos + length + 8]
            pos += length + 8
            yield self._check(index, record)[_HEAD.size : -_HEAD.size]

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
