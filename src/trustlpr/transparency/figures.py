"""Every number of the public portal, computed from public log leaves and nothing else.

``Tally`` is a running reduction over the leaves in index order; ``Tally.figures()`` turns it
into the portal's figures for the 30 UTC days ending on the day of the newest leaf counted. The
portal feeds it the local log incrementally; ``trustlpr audit recompute-stats`` feeds it a
downloaded JSONL copy: the same code reaches the same numbers, so anyone can check the portal.
The tally also folds the RFC 9162 root hash of the leaves it counted, so the figures can be
tied to a signed checkpoint of the same size.

A leaf that does not have the shape the log guarantees is a ``FormatError`` naming its index:
a number is never silently skipped.
"""

from __future__ import annotations

import base64
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from typing import Any

from ..audit.leaf import parse_leaf
from ..audit.merkle import EMPTY_ROOT, fold_right, leaf_hash, node_hash
from ..cameras.places import PLACEMENT_REFUSED, PLACES_INSTALLED
from ..cameras.registry import MOBILE_UNITS
from ..core.coverage_cells import CELL_DEGREES, MOBILE_OTHER, cell_bounds
from ..core.errors import FormatError
from ..core.events import PARTNER_ERROR, EventType
from ..core.hotlist import StopOutcome

WINDOW_DAYS = 30
SNAPSHOT_RETAINED = "retained_vehicles"
"""The ``action`` of the ``stats_snapshot`` event that counts distinct retained vehicles."""

PROTECTED_DROPPED = "reads_not_recorded"
"""The ``action`` of the daily ``protected_changed`` count of reads dropped at ingest."""

_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MINUTE = re.compile(r"^(\d{4}-\d{2}-\d{2})T\d{2}:\d{2}:00Z$")
_OUTCOMES = ("confirmed", "misread", "not_the_vehicle")
_STOPS = tuple(o.value for o in StopOutcome)
_DECISIONS = ("allow", "deny", "needs_approval")
_OWNER_STEPS = ("opened", "verified", "approved", "refused", "expired")
OWNER_PURPOSE = "owner_request"
NO_ANSWER = "no_answer"
"""The outcome of a request sent to a partner that gave no (trustworthy) answer in time."""


NOT_RECORDED = "not_recorded"
"""The offense class of a ``search_decided`` entry written before the log carried one."""


def _bad(index: int, message: str) -> FormatError:
    return FormatError(f"entry {index}: {message}")


class _Public:
    """Typed access to a leaf's public part; a value of the wrong shape is a FormatError."""

    def __init__(self, index: int, public: Mapping[str, Any]) -> None:
        self.index = index
        self.values = public

    def count(self, key: str, default: int = 0) -> int:
        value = self.values.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise _bad(self.index, f"public {key!r} must be a non-negative integer")
        return value

    def text(self, key: str, default: str = "") -> str:
        value = self.values.get(key, default)
        if value is None:
            return default
        if not isinstance(value, str) or "|" in value:
            raise _bad(self.index, f"public {key!r} must be a code or identifier")
        return value

    def texts(self, key: str) -> list[str]:
        value = self.values.get(key) or []
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise _bad(self.index, f"public {key!r} must be a list of codes")
        return value

    def flag(self, key: str) -> bool:
        value = self.values.get(key, False)
        if not isinstance(value, bool):
            raise _bad(self.index, f"public {key!r} must be true or false")
        return value

    def counts(self, key: str) -> dict[str, int]:
        value = self.values.get(key) or {}
        if not isinstance(value, dict) or not all(
            isinstance(k, str) and isinstance(v, int) and not isinstance(v, bool) and v >= 0
            for k, v in value.items()
        ):
            raise _bad(self.index, f"public {key!r} must map identifiers to counts")
        return value


