"""Bad input: a clear error naming what is wrong, the rest of the batch still imported."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest

from trustlpr.core.errors import FormatError
from trustlpr.oversight import import_files
from trustlpr.oversight.reading import find_layout

from .synth import HEADER_13, Search, write_13, write_csv

AT = datetime(2025, 1, 9, 12, 0, tzinfo=UTC)


def good(path: Path, n: int = 3) -> Path:
    searches = [
        Search(f"g{k}", "Pat", AT + timedelta(minutes=k), f"Robbery 25-{k}", plate=f"XY{k}")
        for k in range(n)
    ]
    return write_13(path, searches)


def _errors(tmp_path: Path, bad: Path) -> tuple[str, int]:
    """Imports a good file, the bad one and another good one; returns the bad file's error."""
    result = import_files([good(tmp_path / "g1.csv"), bad, good(tmp_path / "g2.csv", 5)])
    assert result.rows_imported == 3 + 2  # second good file repeats rows 0-2 of the first
    assert [f.error is None for f in result.files] == [True, False, True]
    error = result.files[1].error
    assert error is not None and bad.name in error
    return error, len(result.issues)


def test_wrong_columns_name_what_is_missing(tmp_path: Path) -> None:
    bad = write_csv(
        tmp_path / "people.csv", ["Name", "Address", "Phone"], [["Pat", "1 Main St", "555"]]
    )
    error, _ = _errors(tmp_path, bad)
    assert "'Search Time'" in error and "'Reason'" in error and "'Address'" in error


def test_a_data_row_is_never_quoted_as_a_header(tmp_path: Path) -> None:
    bad = write_csv(tmp_path / "noheader.csv", ["Pat Example", "XY12345", "1/9/2025"], [])
    error, _ = _errors(tmp_path, bad)
    assert "Pat Example" not in error and "XY12345" not in error
    assert "does not look like a header" in error


@pytest.mark.parametrize(
    ("content", "says"),
    [
        (os.urandom(4096) + b"\x00", "binary data"),
        (b"\x00\x01\x02\x03" * 100, "binary data"),
        (b"%PDF-1.7\n%...", "a PDF"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "legacy Excel .xls"),
        (b"", "empty"),
        (b"  \r\n", "empty"),
    ],
)
def test_junk_files(tmp_path: Path, content: bytes, says: str) -> None:
    bad = tmp_path / "junk.csv"
    bad.write_bytes(content)
    error, _ = _errors(tmp_path, bad)
    assert says in error


def test_truncated_xlsx(tmp_path: Path) -> None:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(HEADER_13)
    for k in range(200):
        sheet.append(Search(f"x{k}", "Pat", AT, "Robbery", plate=f"T{k}").row13())
    full = tmp_path / "full.xlsx"
    book.save(full)
    bad = tmp_path / "cut.xlsx"
    bad.write_bytes(full.read_bytes()[: full.stat().st_size // 2])
    error, _ = _errors(tmp_path, bad)
    assert "corrupt or truncated" in error


def test_missing_file(tmp_path: Path) -> None:
    result = import_files([tmp_path / "nope.csv", good(tmp_path / "g.csv")])
    assert "no such file" in (result.files[0].error or "")
    assert result.rows_imported == 3


def test_truncated_csv_keeps_every_complete_row(tmp_path: Path) -> None:
    path = good(tmp_path / "a.csv", 10)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) - 40])  # cut inside the last record
    result = import_files([path])
    assert result.rows_imported == 9
    [issue] = result.issues
    assert issue.kind == "rejected" and issue.line is not None and issue.line >= 19
    assert "truncated" in issue.message


def test_bad_rows_are_reported_with_line_numbers_and_skipped(tmp_path: Path) -> None:
    rows = [Search(f"r{k}", "Pat", AT, "Robbery", plate=f"XY{k}").row13() for k in range(5)]
    rows[1][9] = "yesterday"  # Search Time
    rows[2] = rows[2][:6]  # too few fields
    rows[3][3] = "lots"  # networks
    rows[4] = [*rows[4], "unexpected", "cells"]  # more fields than the header
    path = write_csv(tmp_path / "a.csv", HEADER_13, rows)
    result = import_files([path])
    assert result.rows_imported == 1 and result.rows_rejected == 4
    lines = {i.line: i.message for i in result.issues}
    # each record spans two physical lines (the two-line Time Frame): 2-3, 4-5, 6-7, ...
    assert "Search Time" in lines[4] and "date and time" in lines[4]
    assert "truncated or misaligned" in lines[6]
    assert "Total Networks Searched" in lines[8] and "whole number" in lines[8]
    assert "unquoted comma" in lines[10]
    for message in lines.values():
        assert "yesterday" not in message and "lots" not in message  # cells are never quoted


