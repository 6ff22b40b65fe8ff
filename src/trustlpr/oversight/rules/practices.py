"""Department practices apart from incidents: a pattern everyone follows is not one user's anomaly.

On real exports most searches trip some documentation rule (a bare case number as the reason,
every network searched by default): that is how the department works, a finding for its
policy, not for each officer. A rule with a ``policy`` text in the catalogue becomes a
*practice* when it holds for at least ``practices.min_share`` of the searches (or admin
events) or for ``practices.min_user_share`` of the users; it is then stated once, with its
share, its trend over time, what it conflicts with and a sample of rows. Its per-user findings
are folded into it, except a user whose own rate stands out against the department's
(``outlier_factor`` times the department's share, at least ``outlier_min`` rows): that one
stays an incident, its explanation stating both rates.

The per-user pattern rules (``USER_PATTERNS``: repeat plate, linked plates, off-hours,
bursts, volume spikes) are weighed against the department the same way: when at least
``min_user_share`` of the users show the pattern it is common here, and a finding whose
evidence is under ``outlier_factor`` times the median of that rule's findings drops one
severity step (its explanation says so); the ones above keep theirs.

*Incidents* are the findings that remain with severity high or medium: the short list a
report leads with. Low findings outside any practice are *notes* (context).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .catalog import RULES
from .context import Context, Finding

Arr = np.ndarray[Any, Any]
SAMPLE_ROWS = 5
DAY = 86_400
USER_PATTERNS = frozenset(
    ("S4.repeat-plate", "S5.linked-plates", "S7.off-hours", "S7.isolated-burst",
     "S21.volume-spike")
)  # fmt: skip
_LOWER = {"high": "medium", "medium": "low", "low": "low"}


@dataclass
class Practice:
    """One rule followed department-wide, stated once."""

    rule: str
    share: float  # of all searches (or of hot-list entry events, for S16)
    count: int  # searches (or events) showing it
    actors: int  # users (or agencies, where no user is named) following it
    actor_share: float
    trend: list[tuple[str, int, int]]  # (period, searches showing it, all searches)
    sample: list[int]  # a few table rows (or event indices) spread over the period
    findings: list[Finding] = field(default_factory=list)  # the per-user findings folded in

    @property
    def policy(self) -> str:
        return RULES[self.rule].policy

    @property
    def title(self) -> str:
        return RULES[self.rule].title


@dataclass
class Baseline:
    findings: list[Finding]  # every finding, as weighed (explanations and grades adjusted)
    practices: list[Practice]
    incidents: list[Finding]
    notes: list[Finding]


def _entry_events(ctx: Context) -> list[int]:
    return [
        i for i, e in enumerate(ctx.events) if e.is_entry and e.event_type in ("create", "update")
    ]


def _event_user(ctx: Context, index: int) -> str:
    return ctx.events[index].user or "an unnamed user"


class _Periods:
    """Each search's calendar month, or ISO week when the searches span under three months,
    worked out once per table: every practice's trend reuses it."""

    def __init__(self, t: Arr) -> None:
        self.index = np.zeros(0, dtype=np.int32)
        self.names: list[str] = []
        self.total = np.zeros(0, dtype=np.int64)
        if len(t) == 0:
            return
        days = t // DAY
        weekly = int(t.max() - t.min()) < 92 * DAY
        if weekly:  # label by the week's Monday (1970-01-01 was a Thursday)
            unit, keys = "datetime64[D]", days - (days + 3) % 7
        else:
            unit, keys = "datetime64[M]", days.astype("datetime64[D]").astype("datetime64[M]")
        keys = keys.astype(np.int64)
        # counted per period number, labelled after: text labels per row cost seconds at 10M
        low = int(keys.min())
        if int(keys.max()) - low < 1 << 20:
            offset = keys - low
            total = np.bincount(offset)
            present = np.flatnonzero(total)
            renumber = np.cumsum(total > 0) - 1
            periods, index = present + low, renumber[offset]
        else:
            periods, index = np.unique(keys, return_inverse=True)
        self.index = index.astype(np.int32)
        self.total = np.bincount(self.index, minlength=len(periods))
        self.names = [str(n) for n in periods.astype(unit).astype(str)]

    def trend(self, hits: Arr) -> list[tuple[str, int, int]]:
        """(period, searches marked in ``hits``, all searches) per period with searches."""
        marked = np.bincount(self.index[hits], minlength=len(self.total))
        return [(n, int(m), int(a)) for n, m, a in zip(self.names, marked, self.total, strict=True)]


