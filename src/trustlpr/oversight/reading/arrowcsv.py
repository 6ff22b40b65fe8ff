"""The compiled CSV reader: pyarrow parses a well-formed UTF-8 chunk into columns.

Python's ``csv.reader`` was the largest single cost of an import (a list of strings built per
record, then transposed). pyarrow parses a chunk in C and hands each column over whole. It
reads well-formed CSV exactly as ``csv.reader`` does (quoted two-line cells included), but
not every odd file: it skips blank lines, has no field-size limit, accepts NUL bytes and
takes a bare CR as a line end. So it is used only where it can vouch for the result, and
``read_columns`` returns None for everything else, which the plain path (``parse_stream``)
then reads as before: a row that is not valid UTF-8 (Windows-1252), a row of another width,
a blank or whitespace-only line, an unbalanced quote.

Physical line numbers are rebuilt from the cells: a record takes one line plus one for each
line break inside its quoted cells, and the lines counted must add up to the chunk's own
newlines. A chunk with a blank line (even one inside a quoted cell) is left to the plain path.
"""

from __future__ import annotations

import csv
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pa_csv

_READ = pa_csv.ReadOptions(autogenerate_column_names=True, use_threads=False)
_PARSE = pa_csv.ParseOptions(newlines_in_values=True)


def read_columns(raw: bytes, width: int, first_line: int) -> tuple[list[int], list[list[str]]]:
    """(each record's first physical line, the cells of each column) of ``raw``, records of
    ``width`` fields; ``ValueError`` when the plain reader must read the chunk instead."""
    starts, arrays = read_arrays(raw, width, first_line)
    return starts.tolist(), [array.to_pylist() for array in arrays]


def read_arrays(
    raw: bytes, width: int, first_line: int
) -> tuple[np.ndarray[Any, Any], list[pa.StringArray]]:
    """``read_columns`` with the lines as numpy and each column one Arrow string array (no
    Python strings made: ``arrowfeed`` judges and interns them column by column)."""
    if b"\x00" in raw or raw.count(b"\r") != raw.count(b"\r\n"):
        raise ValueError("NUL bytes or a bare CR")
    if b"\n\n" in raw or b"\n\r\n" in raw or raw.startswith((b"\n", b"\r\n")):
        raise ValueError("a blank line (pyarrow skips them; csv.reader reads an empty record)")
    convert = pa_csv.ConvertOptions(
        column_types={f"f{k}": pa.string() for k in range(width)},
        strings_can_be_null=False,
        quoted_strings_can_be_null=False,
    )
    try:
        table = pa_csv.read_csv(
            pa.py_buffer(raw), read_options=_READ, parse_options=_PARSE, convert_options=convert
        )
    except pa.ArrowException as exc:
        raise ValueError(str(exc)) from exc
    if table.num_columns != width or table.num_rows == 0:
        raise ValueError("another width")
    consumed = np.ones(table.num_rows, dtype=np.int64)
    limit = csv.field_size_limit()
    for column in table.columns:
        if (pc.max(pc.binary_length(column)).as_py() or 0) > limit:
            raise ValueError("a field longer than csv.field_size_limit()")
        consumed += np.asarray(pc.count_substring(column, "\n").to_numpy(), dtype=np.int64)
    expected = raw.count(b"\n") + (0 if raw.endswith(b"\n") else 1)
    if int(consumed.sum()) != expected:  # a line pyarrow skipped or split otherwise
        raise ValueError("the lines do not add up")
    starts = np.empty(table.num_rows, dtype=np.int64)
    starts[0] = first_line
    np.cumsum(consumed[:-1], out=starts[1:])
    starts[1:] += first_line
    return starts, [column.combine_chunks() for column in table.columns]
