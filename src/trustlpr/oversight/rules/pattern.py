"""Rules over patterns across rows: signals 3, 4, 5, 7, 10 (follow-ups), 16 and 21.

These need the whole import at once. numpy does the sorting and grouping over all rows; Python
loops only over the few candidate groups that pass a cheap vectorised filter (e.g. a user and
plate searched at least ``min_searches`` times), so they stay fast at ten million rows.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

import numpy as np

from ..table.grouping import bounds, distinct, new_group, order_by, positions
from ..text import BANNED, Tag
from .catalog import RULES
from .context import Context, Finding

Arr = np.ndarray[Any, Any]
DAY, HOUR, MINUTE = 86400, 3600, 60


def _date(t: int) -> str:
    return str(np.datetime64(int(t), "s"))[:10]


# -- signal 3 -------------------------------------------------------------------------------


def case_reuse(ctx: Context) -> list[Finding]:
    c, cfg = ctx.table.cols, ctx.config
    min_plates = cfg.get_int("case_reuse", "min_distinct_plates")
    max_span = cfg.get_int("case_reuse", "max_span_days") * DAY
    rows = positions(ctx.case >= 0)
    if len(rows) == 0:
        return []
    # a necessary condition first, per case number over all agencies: enough searches for
    # enough plates, or a long enough span (most case numbers are used a few times)
    cases, t = ctx.case[rows], c["t"][rows]
    per_case = np.bincount(cases, minlength=len(ctx.case_names))
    first = np.full(len(per_case), np.iinfo(np.int64).max)
    last = np.full(len(per_case), np.iinfo(np.int64).min)
    np.minimum.at(first, cases, t)
    np.maximum.at(last, cases, t)
    maybe = (per_case >= min_plates) | (last - first >= max_span)
    rows = rows[maybe[cases]]
    del cases, t, per_case, first, last, maybe
    if len(rows) == 0:
        return []
    # every (agency, case) group in time order, then cheap vectorised filters: distinct
    # plates and time span of each group
    rows = rows[order_by([c["org"][rows], ctx.case[rows], c["t"][rows]])]
    case = ctx.case[rows]
    change = new_group(len(rows), [c["org"][rows], case])
    starts = positions(change)
    ends = np.append(starts[1:], np.int32(len(rows)))
    plate = c["plate"][rows]
    plates_per_group = _plates_per_group(change, starts, plate, len(ctx.table.pools["plate"]) + 1)
    del change
    t = c["t"][rows]
    wanted = (plates_per_group >= min_plates) | (t[ends - 1] - t[starts] >= max_span)
    out = []
    for start, end in zip(starts[wanted].tolist(), ends[wanted].tolist(), strict=True):
        group_rows = rows[start:end]
        times = t[start:end]
        plates = plate[start:end]
        n_plates = len(distinct(plates[plates >= 0]))
        span = int(times[-1] - times[0])
        name = ctx.case_names[int(case[start])]
        users = len(distinct(ctx.actor[group_rows]))
        text = (
            f"Case number {name} was given for {len(group_rows)} searches of {n_plates} "
            f"different plates by {users} user(s) between {_date(times[0])} and "
            f"{_date(times[-1])} ({span // DAY} days). {RULES['S3.case-reuse'].why}"
        )
        severity = "medium" if n_plates >= 2 * min_plates or span >= 2 * max_span else "low"
        out.append(Finding("S3.case-reuse", severity, f"case {name}", text, group_rows))
    return out


def _plates_per_group(change: Arr, starts: Arr, plate: Arr, width: int) -> Arr:
    """Distinct plates of each group of rows (``change`` marks group starts), a block of
    whole groups at a time so the int64 keys stay small."""
    counts = np.zeros(len(starts), dtype=np.int64)
    if len(starts) == 0:
        return counts
    cuts = np.unique(np.searchsorted(starts, np.arange(0, len(change), BLOCK_ROWS)))
    for g0, g1 in zip(cuts.tolist(), [*cuts[1:].tolist(), len(starts)], strict=True):
        lo = int(starts[g0])
        hi = int(starts[g1]) if g1 < len(starts) else len(change)
        group = np.cumsum(change[lo:hi], dtype=np.int64) - 1
        here = plate[lo:hi]
        known = here >= 0
        pairs = distinct(group[known] * width + here[known])
        counts[g0:g1] = np.bincount(pairs // width, minlength=g1 - g0)
    return counts


# -- signals 4 and 5 -----------------------------------------------------------------------


def repeat_plate(ctx: Context) -> list[Finding]:
    c, cfg = ctx.table.cols, ctx.config
    minimum = cfg.get_int("repeat_plate", "min_searches")
    window = cfg.get_int("repeat_plate", "window_days") * DAY
    merge = cfg.get_int("repeat_plate", "merge_minutes") * MINUTE
    high_at = cfg.get_int("repeat_plate", "high_at")
    rows = positions(ctx.named & ctx.exact_plate)
    # a necessary condition first: the plate was searched often enough by anyone
    plates = c["plate"][rows]
    rows = rows[(np.bincount(plates, minlength=len(ctx.table.pools["plate"])) >= minimum)[plates]]
    del plates
    rows = rows[order_by([ctx.actor[rows], c["plate"][rows], c["t"][rows]])]
    starts, ends = bounds(new_group(len(rows), [ctx.actor[rows], c["plate"][rows]]))
    often = ends - starts >= minimum  # cheap filter: the user ran the plate often enough
    weak = ctx.has(Tag.VAGUE | Tag.BLANK | Tag.PERSONAL | Tag.CIVIL)
    alert = ctx.has(Tag.ALERT)
    documented = ctx.has(Tag.SERIOUS | Tag.ALERT | Tag.WARRANT) & ctx.has(Tag.HAS_CASE)
    out = []
    for start, end in zip(starts[often].tolist(), ends[often].tolist(), strict=True):
        group = rows[start:end]
        if alert[group].all():
            continue
        t = c["t"][group]
        episodes = t[np.concatenate(([True], np.diff(t) > merge))]
        in_window = np.searchsorted(episodes, episodes + window, side="right") - np.arange(
            len(episodes)
        )
        best = int(in_window.max())
        if best < minimum:
            continue
        name = ctx.actor_name(int(ctx.actor[group[0]]))
        plate = ctx.plate_name(int(c["plate"][group[0]]))
        if best >= high_at or weak[group].any():
            severity = "high"
        else:
            severity = "low" if documented[group].all() else "medium"
        text = (
            f"{name} searched plate {plate} {len(group)} times on {len(episodes)} separate "
            f"occasions between {_date(t[0])} and {_date(t[-1])}, up to {best} occasions within "
            f"{window // DAY} days. {RULES['S4.repeat-plate'].why}"
        )
        out.append(Finding("S4.repeat-plate", severity, f"{name} / plate {plate}", text, group))
    return out


def _sessions(t: Arr, actor: Arr, gap: int) -> Arr:
    """Session number per row of rows sorted by (actor, t)."""
    new = np.ones(len(t), dtype=bool)
    new[1:] = (actor[1:] != actor[:-1]) | (np.diff(t) > gap)
    return np.cumsum(new, dtype=np.int64 if len(t) >= 2**31 else np.int32) - 1


BLOCK_ROWS = 1 << 21
"""Per-user rules work on blocks of whole users of about this many rows, so their working
arrays stay small whatever the import's size (users never interact in these rules)."""


