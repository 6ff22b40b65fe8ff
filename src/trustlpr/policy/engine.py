"""The policy engine: one request in, one reasoned decision out, judged by the data owner's law.

``PolicyEngine(policy).decide(request)`` derives the request's facts, asks Cedar, and turns
the rules that matched into plain-language reasons. It fails closed three times over: Cedar
is called with the schema (a malformed context is an error, not a skipped rule); any error in
Cedar's diagnostics is a deny; and an ``allow`` is re-checked against the essentials in
Python, so a compiler bug cannot open the door on its own.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from dataclasses import replace
from datetime import timedelta
from typing import Any

import cedarpy

from ..core.area import Area
from ..core.clock import format_duration
from ..core.errors import ConfigError, InputError
from ..core.identity import AgencyType
from ..core.search import (
    Decision,
    LegalBasis,
    Outcome,
    Purpose,
    Reason,
    Requester,
    SearchRequest,
    SearchType,
)
from .cedar import CompiledPolicy, compile_policy
from .facts import Facts, derive
from .loader import load_policy
from .model import JurisdictionPolicy, RuleEffect
from .offenses import nearest_offenses
from .rules import INVESTIGATIVE_ROLES, Rule
from .screening import OUTSIDE_FLAGS, TOPIC_FLAGS, VAGUE_FLAG, screen

_ACTION = {"type": "TrustLPR::Action", "id": "search"}
ENTITY_CACHE_SIZE = 4096


class PolicyEngine:
    """Decides search requests under one jurisdiction's policy (the owner of the data).

    ``owner_state`` defaults to the policy's jurisdiction; the strict default has none, so the
    operator's state must be given. ``camera_categories`` maps camera ids to sensitive-location
    categories (from the camera registry) for the ``sensitive.location`` rule;
    ``area_categories`` gives the categories of the sensitive places inside a searched area
    (the places layer) and of the marked cameras there.
    """

    def __init__(
        self,
        policy: JurisdictionPolicy | str,
        *,
        owner_state: str | None = None,
        owner_agency_id: str = "",
        camera_categories: Mapping[str, str] | None = None,
        area_categories: Callable[[Area], AbstractSet[str]] | None = None,
    ) -> None:
        self.policy = load_policy(policy) if isinstance(policy, str) else policy
        self.compiled: CompiledPolicy = compile_policy(self.policy)
        state = (owner_state or self.policy.jurisdiction).upper()
        if not state:
            raise ConfigError(
                f"policy {self.policy.name!r} names no jurisdiction; give the owner's state "
                "(settings.agency_state or --owner-state)"
            )
        self.owner_state = state
        self.owner_agency_id = owner_agency_id
        # kept by reference: the node passes a live view of the camera registry's marks
        self.camera_categories: Mapping[str, str] = (
            camera_categories if camera_categories is not None else {}
        )
        self.area_categories = area_categories
        self._resource = {"type": "TrustLPR::Dataset", "id": f"{state}/{owner_agency_id}"}
        self._entity_cache: dict[Requester, tuple[cedarpy.Entities, dict[str, str]]] = {}
        self._dataset = {
            "uid": self._resource,
            "attrs": {"state": state, "agency": owner_agency_id},
            "parents": [],
        }

    @property
    def name(self) -> str:
        """The name of the policy in force (what ``Decision.policy`` carries)."""
        return self.policy.name

    def protected_cameras(self) -> dict[str, str]:
        """Cameras at places this policy protects (camera id → category), as marked now. A
        search that names no cameras reaches every camera but these (``trustlpr.search``)."""
        protected = self.policy.sensitive_locations.categories
        return {c: cat for c, cat in self.camera_categories.items() if cat in protected}

    def __repr__(self) -> str:
        return f"PolicyEngine(policy={self.policy.name!r}, owner_state={self.owner_state!r})"

    def decide(self, request: SearchRequest, *, approved: bool = False) -> Decision:
        """The decision on ``request``; ``approved`` says a supervisor has approved it."""
        return self.decide_many([request], approved=approved)[0]

    def decide_many(
        self, requests: Sequence[SearchRequest], *, approved: bool = False
    ) -> list[Decision]:
        """Decisions for many requests, one Cedar batch call per requester (same as ``decide``)."""
        decisions: list[Decision | None] = [None] * len(requests)
        facts: list[Facts] = []
        groups: dict[Requester, list[int]] = {}
        for index, request in enumerate(requests):
            try:
                facts.append(self._facts(request, approved))
            except (TypeError, ValueError, OverflowError, AttributeError) as exc:
                # e.g. a naive datetime from code that skipped request_from_json
                text = f"the request could not be read ({type(exc).__name__}); denied"
                decisions[index] = self._decision(Outcome.DENY, [Reason("request.invalid", text)])
                facts.append(Facts({}, {}))
                continue
            groups.setdefault(request.requester, []).append(index)
        for requester, indexes in groups.items():
            try:
                entities, principal = self._entities(requester)
                batch = [
                    {
                        "principal": principal,
                        "action": _ACTION,
                        "resource": self._resource,
                        "context": facts[i].context,
                    }
                    for i in indexes
                ]
                results = cedarpy.is_authorized_batch(
                    batch, self.compiled.policy_set, entities, schema=self.compiled.schema
                )
            except (ValueError, TypeError, KeyError) as exc:
                # A request Cedar cannot even read is denied, never retried with looser checks.
                text = f"the policy engine could not read the request ({type(exc).__name__})"
                for i in indexes:
                    decisions[i] = self._decision(
                        Outcome.DENY, [Reason("engine.error", f"{text}; denied")]
                    )
                continue
            for i, result in zip(indexes, results, strict=True):
                decisions[i] = self._interpret(requests[i], facts[i], result)
        missing = Reason("engine.error", "no decision was reached; denied")
        return [d or self._decision(Outcome.DENY, [missing]) for d in decisions]

    def _entities(self, requester: Requester) -> tuple[cedarpy.Entities, dict[str, str]]:
        """The parsed (and schema-checked) entity set of one requester, cached: users repeat."""
        cached = self._entity_cache.get(requester)
        if cached is None:
            principal, agency = _principal_entities(requester)
            entities = cedarpy.Entities.from_json_str(
                json.dumps([self._dataset, principal, agency]), schema=self.compiled.schema
            )
            if len(self._entity_cache) >= ENTITY_CACHE_SIZE:
                self._entity_cache.clear()
            cached = self._entity_cache[requester] = (entities, principal["uid"])
        return cached

    def _facts(self, request: SearchRequest, approved: bool) -> Facts:
        # The engine knows whose data it guards; a request cannot name a different owner.
        if self.owner_agency_id and request.owner_agency_id != self.owner_agency_id:
            request = replace(request, owner_agency_id=self.owner_agency_id)
        return derive(
            request,
            camera_categories=self.camera_categories,
            area_categories=self.area_categories,
            approval_granted=approved,
        )

    def _decision(self, outcome: Outcome, reasons: list[Reason]) -> Decision:
        return Decision(outcome, tuple(reasons), self.policy.name)

    def _interpret(
        self, request: SearchRequest, facts: Facts, result: cedarpy.AuthzResult
    ) -> Decision:
        errors = result.diagnostics.errors
        if errors or result.decision is cedarpy.Decision.NoDecision:
            detail = str(errors[0])[:200] if errors else "no decision"
            return self._decision(
                Outcome.DENY,
                [Reason("engine.error", f"the policy could not be evaluated ({detail}); denied")],
            )
        if result.decision is cedarpy.Decision.Allow:
            broken = self._invariant_breach(request, facts)
            if broken:
                return self._decision(Outcome.DENY, [Reason("engine.invariant", broken)])
            text = (
                f"{request.purpose.value} is a permitted purpose under {self.policy.label}; "
                f"all {len(self.compiled.rules)} rules passed"
            )
            return self._decision(Outcome.ALLOW, [Reason("permit", text)])
        names = result.diagnostics.id_annotations_by_reason
        matched = [
            self.compiled.rules[names[pid]]
            for pid in result.diagnostics.reasons
            if names.get(pid) in self.compiled.rules
        ]
        order = {annotation: i for i, annotation in enumerate(self.compiled.rules)}
        matched.sort(key=lambda rule: order[rule.annotation])
        hard = [r for r in matched if r.effect is RuleEffect.DENY]
        hold = [r for r in matched if r.effect is RuleEffect.APPROVAL]
        if hard:
            return self._decision(Outcome.DENY, self._reasons(hard, facts))
        if hold:
            return self._decision(Outcome.NEEDS_APPROVAL, self._reasons(hold, facts))
        return self._decision(
            Outcome.DENY,
            [Reason("permit.none", f"no rule of {self.policy.label} permits this request")],
        )

    def _reasons(self, rules: list[Rule], facts: Facts) -> list[Reason]:
        seen: dict[str, Reason] = {}
        for rule in rules:
            if rule.id in seen:
                continue
            seen[rule.id] = Reason(rule.id, self._explain(rule, facts))
        return list(seen.values())

    def _explain(self, rule: Rule, facts: Facts) -> str:
        context, found = facts.context, facts.screening_text
        if rule.id in found and (rule.id in TOPIC_FLAGS or rule.id == VAGUE_FLAG):
            return f"{found[rule.id]}; {rule.text}"
        if rule.id == "reason.too-short":
            return f"the reason has {context['reason_length']} characters; {rule.text}"
        if rule.id == "reason.too-few-words":
            return f"the reason has {context['reason_words']} specific word(s); {rule.text}"
        if rule.id == "sharing.federal":
            said = [found[f] for f in OUTSIDE_FLAGS if f in found]
            return "; ".join([*said, rule.text])
        if rule.id.startswith(("window.", "approval.long-window")) and context["window_valid"]:
            asked = format_duration(timedelta(seconds=max(1, context["window_seconds"])))
            return f"{rule.text} (purpose: {context['purpose']}; asked: {asked})"
        if rule.id == "sensitive.location":
            # the places this search reaches, not every category the policy protects
            reached = (
                set(context["sensitive_categories"]) & self.policy.sensitive_locations.categories
            )
            text = rule.text
            if context["area_m2"] >= 0:
                text = "the search's area contains sensitive places or cameras at them"
            return f"{text} ({', '.join(sorted(reached))})"
        if rule.id.startswith(("purpose.", "offense.")):
            named = facts.offense.nibrs
            offense = f"NIBRS {named.label}" if named else context["offense_code"] or "none"
            text = f"{rule.text} (declared: {context['purpose']}, offense: {offense})"
            if rule.id == "offense.unknown":
                near = nearest_offenses(context["offense_code"])
                text += f"; nearest valid: {', '.join(near)}" if near else ""
                text += " (every code: docs/policy.md, Offense codes)"
            return text
        return rule.text

    def _invariant_breach(self, request: SearchRequest, facts: Facts) -> str | None:
        """What an ``allow`` must never lack; a hit here is a compiler bug, so it denies.
        Each line stands alone: a test judges under a policy set that permits everything."""
        policy, context = self.policy, facts.context
        flags = set(context["reason_flags"])
        topic = [
            f for f, p in TOPIC_FLAGS.items() if f in flags and p not in policy.permitted_purposes
        ]
        spec = policy.search_types.get(request.query.type)
        basis = request.legal_basis
        checks = [
            (request.purpose in policy.permitted_purposes, "purpose not permitted"),
            (bool(context["case_number_ok"]), "no valid case number"),
            (spec is not None, "search type not allowed"),
            (spec is None or basis in spec.legal_basis, "legal basis insufficient"),
            (
                basis not in (LegalBasis.WARRANT, LegalBasis.COURT_ORDER)
                or bool(context["warrant_id_present"]),
                "warrant or order without its number",
            ),
            (
                request.warrant_scope is None or bool(context["within_warrant"]),
                "a search outside its warrant's scope",
            ),
            (not topic, "the reason points to a purpose that is not permitted"),
            (VAGUE_FLAG not in flags, "the reason is vague"),
            (request.requester.role.value in INVESTIGATIVE_ROLES, "role may not search"),
            (request.requester.agency_type is not AgencyType.VENDOR, "vendors never search"),
            (bool(context["window_valid"]), "invalid window"),
            (
                request.purpose is not Purpose.OWNER_REQUEST
                or (
                    request.owner_verified
                    and request.query.type is SearchType.EXACT
                    and request.query.cameras is None
                    and request.query.area is None
                    and not request.query.include_variants
                    and request.query.window_end - request.query.window_start
                    <= policy.retention_nonhit + timedelta(hours=1)
                ),
                "an own-vehicle request outside its procedure or scope",
            ),
        ]
        for ok, what in checks:
            if not ok:
                return f"the engine allowed a request it must deny ({what}); denied, please report"
        return None

    def reason_refusals(self, text: str) -> list[Reason]:
        """What this policy refuses in a reason given outside a search (a hot-list entry's):
        each purpose screening finds that the policy does not permit, with the rule's text."""
        found = screen(text)
        said = {r.rule: r.text for r in found.reasons}
        return [
            Reason(flag, f"{said[flag]}; {self.compiled.rules[flag].text}")
            for flag in TOPIC_FLAGS
            if flag in found.flags and flag in self.compiled.rules
        ]

    def decide_json(self, obj: object, *, approved: bool = False) -> Decision:
        """Decides a request given as parsed JSON; bad or missing fields are a reasoned deny."""
        from .request_json import request_from_json

        try:
            request = request_from_json(obj)
        except InputError as exc:
            return self._decision(Outcome.DENY, [Reason("request.invalid", exc.message)])
        return self.decide(request, approved=approved)


def _principal_entities(who: Requester) -> tuple[dict[str, Any], dict[str, Any]]:
    agency_uid = {"type": "TrustLPR::Agency", "id": who.agency_id}
    agency = {
        "uid": agency_uid,
        "attrs": {
            "state": who.agency_state,
            "kind": who.agency_type.value,
            "attestation_on_file": who.attestation_on_file,
        },
        "parents": [],
    }
    principal = {
        "uid": {"type": "TrustLPR::User", "id": who.user_id},
        "attrs": {"role": who.role.value, "agency": {"__entity": agency_uid}},
        "parents": [agency_uid],
    }
    return principal, agency
