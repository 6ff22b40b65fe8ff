"""Rules about reach and volume: federal follow-ups (signal 10), volume spikes and reasons
shared across agencies (21), and undocumented hot-list entries from the admin log (16).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from typing import Any

import numpy as np

from ..table.grouping import bounds, distinct, groups, new_group, order_by
from ..text import BANNED, Tag, is_case_number
from .catalog import RULES
from .context import Context, Finding
from .pattern import DAY, HOUR, rows_needed, users_needed

Arr = np.ndarray[Any, Any]


def _date(t: int) -> str:
    return str(np.datetime64(int(t), "s"))[:10]


# -- signal 10 follow-ups, 21 ---------------------------------------------------------------


def federal_followup(ctx: Context) -> list[Finding]:
    c = ctx.table.cols
    window = ctx.config.get_int("federal", "followup_hours") * HOUR
    fed = (ctx.federal | ctx.has(Tag.FEDERAL_ASSIST | Tag.IMMIGRATION)) & ctx.exact_plate
    fed_plates = distinct(c["plate"][fed])
    if len(fed_plates) == 0:
        return []
    marked = np.zeros(len(ctx.table.pools["plate"]) + 1, dtype=bool)  # last: no plate
    marked[fed_plates] = True
    rows = np.flatnonzero(marked[c["plate"]] & ctx.exact_plate)
    rows = rows[order_by([c["plate"][rows], c["t"][rows]])]  # by plate, then time
    plate, t, is_fed = c["plate"][rows], c["t"][rows], fed[rows]
    starts, ends = bounds(new_group(len(rows), [plate]))
    # the last federal search at or before each search's second, within its plate
    same_second_end = bounds(new_group(len(rows), [plate, t]))[1]
    block = np.cumsum(new_group(len(rows), [plate, t])) - 1
    last_fed = np.maximum.accumulate(np.where(is_fed, np.arange(len(rows)), -1))
    latest = last_fed[same_second_end[block] - 1]
    group_start = np.repeat(starts, ends - starts)
    follows = ~is_fed & (latest >= group_start)
    follows[follows] &= (t[follows] - t[latest[follows]]) <= window
    out = []
    any_follow = np.add.reduceat(follows.astype(np.int64), starts) > 0
    for start, end in zip(starts[any_follow].tolist(), ends[any_follow].tolist(), strict=True):
        here = slice(start, end)
        group, fed_here, follow_here = rows[here], is_fed[here], follows[here]
        evidence = np.concatenate((group[fed_here], group[follow_here]))
        name = ctx.plate_name(int(plate[start]))
        text = (
            f"Plate {name} was searched by or for a federal agency and then "
            f"{int(follow_here.sum())} time(s) by local users within {window // HOUR} hours. "
            f"{RULES['S10.federal-followup'].why}"
        )
        out.append(Finding("S10.federal-followup", "medium", f"plate {name}", text, evidence))
    return out


def volume_spike(ctx: Context) -> list[Finding]:
    c, cfg = ctx.table.cols, ctx.config
    min_day = cfg.get_int("volume_spike", "min_day_count")
    factor = cfg.get_float("volume_spike", "factor")
    min_days = cfg.get_int("volume_spike", "min_active_days")
    rows = ctx.by_user_time  # each (user, day) a run
    day = c["t"][rows] // DAY
    actor = ctx.actor[rows]
    starts, ends = bounds(new_group(len(rows), [actor, day]))
    counts = ends - starts
    actors = actor[starts]
    out = []
    for a in distinct(actors[counts >= min_day]):
        mine = actors == a
        if mine.sum() < min_days:
            continue
        median = float(np.median(counts[mine]))
        for k in np.flatnonzero(mine & (counts >= min_day) & (counts >= factor * max(median, 1.0))):
            evidence = np.sort(rows[starts[k] : ends[k]])  # in row order
            name = ctx.actor_name(int(a))
            date = _date(int(day[starts[k]]) * DAY)
            text = (
                f"{name} ran {int(counts[k])} searches on {date}, against a usual {median:g} per "
                f"active day. {RULES['S21.volume-spike'].why}"
            )
            severity = "medium" if counts[k] >= 3 * min_day else "low"
            out.append(Finding("S21.volume-spike", severity, f"{name} on {date}", text, evidence))
    return out


def shared_reason(ctx: Context) -> list[Finding]:
    c, cfg = ctx.table.cols, ctx.config
    min_orgs = cfg.get_int("shared_reason", "min_orgs")
    min_len = cfg.get_int("shared_reason", "min_length")
    window = cfg.get_int("shared_reason", "window_days") * DAY
    lengths = ctx.table.pools["reason"].lengths()
    eligible = np.append(lengths >= min_len, False) & ~ctx.reason_generic
    rows = np.flatnonzero(eligible[c["reason"]] & (c["org"] >= 0))
    if len(rows) == 0:
        return []
    width = len(ctx.table.pools["org"]) + 1
    pairs = distinct(c["reason"][rows].astype(np.int64) * width + c["org"][rows])
    reasons, n_orgs = np.unique(pairs // width, return_counts=True)
    wide = reasons[n_orgs >= min_orgs]
    out = []
    for group in groups([c["reason"], c["t"]], rows[np.isin(c["reason"][rows], wide)]):
        best, first, last = _most_agencies(c["t"][group], c["org"][group], window)
        if best < min_orgs:
            continue
        evidence = group[first : last + 1]
        text = (
            f"The same reason text was used by {best} different agencies within "
            f"{window // DAY} days ({len(evidence)} searches). {RULES['S21.shared-reason'].why}"
        )
        severity = "medium" if ctx.has(BANNED | Tag.FEDERAL_ASSIST)[evidence].any() else "low"
        out.append(Finding("S21.shared-reason", severity, f"{best} agencies", text, evidence))
    return out


def _most_agencies(t: Arr, orgs: Arr, window: int) -> tuple[int, int, int]:
    """The most distinct agencies within ``window`` seconds, over searches in time order, and
    the first such stretch (first, last position): a sliding window, computed at once. For
    each search, the window ending there holds the searches back to ``t - window``; a search
    counts an agency for every window end from itself up to the agency's next search or the
    window's reach, whichever is sooner, so per-end counts are one cumulative sum."""
    n = len(t)
    start = np.searchsorted(t, t - window, side="left")
    reach = np.searchsorted(t, t + window, side="right") - 1
    by_org = order_by([orgs])
    following = np.full(n, n)
    same = orgs[by_org][1:] == orgs[by_org][:-1]
    following[by_org[:-1][same]] = by_org[1:][same]
    until = np.minimum(following - 1, reach)
    counts = np.cumsum(1 - np.bincount(until + 1, minlength=n + 1)[:n])
    last = int(np.argmax(counts))
    return int(counts[last]), int(start[last]), last


