"""Reading files of reads (JSON Lines or CSV) as a stream, one verdict per line.

Memory stays flat whatever the file size: lines are read with a cap, and a line over the cap
(a 1 GB line, say) is reported and skipped without ever being held whole. Every rejection
names its physical line number and the reason; good lines before and after are kept.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from ..core.errors import FormatError, InputError
from ..core.reads import Read, read_from_mapping

MAX_LINE_BYTES = 64 * 1024
CSV_REQUIRED = ("plate", "observed_at", "camera_id", "confidence", "lat", "lon")
_OVERSIZE = "\x00oversize\x00"


@dataclass(frozen=True, slots=True)
class Rejected:
    line: int
    reason: str


def detect_format(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if suffix == ".csv":
        return "csv"
    with open(path, "rb") as handle:
        head = handle.read(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    return "jsonl" if head.startswith(b"{") else "csv"


def _capped_lines(handle: BinaryIO, limit: int) -> Iterator[bytes | None]:
    """Physical lines; None stands for a line longer than ``limit`` (skipped in chunks)."""
    while True:
        line = handle.readline(limit + 1)
        if not line:
            return
        if len(line) > limit and not line.endswith(b"\n"):
            while True:  # discard the rest of the line without holding it
                rest = handle.readline(1 << 20)
                if not rest or rest.endswith(b"\n"):
                    break
            yield None
        else:
            yield line


def read_jsonl(
    handle: BinaryIO, limit: int = MAX_LINE_BYTES
) -> Iterator[tuple[int, Read | Rejected]]:
    for number, raw in enumerate(_capped_lines(handle, limit), start=1):
        if raw is None:
            yield number, Rejected(number, f"line is longer than {limit} bytes")
            continue
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        if not raw.strip():
            continue
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            yield number, Rejected(number, f"not UTF-8 (byte {exc.start})")
            continue
        try:
            value = json.loads(text)
        except json.JSONDecodeError as exc:
            yield number, Rejected(number, f"bad JSON: {exc.msg} at column {exc.colno}")
            continue
        except RecursionError:
            yield number, Rejected(number, "bad JSON: nested too deeply")
            continue
        try:
            yield number, read_from_mapping(value)
        except InputError as exc:
            yield number, Rejected(number, exc.message)


def _decoded_lines(handle: BinaryIO, limit: int) -> Iterator[str]:
    for number, raw in enumerate(_capped_lines(handle, limit), start=1):
        if raw is None:
            yield _OVERSIZE + "\n"
            continue
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        yield raw.decode("utf-8", errors="replace")


def read_csv(
    handle: BinaryIO, limit: int = MAX_LINE_BYTES
) -> Iterator[tuple[int, Read | Rejected]]:
    reader = csv.reader(_decoded_lines(handle, limit))
    try:
        header = next(reader)
    except StopIteration:
        raise FormatError("the CSV file is empty; expected a header row", line=1) from None
    except csv.Error as exc:
        raise FormatError(f"unreadable CSV header: {exc}", line=1) from exc
    names = [h.strip().lower() for h in header]
    missing = [c for c in CSV_REQUIRED if c not in names]
    if missing:
        raise FormatError(f"the CSV header lacks column(s) {', '.join(missing)}", line=1)
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield reader.line_num, Rejected(reader.line_num, f"bad CSV: {exc}")
            continue
        if not row or all(not cell.strip() for cell in row):
            continue
        if row[0] == _OVERSIZE:
            yield reader.line_num, Rejected(reader.line_num, f"line is longer than {limit} bytes")
            continue
        if "\ufffd" in "".join(row):
            yield reader.line_num, Rejected(reader.line_num, "not UTF-8")
            continue
        if len(row) != len(names):
            yield (
                reader.line_num,
                Rejected(reader.line_num, f"has {len(row)} fields; the header has {len(names)}"),
            )
            continue
        try:
            yield reader.line_num, read_from_mapping(dict(zip(names, row, strict=True)))
        except InputError as exc:
            yield reader.line_num, Rejected(reader.line_num, exc.message)


def iter_read_file(
    path: Path, fmt: str | None = None, on_progress: Callable[[int], None] | None = None
) -> Iterator[tuple[int, Read | Rejected]]:
    """Reads or rejections, in file order. Raises ``FormatError`` if the file is unusable.
    ``on_progress`` is told the byte offset reached every few thousand items."""
    fmt = fmt or detect_format(path)
    if fmt not in ("jsonl", "csv"):
        raise FormatError(f"unknown format {fmt!r}; use jsonl or csv")
    try:
        handle = open(path, "rb", buffering=1 << 16)  # noqa: SIM115 - closed in finally
    except OSError as exc:
        raise FormatError(f"cannot open {path}: {exc.strerror}") from exc
    try:
        items = read_jsonl(handle) if fmt == "jsonl" else read_csv(handle)
        for count, item in enumerate(items, start=1):
            if on_progress is not None and count % 4096 == 0:
                on_progress(handle.tell())
            yield item
    finally:
        handle.close()
