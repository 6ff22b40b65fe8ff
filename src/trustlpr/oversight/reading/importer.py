"""Import many exports at once: one file per agency or month, CSV or XLSX, de-duplicated.

A file that cannot be read (not an export, binary junk, a broken workbook) is reported with a
clear message and the rest of the batch goes on; so does a bad row. Big CSV files are cut into
chunks parsed by worker processes (``jobs``), merged in the main process, so a 10-million-row
batch uses both cores and memory grows with the table, not with the file text.
"""

from __future__ import annotations

import csv
import ctypes
import io
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import IO

import numpy as np

from ...core.errors import FormatError
from ..records import FileReport, HotlistEvent, ImportIssue, SearchRecord
from ..table.chunk import ChunkBuilder, ChunkData, record_fields
from ..table.columns import RecordTable
from ..table.merge import TableBuilder, dedupe
from .csvread import (
    CHUNK_BYTES,
    ChunkJob,
    ParsedChunk,
    _first_rows,
    parse_chunk,
    parse_stream,
    paused_gc,
    plan_chunks,
    read_head,
    sniff,
)
from .eventlog import EventParser
from .layout import find_layout
from .rows import RowParser, optional_pools
from .xlsxread import read_xlsx

PARALLEL_MIN_BYTES = 24 << 20
OWN_COLUMNS = ["case", "id", "org", "plate", "reason", "search_time", "search_type", "user"]
Progress = Callable[[int], None]


@dataclass
class ImportResult:
    """Everything imported, and everything that went wrong, for the rules and the report."""

    table: RecordTable
    events: list[HotlistEvent]
    files: list[FileReport]
    issues: list[ImportIssue] = field(default_factory=list)

    @property
    def rows_imported(self) -> int:
        return self.table.n

    @property
    def rows_rejected(self) -> int:
        return sum(f.rejected for f in self.files)

    @property
    def duplicates(self) -> int:
        return sum(f.duplicates for f in self.files)

    @property
    def events_imported(self) -> int:
        return len(self.events)

    def file_columns(self) -> list[set[str]]:
        """The canonical columns each file had (for rules that tell blank from absent)."""
        return [set(f.columns) for f in self.files]


_M_MMAP_THRESHOLD = -3


def tame_heap() -> None:
    """Fixes glibc's mmap threshold at 128 KiB. glibc raises it after big frees, so later
    multi-megabyte arrays land in the heap and fragment it; measured on a million rows, the
    import kept 400 MB instead of 210 MB. With it fixed, big arrays go back to the OS when
    freed. No effect (and no error) on other C libraries."""
    try:
        libc = ctypes.CDLL("libc.so.6")
        libc.mallopt(_M_MMAP_THRESHOLD, 128 * 1024)
    except (OSError, AttributeError):
        return  # not glibc: its allocator needs no such setting


def total_bytes(paths: Iterable[Path]) -> int:
    return sum(p.stat().st_size for p in paths if p.is_file())