def _trend(t: Arr, hits: Arr) -> list[tuple[str, int, int]]:
    """Share per calendar month, or per ISO week when the searches span under three months."""
    return _Periods(t).trend(hits)


def _spread(items: Arr, k: int) -> list[int]:
    if len(items) <= k:
        return [int(i) for i in items]
    return [int(items[j]) for j in np.linspace(0, len(items) - 1, k).round().astype(int)]


def _rows_practice(
    ctx: Context, rule: str, findings: list[Finding], cfg: dict[str, float], periods: _Periods
) -> tuple[Practice | None, dict[int, Finding]]:
    """The practice (or None) and, by ``id`` of the original, the findings that stay."""
    n = ctx.table.n
    hits = np.zeros(n, dtype=bool)  # a mask, not np.unique: O(n) instead of a sort of millions
    for f in findings:
        hits[f.rows] = True
    rows = np.flatnonzero(hits)
    share = len(rows) / n if n else 0.0
    actors = ctx.actor[ctx.actor >= 0]
    searches = np.bincount(actors.astype(np.int64), minlength=len(ctx.actor_names))
    everyone = int((searches > 0).sum())
    followers = {int(ctx.actor[f.rows[0]]) for f in findings if len(f.rows)}
    actor_share = len(followers) / everyone if everyone else 0.0
    if not _is_practice(share, actor_share, everyone, cfg):
        return None, {}
    kept: dict[int, Finding] = {}
    for f in findings:
        actor = int(ctx.actor[f.rows[0]]) if len(f.rows) else -1
        own = len(f.rows) / int(searches[actor]) if actor >= 0 and searches[actor] else 0.0
        if _outlier(len(f.rows), own, share, f, cfg):
            kept[id(f)] = _against_baseline(f, own, share, "searches")
    practice = Practice(
        rule, share, len(rows), len(followers), actor_share,
        periods.trend(hits), _spread(rows, SAMPLE_ROWS),
        [f for f in findings if id(f) not in kept],
    )  # fmt: skip
    return practice, kept


def _events_practice(
    ctx: Context, rule: str, findings: list[Finding], cfg: dict[str, float]
) -> tuple[Practice | None, dict[int, Finding]]:
    eligible = _entry_events(ctx)
    per_user = Counter(_event_user(ctx, i) for i in eligible)
    events = sorted({e for f in findings for e in f.events})
    share = len(events) / len(eligible) if eligible else 0.0
    followers = {f.subject for f in findings}
    actor_share = len(followers) / len(per_user) if per_user else 0.0
    if not _is_practice(share, actor_share, len(per_user), cfg):
        return None, {}
    kept: dict[int, Finding] = {}
    for f in findings:
        own = len(f.events) / per_user[f.subject] if per_user[f.subject] else 0.0
        if _outlier(len(f.events), own, share, f, cfg):
            kept[id(f)] = _against_baseline(f, own, share, "hot-list entries")
    at = np.array([int(ctx.events[i].at.timestamp()) for i in eligible], dtype=np.int64)
    hits = np.isin(np.array(eligible, dtype=np.int64), np.array(events, dtype=np.int64))
    practice = Practice(
        rule, share, len(events), len(followers), actor_share, _trend(at, hits),
        _spread(np.array(events), SAMPLE_ROWS), [f for f in findings if id(f) not in kept],
    )  # fmt: skip
    return practice, kept