def test_mixed_encodings_keep_the_row_and_warn(tmp_path: Path) -> None:
    path = good(tmp_path / "a.csv", 3)
    latin = Search(
        "w1", "Jos\u00e9 Ni\u00f1o", AT + timedelta(hours=1), "Robo", plate="ZZ1"
    ).row13()
    import csv
    import io

    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(latin)
    with open(path, "ab") as handle:
        handle.write(buffer.getvalue().encode("cp1252"))
    result = import_files([path])
    assert result.rows_imported == 4 and result.rows_rejected == 0
    [issue] = result.issues
    assert issue.kind == "warning" and "Windows-1252" in issue.message and issue.line == 8
    assert result.table.record(3).user == "Jos\u00e9 Ni\u00f1o"


def test_nul_byte_and_oversized_field_late_in_a_file(tmp_path: Path) -> None:
    path = good(tmp_path / "a.csv", 2000)
    with open(path, "ab") as handle:
        handle.write(b"x,Pat,\x00Org,1,,XY,why,,," + b"\r\n")
        handle.write(b'"' + b"y" * 200_000 + b'",Pat\r\n')
    tail = [
        Search(f"t{k}", "Sam", AT + timedelta(days=1, minutes=k), "Robbery", plate=f"T{k}")
        for k in range(2)
    ]
    write_13(tmp_path / "tail.csv", tail)
    with open(path, "ab") as handle:
        handle.write((tmp_path / "tail.csv").read_bytes().split(b"\r\n", 1)[1])
    result = import_files([path])
    assert result.rows_imported == 2002
    assert result.rows_rejected == 2
    assert all(i.line is not None for i in result.issues)


def test_layout_errors_are_format_errors() -> None:
    with pytest.raises(FormatError, match="missing column"):
        find_layout([["Name", "Plate", "When"]], "x.csv")
    with pytest.raises(FormatError, match="empty"):
        find_layout([], "x.csv")


def test_parallel_chunks_match_one_stream(tmp_path: Path) -> None:
    searches = [
        Search(
            f"p{k}",
            f"User{k % 7}",
            AT + timedelta(seconds=37 * k),
            f'Robbery "x", 25-{k}',
            plate=f"P{k}",
        )
        for k in range(3000)
    ]
    path = write_13(tmp_path / "big.csv", searches)
    one = import_files([path], jobs=1)
    many = import_files([path], jobs=2, chunk_bytes=20_000, parallel_min_bytes=0)
    assert one.rows_imported == many.rows_imported == 3000
    for i in (0, 1, 1499, 2999):
        assert one.table.record(i) == many.table.record(i)
    assert not many.issues


def test_stray_quote_falls_back_to_one_stream(tmp_path: Path) -> None:
    header = ["Name", "Reason", "Search Time", "License Plate"]
    path = tmp_path / "stray.csv"
    with open(path, "w", newline="") as handle:  # written by hand: a stray, unescaped quote
        handle.write(",".join(header) + "\r\n")
        for k in range(4000):
            reason = f"Robbery {k}"
            if k == 10:
                reason = f'5 ft 6" suspect {k}'  # literal quote: csv keeps it, parity flips
            if k == 2000:
                reason = '"two\nlines"'  # a quoted cell with a newline, now at even parity
            handle.write(f"U{k},{reason},2025-01-09 13:00:00,P{k}\r\n")
    one = import_files([path], jobs=1)
    many = import_files([path], jobs=2, chunk_bytes=8_000, parallel_min_bytes=0)
    assert one.rows_imported == many.rows_imported == 4000
    assert any("re-read as one stream" in i.message for i in many.issues)
    assert many.rows_rejected == 0
    records = list(many.table.records([9, 10, 2000, 3999]))
    assert [r.reason for r in records] == [
        "Robbery 9",
        '5 ft 6" suspect 10',
        "two\nlines",
        "Robbery 3999",
    ]
    assert records[-1].line == 4002  # the two-line cell shifts later lines by one