def _user_blocks(ctx: Context, mask: Arr) -> list[Arr]:
    """The named rows of ``mask`` in (actor, time) order, cut into blocks of whole actors."""
    rows = ctx.by_user_time
    rows = rows[mask[rows]]
    if len(rows) == 0:
        return []
    starts = [*bounds(new_group(len(rows), [ctx.actor[rows]]))[0].tolist(), len(rows)]
    blocks, first = [], 0
    for start in starts[1:]:
        if start - first >= BLOCK_ROWS or start == len(rows):
            blocks.append(rows[first:start])
            first = start
    return blocks


def linked_plates(ctx: Context) -> list[Finding]:
    cfg = ctx.config
    gap = cfg.get_int("linked_plates", "session_minutes") * MINUTE
    min_days = cfg.get_int("linked_plates", "min_days")
    max_plates = cfg.get_int("linked_plates", "max_plates_per_session")
    out: list[Finding] = []
    for rows in _user_blocks(ctx, ctx.named & ctx.exact_plate):
        out += _linked_in(ctx, rows, gap, min_days, max_plates)
    return out


def _linked_in(ctx: Context, rows: Arr, gap: int, min_days: int, max_plates: int) -> list[Finding]:
    c = ctx.table.cols
    actor, plate, t = ctx.actor[rows], c["plate"][rows], c["t"][rows]
    session = _sessions(t, actor, gap)
    days = t // DAY
    width = len(ctx.table.pools["plate"]) + 1
    # plates a user searched on at least min_days different days
    user_plate = actor.astype(np.int64) * width + plate
    span = int(days.max() - days.min()) + 1
    day_keys = distinct(user_plate * span + (days - days.min()))
    up, counts = np.unique(day_keys // span, return_counts=True)
    keep = np.isin(user_plate, up[counts >= min_days])
    # sessions with at least two kept plates and few plates overall
    session_plates = distinct(session.astype(np.int64) * width + plate)
    per_session = np.bincount(session_plates // width, minlength=int(session[-1]) + 1)
    kept_plates = distinct(session[keep].astype(np.int64) * width + plate[keep])
    kept_distinct = np.bincount(kept_plates // width, minlength=len(per_session))
    wanted = (kept_distinct >= 2) & (per_session <= max_plates)
    together: dict[tuple[int, int, int], set[int]] = defaultdict(set)
    session_rows: dict[int, list[int]] = defaultdict(list)
    picked = np.flatnonzero(keep & wanted[session])
    for s, group in zip(*_split_by(session[picked], picked), strict=True):
        chosen = distinct(plate[group])
        a = int(actor[group[0]])
        for i, p in enumerate(chosen):
            for q in chosen[i + 1 :]:
                together[(a, int(p), int(q))].add(int(days[group[0]]))
        session_rows[int(s)] = group.tolist()
    edges = [(a, p, q) for (a, p, q), d in together.items() if len(d) >= min_days]
    out = []
    for a, cluster in _clusters(edges):
        mine = (actor == a) & np.isin(plate, list(cluster))
        evidence = rows[mine & np.isin(session, list(session_rows))]
        name = ctx.actor_name(a)
        shown = ", ".join(ctx.plate_name(p) for p in sorted(cluster))
        linked_days = max(
            len(together[(a, p, q)]) for (aa, p, q) in edges if aa == a and p in cluster
        )
        text = (
            f"{name} searched the plates {shown} together in the same sittings on up to "
            f"{linked_days} different days. {RULES['S5.linked-plates'].why}"
        )
        severity = (
            "high" if ctx.has(Tag.VAGUE | Tag.BLANK | Tag.PERSONAL)[evidence].any() else "medium"
        )
        out.append(
            Finding("S5.linked-plates", severity, f"{name} / {len(cluster)} plates", text, evidence)
        )
    return out


def _split_by(key: Arr, values: Arr) -> tuple[list[int], list[Arr]]:
    if len(key) == 0:
        return [], []
    cuts = np.flatnonzero(np.diff(key)) + 1
    return [int(k[0]) for k in np.split(key, cuts)], np.split(values, cuts)


def _clusters(edges: list[tuple[int, int, int]]) -> list[tuple[int, set[int]]]:
    parent: dict[tuple[int, int], tuple[int, int]] = {}

    def find(x: tuple[int, int]) -> tuple[int, int]:
        while parent.setdefault(x, x) != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for a, p, q in edges:
        parent[find((a, p))] = find((a, q))
    groups: dict[tuple[int, int], set[int]] = defaultdict(set)
    for node in list(parent):
        groups[find(node)].add(node[1])
    return [(root[0], plates) for root, plates in groups.items()]


# -- signal 7 -------------------------------------------------------------------------------


def sessions(ctx: Context) -> list[Finding]:
    cfg = ctx.config
    idle = cfg.get_int("sessions", "idle_hours") * HOUR
    burst = cfg.get_int("sessions", "burst_searches")
    flagged_hours: dict[int, list[Arr]] = defaultdict(list)
    bursts: dict[int, list[Arr]] = defaultdict(list)
    for rows in _user_blocks(ctx, ctx.named):
        _sittings_in(ctx, rows, flagged_hours, bursts)
    hours_text = (
        f"in isolated sittings ({idle // HOUR} or more hours without a search before and after) "
        "at hours of the day when this user almost never searches"
    )
    burst_text = (
        f"in isolated bursts of {burst} or more searches after {idle // HOUR}+ idle hours, most "
        "of them with a vague, blank or flagged reason"
    )
    weak = ctx.has(BANNED | Tag.VAGUE | Tag.BLANK)
    out: list[Finding] = []
    for rule, table, what in (
        ("S7.off-hours", flagged_hours, hours_text),
        ("S7.isolated-burst", bursts, burst_text),
    ):
        for a, sittings in table.items():
            evidence = np.concatenate(sittings)
            name = ctx.actor_name(a)
            text = (
                f"{name} ran {len(evidence)} searches in {len(sittings)} sitting(s) {what}. "
                f"{RULES[rule].why}"
            )
            severity = "medium" if weak[evidence].any() else "low"
            out.append(Finding(rule, severity, name, text, evidence))
    return out


def _sittings_in(
    ctx: Context, rows: Arr, flagged_hours: dict[int, list[Arr]], bursts: dict[int, list[Arr]]
) -> None:
    """Isolated sittings of the users of ``rows`` (in actor, time order): all at rare hours,
    or bursts of mostly weak reasons, added per actor to ``flagged_hours`` and ``bursts``."""
    c, cfg = ctx.table.cols, ctx.config
    idle = cfg.get_int("sessions", "idle_hours") * HOUR
    gap = cfg.get_int("sessions", "session_minutes") * MINUTE
    min_user = cfg.get_int("sessions", "min_user_searches")
    rare_share = cfg.get_float("sessions", "rare_hour_share")
    burst = cfg.get_int("sessions", "burst_searches")
    actor, t = ctx.actor[rows], c["t"][rows]
    session = _sessions(t, actor, gap)
    starts = np.flatnonzero(np.concatenate(([True], session[1:] != session[:-1])))
    ends = np.concatenate((starts[1:], [len(rows)])) - 1
    del session
    s_actor = actor[starts]
    before = np.full(len(starts), -1, dtype=np.int64)
    after = np.full(len(starts), -1, dtype=np.int64)
    same_prev = np.concatenate(([False], s_actor[1:] == s_actor[:-1]))
    same_next = np.concatenate((s_actor[1:] == s_actor[:-1], [False]))
    before[same_prev] = (t[starts] - t[np.maximum(starts - 1, 0)])[same_prev]
    after[same_next] = (t[np.minimum(ends + 1, len(t) - 1)] - t[ends])[same_next]
    isolated = (before >= idle) & (after >= idle)
    sizes = ends - starts + 1
    hours = (t // HOUR) % 24
    n_actors = len(ctx.actor_names)
    cell = actor.astype(np.int64) * 24 + hours
    del hours
    hist = np.bincount(cell, minlength=n_actors * 24).reshape(n_actors, 24)
    totals = hist.sum(axis=1)
    smooth = hist + np.roll(hist, 1, axis=1) + np.roll(hist, -1, axis=1)
    rare = (smooth < rare_share * totals[:, None]) & (totals[:, None] >= min_user)
    weak_rows = ctx.has(BANNED | Tag.VAGUE | Tag.BLANK)
    # per sitting: is every search at a rare hour? what share has a weak reason?
    common = np.add.reduceat(~rare.ravel()[cell], starts, dtype=np.int64)
    weak_share = np.add.reduceat(weak_rows[rows], starts, dtype=np.int64) / sizes
    at_rare = isolated & (common == 0)
    burst_like = isolated & ~at_rare & (sizes >= burst) & (weak_share >= 0.5)
    for k in np.flatnonzero(at_rare | burst_like).tolist():
        sitting = rows[starts[k] : ends[k] + 1]
        (flagged_hours if at_rare[k] else bursts)[int(s_actor[k])].append(sitting)


def rows_needed(ctx: Context) -> str | None:
    return None if ctx.table.n else "no searches were imported"


def users_needed(ctx: Context) -> str | None:
    return None if ctx.named.any() else "the exports name no users"


PATTERN_RULES: list[
    tuple[tuple[str, ...], Callable[[Context], str | None], Callable[[Context], list[Finding]]]
] = [
    (("S3.case-reuse",), rows_needed, case_reuse),
    (("S4.repeat-plate",), users_needed, repeat_plate),
    (("S5.linked-plates",), users_needed, linked_plates),
    (("S7.off-hours", "S7.isolated-burst"), users_needed, sessions),
]
