"""The summary figures: for ``--json``, for the CLI's closing lines and the report's header."""

from __future__ import annotations

from collections import Counter
from typing import Any

import numpy as np

from ..reading.importer import ImportResult
from ..rules.run import RuleRun


def flagged_rows(result: ImportResult, run: RuleRun) -> np.ndarray[Any, Any]:
    """Rows that are evidence of at least one incident (a high or medium finding that is not
    a department practice): what the charts call "flagged"."""
    mask = np.zeros(result.table.n, dtype=bool)
    for finding in run.incidents:
        if len(finding.rows):
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
    high_or_medium = np.zeros(result.table.n, dtype=bool)
    for finding in run.findings:
        if len(finding.rows):
            evidence[finding.rows] = True
            if finding.severity != "low":
                high_or_medium[finding.rows] = True
    return {
        **import_summary(result),
        "findings": len(run.findings),
        "findings_by_severity": dict(Counter(f.severity for f in run.findings)),
        "findings_by_rule": dict(Counter(f.rule for f in run.findings)),
        "rows_with_findings": int(evidence.sum()),
        "rows_flagged": int(high_or_medium.sum()),
        "incidents": len(run.incidents),
        "rows_in_incidents": int(flagged_rows(result, run).sum()),
        "practices": [
            {"rule": p.rule, "share": round(p.share, 4), "rows": p.count} for p in run.practices
        ],
        "notes": len(run.notes),
        "rules_skipped": dict(run.skipped),
    }