def _is_practice(share: float, actor_share: float, actors: int, cfg: dict[str, float]) -> bool:
    if share >= cfg["min_share"]:
        return True
    return actors >= cfg["min_users"] and actor_share >= cfg["min_user_share"]


def _outlier(count: int, own: float, share: float, f: Finding, cfg: dict[str, float]) -> bool:
    """Stands out against the department: far above its rate, enough rows, not merely low."""
    return (
        f.severity != "low" and count >= cfg["outlier_min"] and own >= cfg["outlier_factor"] * share
    )


def _against_baseline(f: Finding, own: float, share: float, unit: str) -> Finding:
    note = (
        f" Against this department's baseline: {own:.0%} of their {unit}, "
        f"{share:.0%} across the department."
    )
    return Finding(f.rule, f.severity, f.subject, f.explanation + note, f.rows, f.events)


def _weigh_common(ctx: Context, group: list[Finding], cfg: dict[str, float]) -> dict[int, Finding]:
    """A per-user pattern many users show: findings within its usual range drop a step."""
    named = ctx.actor[ctx.actor >= 0]
    everyone = int(np.count_nonzero(np.bincount(named.astype(np.int64)))) if len(named) else 0
    followers = {int(ctx.actor[f.rows[0]]) for f in group if len(f.rows)}
    if everyone < cfg["min_users"] or len(followers) < cfg["min_user_share"] * everyone:
        return {}
    median = float(np.median([len(f.rows) for f in group]))
    out = {}
    for f in group:
        if len(f.rows) >= cfg["outlier_factor"] * median:
            note = (
                f" It stands out in this department, where {len(followers)} of {everyone} "
                f"users show this pattern: {len(f.rows)} searches against a median of "
                f"{median:g}."
            )
            out[id(f)] = Finding(f.rule, f.severity, f.subject, f.explanation + note, f.rows)
        else:
            note = (
                f" Common in this department ({len(followers)} of {everyone} users show this "
                f"pattern; median {median:g} searches), so graded {_LOWER[f.severity]} "
                f"rather than {f.severity}."
            )
            lower = _LOWER[f.severity]
            out[id(f)] = Finding(f.rule, lower, f.subject, f.explanation + note, f.rows)
    return out


def split(ctx: Context, findings: list[Finding]) -> Baseline:
    """Practices (worst share first), incidents (in ``findings`` order) and notes."""
    cfg = {
        k: ctx.config.get_float("practices", k)
        for k in ("min_share", "min_user_share", "min_users", "outlier_factor", "outlier_min")
    }
    by_rule: dict[str, list[Finding]] = {}
    for f in findings:
        by_rule.setdefault(f.rule, []).append(f)
    practices: list[Practice] = []
    replaced: dict[int, Finding | None] = {}  # id(finding) → the finding that stays, or None
    periods: _Periods | None = None
    for rule, group in by_rule.items():
        if rule in USER_PATTERNS:
            replaced.update(_weigh_common(ctx, group, cfg))
            continue
        if not RULES[rule].policy:
            continue
        if all(len(f.rows) == 0 for f in group):
            practice, kept = _events_practice(ctx, rule, group, cfg)
        else:
            if periods is None:
                periods = _Periods(ctx.table.cols["t"])
            practice, kept = _rows_practice(ctx, rule, group, cfg, periods)
        if practice is None:
            continue
        practices.append(practice)
        for f in group:
            replaced[id(f)] = kept.get(id(f))
    weighed: list[Finding] = []
    incidents: list[Finding] = []
    notes: list[Finding] = []
    for f in findings:
        current = replaced.get(id(f), f)
        if current is None:  # folded into its practice
            weighed.append(f)
            continue
        weighed.append(current)
        (notes if current.severity == "low" else incidents).append(current)
    practices.sort(key=lambda p: (-p.share, p.rule))
    return Baseline(weighed, practices, incidents, notes)