class Tally:
    """Sums over leaves ``0 .. size-1``. Feed leaves in index order with ``add`` or ``feed``."""

    def __init__(self) -> None:
        self.size = 0
        self._frontier: list[tuple[int, bytes]] = []  # perfect subtrees: (leaves, hash)
        self.first_time: str | None = None
        self.last_time: str | None = None
        self.events: Counter[str] = Counter()
        self._daily: dict[str, Counter[str]] = {}
        self._cameras: dict[str, set[str]] = {}
        self._snapshots: dict[str, dict[str, Any]] = {}  # day -> last snapshot of that day
        self.latest_snapshot: dict[str, Any] | None = None
        self.policy_changes: list[dict[str, Any]] = []
        self.sharing_changes: list[dict[str, Any]] = []
        self.peer_changes: list[dict[str, Any]] = []
        self.places_layer: dict[str, Any] | None = None  # the newest sensitive-places install
        self.mobile_units = 0  # in service now: the sum of camera changes' ``mobile_units``
        self._coverage: dict[str, Counter[str]] = {}  # day -> cell -> mobile reads
        self._min_count = 0  # the largest ``min_count`` any coverage entry was published with

    # -- feeding ---------------------------------------------------------------------------

    def feed(self, leaves: Iterable[tuple[int, bytes]]) -> Tally:
        for index, leaf in leaves:
            self.add(index, leaf)
        return self

    def add(self, index: int, leaf: bytes) -> None:
        """Counts the leaf with index ``index``, which must be the next one (``size``)."""
        if index != self.size:
            raise _bad(index, f"expected entry {self.size} next; entries must be whole, in order")
        try:
            value = parse_leaf(leaf)
        except FormatError as exc:
            raise _bad(index, exc.message) from exc
        kind, stamp, public = value.get("type"), value.get("time"), value.get("public")
        if not isinstance(kind, str) or not isinstance(public, dict):
            raise _bad(index, "leaf has no type or no public part")
        match = _MINUTE.match(stamp) if isinstance(stamp, str) else None
        if match is None or not isinstance(stamp, str):
            raise _bad(index, "leaf time is not a UTC minute like 2026-11-01T12:34:00Z")
        self._count(index, kind, stamp, match.group(1), _Public(index, public), value)
        self._push(leaf_hash(leaf))
        self.first_time = self.first_time or stamp
        self.last_time = stamp
        self.size += 1

    def _push(self, digest: bytes) -> None:
        size = 1
        while self._frontier and self._frontier[-1][0] == size:
            left = self._frontier.pop()[1]
            digest, size = node_hash(left, digest), size * 2
        self._frontier.append((size, digest))

    @property
    def root_hash(self) -> bytes:
        """The RFC 9162 root of the leaves counted (the root a checkpoint of ``size`` signs)."""
        return fold_right([h for _, h in self._frontier]) if self._frontier else EMPTY_ROOT

    def _count(
        self, index: int, kind: str, stamp: str, day: str, p: _Public, leaf: dict[str, Any]
    ) -> None:
        self.events[kind] += 1
        n = self._daily.setdefault(day, Counter())
        if kind == EventType.READS_INGESTED:
            n["reads"] += p.count("count")
            self._cameras.setdefault(day, set()).update(p.counts("camera_counts"))
        elif kind == EventType.ALERT_RAISED:
            hits = p.count("count", 1)
            n["hits"] += hits
            if p.text("action") == "state_not_read":  # an alert on the plate text alone
                n["hits_state_not_read"] += hits
            n[f"list:{p.text('list_id', '?')}|{p.text('category', '?')}"] += hits
        elif kind == EventType.ALERT_VERIFIED:
            outcome = p.text("outcome")
            if outcome not in _OUTCOMES:
                raise _bad(index, f"alert outcome {outcome[:40]!r} is not one of {_OUTCOMES}")
            which = "possible" if p.text("action") == "verify_possible" else "alert"
            n[f"verified:{which}:{outcome}"] += p.count("count", 1)
        elif kind == EventType.ALERT_OUTCOME:
            stop = p.text("outcome")
            if stop not in _STOPS:
                raise _bad(index, f"stop outcome {stop[:40]!r} is not one of {_STOPS}")
            n[f"stop:{stop}"] += p.count("count", 1)
        elif kind == EventType.SEARCH_DECIDED:
            self._search(index, n, p)
        elif kind == EventType.SEARCH_EXECUTED:
            n["searches_run"] += 1
            n["results_returned"] += p.count("result_count")
            if p.text("purpose") == OWNER_PURPOSE:
                n["owner:answered"] += 1
                n["owner:reads_returned"] += p.count("result_count")
        elif kind == EventType.OWNER_REQUEST:
            step = p.text("action")
            if step not in _OWNER_STEPS:
                raise _bad(index, f"own-vehicle step {step[:40]!r} is not one of {_OWNER_STEPS}")
            n[f"owner:{step}"] += 1
        elif kind == EventType.APPROVAL_DECIDED:
            n[f"approval:{p.text('outcome', 'unknown')}"] += 1
        elif kind == EventType.PURGE:
            n["purges"] += 1
            n["reads_purged"] += p.count("count")
            n["keys_destroyed"] += len(p.texts("key_ids"))
        elif kind == EventType.STATS_SNAPSHOT and p.text("action") == SNAPSHOT_RETAINED:
            snap = {"count": p.count("count"), "days": p.count("days"), "time": stamp}
            self._snapshots[day] = snap
            self.latest_snapshot = {**snap, "index": index}
        elif kind == EventType.POLICY_CHANGED:
            self.policy_changes.append(
                {
                    "index": index,
                    "time": stamp,
                    "action": p.text("action"),
                    "policy": p.text("policy"),
                    "digest": p.text("digest"),
                }
            )
        elif kind == EventType.SHARING_CHANGED:
            n["sharing_changes"] += 1
            self.sharing_changes.append(
                {
                    "index": index,
                    "time": stamp,
                    "action": p.text("action"),
                    "agreement": f"{p.text('agreement_id')}:v{p.count('version')}",
                    "grantee": p.text("grantee_agency"),
                    "grantee_state": p.text("grantee_state") or p.text("agency_state"),
                    "grantee_type": p.text("agency_type"),
                    "purposes": len(p.texts("purposes")),
                }
            )
        elif kind in (EventType.FEDERATION_SEARCH, EventType.FEDERATION_REFUSED):
            self._federation(index, kind, n, p)
        elif kind == EventType.FEDERATION_CHANGED:
            n["peer_changes"] += 1
            self.peer_changes.append(
                {
                    "index": index,
                    "time": stamp,
                    "action": p.text("action"),
                    "peer": p.text("peer_agency"),  # none: this node rotated its own key
                    "peer_state": p.text("agency_state"),
                    "peer_type": p.text("agency_type"),
                    "keys": len(p.texts("peer_keys")),
                }
            )
        elif kind == EventType.CAMERA_CHANGED:
            self._camera(index, stamp, n, p)
        elif kind == EventType.MOBILE_COVERAGE:
            self._mobile_cell(index, p)
        elif kind == EventType.READS_NOT_COLLECTED:
            n[f"not_collected:{p.text('category', '?')}"] += p.count("count")
        elif kind == EventType.PROTECTED_CHANGED and p.text("action") == PROTECTED_DROPPED:
            counted = p.values.get("days")  # the UTC day the reads were dropped on
            on = counted if isinstance(counted, str) and _DAY.match(counted) else day
            self._daily.setdefault(on, Counter())["protected_not_recorded"] += p.count("count")
        elif kind == EventType.HOTLIST_CHANGED:
            n["hotlist_changes"] += 1

    def _camera(self, index: int, stamp: str, n: Counter[str], p: _Public) -> None:
        """A camera's change; a placement refused near a sensitive place (only its category
        is public) and an install of the sensitive-places layer are counted apart."""
        action = p.text("action")
        if action == PLACEMENT_REFUSED:
            n[f"placement_refused:{p.text('category', '?')}"] += p.count("count", 1)
        elif action == PLACES_INSTALLED:
            n["places_installed"] += 1
            self.places_layer = {
                "index": index,
                "time": stamp,
                "places": p.count("count"),
                "by_category": dict(sorted(p.counts("active_by_category").items())),
                "digest": p.text("digest"),
            }
        else:
            n["camera_changes"] += 1
        units = p.values.get(MOBILE_UNITS, 0)
        if type(units) is not int or units not in (-1, 0, 1):
            raise _bad(index, f"public {MOBILE_UNITS!r} must be -1, 0 or 1")
        self.mobile_units += units

    def _mobile_cell(self, index: int, p: _Public) -> None:
        """A day's mobile reads in one coarse cell (or in the cells below ``min_count``)."""
        day, cell = p.text("day"), p.text("cell")
        if not _DAY.match(day):
            raise _bad(index, "public 'day' must be a UTC day like 2026-11-01")
        if cell != MOBILE_OTHER and cell_bounds(cell) is None:
            raise _bad(index, f"public 'cell' {cell[:40]!r} is not a cell of the coverage grid")
        self._coverage.setdefault(day, Counter())[cell] += p.count("count")
        self._min_count = max(self._min_count, p.count("min_count"))

    def _mobile(self, span: list[str]) -> dict[str, Any]:
        """Mobile units in service and the share of their reads per cell over ``span``; a
        cell with fewer than ``min_count`` reads over the span shows as ``"<k"``."""
        cells: Counter[str] = Counter()
        for day in span:
            cells.update(self._coverage.get(day, Counter()))
        other = cells.pop(MOBILE_OTHER, 0)
        total = cells.total() + other
        k = self._min_count
        rows: dict[str, dict[str, Any]] = {}
        for cell, count in sorted(cells.items()):
            south, west, north, east = cell_bounds(cell) or (0.0, 0.0, 0.0, 0.0)
            small = count < k
            rows[cell] = {
                "south": south,
                "west": west,
                "north": north,
                "east": east,
                "count": f"<{k}" if small else count,
                "share": None if small or not total else round(count / total, 4),
            }
        return {
            "units": self.mobile_units,
            "cell_degrees": CELL_DEGREES,
            "min_count": k,
            "reads": total,
            "other": other,
            "days": sum(1 for day in span if day in self._coverage),
            "cells": rows,
        }

    @staticmethod
    def _federation(index: int, kind: str, n: Counter[str], p: _Public) -> None:
        """Requests sent to partners (one ``answered``/``no_answer`` entry per partner asked)
        and signed messages refused; requests from partners are ``search_decided`` entries."""
        if kind == EventType.FEDERATION_REFUSED:
            for reason in p.texts("reasons"):
                n[f"fed_refused:{reason}"] += 1
            return
        action = p.text("action")
        if action == "sent":
            n["fed_sent"] += 1
        elif action in ("answered", NO_ANSWER):
            decision = p.text("decision") if action == "answered" else NO_ANSWER
            known = (*_DECISIONS, NO_ANSWER, PARTNER_ERROR)
            if decision not in known:
                raise _bad(index, f"partner decision {decision[:40]!r} is not one of {known}")
            purpose = p.text("purpose")
            if not purpose:  # a poll of a request held at the partner, not a new request
                n["fed_polls"] += 1
                return
            n[f"fed_out:{p.text('peer_agency', '?')}|{purpose}|{decision}"] += 1
        else:
            raise _bad(index, f"federated search action {action[:40]!r} is not known")

    @staticmethod
    def _search(index: int, n: Counter[str], p: _Public) -> None:
        decision = p.text("decision")
        if decision not in _DECISIONS:
            raise _bad(index, f"search decision {decision[:40]!r} is not one of {_DECISIONS}")
        purpose = p.text("purpose", "unknown")
        n["searches"] += 1
        n[f"decision:{decision}"] += 1
        n[f"purpose:{purpose}|{decision}"] += 1
        n[f"search_type:{p.text('search_type', 'unknown')}"] += 1
        n[f"offense_class:{p.text('offense_class', NOT_RECORDED)}|{decision}"] += 1
        if p.flag("warrant"):
            n[f"warrant:{decision}"] += 1
        if decision != "allow":
            prefix = "reason" if decision == "deny" else "held_reason"
            for rule in p.texts("reasons"):
                n[f"{prefix}:{rule}"] += 1
        if p.flag("out_of_agency"):
            n[f"outside:{decision}"] += 1
            who = "|".join(
                (
                    p.text("requester_agency", "?"),
                    p.text("requester_state", "?"),
                    p.text("requester_type", "?"),
                )
            )
            n[f"outside_agency:{who}|{decision}"] += 1
        if p.flag("federated"):
            n[f"fed_in:{p.text('requester_agency', '?')}|{purpose}|{decision}"] += 1

    # -- figures ---------------------------------------------------------------------------

    def window(self, as_of: date | None = None, days: int = WINDOW_DAYS) -> list[str]:
        """The UTC days counted: ``days`` days ending on ``as_of`` (default: the day of the
        newest leaf). Empty for an empty log."""
        if as_of is None:
            if self.last_time is None:
                return []
            as_of = date.fromisoformat(self.last_time[:10])
        return [(as_of - timedelta(days=days - 1 - i)).isoformat() for i in range(days)]

    def figures(self, as_of: date | None = None, days: int = WINDOW_DAYS) -> dict[str, Any]:
        """Every portal figure, as plain JSON values (see docs/portal.md for each one)."""
        span = self.window(as_of, days)
        total: Counter[str] = Counter()
        for day in span:
            total.update(self._daily.get(day, Counter()))

        def daily(key: str) -> list[int]:
            return [self._daily.get(day, Counter())[key] for day in span]

        def grouped(prefix: str) -> dict[str, int]:
            return {k[len(prefix) :]: v for k, v in sorted(total.items()) if k.startswith(prefix)}

        cameras: set[str] = set()
        for day in span:
            cameras |= self._cameras.get(day, set())
        verified = {o: total[f"verified:alert:{o}"] for o in _OUTCOMES}
        checked = sum(verified.values())
        return {
            "log": {
                "size": self.size,
                "root_hash": base64.b64encode(self.root_hash).decode(),
                "first_time": self.first_time,
                "last_time": self.last_time,
            },
            "window": {
                "days": len(span),
                "start": span[0] if span else None,
                "end": span[-1] if span else None,
                "dates": span,
            },
            "reads": {
                "total": total["reads"],
                "cameras_reporting": len(cameras),
                "daily": daily("reads"),
            },
            "retained_vehicles": {
                "latest": self.latest_snapshot,
                "daily": [self._snapshots.get(day, {}).get("count") for day in span],
            },
            "hotlist": {
                "hits": total["hits"],
                "daily": daily("hits"),
                "state_not_read": total["hits_state_not_read"],
                "state_not_read_daily": daily("hits_state_not_read"),
                "verified": checked,
                "confirmed": verified["confirmed"],
                "misreads": verified["misread"],
                "not_the_vehicle": verified["not_the_vehicle"],
                "misread_rate": round(verified["misread"] / checked, 4) if checked else None,
                "confirmed_daily": daily("verified:alert:confirmed"),
                "misread_daily": daily("verified:alert:misread"),
                "possible_confirmed": total["verified:possible:confirmed"],
                "possible_rejected": total["verified:possible:misread"]
                + total["verified:possible:not_the_vehicle"],
                "lists": _lists(grouped("list:")),
                "outcomes": {o: total[f"stop:{o}"] for o in _STOPS},
                "outcomes_recorded": sum(total[f"stop:{o}"] for o in _STOPS),
            },
            "mobile": self._mobile(span),
            "protected": {"reads_not_recorded": total["protected_not_recorded"]},
            "sensitive_places": {
                "placements_refused": sum(grouped("placement_refused:").values()),
                "refused_by_category": grouped("placement_refused:"),
                "layer": self.places_layer,
                "layers_installed_in_window": total["places_installed"],
                "reads_not_collected": sum(grouped("not_collected:").values()),
                "not_collected_by_category": grouped("not_collected:"),
            },
            "searches": {
                "total": total["searches"],
                "allowed": total["decision:allow"],
                "denied": total["decision:deny"],
                "held": total["decision:needs_approval"],
                "run": total["searches_run"],
                "results_returned": total["results_returned"],
                "daily": daily("searches"),
                "denied_daily": daily("decision:deny"),
                "by_purpose": _by_decision(grouped("purpose:")),
                "by_type": grouped("search_type:"),
                "by_offense_class": _by_decision(grouped("offense_class:")),
                "denial_reasons": grouped("reason:"),
                "held_reasons": grouped("held_reason:"),
                "warrant": {d: total[f"warrant:{d}"] for d in _DECISIONS},
            },
            "approvals": {
                "approved": total["approval:approved"],
                "rejected": total["approval:rejected"],
            },
            "owner_requests": {
                **{step: total[f"owner:{step}"] for step in _OWNER_STEPS},
                "answered": total["owner:answered"],
                "reads_returned": total["owner:reads_returned"],
                "daily": daily("owner:opened"),
            },
            "out_of_agency": {
                "requests": sum(total[f"outside:{d}"] for d in _DECISIONS),
                "allowed": total["outside:allow"],
                "denied": total["outside:deny"],
                "held": total["outside:needs_approval"],
                "by_agency": _agencies(grouped("outside_agency:")),
            },
            "federation": {
                "requests_in": sum(grouped("fed_in:").values()),
                "requests_out": sum(grouped("fed_out:").values()),
                "searches_sent": total["fed_sent"],
                "polls_out": total["fed_polls"],
                "in": _exchanges(grouped("fed_in:")),
                "out": _exchanges(grouped("fed_out:")),
                "refused": grouped("fed_refused:"),
                "refused_total": sum(grouped("fed_refused:").values()),
            },
            "retention": {
                "purges": total["purges"],
                "reads_purged": total["reads_purged"],
                "keys_destroyed": total["keys_destroyed"],
            },
            "changes": {
                "policy": list(self.policy_changes),
                "sharing": list(self.sharing_changes),
                "sharing_in_window": total["sharing_changes"],
                "peers": list(self.peer_changes),
                "peers_in_window": total["peer_changes"],
                "cameras_in_window": total["camera_changes"],
                "hotlists_in_window": total["hotlist_changes"],
            },
            "events": dict(sorted(self.events.items())),
        }


