from __future__ import annotations

import csv
import io

import pytest

from trustlpr.core.csvcell import safe_row, spreadsheet_safe


@pytest.mark.parametrize(
    "cell",
    ['=HYPERLINK("http://x")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(A1)", "\t=1", "\r=1"],
)
def test_formula_cells_are_quoted(cell: str) -> None:
    assert spreadsheet_safe(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["-3", "+1.5", "-0.25", "1e5", "plain text", "", "a=b"])
def test_numbers_and_text_are_left_alone(cell: str) -> None:
    assert spreadsheet_safe(cell) == cell


def test_non_text_values_pass_through() -> None:
    assert safe_row([1, None, 2.5, "=x"]) == [1, None, 2.5, "'=x"]


def test_a_written_row_reads_back_as_text() -> None:
    out = io.StringIO()
    csv.writer(out).writerow(safe_row(["=1+1", "ok"]))
    assert next(csv.reader(io.StringIO(out.getvalue()))) == ["'=1+1", "ok"]
