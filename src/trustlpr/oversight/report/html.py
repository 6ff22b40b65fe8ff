"""``report.html``: one self-contained file (charts inline, no scripts, no external links).

Every text from the exports goes through Jinja2's autoescape.
"""

from __future__ import annotations

from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
from jinja2 import Environment

from ... import __version__
from ..access import AccessReport
from ..reading.importer import ImportResult
from ..rules.catalog import RULES
from ..rules.context import Finding
from ..rules.run import RuleRun
from .charts import all_charts
from .evidence import evidence
from .summary import flagged_rows, summary

EVIDENCE_IN_HTML = 25
ISSUES_IN_HTML = 200


def _period(result: ImportResult) -> str:
    t = result.table.cols["t"]
    if len(t) == 0:
        return "no searches"
    first, last = (datetime.fromtimestamp(int(x), UTC).date() for x in (t.min(), t.max()))
    return f"{first} to {last}"


def write_html(
    path: Path,
    result: ImportResult,
    run: RuleRun,
    show_plates: bool,
    title: str,
    access: AccessReport | None = None,
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
    numbers = {id(f): f"F{k:04d}" for k, f in enumerate(run.findings, 1)}

    def shown(finding: Finding) -> dict[str, Any]:
        return {
            "id": numbers[id(finding)],
            "finding": finding,
            "title": RULES[finding.rule].title,
            "rows": list(evidence(result, finding, show_plates, EVIDENCE_IN_HTML)),
            "more": max(finding.evidence_count - EVIDENCE_IN_HTML, 0),
        }

    practices = []
    for p in run.practices:
        on_events = all(len(f.rows) == 0 for f in p.findings)
        sample = (
            Finding(p.rule, "low", "", "", events=tuple(p.sample))
            if on_events
            else Finding(p.rule, "low", "", "", np.array(p.sample, dtype=np.int64))
        )
        practices.append(
            {
                "practice": p,
                "rows": list(evidence(result, sample, show_plates)),
                "unit": "hot-list entries" if on_events else "searches",
                "trend": [(label, m, n, m / n if n else 0.0) for label, m, n in p.trend],
            }
        )
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
        incidents=[shown(f) for f in run.incidents],
        practices=practices,
        notes=[shown(f) for f in run.notes],
        skipped=run.skipped,
        catalog=list(RULES.values()),
        show_plates=show_plates,
        access=access,
    )
    path.write_text(html, encoding="utf-8")
