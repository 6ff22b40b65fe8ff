"""The outputs: ``report.html`` (self-contained, charts inline), ``findings.csv``, a summary.

``findings.csv`` has one row per finding and evidence row, carrying the export's own row ID,
the file and line, the rule id, severity and explanation, so a reader can go straight back to
the released document. Plates are masked (first character and length) unless the operator
asks for them: the original export, which the reader has, holds them in full.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from jinja2 import Environment

from .. import __version__
from ..core.csvcell import spreadsheet_safe
from ..core.plates import mask_plate
from .catalog import RULES
from .charts import all_charts
from .findings import Finding, RuleRun
from .importer import ImportResult
from .records import HotlistEvent, SearchRecord

EVIDENCE_IN_HTML = 25
ISSUES_IN_HTML = 200
CSV_COLUMNS = (
    "finding", "rule_id", "signal", "severity", "subject", "explanation", "source_file", "line",
    "export_id", "time", "user", "org", "plate", "reason", "case_number", "search_type",
    "networks", "devices", "event_type",
)  # fmt: skip


def flagged_rows(result: ImportResult, run: RuleRun) -> np.ndarray[Any, Any]:
    """Rows that are evidence of at least one high- or medium-severity finding."""
    mask = np.zeros(result.table.n, dtype=bool)
    for finding in run.findings:
        if finding.severity in ("high", "medium") and len(finding.rows):
            mask[finding.rows] = True
    return mask


def import_summary(result: ImportResult) -> dict[str, Any]:
    """What the import did, file by file."""
    return {
        "files": len(result.files),
        "files_failed": sum(1 for f in result.files if f.error),
        "rows_imported": result.rows_imported,
        "rows_rejected": result.rows_rejected,
        "rows_skipped": sum(f.skipped for f in result.files),
        "duplicates": result.duplicates,
        "events_imported": result.events_imported,
        "per_file": [f.to_json() for f in result.files],
    }


def summary(result: ImportResult, run: RuleRun) -> dict[str, Any]:
    """The ``--json`` summary: counts for machines and for the report header."""
    evidence = np.zeros(result.table.n, dtype=bool)
    for finding in run.findings:
        if len(finding.rows):
            evidence[finding.rows] = True
    return {
        **import_summary(result),
        "findings": len(run.findings),
        "findings_by_severity": dict(Counter(f.severity for f in run.findings)),
        "findings_by_rule": dict(Counter(f.rule for f in run.findings)),
        "rows_with_findings": int(evidence.sum()),
        "rows_flagged": int(flagged_rows(result, run).sum()),
        "rules_skipped": dict(run.skipped),
    }


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


def write_findings_csv(path: Path, result: ImportResult, run: RuleRun, show_plates: bool) -> int:
    """One row per finding × evidence row; returns the number of rows written."""
    rows = 0
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, CSV_COLUMNS, lineterminator="\n")
        writer.writeheader()
        for number, finding in enumerate(run.findings, 1):
            head = {
                "finding": f"F{number:04d}", "rule_id": finding.rule,
                "signal": str(finding.signal), "severity": finding.severity,
                "subject": finding.subject, "explanation": finding.explanation,
            }  # fmt: skip
            for cells in evidence(result, finding, show_plates):
                row = {**head, **cells}
                writer.writerow({key: spreadsheet_safe(value) for key, value in row.items()})
                rows += 1
    return rows


def _period(result: ImportResult) -> str:
    t = result.table.cols["t"]
    if len(t) == 0:
        return "no searches"
    first, last = (datetime.fromtimestamp(int(x), UTC).date() for x in (t.min(), t.max()))
    return f"{first} to {last}"


def write_html(
    path: Path, result: ImportResult, run: RuleRun, show_plates: bool, title: str
) -> None:
    flagged = flagged_rows(result, run)
    template = resources.files(__package__).joinpath("report_template.html").read_text("utf-8")
    env = Environment(autoescape=True, trim_blocks=True, lstrip_blocks=True)
    per_rule: dict[str, dict[str, Any]] = {}
    for finding in run.findings:
        entry = per_rule.setdefault(
            finding.rule,
            {"rule": RULES[finding.rule], "findings": 0, "evidence": 0, "worst": finding.severity},
        )
        entry["findings"] += 1
        entry["evidence"] += finding.evidence_count
    findings = [
        {
            "id": f"F{number:04d}",
            "finding": finding,
            "title": RULES[finding.rule].title,
            "rows": list(evidence(result, finding, show_plates, EVIDENCE_IN_HTML)),
            "more": max(finding.evidence_count - EVIDENCE_IN_HTML, 0),
        }
        for number, finding in enumerate(run.findings, 1)
    ]
    html = env.from_string(template).render(
        title=title,
        version=__version__,
        generated=datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        period=_period(result),
        summary=summary(result, run),
        files=result.files,
        issues=result.issues[:ISSUES_IN_HTML],
        issues_more=max(len(result.issues) - ISSUES_IN_HTML, 0),
        charts=all_charts(run.context, flagged),
        per_rule=sorted(per_rule.values(), key=lambda e: (e["worst"] != "high", e["rule"].rule)),
        findings=findings,
        skipped=run.skipped,
        catalog=list(RULES.values()),
        show_plates=show_plates,
    )
    path.write_text(html, encoding="utf-8")


def write_report(
    out_dir: Path,
    result: ImportResult,
    run: RuleRun,
    *,
    show_plates: bool = False,
    title: str = "ALPR search audit: oversight report",
) -> dict[str, Any]:
    """Writes ``report.html`` and ``findings.csv`` into ``out_dir``; returns the summary."""
    out_dir.mkdir(parents=True, exist_ok=True)
    csv_rows = write_findings_csv(out_dir / "findings.csv", result, run, show_plates)
    write_html(out_dir / "report.html", result, run, show_plates, title)
    info = summary(result, run)
    info["findings_csv_rows"] = csv_rows
    info["report"] = str(out_dir / "report.html")
    info["findings_csv"] = str(out_dir / "findings.csv")
    return info