class _Importer:
    def __init__(
        self,
        jobs: int,
        progress: Progress | None,
        chunk_bytes: int,
        parallel_min: int,
        compiled_csv: bool = True,
    ) -> None:
        self.jobs = max(1, jobs)
        self.compiled_csv = compiled_csv
        self.parallel_min = parallel_min
        self.progress = progress or (lambda _n: None)
        self.chunk_bytes = chunk_bytes
        self.builder = TableBuilder()
        self.events: list[HotlistEvent] = []
        self.reports: list[FileReport] = []
        self.issues: list[ImportIssue] = []
        self._pool: ProcessPoolExecutor | None = None
        self._done = 0  # bytes of the current file already reported to ``progress``

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)

    def pool(self) -> ProcessPoolExecutor:
        if self._pool is None:
            context = multiprocessing.get_context("forkserver")
            self._pool = ProcessPoolExecutor(
                max_workers=self.jobs, mp_context=context, initializer=tame_heap
            )
        return self._pool

    # -- one file ------------------------------------------------------------------------

    def add_path(self, path: Path) -> None:
        report = FileReport(str(path))
        index = self.builder.add_file(str(path))
        self.reports.append(report)
        size = path.stat().st_size if path.is_file() else 0
        self._done = 0
        try:
            if not path.is_file():
                raise FormatError(f"{path}: no such file")
            kind = sniff(path)
            if kind == "xlsx":
                self._xlsx(path, index, report)
            elif kind == "csv-utf16":
                self._utf16(path, index, report)
            else:
                self._csv(path, index, report)
        except FormatError as exc:
            report.kind, report.error = "error", exc.message
            message = exc.message.removeprefix(f"{path.name}: ").removeprefix(f"{path}: ")
            self.issues.append(ImportIssue(str(path), None, message, "file"))
        self.progress(max(size - self._done, 0))

    def _absorb(self, report: FileReport, chunk: ChunkData) -> None:
        self.builder.add(chunk)
        report.rows += chunk.n
        report.rejected += chunk.rejected
        report.skipped += chunk.skipped
        report.warnings += chunk.warnings
        self.issues.extend(chunk.issues)

    def _describe(
        self, report: FileReport, kind: str, layout_name: str, columns: Iterable[str], ignored: int
    ) -> None:
        report.kind, report.layout, report.ignored_columns = kind, layout_name, ignored
        report.columns = sorted(columns)

    def _csv(self, path: Path, index: int, report: FileReport) -> None:
        source = path.name
        head = read_head(path, source)
        layout = head.layout
        self._describe(report, layout.kind, layout.name, layout.columns, len(layout.ignored))
        if layout.kind == "events":
            with open(path, "rb") as handle:
                handle.seek(head.data_offset)
                text = io.TextIOWrapper(handle, encoding="utf-8", errors="replace", newline="")
                self._events(text, head.first_line, EventParser(layout, source), report)
            return
        job = ChunkJob(
            str(path), source, index, layout, head.data_offset, None, head.first_line,
            self.compiled_csv,
        )  # fmt: skip
        spans: Iterator[tuple[int, int]] = plan_chunks(path, head, self.chunk_bytes)
        if head.size < self.parallel_min or self.jobs == 1:
            chunks = (parse_chunk(_span(job, s)) for s in spans)
            failed = self._absorb_chunks(report, chunks, head.first_line)
        else:
            failed = self._absorb_chunks(report, self._parallel(job, spans), head.first_line)
        if failed is None:
            return
        self.issues.append(
            ImportIssue(source, None, f"{failed}; the file was re-read as one stream", "warning")
        )
        self._absorb(report, parse_chunk(job).data)

    def _absorb_chunks(
        self, report: FileReport, parsed: Iterable[ParsedChunk], first_line: int
    ) -> str | None:
        """Merges chunks in order. Each was numbered from line 1; its lines are moved to where
        it sits in the file. If a chunk is misaligned (a stray quote fooled the cut) or a
        worker process died, rolls back and says why, so the file is read as one stream."""
        point = self.builder.mark()
        saved = (report.rows, report.rejected, report.skipped, report.warnings, len(self.issues))
        expected = -1
        previous_end = -1
        why: str | None = None
        try:
            for number, chunk in enumerate(parsed):
                if number == 0:
                    expected = chunk.first_width
                elif chunk.first_width not in (-1, expected) or previous_end not in (-1, expected):
                    why = "quote characters inside unquoted fields"
                    break
                previous_end = chunk.last_width
                _shift_lines(chunk.data, first_line - 1)
                first_line += chunk.newlines
                self._absorb(report, chunk.data)
                self.progress(chunk.nbytes)
                self._done += chunk.nbytes
        except (BrokenProcessPool, OSError) as exc:  # a worker died, or the pool could not start
            if self._pool is not None:
                self._pool.shutdown(cancel_futures=True)
            self._pool = None
            self.jobs = 1
            why = f"worker processes failed ({type(exc).__name__})"
        if why is not None:
            self.builder.rollback(point)
            report.rows, report.rejected, report.skipped, report.warnings = saved[:4]
            del self.issues[saved[4] :]
        return why

    def _parallel(self, job: ChunkJob, spans: Iterator[tuple[int, int]]) -> Iterator[ParsedChunk]:
        pool = self.pool()
        pending: list[Future[ParsedChunk]] = []
        try:
            for span in spans:
                pending.append(pool.submit(parse_chunk, _span(job, span)))
                if len(pending) >= 2 * self.jobs:
                    yield pending.pop(0).result()
            while pending:
                yield pending.pop(0).result()
        finally:
            for future in pending:
                future.cancel()

    def _utf16(self, path: Path, index: int, report: FileReport) -> None:
        source = path.name
        try:
            text = path.read_bytes().decode("utf-16")
        except UnicodeDecodeError as exc:
            raise FormatError(
                f"{source}: starts with a UTF-16 mark but is not valid UTF-16"
            ) from exc
        rows, ends = _first_rows(text, source)
        layout = find_layout(rows, source)
        self._describe(report, layout.kind, layout.name, layout.columns, len(layout.ignored))
        skip = ends[layout.header_row - 1]
        cut = 0
        for _ in range(skip):
            cut = text.find("\n", cut) + 1 if text.find("\n", cut) >= 0 else len(text)
        body = io.StringIO(text[cut:], newline="")
        if layout.kind == "events":
            self._events(body, skip + 1, EventParser(layout, source), report)
            return
        builder = ChunkBuilder(index, optional_pools(layout))
        with paused_gc():
            parse_stream(body, skip + 1, RowParser(layout, source, builder), slow=False)
            chunk = builder.finish()
        self._absorb(report, chunk)

    def _events(
        self, stream: IO[str], first_line: int, parser: EventParser, report: FileReport
    ) -> None:
        reader = csv.reader(stream)
        previous = 0
        while True:
            try:
                for row in reader:
                    line, previous = first_line + previous, reader.line_num
                    parser.feed(line, row)
                break
            except csv.Error as exc:
                parser.reject(first_line + previous, f"unreadable CSV record ({exc})")
                previous = reader.line_num
        self._take_events(parser.events, parser.issues, parser.rejected, parser.skipped, report)

    def _take_events(
        self,
        events: list[HotlistEvent],
        issues: list[ImportIssue],
        rejected: int,
        skipped: int,
        report: FileReport,
    ) -> None:
        self.events.extend(events)
        self.issues.extend(issues)
        report.rows += len(events)
        report.rejected += rejected
        report.skipped += skipped

    def _xlsx(self, path: Path, index: int, report: FileReport) -> None:
        sheets = read_xlsx(path, index)
        kinds = {s.layout.kind for s in sheets}
        first = sheets[0].layout
        columns = {c for s in sheets for c in s.layout.columns}
        self._describe(
            report,
            "search" if "search" in kinds else "events",
            first.name,
            columns,
            len(first.ignored),
        )
        for sheet in sheets:
            if sheet.chunk is not None:
                chunk = sheet.chunk
                chunk.issues = sheet.issues
                self._absorb(report, chunk)
            else:
                self._take_events(sheet.events, sheet.issues, sheet.rejected, sheet.skipped, report)

    def add_records(self, label: str, records: Iterable[SearchRecord]) -> None:
        report = FileReport(label, kind="search", layout="TrustLPR audit log", columns=OWN_COLUMNS)
        self.reports.append(report)
        chunk = ChunkBuilder(
            self.builder.add_file(label), ("purpose", "decision", "basis", "state")
        )
        for record in records:
            chunk.add(*record_fields(record))
        self._absorb(report, chunk.finish())

    def result(self) -> ImportResult:
        table, dupes = dedupe(self.builder.build())
        for file_index, count in dupes.items():
            self.reports[file_index].duplicates = count
        return ImportResult(table, self.events, self.reports, self.issues)


