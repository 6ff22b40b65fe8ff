"""The evidence of a finding as flat text cells, one dict per search or admin-log event.

Each carries the file, line and the export's own row ID, so a reader can go straight back to
the released document. Plates are masked (first character and length) unless the operator
asks for them: the original export, which the reader has, holds them in full.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

from ...core.plates import mask_plate
from ..reading.importer import ImportResult
from ..records import HotlistEvent, SearchRecord
from ..rules.context import Finding

CSV_COLUMNS = (
    "finding", "part", "rule_id", "signal", "severity", "subject", "explanation",
    "source_file", "line", "export_id", "time", "user", "org", "plate", "reason",
    "case_number", "search_type", "networks", "devices", "event_type",
)  # fmt: skip


def _time(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%S") if value else ""


def _plate(text: str | None, show: bool) -> str:
    return (text or "") if show else mask_plate(text or "")


def _search_cells(rec: SearchRecord, show: bool) -> dict[str, str]:
    return {
        "source_file": Path(rec.source).name, "line": str(rec.line),
        "export_id": rec.export_id or "", "time": _time(rec.searched_at), "user": rec.user or "",
        "org": rec.org or "", "plate": _plate(rec.plate, show), "reason": rec.reason,
        "case_number": rec.case_number or "", "search_type": rec.search_type or "",
        "networks": "" if rec.networks is None else str(rec.networks),
        "devices": "" if rec.devices is None else str(rec.devices), "event_type": "",
    }  # fmt: skip


def _event_cells(event: HotlistEvent, show: bool) -> dict[str, str]:
    d = event.details
    summary = "; ".join(
        f"{k}: {_plate(v, show) if k in ('license', 'deleted plates') else v}"
        for k, v in d.items()
        if k != "_text"
    )
    return {
        "source_file": Path(event.source).name, "line": str(event.line),
        "export_id": event.event_id or "", "time": _time(event.at), "user": event.user or "",
        "org": "", "plate": _plate(d.get("license"), show), "reason": summary,
        "case_number": d.get("case", ""), "search_type": event.entity_type, "networks": "",
        "devices": "", "event_type": event.event_type,
    }  # fmt: skip


def evidence(
    result: ImportResult, finding: Finding, show: bool, limit: int | None = None
) -> Iterator[dict[str, str]]:
    rows = finding.rows if limit is None else finding.rows[:limit]
    for row in rows:
        yield _search_cells(result.table.record(int(row)), show)
    left = None if limit is None else max(limit - len(rows), 0)
    for index in finding.events if left is None else finding.events[:left]:
        yield _event_cells(result.events[index], show)
