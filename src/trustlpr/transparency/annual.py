"""The annual report a policy's statute asks for, computed from the public log alone.

The numbers are ``Tally.figures()`` over the UTC days of the year — the same reduction the
portal and ``trustlpr audit recompute-stats`` use — so anyone with the public log download
gets the same report. Each figure carries the citation of the statute requirement it answers
(``statutes.STATUTES``); the report states the log size and root hash it was computed at.
"""

from __future__ import annotations

import calendar
from datetime import date
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup

from ..core.errors import InputError
from .figures import Tally
from .statutes import BY_ID, FIGURES, GROUPED, NOT_IN_LOG, STATUTES, SUBSECTION_NOTE, TRUSTLPR

FIRST_YEAR, LAST_YEAR = 2000, 2199
FORMATS = ("html", "json", "pdf")


def check_year(year: int) -> int:
    """The year, if it is one a log can hold; ``InputError`` on ``--year`` otherwise."""
    if not FIRST_YEAR <= year <= LAST_YEAR:
        raise InputError(f"{year} is not a year from {FIRST_YEAR} to {LAST_YEAR}", field="--year")
    return year


def policy_in_force(tally: Tally, year: int) -> str | None:
    """The policy the log last recorded in force before the year ended (None: none logged)."""
    end = f"{year + 1}-01-01"
    names = [c["policy"] for c in tally.policy_changes if c["time"] < end and c["policy"]]
    return names[-1] if names else None


def _at(figures: dict[str, Any], path: tuple[str, ...]) -> Any:
    value: Any = figures
    for key in path:
        value = value[key]
    return value


def annual_report(tally: Tally, year: int, policy: str | None = None) -> dict[str, Any]:
    """The report of ``year`` for ``policy`` (default: the one the log says was in force)."""
    check_year(year)
    name = policy or policy_in_force(tally, year)
    if name is None:
        raise InputError(
            f"the log records no policy in force by the end of {year}; name one", field="--policy"
        )
    statute = STATUTES.get(name)
    if statute is None:
        raise InputError(
            f"no annual report is defined for policy {name[:60]!r}; use one of "
            + ", ".join(sorted(STATUTES)),
            field="--policy",
        )
    days = 366 if calendar.isleap(year) else 365
    figures = tally.figures(as_of=date(year, 12, 31), days=days)
    asked: dict[str, str] = {}
    for requirement in statute.requirements:
        for fid in requirement.figures:
            asked.setdefault(fid, requirement.asks)
    rows = [
        {
            "id": f.id,
            "label": f.label,
            "value": _at(figures, f.path),
            "cite": statute.citation if f.id in asked else None,
            "asks": asked.get(f.id),
        }
        for f in FIGURES
    ]
    start, end = f"{year}-01-01", f"{year + 1}-01-01"
    return {
        "report": "annual",
        "year": year,
        "policy": name,
        "statute": {
            "title": statute.title,
            "citation": statute.citation,
            "report": statute.report or None,
            "subsection": None,
            "note": SUBSECTION_NOTE if statute.report else TRUSTLPR,
        },
        "log": figures["log"],
        "period": {"start": start, "end": f"{year}-12-31", "days": days},
        "figures": rows,
        "tables": {key: _at(figures, path) for key, path in GROUPED.items()},
        "policy_changes": [c for c in tally.policy_changes if start <= c["time"] < end],
        "not_in_log": dict(NOT_IN_LOG),
    }


def figure(report: dict[str, Any], fid: str) -> Any:
    """The value of figure ``fid`` (a ``statutes.FIGURES`` id) in ``report``."""
    if fid not in BY_ID:
        raise KeyError(fid)
    return next(row["value"] for row in report["figures"] if row["id"] == fid)


_ENV = Environment(
    loader=FileSystemLoader(Path(__file__).with_name("templates")),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def render_html(report: dict[str, Any]) -> str:
    """The report as one self-contained HTML page (inline style: it prints and mails)."""
    return _ENV.get_template("annual.html").render(r=report, trustlpr=TRUSTLPR)


def render_body(report: dict[str, Any]) -> Markup:
    """The report's content alone (the portal puts it in its own page)."""
    return Markup(_ENV.get_template("annual_body.html").render(r=report, trustlpr=TRUSTLPR))


def years_of(tally: Tally) -> list[int]:
    """The years the log's entries fall in, newest first (none for an empty log)."""
    if tally.first_time is None or tally.last_time is None:
        return []
    return list(range(int(tally.last_time[:4]), int(tally.first_time[:4]) - 1, -1))
