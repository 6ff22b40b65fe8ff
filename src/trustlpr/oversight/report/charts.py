"""The report's charts, drawn with matplotlib (Agg) into SVG text to inline in the HTML.

Five charts: searches over time (all and flagged), reason categories, networks searched per
search, and the flagged share by agency and by user. "Flagged" means evidence of at least one
high- or medium-severity finding; low findings are context, not accusations.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import matplotlib
import numpy as np
from matplotlib.figure import Figure

from ..rules.context import Context

_STYLE: dict[str, Any] = {
    "svg.fonttype": "none",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
}
FLAG_COLOR, BASE_COLOR = "#c0392b", "#7f8c8d"
TOP = 15


def _svg(fig: Figure) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight")
    text = buffer.getvalue()
    return text[text.index("<svg") :]


def _figure(figsize: tuple[float, float]) -> tuple[Figure, Any]:
    """A figure without pyplot: no global state, safe in any thread."""
    fig = Figure(figsize=figsize)
    return fig, fig.subplots()


def _empty(title: str) -> str:
    fig, ax = _figure(figsize=(7, 1.2))
    ax.axis("off")
    ax.text(0.5, 0.5, f"{title}: no data", ha="center", va="center")
    return _svg(fig)


def over_time(ctx: Context, flagged: np.ndarray[Any, Any]) -> str:
    t = ctx.table.cols["t"]
    if len(t) == 0:
        return _empty("Searches over time")
    days = t // 86400
    first, last = int(days.min()), int(days.max())
    step = 7 if last - first > 180 else 1
    bins = (days - first) // step
    total = np.bincount(bins)
    marked = np.bincount(bins[flagged], minlength=len(total))
    x = (np.arange(len(total)) * step + first).astype("datetime64[D]")
    fig, ax = _figure(figsize=(9, 3))
    ax.bar(x, total, width=step, color=BASE_COLOR, label="all searches")
    ax.bar(x, marked, width=step, color=FLAG_COLOR, label="flagged (high or medium)")
    ax.set_ylabel("searches per week" if step == 7 else "searches per day")
    ax.legend(frameon=False)
    fig.autofmt_xdate()
    return _svg(fig)


def _barh(
    labels: list[str], values: Sequence[float], xlabel: str, notes: list[str] | None = None
) -> str:
    fig, ax = _figure(figsize=(8, 0.3 * len(labels) + 0.8))
    y = np.arange(len(labels))[::-1]
    ax.barh(y, values, color=[FLAG_COLOR if "%" in xlabel else BASE_COLOR] * len(values))
    ax.set_yticks(y, [label[:48] for label in labels])
    ax.set_xlabel(xlabel)
    for yi, value, note in zip(y, values, notes or [""] * len(values), strict=True):
        ax.text(value, yi, f" {note}", va="center", fontsize=8)
    return _svg(fig)


def reason_categories(ctx: Context) -> str:
    reasons = ctx.table.cols["reason"]
    if len(reasons) == 0:
        return _empty("Reason categories")
    per_reason = np.bincount(reasons + 1, minlength=len(ctx.reason_category) + 1)
    counts: Counter[str] = Counter()
    counts["Blank reason"] += int(per_reason[0])
    # per category code, in the order its first searched reason comes (the Counter's order)
    used = np.flatnonzero(per_reason[1:])
    codes = ctx.table.reasons.codes[used]
    totals = np.bincount(
        codes, weights=per_reason[1:][used], minlength=len(ctx.table.reasons.names)
    )
    first = np.full(len(totals), len(codes))
    np.minimum.at(first, codes, np.arange(len(codes)))
    for code in np.argsort(first, kind="stable")[: int((first < len(codes)).sum())].tolist():
        counts[ctx.table.reasons.names[code]] += int(totals[code])
    common = [(k, v) for k, v in counts.most_common() if v][:TOP]
    values = [v for _, v in common]
    return _barh([k for k, _ in common], values, "searches", [f"{v:,}" for v in values])


_NET_BINS = [(0, 0, "0"), (1, 1, "1"), (2, 3, "2-3"), (4, 10, "4-10"), (11, 100, "11-100"),
             (101, 1000, "101-1,000"), (1001, 10**9, "over 1,000")]  # fmt: skip


def networks(ctx: Context) -> str:
    nets = ctx.table.cols["networks"]
    label = "networks"
    if not (nets >= 0).any():
        nets, label = ctx.table.cols["devices"], "cameras"
    nets = nets[nets >= 0]
    if len(nets) == 0:
        return _empty("Networks searched")
    labels = [name for _, _, name in _NET_BINS]
    values = [int(((nets >= lo) & (nets <= hi)).sum()) for lo, hi, _ in _NET_BINS]
    fig, ax = _figure(figsize=(8, 2.6))
    ax.bar(labels, values, color=BASE_COLOR)
    ax.set_xlabel(f"{label} searched per search")
    ax.set_ylabel("searches")
    return _svg(fig)


def _share(
    keys: np.ndarray[Any, Any], names: Sequence[str], flagged: np.ndarray[Any, Any], title: str
) -> str:
    valid = keys >= 0
    if not valid.any():
        return _empty(title)
    total = np.bincount(keys[valid], minlength=len(names))
    marked = np.bincount(keys[valid & flagged], minlength=len(names))
    top = [int(i) for i in np.argsort(-total, kind="stable")[:TOP] if total[i]]
    shares = [100.0 * marked[i] / total[i] for i in top]
    notes = [f"{marked[i]:,} of {total[i]:,}" for i in top]
    return _barh([names[i] for i in top], shares, "% of searches flagged (high or medium)", notes)


def by_agency(ctx: Context, flagged: np.ndarray[Any, Any]) -> str:
    """Agencies by Org Name; rows of an export without one count for the file's agency."""
    c = ctx.table.cols
    orgs = ctx.table.pools["org"]
    files = [f"{Path(f).name} (file)" for f in ctx.table.files]
    keys = np.where(c["org"] >= 0, c["org"], len(orgs) + c["file"].astype(np.int64))
    return _share(keys, [*orgs, *files], flagged, "Flagged share by agency")


def by_user(ctx: Context, flagged: np.ndarray[Any, Any]) -> str:
    c = ctx.table.cols
    return _share(
        c["user"].astype(np.int64), ctx.table.pools["user"], flagged, "Flagged share by user"
    )


def all_charts(ctx: Context, flagged: np.ndarray[Any, Any]) -> dict[str, str]:
    with matplotlib.rc_context(_STYLE):  # type: ignore[arg-type]
        return {
            "Searches over time": over_time(ctx, flagged),
            "Reason categories": reason_categories(ctx),
            "Networks searched": networks(ctx),
            "Flagged share by agency": by_agency(ctx, flagged),
            "Flagged share by user": by_user(ctx, flagged),
        }
