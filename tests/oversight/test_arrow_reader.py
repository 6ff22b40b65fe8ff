"""The compiled CSV reader (``reading/arrowcsv.py``) and the plain ``csv`` path import every file
into the same table: same rows, values, pools, physical line numbers, rejections and warnings.

Each file is imported twice in this process (``jobs=1``): once as shipped, once with the
compiled reader refused, so every chunk takes the plain path. Real exports are compared in
memory only; no cell of them is copied or asserted on.
"""

from __future__ import annotations

import csv
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from trustlpr.oversight import ImportResult, import_files
from trustlpr.oversight.reading import arrowcsv, arrowfeed, csvread

from .synth import HEADER_13, clean_traffic, planted
from .test_parsers_agree import _same_tables

Reader = Callable[[bytes, int, int], Any]


def _both(path: Path, monkeypatch: pytest.MonkeyPatch, **kw: Any) -> tuple[ImportResult, int, int]:
    """(the import with the compiled reader, the same import without) — asserted equal —
    and how many chunks the compiled reader took. A third import reads with the compiled
    reader but hands every slice to the list-based batch path (``ArrowFeeder`` refusing),
    and must equal both; the third number is how many slices ``ArrowFeeder`` took."""
    taken = slices = 0
    original: Reader = arrowcsv.read_arrays
    original_feed = arrowfeed.ArrowFeeder.feed

    def counting(raw: bytes, width: int, first_line: int) -> Any:
        nonlocal taken
        out = original(raw, width, first_line)
        taken += 1
        return out

    def refused(raw: bytes, width: int, first_line: int) -> Any:
        raise ValueError("plain path")

    def feed_counting(self: arrowfeed.ArrowFeeder, lines: Any, arrays: Any) -> bool:
        nonlocal slices
        took = original_feed(self, lines, arrays)
        slices += took
        return took

    monkeypatch.setattr(csvread, "read_arrays", counting)
    monkeypatch.setattr(arrowfeed.ArrowFeeder, "feed", feed_counting)
    fast = import_files([path], jobs=1, **kw)
    monkeypatch.setattr(arrowfeed.ArrowFeeder, "feed", lambda *_a: False)
    lists = import_files([path], jobs=1, **kw)
    monkeypatch.setattr(arrowfeed.ArrowFeeder, "feed", original_feed)
    monkeypatch.setattr(csvread, "read_arrays", refused)
    plain = import_files([path], jobs=1, **kw)
    monkeypatch.setattr(csvread, "read_arrays", original)
    for other in (lists, plain):
        _same_tables(fast.table, other.table)
        assert fast.files == other.files
        assert [(i.source, i.line, i.message, i.kind) for i in fast.issues] == [
            (i.source, i.line, i.message, i.kind) for i in other.issues
        ]
    return fast, taken // 2, slices


def _real_csvs(shared_dir: Path) -> list[Path]:
    folder = shared_dir / "data" / "flock_audit"
    paths = sorted(p for p in folder.glob("*/*.csv"))
    assert len(paths) >= 5, f"{folder} is missing its CSV exports"
    return paths


