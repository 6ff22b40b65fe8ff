"""What every rule reads and writes: ``Context`` (per-row facts) and ``Finding``.

A ``Finding`` names its rule, a severity, who or what it is about, a plain-language explanation
a journalist or council member can read, and its evidence: the table rows (each traceable to
file, line and the export's own row ID) or admin-log events behind it. ``Context`` derives, once
per import, what the rules share: reason tags per row (computed per distinct reason string),
case keys, the actor of each search, federal and out-of-state requesters.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from ...core.plates import mask_plate
from ..records import HotlistEvent
from ..table.columns import RecordTable
from ..table.facts import CategoryView, case_ids
from ..table.grouping import bounds, new_group, order_by, positions
from ..text import BANNED, GENERIC, Tag, classify_reason
from .agencies import classify_org
from .catalog import RULES
from .config import RuleConfig

SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}


@dataclass
class Finding:
    rule: str
    severity: str
    subject: str
    explanation: str
    rows: np.ndarray[Any, Any] = field(default_factory=lambda: np.empty(0, dtype=np.int64))
    events: tuple[int, ...] = ()

    @property
    def signal(self) -> int:
        return RULES[self.rule].signal

    @property
    def evidence_count(self) -> int:
        return len(self.rows) + len(self.events)


_PURPOSE_TAGS = {
    "immigration_enforcement": Tag.IMMIGRATION, "reproductive_health": Tag.REPRODUCTIVE,
    "gender_affirming_care": Tag.GENDER_CARE, "protest_monitoring": Tag.PROTEST,
    "personal": Tag.PERSONAL, "civil_matter": Tag.CIVIL, "parking": Tag.MINOR,
    "traffic_enforcement": Tag.MINOR, "other": Tag.VAGUE,
    "stolen_vehicle": Tag.SERIOUS | Tag.URGENT, "stolen_plate": Tag.SERIOUS | Tag.URGENT,
    "amber_alert": Tag.SERIOUS | Tag.URGENT, "missing_person": Tag.SERIOUS | Tag.URGENT,
    "wanted_person": Tag.SERIOUS, "fugitive_warrant": Tag.SERIOUS | Tag.WARRANT,
    "violent_felony": Tag.SERIOUS, "felony_investigation": Tag.SERIOUS,
    "human_trafficking": Tag.SERIOUS, "terrorism": Tag.SERIOUS,
}  # fmt: skip
_EXTRA_TERM_TAGS = {
    "immigration": Tag.IMMIGRATION, "reproductive": Tag.REPRODUCTIVE,
    "gender_care": Tag.GENDER_CARE, "protest": Tag.PROTEST, "personal": Tag.PERSONAL,
    "civil": Tag.CIVIL, "vague": Tag.VAGUE, "minor": Tag.MINOR,
}  # fmt: skip
_CLEARED_BY_OFFENSE = Tag.VAGUE | Tag.CASE_ONLY | Tag.BLANK
_PROMPT_TAGS = BANNED | Tag.FEDERAL_ASSIST | Tag.SENSITIVE_PLACE


class Context:
    """Per-row facts derived once: tags, case keys, actors, requester kinds and states."""

    def __init__(
        self,
        table: RecordTable,
        events: list[HotlistEvent],
        config: RuleConfig,
        file_columns: list[set[str]] | None = None,
    ) -> None:
        self.table, self.events, self.config = table, events, config
        self.file_columns = file_columns
        c, pools = table.cols, table.pools
        facts = table.reasons
        r_tags = np.empty(len(facts.tags) + 1, dtype=np.int64)
        r_tags[:-1] = np.frombuffer(facts.tags, dtype=np.int64) if len(facts.tags) else []
        r_tags[-1] = int(Tag.BLANK) | GENERIC
        if config.extra_terms:
            for i, text in enumerate(pools["reason"]):
                r_tags[i] |= int(self._extra(text))
        r_case, cc, self.case_names = case_ids(facts, table.case_keys)
        self.reason_category = CategoryView(facts.codes, facts.names, ("Blank reason",))
        self.reason_generic = (r_tags & GENERIC) != 0
        # per row only the tag bits (all below 2**31; GENERIC, bit 40, is per reason)
        tags = (r_tags & 0x7FFFFFFF).astype(np.int32)[c["reason"]]
        del r_tags
        if pools["prompt"]:
            p_tags = _int32(
                [int(classify_reason(t).tags & _PROMPT_TAGS) for t in pools["prompt"]] + [0]
            )
            tags |= p_tags[c["prompt"]]
        if pools["purpose"]:
            u_tags = _int32([int(_PURPOSE_TAGS.get(p, Tag(0))) for p in pools["purpose"]] + [0])
            tags |= u_tags[c["purpose"]]
        if pools["basis"]:
            b_tags = _int32(
                [int(Tag.WARRANT) if b in ("warrant", "court_order") else 0 for b in pools["basis"]]
                + [0]
            )
            tags |= b_tags[c["basis"]]
        if pools["offense"]:
            stated = np.array([bool(o.strip()) for o in pools["offense"]] + [False])
            tags[stated[c["offense"]]] &= ~int(_CLEARED_BY_OFFENSE)
        self.case = cc[c["case"]]
        from_reason = self.case < 0
        self.case[from_reason] = r_case[c["reason"][from_reason]]
        del from_reason
        tags[self.case >= 0] |= int(Tag.HAS_CASE)
        self.tags = tags
        users, orgs = pools["user"], pools["org"]
        self.actor_names = [*users, *(f"{o} (no user named)" for o in orgs)]
        self.actor = np.where(
            c["user"] >= 0,
            c["user"],
            np.where(c["org"] >= 0, c["org"].astype(np.int32) + len(users), -1),
        ).astype(np.int32)
        self.named = np.asarray(c["user"] >= 0)
        org_info = [classify_org(o) for o in orgs]
        self.federal = np.array([i.federal for i in org_info] + [False])[c["org"]]
        states = sorted({i.state for i in org_info if i.state} | set(pools["state"]))
        self.state_names = states
        index = {s: k for k, s in enumerate(states)}
        small = np.int8 if len(states) < 127 else np.int32  # a byte per row for ~50 states
        org_state = np.array([index[i.state] if i.state else -1 for i in org_info] + [-1], small)
        self.org_state = org_state[c["org"]]
        if pools["state"]:
            explicit = np.array([index[s] for s in pools["state"]] + [-1], small)[c["state"]]
            self.org_state = np.where(explicit >= 0, explicit, self.org_state)
        self.home_state = self._home_states(config.get_str("out_of_state", "home_state"))
        plates = pools["plate"]
        exact = (plates.lengths() >= 3) & ~plates.contains_any(b"*?")
        self.exact_plate = np.append(exact, False)[c["plate"]]

    def _home_states(self, configured: str) -> np.ndarray[Any, Any]:
        """Per row, the state whose data was searched: configured, else the most common
        requesting state in the row's own file (an agency's export is mostly its own users)."""
        files = self.table.cols["file"]
        homes = np.full(len(self.table.files), -1, dtype=np.int64)
        code = configured.strip().upper()
        if code:
            if code not in self.state_names:
                self.state_names.append(code)
            homes[:] = self.state_names.index(code)
        else:  # per file, the state with most searches (the first of equals)
            known = self.org_state >= 0
            width = max(len(self.state_names), 1)
            cells = files[known].astype(np.int64) * width + self.org_state[known]
            counts = np.bincount(cells, minlength=len(homes) * width).reshape(len(homes), width)
            seen = counts.sum(axis=1) > 0
            homes[seen] = counts[seen].argmax(axis=1)
        small = np.int8 if len(self.state_names) < 127 else np.int32
        return homes.astype(small)[files] if len(files) else np.empty(0, dtype=small)

    def _extra(self, text: str) -> Tag:
        tags = Tag(0)
        for category, pattern in self.config.extra_terms.items():
            if pattern.search(text):
                tags |= _EXTRA_TERM_TAGS.get(category, Tag(0))
        return tags

    def file_has(self, column: str) -> np.ndarray[Any, Any]:
        """Per row: did the row's file have this column at all? (Blank differs from absent.)"""
        if self.file_columns is None:
            return np.ones(self.table.n, dtype=bool)
        per_file = np.array([column in cols for cols in self.file_columns] + [True])
        return np.asarray(per_file[self.table.cols["file"]], dtype=bool)

    @cached_property
    def by_user_time(self) -> np.ndarray[Any, Any]:
        """Rows that name a user, in (actor, time) order: the per-user rules share one sort
        (a subset of it, taken with a mask, keeps the order)."""
        rows = positions(self.named)
        ordered: np.ndarray[Any, Any] = rows[
            order_by([self.actor[rows], self.table.cols["t"][rows]])
        ]
        return ordered

    def has(self, tag: Tag) -> np.ndarray[Any, Any]:
        return np.asarray((self.tags & int(tag)) != 0)

    def actor_name(self, actor: int) -> str:
        return "an unnamed user" if actor < 0 else self.actor_names[actor]

    def plate_name(self, plate: int, show: bool = False) -> str:
        text = self.table.pools["plate"][plate]
        return text if show else mask_plate(text)

    def day(self, row: int) -> str:
        return str(np.datetime64(int(self.table.cols["t"][row]), "s"))[:10]


def _int32(values: list[int]) -> np.ndarray[Any, Any]:
    return np.array(values, dtype=np.int32)


def by_actor(ctx: Context, mask: np.ndarray[Any, Any]) -> list[tuple[int, np.ndarray[Any, Any]]]:
    """Rows of ``mask`` grouped by actor (rows in order within a group), biggest group first."""
    rows = np.flatnonzero(mask)
    if len(rows) == 0:
        return []
    rows = rows[order_by([ctx.actor[rows]])]
    actors = ctx.actor[rows]
    starts, ends = bounds(new_group(len(rows), [actors]))
    biggest = np.argsort(starts - ends, kind="stable")
    return [(int(actors[starts[g]]), rows[starts[g] : ends[g]]) for g in biggest.tolist()]
