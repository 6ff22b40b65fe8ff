"""The engine: reasoned decisions, approvals, owner-side sharing, and failing closed."""

from __future__ import annotations

import copy
import dataclasses
from typing import Any

import cedarpy
import pytest

from trustlpr.core.errors import ConfigError
from trustlpr.core.search import Outcome
from trustlpr.policy import PolicyEngine, load_policy, request_from_json
from trustlpr.policy.loader import parse_policy

from .corpus import base_request
from .test_loader import _data


def _request(state: str = "CT", **change: Any) -> dict[str, Any]:
    request = base_request(state)
    request["id"] = "t1"
    for key, value in change.items():
        if key.startswith("r_"):
            request["requester"][key[2:]] = value
        elif key.startswith("q_"):
            request["query"][key[2:]] = value
        else:
            request[key] = value
    return request


@pytest.fixture(scope="module")
def ct() -> PolicyEngine:
    return PolicyEngine("ct-pa-26-14")


def test_issue_example_is_allowed_with_a_reason(ct: PolicyEngine) -> None:
    decision = ct.decide(request_from_json(_request()))
    assert decision.outcome is Outcome.ALLOW and decision.allowed
    assert decision.policy == "ct-pa-26-14" == ct.name
    assert decision.reasons[0].rule == "permit" and "Conn. PA 26-14" in decision.reasons[0].text


def test_declared_allowed_purpose_with_prohibited_reason_is_denied(ct: PolicyEngine) -> None:
    decision = ct.decide_json(_request(reason="stolen car, ICE wants the driver located"))
    assert decision.outcome is Outcome.DENY
    assert decision.reasons[0].rule == "reason.immigration"
    assert "immigration_enforcement is not a permitted purpose" in decision.reasons[0].text


def test_approval_turns_a_hold_into_an_allow_but_never_a_deny(ct: PolicyEngine) -> None:
    held = request_from_json(_request(protected_plate=True))
    assert ct.decide(held).outcome is Outcome.NEEDS_APPROVAL
    assert ct.decide(held, approved=True).outcome is Outcome.ALLOW
    denied = request_from_json(_request(protected_plate=True, reason="investigation"))
    assert ct.decide(denied, approved=True).outcome is Outcome.DENY


def test_deny_reasons_take_precedence_and_are_all_listed(ct: PolicyEngine) -> None:
    decision = ct.decide_json(
        _request(case_number=None, reason="inv", protected_plate=True, purpose="parking")
    )
    rules = [r.rule for r in decision.reasons]
    assert decision.outcome is Outcome.DENY
    assert {"purpose.not-permitted", "case-number.missing", "reason.vague"} <= set(rules)
    assert "approval.protected-plate" not in rules
    assert len(rules) == len(set(rules))


def test_decide_many_equals_decide(ct: PolicyEngine) -> None:
    variants = [
        _request(),
        _request(protected_plate=True),
        _request(r_agency_state="MA", r_attestation_on_file=True),
        _request(r_agency_state="MA"),
        _request(reason="per agent"),
    ]
    requests = [request_from_json(v) for v in variants]
    assert ct.decide_many(requests) == [ct.decide(r) for r in requests]
    assert ct.decide_many([]) == []


def test_strict_default_needs_an_owner_state() -> None:
    with pytest.raises(ConfigError, match="owner"):
        PolicyEngine("strict-default")
    assert PolicyEngine("strict-default", owner_state="vt").owner_state == "VT"


def test_owner_is_the_policy_jurisdiction() -> None:
    request = _request(state="CT")
    assert PolicyEngine("ct-pa-26-14").decide_json(request).allowed
    decision = PolicyEngine("va-2-2-5517").decide_json(request)
    assert [r.rule for r in decision.reasons] == ["sharing.out-of-state"]


def test_in_state_sharing_rule_uses_the_owner_agency() -> None:
    data = _data("ct-pa-26-14")
    data["sharing"]["in_state"] = "never"
    policy = parse_policy(data, "in-state-never")
    engine = PolicyEngine(policy, owner_agency_id="hartford-pd")
    own = _request(r_agency_id="hartford-pd")
    other = _request(r_agency_id="new-haven-pd")
    assert engine.decide_json(own).allowed
    assert [r.rule for r in engine.decide_json(other).reasons] == ["sharing.in-state"]
    # A request cannot name itself the owner to slip past the in-state rule.
    claimed = _request(r_agency_id="new-haven-pd", owner_agency_id="new-haven-pd")
    assert [r.rule for r in engine.decide_json(claimed).reasons] == ["sharing.in-state"]


