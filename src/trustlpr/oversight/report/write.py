"""The outputs of ``trustlpr oversight report``: ``report.html`` and ``findings.csv``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..access import AccessReport
from ..reading.importer import ImportResult
from ..rules.run import RuleRun
from .findings_csv import write_findings_csv
from .html import write_html
from .summary import summary


def write_report(
    out_dir: Path,
    result: ImportResult,
    run: RuleRun,
    *,
    show_plates: bool = False,
    title: str = "ALPR search audit: oversight report",
    access: AccessReport | None = None,
) -> dict[str, Any]:
    """Writes ``report.html`` and ``findings.csv`` into ``out_dir``; returns the summary
    (with ``access``, the outside organisations that searched, when given)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    csv_rows = write_findings_csv(out_dir / "findings.csv", result, run, show_plates)
    write_html(out_dir / "report.html", result, run, show_plates, title, access)
    info = summary(result, run)
    if access is not None:
        info["access"] = access.summary()
    info["findings_csv_rows"] = csv_rows
    info["report"] = str(out_dir / "report.html")
    info["findings_csv"] = str(out_dir / "findings.csv")
    return info