# -- signal 16 (admin event log) ------------------------------------------------------------


def hotlist(ctx: Context) -> list[Finding]:
    never = ctx.config.get_bool("hotlist", "flag_never_expires")
    undocumented: dict[str, list[int]] = defaultdict(list)
    no_expiry: dict[str, list[int]] = defaultdict(list)
    for i, event in enumerate(ctx.events):
        if not event.is_entry or event.event_type not in ("create", "update"):
            continue
        d = event.details
        user = event.user or "an unnamed user"
        if not is_case_number(d.get("case", "")) and not d.get("reason", "").strip():
            undocumented[user].append(i)
        expiry = d.get("expiry", "").strip().lower()
        if never and (expiry in ("", "never", "none", "null") or "expiry" not in d):
            no_expiry[user].append(i)
    out = []
    for rule, severity, table, what in (
        (
            "S16.undocumented-entry",
            "medium",
            undocumented,
            "with neither a case number nor a reason",
        ),
        ("S16.no-expiry", "low", no_expiry, "that never expire"),
    ):
        for user, events in table.items():
            entries = f"{len(events)} hot-list entr{'y' if len(events) == 1 else 'ies'}"
            text = f"{user} created or changed {entries} {what}. {RULES[rule].why}"
            out.append(Finding(rule, severity, user, text, events=tuple(events)))
    return out


def _events_needed(ctx: Context) -> str | None:
    return None if ctx.events else "no admin event log was given"


VOLUME_RULES: list[
    tuple[tuple[str, ...], Callable[[Context], str | None], Callable[[Context], list[Finding]]]
] = [
    (("S10.federal-followup",), rows_needed, federal_followup),
    (("S21.volume-spike",), users_needed, volume_spike),
    (("S21.shared-reason",), rows_needed, shared_reason),
    (("S16.undocumented-entry", "S16.no-expiry"), _events_needed, hotlist),
]