def test_sensitive_cameras() -> None:
    cameras = {"cam-clinic": "reproductive_health_clinic", "cam-main": "school"}
    area = dict(
        q_type="area",
        q_plate=None,
        legal_basis="warrant",
        warrant_id="SW-1",
        purpose="violent_felony",
        offense_code="homicide",
        reason="homicide on Elm St, vehicles passing within the hour",
        q_window_start="2026-11-08T01:00:00Z",
        q_window_end="2026-11-08T02:00:00Z",
    )
    ct = PolicyEngine("ct-pa-26-14", camera_categories=cameras)
    assert ct.decide_json(_request(**area, q_cameras=["cam-9"])).allowed
    held = ct.decide_json(_request(**area, q_cameras=["cam-9", "cam-clinic"]))
    assert held.outcome is Outcome.NEEDS_APPROVAL
    assert held.reasons[0].rule == "sensitive.location"
    # the places this search reaches, not every category the policy protects
    assert held.reasons[0].text.endswith("sensitive places (reproductive_health_clinic)")
    strict = PolicyEngine("strict-default", owner_state="CT", camera_categories=cameras)
    assert strict.decide_json(_request(**area, q_cameras=["cam-main"])).outcome is Outcome.DENY


def test_an_evaluation_error_is_a_deny(ct: PolicyEngine) -> None:
    """A forbid that errors is skipped by Cedar; the engine must deny instead of allowing."""
    broken_text = ct.compiled.permit_text + (
        '@id("typo")\nforbid (principal, action, resource) when { context.purpse == "x" };\n'
    )
    broken = dataclasses.replace(ct.compiled, policy_set=cedarpy.PolicySet.from_str(broken_text))
    engine = copy.copy(ct)
    engine.compiled = broken
    decision = engine.decide_json(_request())
    assert decision.outcome is Outcome.DENY
    assert decision.reasons[0].rule == "engine.error"


def test_a_malformed_context_is_a_deny(ct: PolicyEngine, monkeypatch: pytest.MonkeyPatch) -> None:
    from trustlpr.policy import engine as engine_module

    real = engine_module.derive

    def wrong_types(*args: Any, **kwargs: Any) -> Any:
        facts = real(*args, **kwargs)
        facts.context["window_seconds"] = "a week"
        return facts

    monkeypatch.setattr(engine_module, "derive", wrong_types)
    decision = ct.decide_json(_request())
    assert decision.outcome is Outcome.DENY and decision.reasons[0].rule == "engine.error"


def test_allow_is_rechecked_against_the_essentials(ct: PolicyEngine) -> None:
    """With every forbid gone, the permit and the Python invariants still refuse."""
    permit_only = dataclasses.replace(
        ct.compiled, policy_set=cedarpy.PolicySet.from_str(ct.compiled.permit_text)
    )
    engine = copy.copy(ct)
    engine.compiled = permit_only
    assert engine.decide_json(_request()).allowed
    vague = engine.decide_json(_request(reason="investigation"))
    assert vague.outcome is Outcome.DENY and vague.reasons[0].rule == "engine.invariant"
    no_case = engine.decide_json(_request(case_number="n/a"))
    assert no_case.outcome is Outcome.DENY  # the permit itself needs a valid case number
    assert no_case.reasons[0].rule == "permit.none"


def test_every_shipped_policy_validates_against_the_schema() -> None:
    from trustlpr.policy import list_policies
    from trustlpr.policy.cedar import SCHEMA, compile_policy

    for name in list_policies():
        compiled = compile_policy(load_policy(name))
        assert all(rule.text and rule.id for rule in compiled.rules.values())
        assert compiled.text.count("forbid (") == len(compiled.rules)
        assert cedarpy.validate_policies(compiled.text, SCHEMA).validation_passed, name


