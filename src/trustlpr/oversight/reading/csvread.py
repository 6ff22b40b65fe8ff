"""CSV exports: recognise the file, find its header, and parse it in chunks (in parallel).

A big file is cut into chunks at record boundaries: a newline with an even number of quote
characters before it (a CRLF record may hold bare LFs inside a quoted two-line ``Time Frame``
cell; those sit at odd parity and are never cut). Each chunk is parsed on its own, in a worker
process if there are several. A stray quote inside an unquoted field can fool the parity
rule; the importer notices the misaligned chunk and re-parses that file as one stream.

Encodings: UTF-8 with or without BOM, UTF-16 with BOM; a row that is not valid UTF-8 (an
export edited in a Windows tool) is read as Windows-1252 and reported as a warning.
"""

from __future__ import annotations

import codecs
import csv
import gc
import io
import mmap
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import numpy as np

from ...core.errors import FormatError
from ..table.chunk import ChunkBuilder, ChunkData
from .arrowcsv import read_arrays
from .arrowfeed import feed_arrays
from .batch import BATCH_ROWS, BatchFeeder
from .layout import HEADER_SCAN_ROWS, Layout, find_layout
from .rows import RowParser, optional_pools

SNIFF_BYTES = 64 * 1024
HEAD_BYTES = 1 << 20
CHUNK_BYTES = 8 << 20
_SURROGATE = re.compile("[\udc80-\udcff]")


