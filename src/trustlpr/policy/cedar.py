"""Compiles a jurisdiction policy to Cedar, and validates it against the schema before use.

Each rule is one Cedar ``forbid`` with an ``@id`` (rule id, plus ``#qualifier`` when one rule
is written as several policies) and, for approval rules, ``unless { context.approval_granted }``.
One ``permit`` repeats the essentials (permitted purpose, valid case number, allowed search
type), so that a forbid that failed to apply still cannot open the door by itself.

Cedar skips a ``forbid`` that errors at run time (REFERENCE.md §5); so the text is validated
against :data:`SCHEMA` here, the engine passes the schema with every request, and any
evaluation error is a deny.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import cedarpy

from ..core.errors import PolicyError
from .model import JurisdictionPolicy, RuleEffect
from .rules import INVESTIGATIVE_ROLES, Rule, build_rules, in_set, strings

ACTION = 'TrustLPR::Action::"search"'

SCHEMA = """namespace TrustLPR {
  entity Agency = { state: String, kind: String, attestation_on_file: Bool };
  entity User in [Agency] = { role: String, agency: Agency };
  entity Dataset = { state: String, agency: String };
  type SearchContext = {
    purpose: String, offense_code: String, offense_class: String, offense_topic: String,
    case_number_present: Bool, case_number_ok: Bool, legal_basis: String,
    warrant_id_present: Bool, reason_length: Long, reason_words: Long,
    reason_flags: Set<String>, search_type: String, has_plate: Bool, pattern_known: Long,
    pattern_wildcards: Long, camera_count: Long, area_m2: Long,
    sensitive_categories: Set<String>,
    window_seconds: Long, window_valid: Bool, window_future_seconds: Long,
    protected_plate: Bool, approval_granted: Bool, same_agency: Bool,
    include_variants: Bool, owner_verified: Bool, warrant_scope_present: Bool,
    warrant_court_present: Bool, warrant_window_ok: Bool, warrant_cameras_ok: Bool,
    warrant_plate_ok: Bool, within_warrant: Bool,
  };
  action "search" appliesTo { principal: [User], resource: [Dataset], context: SearchContext };
}
"""


@dataclass(frozen=True)
class CompiledPolicy:
    """A policy's Cedar text with its parsed handles and the rule table behind its ids."""

    policy: JurisdictionPolicy
    text: str
    rules: dict[str, Rule]
    permit_text: str
    policy_set: cedarpy.PolicySet
    schema: cedarpy.Schema


def render(rules: list[Rule], policy: JurisdictionPolicy) -> tuple[str, str]:
    """The Cedar text of ``rules``, and the text of the essentials-only permit."""
    permitted = {p.value for p in policy.permitted_purposes}
    types = {t.value for t in policy.search_types}
    permit = (
        f'@id("permit")\npermit (principal, action == {ACTION}, resource)\nwhen {{\n  '
        f"{in_set(permitted, 'context.purpose')} &&\n  context.case_number_ok &&\n  "
        f"{in_set(types, 'context.search_type')} &&\n  context.window_valid &&\n  "
        f"{strings(INVESTIGATIVE_ROLES)}.contains(principal.role) &&\n  "
        'principal.agency.kind != "vendor"\n};\n'
    )
    parts = [f"// {policy.name}: {policy.title}\n// {policy.statute.citation}\n", permit]
    for rule in rules:
        unless = (
            " unless { context.approval_granted }" if rule.effect is RuleEffect.APPROVAL else ""
        )
        parts.append(
            f"// {rule.text}\n@id({json.dumps(rule.annotation)})\n"
            f"forbid (principal, action == {ACTION}, resource)\n"
            f"when {{ {rule.condition} }}{unless};\n"
        )
    return "\n".join(parts), permit


_SCHEMA_HANDLE = cedarpy.Schema.from_str(SCHEMA)


def compile_policy(policy: JurisdictionPolicy) -> CompiledPolicy:
    """Compiles and validates ``policy``; raises ``PolicyError`` naming the file and rule."""
    where = str(policy.source or policy.name)
    rules = build_rules(policy)
    table: dict[str, Rule] = {}
    for rule in rules:
        if rule.annotation in table:
            raise PolicyError(f"{where}: rule id {rule.annotation!r} is defined twice")
        table[rule.annotation] = rule
    for rule in rules:
        if rule.id.startswith("local."):
            _check_single_forbid(where, rule)
    text, permit = render(rules, policy)
    result = cedarpy.validate_policies(text, _SCHEMA_HANDLE)
    if not result.validation_passed:
        names = result.id_annotations_by_policy_id
        problems = "; ".join(
            f"rule {names.get(e.policy_id, e.policy_id)!r}: {e.error}" for e in result.errors[:5]
        )
        raise PolicyError(f"{where}: the compiled Cedar fails schema validation: {problems}")
    try:
        policy_set = cedarpy.PolicySet.from_str(text)
    except ValueError as exc:
        raise PolicyError(f"{where}: the compiled Cedar does not parse: {exc}") from exc
    return CompiledPolicy(policy, text, table, permit, policy_set, _SCHEMA_HANDLE)


def _check_single_forbid(where: str, rule: Rule) -> None:
    """A local rule's condition must stay one forbid: no smuggled ``permit`` or extra policy."""
    fragment = f"forbid (principal, action == {ACTION}, resource) when {{ {rule.condition} }};"
    try:
        parsed = json.loads(cedarpy.policies_to_json_str(fragment))
    except ValueError as exc:
        raise PolicyError(
            f"{where}: key 'rules.{rule.id[6:]}.when': not a Cedar condition: {exc}"
        ) from exc
    policies = parsed.get("staticPolicies", {})
    if (
        parsed.get("templates")
        or len(policies) != 1
        or any(p.get("effect") != "forbid" for p in policies.values())
    ):
        raise PolicyError(
            f"{where}: key 'rules.{rule.id[6:]}.when' must be one condition, not several policies"
        )
