"""Warrants as legal authority (issue 15 item 4): a stated scope binds the search, and under
``[warrants]`` the warrantless limits follow the scope after the step the policy names."""

from __future__ import annotations

import tomllib
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trustlpr.core import InputError, LegalBasis, Outcome, Purpose, Query, SearchRequest
from trustlpr.core import SearchType as T
from trustlpr.core.search import WarrantScope
from trustlpr.policy import (
    PolicyEngine,
    request_from_json,
    request_to_json,
    warrant_scope_from_json,
)
from trustlpr.policy.loader import parse_policy, policy_path

from .corpus import base_request

NOW = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
PLATE = "AB12345"


def _request(**change: Any) -> SearchRequest:
    data = base_request("CT")
    data |= {
        "id": "w",
        "legal_basis": "warrant",
        "warrant_id": "SW-2026-0412",
        "purpose": "violent_felony",
        "offense_code": "homicide",
        "reason": "homicide on Elm St, witness saw fleeing dark SUV",
    }
    return replace(request_from_json(data), **change)


def _scope(days: int = 130, **change: Any) -> WarrantScope:
    base = WarrantScope("Superior Court, Hartford", NOW - timedelta(days=days), NOW, None, (PLATE,))
    return replace(base, **change)


def _window(days: int) -> dict[str, Any]:
    q = _request().query
    return {"query": replace(q, window_start=NOW - timedelta(days=days), window_end=NOW)}


def _engine(**warrants: Any) -> PolicyEngine:
    path = policy_path("strict-default")
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    data["warrants"] |= warrants
    return PolicyEngine(parse_policy(data, "strict-default (test)"), owner_state="CT")


@pytest.fixture(scope="module")
def engine() -> PolicyEngine:
    return PolicyEngine("strict-default", owner_state="CT")


def _rules(engine: PolicyEngine, request: SearchRequest, approved: bool = False) -> list[str]:
    return [r.rule for r in engine.decide(request, approved=approved).reasons]


def test_the_scope_lifts_a_warrantless_window_after_a_supervisor(engine: PolicyEngine) -> None:
    long = _request(warrant_scope=_scope(), **_window(99))  # the violent-felony limit is 60 days
    decision = engine.decide(long)
    assert decision.outcome is Outcome.NEEDS_APPROVAL
    assert [r.rule for r in decision.reasons] == ["approval.warrant-scope"]
    assert engine.decide(long, approved=True).outcome is Outcome.ALLOW
    # the warrant's number alone lifts nothing
    assert _rules(engine, replace(long, warrant_scope=None)) == ["window.too-long"]


def test_a_search_the_warrantless_limits_allow_needs_no_extra_step(engine: PolicyEngine) -> None:
    assert engine.decide(_request(warrant_scope=_scope())).outcome is Outcome.ALLOW


def test_the_step_the_policy_names_is_the_step_taken() -> None:
    long = _request(warrant_scope=_scope(), **_window(99))
    assert _engine(approval="none").decide(long).outcome is Outcome.ALLOW
    assert _rules(_engine(scope_governs=False), long) == ["window.too-long"]
    # without scope_governs the scope still binds: outside it is refused
    outside = replace(long, warrant_scope=_scope(days=30))
    assert "warrant.outside-window" in _rules(_engine(scope_governs=False), outside)


@pytest.mark.parametrize(
    ("change", "rule"),
    [
        ({"days": 30}, "warrant.outside-window"),
        ({"plates": ("XY98765",)}, "warrant.outside-plate"),
        ({"cameras": ("cam-1", "cam-2")}, "warrant.outside-area"),  # an all-camera search
        ({"court": "   "}, "warrant.court-missing"),
    ],
)
def test_each_dimension_of_the_scope_binds(
    engine: PolicyEngine, change: dict[str, Any], rule: str
) -> None:
    request = _request(warrant_scope=_scope(**change), **_window(40))
    decision = engine.decide(request, approved=True)  # an approval never lifts a deny
    assert decision.outcome is Outcome.DENY and rule in [r.rule for r in decision.reasons]