def sniff(path: Path) -> str:
    """``"csv"``, ``"csv-utf16"`` or ``"xlsx"``; ``FormatError`` for anything else."""
    try:
        with open(path, "rb") as handle:
            head = handle.read(SNIFF_BYTES)
    except OSError as exc:
        raise FormatError(f"{path}: cannot be read ({exc.strerror})") from exc
    name = path.name
    if not head.strip():
        raise FormatError(f"{name}: the file is empty")
    if head.startswith(b"PK\x03\x04"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise FormatError(f"{name}: a legacy Excel .xls workbook; save it as .xlsx or CSV first")
    if head.startswith(b"%PDF"):
        raise FormatError(f"{name}: a PDF, not a CSV or XLSX export; extract its table first")
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "csv-utf16"
    if b"\x00" in head:
        raise FormatError(f"{name}: binary data (NUL bytes), not a CSV or XLSX export")
    controls = sum(head.count(bytes([c])) for c in range(32) if c not in (9, 10, 13))
    if controls > max(8, len(head) // 100):
        raise FormatError(f"{name}: binary data (control characters), not a CSV export")
    return "csv"


@dataclass(frozen=True)
class CsvHead:
    """The layout of a CSV file and where its data starts."""

    layout: Layout
    data_offset: int  # byte offset of the first data record
    first_line: int  # its physical line number (1-based)
    size: int


def read_head(path: Path, source: str) -> CsvHead:
    """Finds the header among the first rows; ``FormatError`` if there is none."""
    with open(path, "rb") as handle:
        raw = handle.read(HEAD_BYTES)
        size = handle.seek(0, io.SEEK_END)
    bom = len(codecs.BOM_UTF8) if raw.startswith(codecs.BOM_UTF8) else 0
    rows, line_ends = _first_rows(raw[bom:].decode("utf-8", errors="replace"), source)
    layout = find_layout(rows, source)
    header_lines = line_ends[layout.header_row - 1]
    offset = bom
    for _ in range(header_lines):
        found = raw.find(b"\n", offset)
        if found < 0:
            offset = len(raw) if len(raw) == size else -1
            break
        offset = found + 1
    if offset < 0:
        raise FormatError(f"{source}: the header row is longer than {HEAD_BYTES} bytes")
    return CsvHead(layout, offset, header_lines + 1, size)


def _first_rows(text: str, source: str) -> tuple[list[list[str]], list[int]]:
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[list[str]] = []
    ends: list[int] = []
    try:
        for row in reader:
            rows.append(row)
            ends.append(reader.line_num)
            if len(rows) >= HEADER_SCAN_ROWS:
                break
    except csv.Error as exc:
        if not rows:
            raise FormatError(f"{source}: not readable as CSV ({exc})") from exc
    return rows, ends


def plan_chunks(
    path: Path, head: CsvHead, chunk_bytes: int = CHUNK_BYTES
) -> Iterator[tuple[int, int]]:
    """(offset, length) of chunks that start and end on record boundaries. The file is
    mapped, not read, and quotes are counted with numpy; line numbers are left to the
    chunks (``ParsedChunk.newlines``), so planning costs little in the main process."""
    pos, size, target = head.data_offset, head.size, chunk_bytes
    if pos >= size:
        return
    with open(path, "rb") as handle, mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        data = np.frombuffer(mm, dtype=np.uint8)
        try:
            while pos < size:
                end = pos + target
                if end >= size:
                    yield pos, size - pos
                    return
                quotes = int(np.count_nonzero(data[pos:end] == 34))
                cut = mm.rfind(b"\n", pos, end)
                while cut >= 0 and (quotes - int(np.count_nonzero(data[cut:end] == 34))) % 2:
                    cut = mm.rfind(b"\n", pos, cut)
                if cut < 0:  # one record longer than the block, or an unbalanced quote
                    target *= 2
                    continue
                yield pos, cut + 1 - pos
                pos = cut + 1
                target = chunk_bytes
        finally:
            del data  # the map cannot close while a view of it is alive


@dataclass(frozen=True)
class ChunkJob:
    """One chunk to parse; ``length=None`` streams from ``offset`` to the end of the file."""

    path: str
    source: str
    file: int
    layout: Layout
    offset: int
    length: int | None
    first_line: int
    compiled: bool = True  # pyarrow where it vouches for the chunk (``arrowcsv``)


@dataclass
class ParsedChunk:
    data: ChunkData
    first_width: int
    last_width: int
    nbytes: int
    newlines: int = -1  # in the chunk's bytes: how far the next chunk's line numbers start


@contextmanager
def paused_gc() -> Iterator[None]:
    """Pauses the cyclic garbage collector: parsing allocates millions of short-lived row
    lists, each batch of which would set it off again, and it makes no reference cycles to
    collect (measured: an eighth of a chunk's parse time)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def parse_chunk(job: ChunkJob) -> ParsedChunk:
    """Parses one chunk; runs in a worker process for big files (module-level, picklable)."""
    with paused_gc():
        return _parse_chunk(job)


def _parse_chunk(job: ChunkJob) -> ParsedChunk:
    builder = ChunkBuilder(job.file, optional_pools(job.layout))
    parser = RowParser(job.layout, job.source, builder)
    with open(job.path, "rb") as handle:
        handle.seek(job.offset)
        if job.length is None:
            wrapper = io.TextIOWrapper(
                handle, encoding="utf-8", errors="surrogateescape", newline=""
            )
            widths = parse_stream(wrapper, job.first_line, parser, slow=True)
            nbytes = handle.tell() - job.offset if not handle.closed else 0
            newlines = -1
        else:
            raw = handle.read(job.length)
            nbytes = len(raw)
            newlines = raw.count(b"\n")
            widths = _parse_bytes(raw, job, parser)
    return ParsedChunk(builder.finish(), widths[0], widths[1], nbytes, newlines)


def _parse_bytes(raw: bytes, job: ChunkJob, parser: RowParser) -> tuple[int, int]:
    """The compiled reader where it vouches for the chunk (``arrowcsv``), else ``csv``."""
    if job.compiled:
        try:
            raw.decode("utf-8")  # as strict as the plain path's test for Windows-1252 rows
            lines, arrays = read_arrays(raw, job.layout.width, job.first_line)
        except ValueError:  # UnicodeDecodeError included
            pass
        else:
            feed_arrays(lines, arrays, BatchFeeder(parser))
            width = len(arrays) if len(lines) else -1
            return width, width
    try:
        text, slow = raw.decode("utf-8"), False
    except UnicodeDecodeError:
        text, slow = raw.decode("utf-8", errors="surrogateescape"), True
    del raw
    return parse_stream(io.StringIO(text, newline=""), job.first_line, parser, slow)


def parse_text(text: str, first_line: int, parser: RowParser) -> None:
    """Parses already-decoded text (UTF-16 files)."""
    parse_stream(io.StringIO(text, newline=""), first_line, parser, slow=False)


def _fix_cell(cell: str) -> str:
    if not _SURROGATE.search(cell):
        return cell
    return cell.encode("utf-8", errors="surrogateescape").decode("cp1252", errors="replace")


def parse_stream(
    stream: IO[str], first_line: int, parser: RowParser, slow: bool
) -> tuple[int, int]:
    """Feeds every record to ``parser`` in batches (``BatchFeeder``); returns the field counts
    of the first and last record. Issues stay in line order: a batch is fed before a row
    problem found here (an unreadable record, a Windows-1252 row) is reported."""
    reader = csv.reader(stream)
    feeder = BatchFeeder(parser)
    prev = 0
    first_width = -1
    lines: list[int] = []
    rows: list[list[str]] = []
    row: list[str] = []

    def flush() -> None:
        if rows:
            feeder.feed(lines, rows)
            lines.clear()
            rows.clear()

    while True:
        try:
            for row in reader:
                start = first_line + prev
                prev = reader.line_num
                if first_width < 0:
                    first_width = len(row)
                if slow and _SURROGATE.search("\x00".join(row)):
                    flush()
                    row = [_fix_cell(c) for c in row]
                    parser.warn(start, "not valid UTF-8; read as Windows-1252")
                lines.append(start)
                rows.append(row)
                if len(rows) >= BATCH_ROWS:
                    flush()
            break
        except csv.Error as exc:
            flush()
            parser.reject(first_line + prev, f"unreadable CSV record ({exc})")
            prev = reader.line_num
    last_width = len(row) if first_width >= 0 else -1
    flush()
    return first_width, last_width