def test_a_request_built_wrongly_in_code_is_a_deny(ct: PolicyEngine) -> None:
    good = request_from_json(_request())
    naive = dataclasses.replace(good, now=good.now.replace(tzinfo=None))
    decisions = ct.decide_many([naive, good])
    assert decisions[0].outcome is Outcome.DENY
    assert decisions[0].reasons[0].rule == "request.invalid"
    assert decisions[1].allowed


PERMIT_ALL = "permit (principal, action, resource);"

# Each request breaks exactly one essential of an allow; with a policy set that permits
# everything, only the engine's own re-check stands between it and the data.
ONE_BREACH = {
    "purpose not permitted": {"purpose": "parking"},
    "no valid case number": {"case_number": "n/a"},
    "search type not allowed": {"q_type": "convoy", "legal_basis": "warrant", "warrant_id": "W-9"},
    "legal basis insufficient": {
        "q_type": "area", "q_plate": None, "q_cameras": ["cam-1"], "legal_basis": "none",
    },
    "warrant or order without its number": {"legal_basis": "warrant", "warrant_id": None},
    "the reason points to a purpose that is not permitted": {
        "reason": "stolen Honda, ICE wants the driver located",
    },
    "the reason is vague": {"reason": "investigation"},
    "role may not search": {"r_role": "auditor"},
    "vendors never search": {"r_agency_type": "vendor"},
    "invalid window": {
        "q_window_start": "2026-11-09T00:00:00Z", "q_window_end": "2026-11-08T00:00:00Z",
    },
}  # fmt: skip


def test_each_line_of_the_recheck_of_an_allow_denies_on_its_own() -> None:
    """Issue 24: deleting any line of ``_invariant_breach`` must fail this test."""
    data = _data("ct-pa-26-14")
    del data["search_types"]["convoy"]
    engine = PolicyEngine(parse_policy(data, "ct-no-convoy"))
    engine.compiled = dataclasses.replace(
        engine.compiled, policy_set=cedarpy.PolicySet.from_str(PERMIT_ALL)
    )
    assert engine.decide_json(_request()).allowed
    for what, change in ONE_BREACH.items():
        decision = engine.decide_json(_request(**change))
        assert decision.outcome is Outcome.DENY, what
        assert [r.rule for r in decision.reasons] == ["engine.invariant"], what
        assert f"({what})" in decision.reasons[0].text, (what, decision.reasons[0].text)


def test_protected_cameras_are_those_at_places_the_policy_protects() -> None:
    cameras = {"cam-clinic": "reproductive_health_clinic", "cam-food": "food_bank", "cam-9": ""}
    engine = PolicyEngine("ct-pa-26-14", camera_categories=cameras)
    assert "food_bank" not in engine.policy.sensitive_locations.categories
    assert engine.protected_cameras() == {"cam-clinic": "reproductive_health_clinic"}
    assert PolicyEngine("ct-pa-26-14").protected_cameras() == {}


def test_without_an_owner_agency_the_request_keeps_its_own() -> None:
    data = _data("ct-pa-26-14")
    data["sharing"]["in_state"] = "never"
    engine = PolicyEngine(parse_policy(data, "in-state-never"))
    assert engine.decide_json(_request(r_agency_id="hartford-pd")).allowed


def test_decide_json_passes_the_approval_on(ct: PolicyEngine) -> None:
    held = _request(protected_plate=True)
    assert ct.decide_json(held).outcome is Outcome.NEEDS_APPROVAL
    assert ct.decide_json(held, approved=True).outcome is Outcome.ALLOW
    bad = ct.decide_json({"id": "x"})
    assert bad.outcome is Outcome.DENY and bad.reasons[0].rule == "request.invalid"
    assert bad.reasons[0].text


def test_reason_refusals_are_the_topics_the_policy_does_not_permit(ct: PolicyEngine) -> None:
    refused = ct.reason_refusals("ICE wants the driver located after the protest")
    assert [r.rule for r in refused] == ["reason.immigration", "reason.protest"]
    assert refused[0].text.startswith('the reason points to immigration enforcement ("ICE"); ')
    assert refused[0].text.endswith(ct.compiled.rules["reason.immigration"].text)
    assert ct.reason_refusals("stolen silver sedan seen leaving the burglary on Elm St") == []