def _by_decision(raw: Mapping[str, int]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for key, count in raw.items():
        name, _, decision = key.rpartition("|")
        row = out.setdefault(name, dict.fromkeys(_DECISIONS, 0))
        row[decision] += count
    return out


def _lists(raw: Mapping[str, int]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for key, count in raw.items():
        list_id, _, category = key.partition("|")
        out[f"{list_id}/{category}"] = {"list_id": list_id, "category": category, "hits": count}
    return out


def _exchanges(raw: Mapping[str, int]) -> list[dict[str, Any]]:
    """``partner|purpose|decision`` counts as rows, in that order."""
    rows = []
    for key, count in raw.items():
        partner, purpose, decision = key.split("|")
        rows.append({"partner": partner, "purpose": purpose, "decision": decision, "count": count})
    return rows


def _agencies(raw: Mapping[str, int]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for key, count in raw.items():
        agency, state, kind, decision = key.split("|")
        row = out.setdefault(agency, {"state": state, "type": kind, **dict.fromkeys(_DECISIONS, 0)})
        row[decision] += count
    return out


def compute_figures(
    leaves: Iterable[tuple[int, bytes]], *, as_of: date | None = None, days: int = WINDOW_DAYS
) -> dict[str, Any]:
    """The portal's figures from ``(index, leaf bytes)`` pairs starting at index 0."""
    return Tally().feed(leaves).figures(as_of, days)
