"""XLSX exports, streamed with openpyxl's read-only mode so memory stays flat.

Every sheet is examined; each one with a search-audit or event-log header is imported (a
workbook may carry an empty ``Sheet1`` beside the data). Cell values are turned into the same
text the CSV reader sees, so one row parser decides for both. A workbook that breaks part-way
(truncated download) keeps the rows read before the break and reports the rest.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time
from itertools import chain, islice
from pathlib import Path
from typing import Any
from xml.etree.ElementTree import ParseError

from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from ...core.errors import FormatError
from ..records import HotlistEvent, ImportIssue
from ..table.chunk import ChunkBuilder, ChunkData
from .eventlog import EventParser
from .layout import HEADER_SCAN_ROWS, Layout, find_layout
from .rows import RowParser, optional_pools

_BROKEN = (
    zipfile.BadZipFile,
    InvalidFileException,
    ParseError,
    KeyError,
    EOFError,
    OSError,
    ValueError,
)


def cell_text(value: Any) -> str:
    """The text a CSV export would have held for this cell."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@dataclass
class SheetResult:
    """What one sheet gave: searches (as a chunk) or events, plus issues."""

    source: str
    layout: Layout
    chunk: ChunkData | None = None
    events: list[HotlistEvent] = field(default_factory=list)
    issues: list[ImportIssue] = field(default_factory=list)
    rejected: int = 0
    skipped: int = 0


def read_xlsx(
    path: Path, file_index: int, progress: Callable[[int], None] | None = None
) -> list[SheetResult]:
    """Reads every recognised sheet; ``FormatError`` if none is an export or event log."""
    name = path.name
    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except _BROKEN as exc:
        raise FormatError(
            f"{name}: not a readable XLSX workbook (corrupt or truncated: {type(exc).__name__})"
        ) from exc
    results: list[SheetResult] = []
    errors: list[str] = []
    try:
        sheets = workbook.worksheets
        for sheet in sheets:
            source = name if len(sheets) == 1 else f"{name}!{sheet.title}"
            try:
                result = _read_sheet(sheet, source, file_index, progress)
            except FormatError as exc:
                errors.append(exc.message)
                continue
            if result is not None:
                results.append(result)
    finally:
        workbook.close()
    if not results:
        raise FormatError(errors[0] if errors else f"{name}: the workbook has no data")
    return results


def _rows(sheet: Any) -> Iterator[list[str]]:
    for values in sheet.iter_rows(values_only=True):
        yield [cell_text(v) for v in values]


def _read_sheet(
    sheet: Any, source: str, file_index: int, progress: Callable[[int], None] | None
) -> SheetResult | None:
    rows = _rows(sheet)
    try:
        head = list(islice(rows, HEADER_SCAN_ROWS))
    except _BROKEN as exc:
        raise FormatError(f"{source}: the sheet cannot be read ({type(exc).__name__})") from exc
    if not any(any(c.strip() for c in r) for r in head):
        return None  # an empty sheet beside the data
    layout = find_layout(head, source)
    result = SheetResult(source, layout)
    feed: Callable[[int, list[str]], None]
    if layout.kind == "events":
        events = EventParser(layout, source)
        feed = events.feed
    else:
        builder = ChunkBuilder(file_index, optional_pools(layout))
        parser = RowParser(layout, source, builder)
        feed = parser.feed
    width = layout.width
    number = layout.header_row
    try:
        for row in chain(head[layout.header_row :], rows):
            number += 1
            feed(number, row + [""] * (width - len(row)) if len(row) < width else row)
            if progress is not None and number % 5000 == 0:
                progress(5000)
    except _BROKEN as exc:
        result.issues.append(
            ImportIssue(
                source,
                number,
                f"the workbook breaks off here ({type(exc).__name__}); rows before it were kept",
                "file",
            )
        )
    if layout.kind == "events":
        result.events = events.events
        result.issues[:0] = events.issues
        result.rejected, result.skipped = events.rejected, events.skipped
    else:
        result.chunk = builder.finish()
        result.issues[:0] = result.chunk.issues
        result.rejected, result.skipped = result.chunk.rejected, result.chunk.skipped
    return result