def _span(job: ChunkJob, span: tuple[int, int]) -> ChunkJob:
    offset, length = span
    return ChunkJob(job.path, job.source, job.file, job.layout, offset, length, 1, job.compiled)


def _shift_lines(chunk: ChunkData, shift: int) -> None:
    """Moves a chunk numbered from line 1 to its place in the file (rows and issues)."""
    if shift == 0:
        return
    np.frombuffer(chunk.numeric["line"], dtype=np.int32)[:] += shift
    chunk.issues = [
        replace(i, line=i.line + shift) if i.line is not None else i for i in chunk.issues
    ]


def import_files(
    paths: Sequence[Path],
    *,
    jobs: int | None = None,
    progress: Progress | None = None,
    own_records: Iterable[SearchRecord] | None = None,
    own_label: str = "TrustLPR audit log",
    chunk_bytes: int = CHUNK_BYTES,
    parallel_min_bytes: int = PARALLEL_MIN_BYTES,
    compiled_csv: bool = True,
) -> ImportResult:
    """Imports every file (and our own audit records, if given) into one de-duplicated table.

    ``progress`` is called with the number of bytes just processed (the total is
    ``total_bytes(paths)``). Files that fail are in ``result.files`` with their error. CSV
    files of ``parallel_min_bytes`` or more are parsed by ``jobs`` worker processes in chunks
    of about ``chunk_bytes``; ``compiled_csv=False`` reads every chunk with the ``csv``
    module instead of pyarrow where it can (the same table either way: for tests and benches).
    """
    tame_heap()
    workers = jobs if jobs is not None else min(2, os.cpu_count() or 1)
    importer = _Importer(workers, progress, chunk_bytes, parallel_min_bytes, compiled_csv)
    try:
        for path in paths:
            importer.add_path(Path(path))
        if own_records is not None:
            importer.add_records(own_label, own_records)
    finally:
        importer.close()  # before the merge: the workers' memory is given back first
    return importer.result()
