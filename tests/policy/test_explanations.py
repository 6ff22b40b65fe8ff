"""The words of a refusal: what ``PolicyEngine`` says about each rule that matched.

The decision is tested elsewhere (the corpus, the properties); these tests pin down the
explanation an officer, a supervisor and an auditor read: the screening finding in front of a
reason rule, the count that fell short, the agency a federal search would serve, the window
asked for, and each rule once.
"""

from __future__ import annotations

from typing import Any

import pytest

from trustlpr.core.search import Decision, Outcome
from trustlpr.policy import PolicyEngine, request_from_json
from trustlpr.policy.facts import derive

from .test_engine import _request

STOLEN_CAR = "stolen_vehicle"


@pytest.fixture(scope="module")
def ct() -> PolicyEngine:
    return PolicyEngine("ct-pa-26-14")


def _text(engine: PolicyEngine, annotation: str) -> str:
    """A rule's own sentence, as the policy states it (the part every explanation ends with)."""
    return engine.compiled.rules[annotation].text


def _said(engine: PolicyEngine, **change: Any) -> tuple[Outcome, dict[str, str]]:
    decision: Decision = engine.decide_json(_request(**change))
    rules = [r.rule for r in decision.reasons]
    assert len(rules) == len(set(rules)), rules
    return decision.outcome, {r.rule: r.text for r in decision.reasons}


def test_a_prohibited_topic_says_which_words_pointed_to_it(ct: PolicyEngine) -> None:
    outcome, said = _said(ct, reason="stolen car, ICE wants the driver located")
    assert outcome is Outcome.DENY
    assert said == {
        "reason.immigration": 'the reason points to immigration enforcement ("ICE"); '
        + _text(ct, "reason.immigration")
    }


def test_a_vague_reason_is_quoted_back(ct: PolicyEngine) -> None:
    outcome, said = _said(ct, reason="investigation")
    assert outcome is Outcome.DENY
    assert said == {
        "reason.vague": 'the reason ("investigation") says nothing specific; say what happened '
        "and why this vehicle; " + _text(ct, "reason.vague")
    }


def test_a_short_reason_says_how_long_it_is(ct: PolicyEngine) -> None:
    _, said = _said(ct, reason="inv")
    assert said["reason.too-short"] == "the reason has 3 characters; " + _text(
        ct, "reason.too-short"
    )


def test_a_reason_of_too_few_words_says_how_many_it_has(ct: PolicyEngine) -> None:
    outcome, said = _said(ct, reason="criminal case 24-9")
    assert outcome is Outcome.DENY
    assert said == {
        "reason.too-few-words": "the reason has 1 specific word(s); "
        + _text(ct, "reason.too-few-words")
    }


def test_a_federal_search_names_the_agency_and_the_wording_it_served(ct: PolicyEngine) -> None:
    federal = 'the reason points to a federal agency, so the search would serve that agency ("fbi")'
    behalf = 'the reason points to searching on behalf of another agency ("on behalf of")'
    rule = _text(ct, "sharing.federal")
    _, said = _said(ct, reason="stolen car, FBI asked us to find the driver")
    assert said == {"sharing.federal": f"{federal}; {rule}"}
    _, said = _said(ct, r_agency_type="federal", reason="stolen car, on behalf of the FBI")
    assert said == {"sharing.federal": f"{federal}; {behalf}; {rule}"}


def test_a_window_rule_says_the_purpose_and_the_window_asked(ct: PolicyEngine) -> None:
    outcome, said = _said(ct, q_window_start="2026-10-01T00:00:00Z")
    assert outcome is Outcome.DENY
    too_long = _text(ct, "window.too-long#30d")
    assert said == {"window.too-long": f"{too_long} (purpose: {STOLEN_CAR}; asked: 38d)"}
    outcome, said = _said(ct, q_window_end="2026-11-12T00:00:00Z")
    assert outcome is Outcome.DENY
    future = _text(ct, "window.future")
    assert said == {"window.future": f"{future} (purpose: {STOLEN_CAR}; asked: 9d)"}


def test_a_long_window_held_for_approval_says_the_window_asked(ct: PolicyEngine) -> None:
    outcome, said = _said(ct, q_window_start="2026-10-20T00:00:00Z")
    assert outcome is Outcome.NEEDS_APPROVAL
    held = _text(ct, "approval.long-window")
    assert said == {"approval.long-window": f"{held} (purpose: {STOLEN_CAR}; asked: 19d)"}


def test_an_invalid_window_says_only_the_rule(ct: PolicyEngine) -> None:
    # no duration to state: the window ends before it starts
    _, said = _said(ct, q_window_end="2026-11-02T00:00:00Z")
    assert said["window.invalid"] == _text(ct, "window.invalid")


def test_a_rule_matched_twice_is_said_once_and_the_rules_after_it_still_are(
    ct: PolicyEngine,
) -> None:
    # The rules of one id the compiler emits exclude each other (one search type, one window
    # per purpose), so Cedar never matches two today; the engine still says each id once, and
    # keeps going: a later rule is not dropped.
    outcome, said = _said(ct, q_window_start="2026-08-01T00:00:00Z", r_agency_state="MA")
    assert outcome is Outcome.DENY
    assert list(said) == ["window.too-long", "sharing.attestation-missing"]
    request = request_from_json(_request(q_window_start="2026-08-01T00:00:00Z"))
    facts = derive(request)
    rules = [ct.compiled.rules[a] for a in ("window.too-long#30d", "window.too-long#60d")]
    later = ct.compiled.rules["sharing.attestation-missing"]
    reasons = ct._reasons([*rules, later], facts)
    assert [r.rule for r in reasons] == ["window.too-long", "sharing.attestation-missing"]
    assert reasons[0].text == f"{rules[0].text} (purpose: {STOLEN_CAR}; asked: 99d)"
