"""Exports of the log: the public entries (JSONL, CSV) and, for auditors, a Flock-style CSV.

The JSONL and CSV exports hold only public leaves, so anyone may have them. Every CSV cell
passes through ``core.csvcell.spreadsheet_safe``: text a spreadsheet would run as a formula
(``=``, ``+``, ``-``, ``@`` …) gets a leading ``'``; a machine reader strips it (a base64 hash
or commitment may start with ``+``). The Flock CSV joins
the search decisions with the private detail store into the 13 columns of a Flock audit export
(REFERENCE.md §4), so a public-records request can be answered in the format requesters and
their tools already know. It needs auditor rights; the CLI, run by an operator with file
access, has them.
"""

from __future__ import annotations

import base64
import csv
import json
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TextIO

from ..core.csvcell import safe_row
from ..core.errors import InputError, TrustLPRError
from ..core.events import EventType
from .leaf import PUBLIC_FIELDS, parse_leaf
from .log import AuditLog
from .merkle import leaf_hash

FORMATS = ("jsonl", "csv", "flock-csv")
FLOCK_COLUMNS = (
    "ID",
    "Name",
    "Org Name",
    "Total Networks Searched",
    "Time Frame",
    "License Plate",
    "Reason",
    "Case #",
    "Filters",
    "Search Time",
    "Search Type",
    "Text Prompt",
    "Moderation",
)
CSV_COLUMNS = ("index", "leaf_hash", "type", "agency", "time", *sorted(PUBLIC_FIELDS), "commitment")
_RECENT_REQUESTS = 100_000
_MASKED = {"user_name": "***", "plate": "***", "reason": "***", "case_number": "***"}

Progress = Callable[[int], None]


def public_record(index: int, leaf: bytes) -> dict[str, Any]:
    """One public entry as the HTTP API and the JSONL export give it."""
    return {"index": index, "leaf_b64": base64.b64encode(leaf).decode(), "leaf": parse_leaf(leaf)}


def jsonl_lines(log: AuditLog, start: int = 0, end: int | None = None) -> Iterator[str]:
    """The public log as JSON lines, one entry per line, streamed."""
    for index, leaf in log.entries(start, end):
        yield json.dumps(public_record(index, leaf), sort_keys=True, ensure_ascii=False) + "\n"


def export(
    log: AuditLog,
    out: TextIO,
    fmt: str,
    *,
    start: int = 0,
    end: int | None = None,
    progress: Progress | None = None,
) -> int:
    """Writes entries ``[start, end)`` to ``out`` in ``fmt``; returns the number of rows."""
    if fmt == "jsonl":
        rows = 0
        for rows, line in enumerate(jsonl_lines(log, start, end), 1):
            out.write(line)
            _tick(progress, rows)
        return rows
    if fmt == "csv":
        return _export_csv(log, out, start, end, progress)
    if fmt == "flock-csv":
        return _export_flock(log, out, start, end, progress)
    raise InputError(
        f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}", field="format"
    )


def _tick(progress: Progress | None, count: int) -> None:
    if progress is not None and count % 4096 == 0:
        progress(count)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | dict):
        return json.dumps(value, sort_keys=True, separators=(",", ":"))
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _export_csv(
    log: AuditLog, out: TextIO, start: int, end: int | None, progress: Progress | None
) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(safe_row(CSV_COLUMNS))
    rows = 0
    for index, leaf in log.entries(start, end):
        value = parse_leaf(leaf)
        public = value.get("public") or {}
        writer.writerow(
            safe_row(
                [
                    index,
                    base64.b64encode(leaf_hash(leaf)).decode(),
                    value.get("type"),
                    _cell(value.get("agency")),
                    value.get("time"),
                    *[_cell(public.get(key)) for key in sorted(PUBLIC_FIELDS)],
                    value.get("commitment"),
                ]
            )
        )
        rows += 1
        _tick(progress, rows)
    return rows


def _export_flock(
    log: AuditLog, out: TextIO, start: int, end: int | None, progress: Progress | None
) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(safe_row(FLOCK_COLUMNS))
    requested: OrderedDict[str, dict[str, Any]] = OrderedDict()
    rows = 0
    for index, leaf in log.entries(start, end):
        value = parse_leaf(leaf)
        kind = value.get("type")
        if kind not in (EventType.SEARCH_REQUESTED.value, EventType.SEARCH_DECIDED.value):
            continue
        private: dict[str, Any] = {}
        at: Any = value.get("time")
        try:
            detail = log.detail(index)
            private, at = detail.private, detail.at
        except TrustLPRError:  # detail missing or not opening: masked, as Flock masks
            private = dict(_MASKED)
        request_id = str(private.get("request_id") or f"log-{index}")
        if kind == EventType.SEARCH_REQUESTED.value:
            requested[request_id] = private
            if len(requested) > _RECENT_REQUESTS:
                requested.popitem(last=False)
            continue
        merged = {**requested.pop(request_id, {}), **private}
        writer.writerow(safe_row(_flock_row(request_id, value, merged, at)))
        rows += 1
        _tick(progress, rows)
    return rows


def _window(private: Mapping[str, Any]) -> str:
    window = private.get("window")
    if isinstance(window, Mapping):
        first, last = window.get("start"), window.get("end")
    elif isinstance(window, list | tuple) and len(window) == 2:
        first, last = window
    else:
        first, last = private.get("window_start"), private.get("window_end")
    return f"{_cell(first)}\n{_cell(last)}" if first or last else ""


def _flock_row(
    request_id: str, leaf: Mapping[str, Any], private: Mapping[str, Any], at: Any
) -> list[object]:
    public = leaf.get("public") or {}
    filters = {
        "purpose": public.get("purpose"),
        "offense": private.get("offense_code"),
        "legal_basis": private.get("legal_basis"),
        "cameras": private.get("cameras"),
    }
    decision = _cell(public.get("decision"))
    reasons = public.get("reasons") or []
    return [
        request_id,
        _cell(private.get("user_name") or private.get("user_id")),
        _cell(public.get("requester_agency") or leaf.get("agency")),
        _cell(private.get("networks_searched", 1)),
        _window(private),
        _cell(private.get("plate") or private.get("pattern")),
        _cell(private.get("reason")),
        _cell(private.get("case_number")),
        "; ".join(f"{k}={_cell(v)}" for k, v in filters.items() if v),
        _cell(at),
        _cell(public.get("search_type")),
        "",
        f"{decision}: {', '.join(reasons)}" if reasons else decision,
    ]
