"""The rules of a jurisdiction policy, each a Cedar condition with a plain-language text.

``build_rules`` turns a :class:`JurisdictionPolicy` into an ordered list of :class:`Rule`:
deny rules first (role, purpose, offense, case number, reason screening, search type, legal
basis, window, sharing), then the approval rules. The order is the order reasons are given in.
Conditions only read the context, principal and resource declared in :data:`.cedar.SCHEMA`.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import timedelta

from ..core.clock import format_duration
from ..core.search import SearchType
from .model import Access, JurisdictionPolicy, RuleEffect, WarrantStep
from .screening import TOPIC_FLAGS

FUTURE_SLACK_SECONDS = 3600
OWNER_REQUEST = "owner_request"
INVESTIGATIVE_ROLES = ("officer", "supervisor")

_IN_STATE = "(principal.agency.state == resource.state)"
_OUTSIDE_FED = (
    '(principal.agency.kind == "federal" || '
    'context.reason_flags.containsAny(["reason.federal", "reason.on-behalf"]))'
)


@dataclass(frozen=True, slots=True)
class Rule:
    """One compiled rule: its stable id, what it does, and its plain-language text."""

    id: str
    effect: RuleEffect
    text: str
    condition: str
    qualifier: str = ""

    @property
    def annotation(self) -> str:
        return f"{self.id}#{self.qualifier}" if self.qualifier else self.id


def strings(values: Iterable[str]) -> str:
    return json.dumps(sorted(values))


def in_set(values: Collection[str], expr: str) -> str:
    return f"{strings(values)}.contains({expr})" if values else "false"


def _a(word: str) -> str:
    return f"an {word}" if word[:1] in "aeiou" else f"a {word}"


def _dur(value: timedelta) -> str:
    return format_duration(value)


def build_rules(policy: JurisdictionPolicy) -> list[Rule]:
    """Every rule of ``policy`` in evaluation-independent order (deny rules, then approvals)."""
    law = policy.label
    permitted = {p.value for p in policy.permitted_purposes}
    prohibited = {p.value for p in policy.prohibited_purposes}
    types = {t.value for t in policy.search_types}
    deny, hold = RuleEffect.DENY, RuleEffect.APPROVAL
    rules = [
        Rule(
            "role.not-investigative",
            deny,
            "only officers and supervisors search; auditors and administrators review and manage",
            f"!{strings(INVESTIGATIVE_ROLES)}.contains(principal.role)",
        ),
        Rule(
            "sharing.vendor",
            deny,
            "vendors never search police ALPR data",
            'principal.agency.kind == "vendor"',
        ),
        Rule(
            "purpose.prohibited",
            deny,
            f"the declared purpose is prohibited under {law}",
            in_set(prohibited, "context.purpose"),
        ),
        Rule(
            "purpose.not-permitted",
            deny,
            f"the declared purpose is not among those permitted under {law} "
            f"({', '.join(sorted(permitted)) or 'none'})",
            f"!{in_set(permitted, 'context.purpose')} && !{in_set(prohibited, 'context.purpose')}",
        ),
        Rule(
            "offense.prohibited-topic",
            deny,
            f"the offense code serves a purpose that is not permitted under {law}",
            f'context.offense_topic != "" && !{in_set(permitted, "context.offense_topic")}',
        ),
        Rule(
            "offense.missing",
            deny,
            "this purpose needs an offense code from the list",
            f"{in_set({p.value for p in policy.offense_required}, 'context.purpose')} && "
            'context.offense_code == ""',
        ),
        Rule(
            "offense.unknown",
            deny,
            "the offense is neither a TrustLPR offense code, a NIBRS offense code or name, nor a "
            "known statute name",
            'context.offense_class == "unknown"',
        ),
        Rule(
            "offense.mismatch",
            deny,
            "the offense code does not fit the declared purpose",
            '!["none", "unknown"].contains(context.offense_class) && ('
            '(context.purpose == "violent_felony" && context.offense_class != "violent_felony")'
            ' || (context.purpose == "felony_investigation" && '
            '!["felony", "violent_felony"].contains(context.offense_class))'
            ' || (context.purpose == "misdemeanor_investigation" && '
            '!["misdemeanor", "felony", "violent_felony"].contains(context.offense_class)))',
        ),
        Rule(
            "case-number.missing",
            deny,
            "every search needs a case number",
            "!context.case_number_present",
        ),
        Rule(
            "case-number.invalid",
            deny,
            "the case number is a placeholder or malformed (3-40 characters, two or more "
            "different digits)",
            "context.case_number_present && !context.case_number_ok",
        ),
    ]
    for flag, purpose in TOPIC_FLAGS.items():
        if purpose.value not in permitted:
            rules.append(
                Rule(
                    flag,
                    deny,
                    f"{purpose.value} is not a permitted purpose under {law}",
                    f'context.reason_flags.contains("{flag}")',
                )
            )
    rules += [
        Rule(
            "reason.vague",
            deny,
            "a vague reason is not a reason",
            'context.reason_flags.contains("reason.vague")',
        ),
        Rule(
            "reason.too-short",
            deny,
            f"the reason must have at least {policy.min_reason_length} characters",
            f"context.reason_length > 0 && context.reason_length < {policy.min_reason_length}",
        ),
        Rule(
            "reason.too-few-words",
            deny,
            f"the reason must have at least {policy.min_reason_words} specific words",
            f"context.reason_words > 0 && context.reason_words < {policy.min_reason_words}",
        ),
        Rule(
            "search-type.not-allowed",
            deny,
            f"this search type is not allowed under {law} (allowed: "
            f"{', '.join(sorted(types)) or 'none'})",
            f"!{in_set(types, 'context.search_type')}",
        ),
        Rule(
            "legal-basis.warrant-id",
            deny,
            "a warrant or court order must be identified by its number",
            '["warrant", "court_order"].contains(context.legal_basis) && '
            "!context.warrant_id_present",
        ),
        Rule(
            "query.plate-missing",
            deny,
            "exact and convoy searches need a full plate",
            '["exact", "convoy"].contains(context.search_type) && !context.has_plate',
        ),
        Rule(
            "window.invalid", deny, "the time window ends before it starts", "!context.window_valid"
        ),
        Rule(
            "window.future",
            deny,
            "searches look back; live tracking of a plate goes through a hot-list entry",
            f"context.window_future_seconds > {FUTURE_SLACK_SECONDS}",
        ),
    ]
    rules += _owner_request_rules(policy)
    rules += _warrant_scope_rules()
    # Limits for warrantless searches: with [warrants] scope_governs, a request inside its
    # warrant's scope is measured against the scope instead (its conditions are collected for
    # the approval step the policy names).
    lifted: list[str] = []

    def warrantless(condition: str) -> str:
        if not policy.warrants.scope_governs:
            return condition
        lifted.append(condition)
        return f"({condition}) && !context.within_warrant"

    for stype, spec in policy.search_types.items():
        t = stype.value
        rules.append(
            Rule(
                "legal-basis.insufficient",
                deny,
                f"{_a(t)} search needs a legal basis of: {', '.join(sorted(spec.legal_basis))}",
                f'context.search_type == "{t}" && '
                f"!{in_set({b.value for b in spec.legal_basis}, 'context.legal_basis')}",
                t,
            )
        )
        if spec.max_window is not None:
            rules.append(
                Rule(
                    "window.search-type",
                    deny,
                    f"{_a(t)} search may cover at most {_dur(spec.max_window)}",
                    warrantless(
                        f'context.search_type == "{t}" && '
                        f"context.window_seconds > {int(spec.max_window.total_seconds())}"
                    ),
                    t,
                )
            )
        if spec.require_cameras or spec.max_cameras is not None:
            limit = f" (at most {spec.max_cameras})" if spec.max_cameras is not None else ""
            cond = "(context.camera_count < 0 && context.area_m2 < 0)"
            if spec.max_cameras is not None:
                over = f'context.search_type == "{t}" && context.camera_count > {spec.max_cameras}'
                cond += f" || ({warrantless(over)})"
            rules.append(
                Rule(
                    "scope.cameras",
                    deny,
                    f"{_a(t)} search must name its cameras{limit} or its area; all-camera "
                    "sweeps are refused",
                    f'context.search_type == "{t}" && ({cond})',
                    t,
                )
            )
        if spec.max_area_km2 is not None:
            over = (
                f'context.search_type == "{t}" && context.area_m2 > {spec.max_area_km2 * 1_000_000}'
            )
            rules.append(
                Rule(
                    "scope.area",
                    deny,
                    f"{_a(t)} search may cover an area of at most {spec.max_area_km2} km²",
                    warrantless(over),
                    t,
                )
            )
        elif spec.require_cameras or spec.max_cameras is not None:
            rules.append(
                Rule(
                    "scope.area",
                    deny,
                    f"{_a(t)} search must name its cameras: this policy sets no area limit for it",
                    f'context.search_type == "{t}" && context.area_m2 >= 0',
                    t,
                )
            )
        if spec.purposes is not None:
            rules.append(
                Rule(
                    "purpose.search-type",
                    deny,
                    f"{_a(t)} search may serve only: "
                    f"{', '.join(sorted(p.value for p in spec.purposes))}",
                    f'context.search_type == "{t}" && '
                    f"!{in_set({p.value for p in spec.purposes}, 'context.purpose')}",
                    t,
                )
            )
        if spec.approval_without_warrant:
            rules.append(
                Rule(
                    "approval.search-type",
                    hold,
                    f"{_a(t)} search without a warrant or court order needs a supervisor's "
                    "approval",
                    f'context.search_type == "{t}" && '
                    '!["warrant", "court_order"].contains(context.legal_basis)',
                    t,
                )
            )
        if stype is SearchType.PARTIAL:
            rules.append(
                Rule(
                    "query.pattern-too-broad",
                    deny,
                    f"a partial plate needs at least {spec.min_known_characters} known characters",
                    'context.search_type == "partial" && '
                    f"context.pattern_known < {spec.min_known_characters}",
                )
            )
    by_window: dict[timedelta, set[str]] = {}
    for purpose, window in policy.max_window.items():
        by_window.setdefault(window, set()).add(purpose.value)
    for window, purposes in sorted(by_window.items()):
        rules.append(
            Rule(
                "window.too-long",
                deny,
                f"a search for this purpose may cover at most {_dur(window)} under {law}",
                warrantless(
                    f"{in_set(purposes, 'context.purpose')} && "
                    f"context.window_seconds > {int(window.total_seconds())}"
                ),
                _dur(window),
            )
        )
    rules += _sharing_rules(policy)
    approvals = policy.approvals
    if approvals.window_over is not None:
        rules.append(
            Rule(
                "approval.long-window",
                hold,
                f"a window over {_dur(approvals.window_over)} needs a supervisor's approval",
                warrantless(
                    f"context.window_seconds > {int(approvals.window_over.total_seconds())}"
                ),
            )
        )
    if lifted and policy.warrants.approval is WarrantStep.SUPERVISOR:
        rules.append(
            Rule(
                "approval.warrant-scope",
                hold,
                "the warrant's scope lifts a limit set for warrantless searches; a supervisor "
                "must confirm the order covers this search",
                f"context.within_warrant && ({' || '.join(f'({c})' for c in lifted)})",
            )
        )
    if approvals.partial_plate:
        rules.append(
            Rule(
                "approval.partial-plate",
                hold,
                "a partial-plate search needs a supervisor's approval",
                'context.search_type == "partial"',
            )
        )
    if approvals.protected_plate:
        rules.append(
            Rule(
                "approval.protected-plate",
                hold,
                "this plate is protected (address confidentiality or survivor); a "
                "supervisor must approve",
                "context.protected_plate",
            )
        )
    if approvals.convoy:
        rules.append(
            Rule(
                "approval.convoy",
                hold,
                "a convoy search needs a supervisor's approval",
                'context.search_type == "convoy"',
            )
        )
    sensitive = policy.sensitive_locations
    if sensitive.categories:
        rules.append(
            Rule(
                "sensitive.location",
                sensitive.searches,
                # the engine names the places the search reaches (engine._explain)
                "the search covers cameras at sensitive places",
                f"context.sensitive_categories.containsAny({strings(sensitive.categories)})",
            )
        )
    rules += [Rule(f"local.{r.id}", r.effect, r.text, r.when) for r in policy.extra_rules]
    return rules


def _warrant_scope_rules() -> list[Rule]:
    """A stated warrant scope binds: it needs a judicial legal basis and a court, and the
    search must stay inside its window, its cameras and its plates."""
    stated = "context.warrant_scope_present"
    deny = RuleEffect.DENY
    return [
        Rule(
            "warrant.basis",
            deny,
            "a warrant's scope is stated only with a legal basis of warrant or court order",
            f'{stated} && !["warrant", "court_order"].contains(context.legal_basis)',
        ),
        Rule(
            "warrant.court-missing",
            deny,
            "a warrant or court order must name the court that issued it",
            f"{stated} && !context.warrant_court_present",
        ),
        Rule(
            "warrant.outside-window",
            deny,
            "the search window goes beyond the time the warrant authorises",
            f"{stated} && !context.warrant_window_ok",
        ),
        Rule(
            "warrant.outside-area",
            deny,
            "the search covers cameras outside the area the warrant authorises (it must name "
            "cameras among the warrant's)",
            f"{stated} && !context.warrant_cameras_ok",
        ),
        Rule(
            "warrant.outside-plate",
            deny,
            "the search is not for a plate the warrant names",
            f"{stated} && !context.warrant_plate_ok",
        ),
    ]


def _owner_request_rules(policy: JurisdictionPolicy) -> list[Rule]:
    """A resident's request for their own vehicle's reads: only through its procedure (proof
    of registration verified, a second person's approval), and never wider than the one plate
    over the retention window. Whether it is permitted at all is the purpose list's say."""
    kept = policy.retention_nonhit
    limit = int(kept.total_seconds()) + FUTURE_SLACK_SECONDS
    mine = f'context.purpose == "{OWNER_REQUEST}"'
    return [
        Rule(
            "owner-request.unverified",
            RuleEffect.DENY,
            "an own-vehicle request runs only through its procedure: proof of registration "
            "checked by one staff member and the request approved by a second",
            f"{mine} && !context.owner_verified",
        ),
        Rule(
            "owner-request.scope",
            RuleEffect.DENY,
            "an own-vehicle request is an exact search of the registered plate, without "
            f"variants or named cameras, over at most the retention window ({_dur(kept)})",
            f'{mine} && (context.search_type != "exact" || !context.has_plate || '
            f"context.include_variants || context.camera_count >= 0 || context.area_m2 >= 0 || "
            f"context.window_seconds > {limit})",
        ),
    ]


def _sharing_rules(policy: JurisdictionPolicy) -> list[Rule]:
    law, sharing = policy.label, policy.sharing
    offenses = ", ".join(sorted(sharing.warrant_offenses)) or "none listed"
    warrant_ok = (
        '(context.legal_basis == "warrant" && context.warrant_id_present && '
        f"{in_set(set(sharing.warrant_offenses), 'context.offense_code')})"
    )
    any_state = "*" in sharing.attestation_states
    att_state = (
        "true" if any_state else in_set(set(sharing.attestation_states), "principal.agency.state")
    )
    local = f'!{_IN_STATE} && !{_OUTSIDE_FED} && principal.agency.kind != "vendor"'

    def gate(access: Access) -> str:
        return "true" if access is Access.NEVER else f"!{warrant_ok}"

    def says(access: Access, who: str) -> str:
        if access is Access.NEVER:
            return f"{who} may not search this data under {law}"
        return f"{who} need a judicial warrant for a listed serious felony ({offenses}) under {law}"

    rules: list[Rule] = []
    if sharing.in_state is not Access.ALLOW:
        rules.append(
            Rule(
                "sharing.in-state",
                RuleEffect.DENY,
                says(sharing.in_state, "other agencies of the state"),
                f"{_IN_STATE} && !context.same_agency && !{_OUTSIDE_FED} && "
                f"{gate(sharing.in_state)}",
            )
        )
    if sharing.attestation_states:
        rules.append(
            Rule(
                "sharing.attestation-missing",
                RuleEffect.DENY,
                "out-of-state police need a written attestation on file (no immigration "
                "enforcement, no investigation of reproductive or gender-affirming care)",
                f"{local} && {att_state} && !principal.agency.attestation_on_file",
            )
        )
    if not any_state:
        rules.append(
            Rule(
                "sharing.out-of-state",
                RuleEffect.DENY,
                says(sharing.out_of_state, "police of other states"),
                f"{local} && !{att_state} && {gate(sharing.out_of_state)}",
            )
        )
    rules.append(
        Rule(
            "sharing.federal",
            RuleEffect.DENY,
            says(sharing.federal, "federal agencies, and searches made on behalf of one,"),
            f'{_OUTSIDE_FED} && principal.agency.kind != "vendor" && {gate(sharing.federal)}',
        )
    )
    return rules
