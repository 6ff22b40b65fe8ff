"""Who really has access: every outside organisation that searched, compared with the list
the department publishes.

A network audit export (searches *of* an agency's cameras) names the searching organisation
in ``Org Name``. Portals undercount sharing (Boulder listed about 90 agencies; records showed
about 6,000), so the organisations that searched but are not on the published list lead, then
federal ones, then agencies of states whose law criminalises abortion or gender-affirming care.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import numpy as np

from ..records import MASK
from ..rules.agencies import classify_org
from ..rules.context import Context
from ..table.chunk import FLAG_MASKED
from ..table.grouping import bounds, new_group, order_by
from ..text import Tag
from .laws import StateLaws
from .sharing import SharingList, org_key

TOP_REASONS = 3
_WATCHED = {
    "immigration": Tag.IMMIGRATION,
    "reproductive care": Tag.REPRODUCTIVE,
    "gender-affirming care": Tag.GENDER_CARE,
}


@dataclass(slots=True)
class OrgAccess:
    """One outside organisation and what it did. ``on_list`` is ``None`` without a list."""

    org: str
    state: str | None
    federal: bool
    abortion: str | None  # "criminalised" | "protected" | None (unknown), from the table
    gender_affirming_care: str | None
    law_source: str | None
    searches: int
    first: datetime
    last: datetime
    reasons: list[tuple[str, int]]  # top reason categories with their counts
    watched: dict[str, int]  # searches whose reason names immigration / reproductive / gender care
    on_list: bool | None
    concerns: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "org": self.org,
            "state": self.state,
            "federal": self.federal,
            "abortion": self.abortion,
            "gender_affirming_care": self.gender_affirming_care,
            "law_source": self.law_source,
            "searches": self.searches,
            "first": self.first.isoformat(),
            "last": self.last.isoformat(),
            "reasons": [{"category": c, "searches": n} for c, n in self.reasons],
            "watched_reasons": dict(self.watched),
            "on_list": self.on_list,
            "concerns": list(self.concerns),
        }


@dataclass(slots=True)
class AccessReport:
    """Outside organisations (missing from the list first), and what the table rests on."""

    orgs: list[OrgAccess]
    own: list[tuple[str, int]]  # the department's own organisation names, with searches
    masked_searches: int  # searches whose Org Name the export masked (``***``)
    listed_not_seen: list[str]  # on the published list, no search in these exports
    sharing_list: str | None
    law_sources: tuple[tuple[str, str], ...]

    @property
    def not_on_list(self) -> list[OrgAccess]:
        return [o for o in self.orgs if o.on_list is False]

    def summary(self) -> dict[str, Any]:
        return {
            "outside_orgs": len(self.orgs),
            "outside_searches": sum(o.searches for o in self.orgs),
            "orgs_not_on_list": len(self.not_on_list) if self.sharing_list else None,
            "federal_orgs": sum(o.federal for o in self.orgs),
            "orgs_in_criminalising_states": sum(bool(_criminalises(o)) for o in self.orgs),
            "masked_org_searches": self.masked_searches,
            "listed_not_seen": len(self.listed_not_seen) if self.sharing_list else None,
        }

    def to_json(self) -> dict[str, Any]:
        return {
            **self.summary(),
            "sharing_list": self.sharing_list,
            "own_orgs": [{"org": o, "searches": n} for o, n in self.own],
            "orgs": [o.to_json() for o in self.orgs],
            "listed_not_seen_names": list(self.listed_not_seen),
            "law_sources": [{"source": s, "as_of": d} for s, d in self.law_sources],
        }


def _criminalises(o: OrgAccess) -> list[str]:
    return [
        t
        for t, status in (
            ("abortion", o.abortion),
            ("gender-affirming care", o.gender_affirming_care),
        )
        if status == "criminalised"
    ]


def own_orgs(ctx: Context, named: list[str]) -> set[int]:
    """Org pool ids of the department itself: those ``named`` (compared with ``org_key``),
    else, per file, the organisation behind more than half of the file's searches (an
    agency's export of its own users' searches; a network audit where outsiders dominate has
    none, and then every organisation is listed)."""
    pool = ctx.table.pools["org"]
    if named:
        keys = {org_key(n) for n in named}
        return {i for i, name in enumerate(pool) if org_key(name) in keys}
    org, files = ctx.table.cols["org"], ctx.table.cols["file"]
    out: set[int] = set()
    for f in range(len(ctx.table.files)):
        here = org[(files == f) & (org >= 0)]
        if len(here):
            counts = np.bincount(here)
            top = int(counts.argmax())
            if counts[top] * 2 > len(here):
                out.add(top)
    return out


def who_searched(
    ctx: Context,
    laws: StateLaws,
    sharing: SharingList | None = None,
    agencies: list[str] | None = None,
) -> AccessReport:
    """Every organisation other than the department's own that searched, with its state,
    federal or not, its state's law, its searches and reasons, and whether the list has it."""
    table = ctx.table
    org, t = table.cols["org"], table.cols["t"]
    pool = table.pools["org"]
    mine = own_orgs(ctx, agencies or [])
    masked = int(np.count_nonzero((org < 0) & ((table.cols["flags"] & FLAG_MASKED) != 0)))
    rows = np.flatnonzero(org >= 0)
    rows = rows[order_by([org[rows]])]
    groups: list[tuple[int, int]] = []
    if len(rows):  # ``bounds`` of no rows would give one empty group
        starts, ends = bounds(new_group(len(rows), [org[rows]]))
        groups = list(zip(starts.tolist(), ends.tolist(), strict=True))
    listed = sharing.keys() if sharing else {}
    seen_keys: set[str] = set()
    own: list[tuple[str, int]] = []
    out: list[OrgAccess] = []
    for s, e in groups:
        group = rows[s:e]
        oid = int(org[group[0]])
        name = pool[oid]
        key = org_key(name)
        seen_keys.add(key)
        if oid in mine or name == MASK:
            own.append((name, len(group)))
            continue
        info = classify_org(name)
        state = info.state
        law = laws.get(state)
        reasons: Counter[str] = Counter(
            ctx.reason_category[int(r)] for r in table.cols["reason"][group].tolist()
        )
        tags = ctx.tags[group]
        watched = {
            label: n
            for label, tag in _WATCHED.items()
            if (n := int(np.count_nonzero(tags & int(tag))))
        }
        entry = OrgAccess(
            org=name,
            state=state,
            federal=info.federal or bool(ctx.federal[group[0]]),
            abortion=law.abortion if law else None,
            gender_affirming_care=law.gender_affirming_care if law else None,
            law_source=f"{law.source}, {law.as_of}" if law else None,
            searches=len(group),
            first=datetime.fromtimestamp(int(t[group].min()), UTC),
            last=datetime.fromtimestamp(int(t[group].max()), UTC),
            reasons=reasons.most_common(TOP_REASONS),
            watched=watched,
            on_list=(key in listed) if sharing else None,
        )
        entry.concerns = _concerns(entry)
        out.append(entry)
    out.sort(
        key=lambda o: (
            o.on_list is not False,
            not o.federal,
            not _criminalises(o),
            not o.watched,
            -o.searches,
            o.org,
        )
    )
    own.sort(key=lambda x: -x[1])
    return AccessReport(
        out,
        own,
        masked,
        [n for k, n in listed.items() if k not in seen_keys],
        sharing.path if sharing else None,
        laws.sources,
    )


def _concerns(o: OrgAccess) -> list[str]:
    out = []
    if o.on_list is False:
        out.append("searched but is not on the published sharing list")
    if o.federal:
        out.append("federal agency")
    for topic in _criminalises(o):
        out.append(f"its state ({o.state}) criminalises {topic}")
    for label, n in o.watched.items():
        out.append(f"{n} search(es) with a reason naming {label}")
    if o.state is None and not o.federal:
        out.append("state not recognised from the name")
    return out