def test_every_real_layout_imports_identically(
    shared_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    took = arrow_took = 0
    for path in _real_csvs(shared_dir):
        result, taken, slices = _both(path, monkeypatch)
        assert result.rows_imported > 1000, path.name
        took += taken > 0
        arrow_took += slices > 0
        # small chunks: many cuts, batch and line numbering across chunk boundaries
        _both(path, monkeypatch, chunk_bytes=64 << 10)
    assert took >= 4  # the compiled reader really read most real layouts
    assert arrow_took >= 1  # and the Arrow-column path took the slices of at least one


def _write(path: Path, header: list[str], rows: list[list[str]], tail: bytes = b"") -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        csv.writer(handle, lineterminator="\r\n").writerows([header, *rows])
    with open(path, "ab") as handle:
        handle.write(tail)
    return path


def _month() -> list[list[str]]:
    searches = clean_traffic() + [s for group in planted().values() for s in group]
    return [s.row13() for s in sorted(searches, key=lambda s: s.at)]


def test_a_clean_month_takes_the_compiled_reader(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result, taken, slices = _both(_write(tmp_path / "m.csv", HEADER_13, _month()), monkeypatch)
    assert taken == 1 and slices == 1 and result.rows_imported > 1000 and not result.issues


ODD_CELLS = {
    "Name": "***",  # masked
    "License Plate": "**",
    "Case #": "*1234",
    "Search Time": "2025-03-04 13:00:00",  # another time format
    "Time Frame": "",  # no frame: a warning
    "ID": "row-17",  # not a UUID
    "Total Networks Searched": "1,424",
    "Org Name": "  Springfield PD ",
}


@pytest.mark.parametrize("column", sorted(ODD_CELLS))
def test_slices_with_odd_rows_go_to_the_list_path_and_read_the_same(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, column: str
) -> None:
    """Small slices, one odd cell every few hundred rows: the slices holding one are refused
    by ``ArrowFeeder`` (or taken, where the cell is one it can judge), the others are taken,
    and the table is the same as the list and plain paths build, pools in the same order."""
    monkeypatch.setattr(arrowfeed, "SLICE_ROWS", 128)
    rows = _month()
    for k in range(50, len(rows), 700):
        rows[k][HEADER_13.index(column)] = ODD_CELLS[column]
    result, taken, slices = _both(_write(tmp_path / "odd.csv", HEADER_13, rows), monkeypatch)
    assert taken == 1 and result.rows_imported >= len(rows) - len(rows) // 700 - 1
    assert 0 < slices <= -(-len(rows) // 128)


def _spliced(rows: list[list[str]], at: int, raw: bytes) -> bytes:
    """The CSV bytes of ``rows`` with ``raw`` inserted as its own line before row ``at``."""
    lines = []
    for k, row in enumerate([HEADER_13, *rows]):
        if k == at + 1:
            lines.append(raw)
        handle = _Sink()
        csv.writer(handle, lineterminator="\r\n").writerow(row)
        lines.append(handle.text.encode("utf-8"))
    return b"".join(lines)


class _Sink:
    text = ""

    def write(self, s: str) -> int:
        self.text += s
        return len(s)


_AT = b',,,"3/4/2025, 1:00:00 PM UTC",lookup,,'
HARD_LINES = {
    "a blank line": b"\r\n",
    "a whitespace-only line": b"   \r\n",
    "a Windows-1252 row": b"c1252,Caf\xe9 Officer,Springfield CT PD,1,,,\xabtheft\xbb"
    + _AT
    + b"\r\n",
    "a short row": b"short,row,only\r\n",
    "a long row": b'long,A,B,1,"",X,Theft' + _AT + b",extra,more\r\n",
    "a bare CR in a cell": b'cr,A,B,1,"",X,"Theft\rmore"' + _AT + b"\r\n",
    "an LF line end": b'lf,A,B,1,"",X,Theft' + _AT + b"\n",
    "a quoted CRLF in a cell": b'q,A,B,1,"",X,"Theft\r\nmore"' + _AT + b"\r\n",
    "a quote after a quoted cell": b'qq,A,B,1,"",X,"Theft"x' + _AT + b"\r\n",
    "a quote inside an unquoted cell": b'qi,A,B,1,"",X,The"ft' + _AT + b"\r\n",
}


@pytest.mark.parametrize("what", sorted(HARD_LINES))
def test_hard_rows_read_the_same_in_both_paths(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, what: str
) -> None:
    rows = _month()
    raw = _spliced(rows, len(rows) // 2, HARD_LINES[what])
    path = tmp_path / "hard.csv"
    path.write_bytes(raw)
    result, _, _ = _both(path, monkeypatch)
    assert result.rows_imported >= len(rows)
    _both(path, monkeypatch, chunk_bytes=32 << 10)


def test_no_final_newline_and_an_unbalanced_quote(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rows = _month()
    path = _write(tmp_path / "end.csv", HEADER_13, rows)
    path.write_bytes(path.read_bytes().rstrip(b"\r\n"))
    result, taken, slices = _both(path, monkeypatch)
    assert taken == 1 and slices == 1 and result.rows_imported == len(rows)
    path.write_bytes(path.read_bytes() + b'\r\nopen,"never closed,1\r\n')
    _both(path, monkeypatch)


def test_random_cells_split_as_csv_reader_splits_them() -> None:
    """Records the compiled reader accepts are exactly what ``csv.reader`` reads, with the
    same starting lines; what it refuses raises ``ValueError`` (the plain path reads it)."""
    import io

    pieces = ['"', ",", "\n", "\r\n", "\r", " ", "a", "é", "x y", '""', "\x00", ""]
    rng = random.Random(17)
    accepted = 0
    for _ in range(1500):
        width = rng.randint(1, 4)
        records = []
        for _ in range(rng.randint(1, 6)):
            cells = ["".join(rng.choices(pieces, k=rng.randint(0, 3))) for _ in range(width)]
            if rng.random() < 0.7:  # written properly (quoted where needed)
                sink = _Sink()
                csv.writer(sink, lineterminator=rng.choice(["\r\n", "\n"])).writerow(cells)
                records.append(sink.text)
            else:  # written raw: stray quotes, line breaks, other widths
                records.append(",".join(cells) + rng.choice(["\r\n", "\n", ""]))
        text = "".join(records)
        raw = text.encode("utf-8")
        try:
            lines, columns = arrowcsv.read_columns(raw, width, 1)
        except ValueError:
            continue
        reader = csv.reader(io.StringIO(text, newline=""))
        expected_rows, expected_lines, prev = [], [], 0
        try:
            for row in reader:
                expected_lines.append(1 + prev)
                prev = reader.line_num
                expected_rows.append(row)
        except csv.Error:
            pytest.fail(f"accepted what csv.reader refuses: {raw!r}")
        assert [list(r) for r in zip(*columns, strict=True)] == expected_rows, raw
        assert lines == expected_lines, raw
        accepted += 1
    assert accepted > 150, accepted
