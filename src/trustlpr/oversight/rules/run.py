"""Running the rules: every enabled rule over one ``Context``, findings worst first.

The rule families (``row``, ``pattern``, ``volume``) each list (rule ids, a check that says
why the data cannot support them, the function); a rule whose columns no file has is listed
in ``skipped`` rather than silently finding nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..records import HotlistEvent
from ..table.columns import RecordTable
from .config import RuleConfig
from .context import SEVERITY_ORDER, Context, Finding
from .pattern import PATTERN_RULES
from .row import ROW_RULES
from .volume import VOLUME_RULES


@dataclass
class RuleRun:
    findings: list[Finding]
    skipped: dict[str, str]  # rule id → why it could not run on this data
    context: Context


def run_rules(
    table: RecordTable,
    events: list[HotlistEvent],
    config: RuleConfig,
    file_columns: list[set[str]] | None = None,
) -> RuleRun:
    """Runs every enabled rule; rules the data cannot support are listed in ``skipped``.

    ``file_columns`` (canonical column names per table file) lets rules tell a blank cell
    from a column the export never had."""
    ctx = Context(table, events, config, file_columns)
    findings: list[Finding] = []
    skipped: dict[str, str] = {}
    for family in (ROW_RULES, PATTERN_RULES, VOLUME_RULES):
        for rule_ids, check, fn in family:
            wanted = [r for r in rule_ids if config.enabled(r)]
            if not wanted:
                continue
            why = check(ctx)
            if why:
                skipped.update({r: why for r in wanted})
                continue
            findings.extend(f for f in fn(ctx) if f.rule in wanted)
    findings.sort(key=lambda f: (SEVERITY_ORDER[f.severity], -f.evidence_count, f.rule))
    return RuleRun(findings, skipped, ctx)