def test_a_scope_needs_a_judicial_basis(engine: PolicyEngine) -> None:
    hotlist = _request(legal_basis=LegalBasis.HOTLIST, warrant_scope=_scope(), **_window(99))
    assert "warrant.basis" in _rules(engine, hotlist, approved=True)
    no_number = _request(warrant_id=None, warrant_scope=_scope(), **_window(99))
    got = _rules(engine, no_number, approved=True)
    assert "legal-basis.warrant-id" in got and "window.too-long" in got  # nothing lifted


def test_an_area_warrant_lifts_the_area_limits_only_for_its_cameras(engine: PolicyEngine) -> None:
    named = tuple(f"cam-{n}" for n in range(30))
    query = Query(T.AREA, NOW - timedelta(hours=12), NOW, cameras=named[:25])
    area = _request(query=query, warrant_scope=_scope(plates=None, cameras=named))
    assert _rules(engine, area) == ["approval.warrant-scope"]  # 25 cameras, 12 h: over 10, 4 h
    assert engine.decide(area, approved=True).outcome is Outcome.ALLOW
    stray = replace(area, query=replace(query, cameras=("cam-1", "cam-99")))
    assert set(_rules(engine, stray, approved=True)) == {
        "warrant.outside-area",
        "window.search-type",
    }
    # a plate warrant opens no partial sweep
    partial = replace(query, type=T.PARTIAL, pattern="AB123?5", cameras=None)
    got = _rules(engine, _request(query=partial, warrant_scope=_scope()), approved=True)
    assert "warrant.outside-plate" in got


def test_other_rules_still_apply_inside_the_scope(engine: PolicyEngine) -> None:
    immigration = _request(
        purpose=Purpose.IMMIGRATION_ENFORCEMENT, offense_code=None, warrant_scope=_scope()
    )
    assert _rules(engine, immigration, approved=True)[0] == "purpose.prohibited"


def test_the_scope_round_trips_and_bad_scopes_are_refused() -> None:
    request = _request(warrant_scope=_scope(cameras=("cam-1",)))
    assert request_from_json(request_to_json(request)) == request
    good = {"court": "Superior Court", "window_start": "2026-10-01T00:00:00Z",
            "window_end": "2026-11-01T00:00:00Z", "plates": ["ab-123 45"]}  # fmt: skip
    assert warrant_scope_from_json(good).plates == ("AB12345",)  # type: ignore[union-attr]
    bad = [
        ({**good, "court": " "}, "warrant_scope.court"),
        ({**good, "window_end": "2026-09-01T00:00:00Z"}, "warrant_scope.window_end"),
        ({**good, "plates": ["АВ12345"]}, "warrant_scope.plates"),  # Cyrillic look-alikes
        ({**good, "plates": []}, "warrant_scope.plates"),
        ({**good, "number": "SW-1"}, "warrant_scope.number"),
        ({k: v for k, v in good.items() if k != "window_start"}, "warrant_scope.window_start"),
    ]
    for obj, field in bad:
        with pytest.raises(InputError) as caught:
            warrant_scope_from_json(obj)
        assert caught.value.field == field, obj


_HOURS = st.integers(min_value=1, max_value=24 * 150)


@settings(max_examples=60, deadline=None)
@given(q_start=_HOURS, q_len=_HOURS, s_start=_HOURS, s_len=_HOURS)
def test_nothing_outside_the_warrant_window_is_ever_allowed(
    engine: PolicyEngine, q_start: int, q_len: int, s_start: int, s_len: int
) -> None:
    start = NOW - timedelta(hours=q_start)
    query = replace(_request().query, window_start=start, window_end=start + timedelta(hours=q_len))
    s_from = NOW - timedelta(hours=s_start)
    scope = _scope(window_start=s_from, window_end=s_from + timedelta(hours=s_len))
    decision = engine.decide(_request(query=query, warrant_scope=scope), approved=True)
    inside = scope.window_start <= query.window_start and query.window_end <= scope.window_end
    if decision.outcome is Outcome.ALLOW:
        assert inside
    if not inside:
        assert "warrant.outside-window" in [r.rule for r in decision.reasons]
