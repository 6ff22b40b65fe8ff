"""Running the rules: every enabled rule over one ``Context``, findings worst first.

The rule families (``row``, ``pattern``, ``volume``) each list (rule ids, a check that says
why the data cannot support them, the function); a rule whose columns no file has is listed
in ``skipped`` rather than silently finding nothing.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..records import HotlistEvent
from ..table.columns import RecordTable
from .config import RuleConfig
from .context import SEVERITY_ORDER, Context, Finding
from .pattern import PATTERN_RULES
from .practices import Practice, split
from .row import ROW_RULES
from .volume import VOLUME_RULES


@dataclass
class RuleRun:
    """Every finding (worst first), and the same split into what a report leads with:
    ``incidents`` (high or medium, standing out against the department's own baseline),
    ``practices`` (rules the department follows as a rule, each stated once) and ``notes``."""

    findings: list[Finding]
    skipped: dict[str, str]  # rule id → why it could not run on this data
    context: Context
    practices: list[Practice] = field(default_factory=list)
    incidents: list[Finding] = field(default_factory=list)
    notes: list[Finding] = field(default_factory=list)

    def parts(self) -> dict[int, str]:
        """By ``id`` of each finding: ``incident``, ``practice`` (folded into one) or ``note``."""
        out = {id(f): "practice" for p in self.practices for f in p.findings}
        out.update({id(f): "incident" for f in self.incidents})
        out.update({id(f): "note" for f in self.notes})
        return out


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
    base = split(ctx, findings)
    weighed = sorted(
        base.findings, key=lambda f: (SEVERITY_ORDER[f.severity], -f.evidence_count, f.rule)
    )
    incidents, notes = {id(f) for f in base.incidents}, {id(f) for f in base.notes}
    return RuleRun(
        weighed,
        skipped,
        ctx,
        base.practices,
        [f for f in weighed if id(f) in incidents],  # in the findings' order, worst first
        [f for f in weighed if id(f) in notes],
    )
