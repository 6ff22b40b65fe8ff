"""``findings.csv``: one row per finding and evidence row, every cell spreadsheet-safe.

The cells come from the exports (a reason typed by an officer, an agency name), so a cell a
spreadsheet would run as a formula (``=``, ``+``, ``-``, ``@``...) is written as text through
``core.csvcell.safe_row``: a journalist opening the file in Excel must not run what an
export's author typed.
"""

from __future__ import annotations

import csv
from pathlib import Path

from ...core.csvcell import safe_row
from ..reading.importer import ImportResult
from ..rules.run import RuleRun
from .evidence import CSV_COLUMNS, evidence


def write_findings_csv(path: Path, result: ImportResult, run: RuleRun, show_plates: bool) -> int:
    """One row per finding × evidence row; returns the number of rows written."""
    rows = 0
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(safe_row(CSV_COLUMNS))
        parts = run.parts()
        for number, finding in enumerate(run.findings, 1):
            head = {
                "part": parts.get(id(finding), "note"),
                "finding": f"F{number:04d}", "rule_id": finding.rule,
                "signal": str(finding.signal), "severity": finding.severity,
                "subject": finding.subject, "explanation": finding.explanation,
            }  # fmt: skip
            for cells in evidence(result, finding, show_plates):
                merged = {**head, **cells}
                writer.writerow(safe_row([merged[column] for column in CSV_COLUMNS]))
                rows += 1
    return rows
