"""Spreadsheet-safe CSV cells: every CSV the project writes passes its cells through here.

A cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is run as a
formula by Excel, LibreOffice and Google Sheets ("CSV injection"). OWASP's advice, which
spreadsheet-safe exporters follow, is to prefix such a cell with a single quote so that it is
shown as text. Plain numbers ("-3", "+1.5") are left alone: they cannot carry a formula, and
quoting them would turn real figures into text.
"""

from __future__ import annotations

import re

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def spreadsheet_safe(value: object) -> object:
    """``value`` unchanged unless it is text a spreadsheet would evaluate; then ``'`` + text."""
    if not isinstance(value, str) or not value.startswith(_FORMULA_START):
        return value
    if _PLAIN_NUMBER.fullmatch(value):
        return value
    return "'" + value


def safe_row(values: list[object] | tuple[object, ...]) -> list[object]:
    """A row with every cell passed through ``spreadsheet_safe``."""
    return [spreadsheet_safe(v) for v in values]
