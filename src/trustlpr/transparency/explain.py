"""Plain words for the codes the log carries: rule ids, purposes, decisions, event types.

The log stores stable codes (``purpose.prohibited``, ``reason.vague``); the portal says what they
mean. Rule texts come from the rules of the policy in force, so they say what that law says;
codes from outside the policy engine (sharing agreements, approvals) have fixed texts here.
"""

from __future__ import annotations

from ..core.hotlist import NCIC_CATEGORIES
from ..policy import JurisdictionPolicy
from ..policy.rules import build_rules

FIXED_REASONS = {
    "permit": "every rule of the policy passed",
    "permit.none": "no rule of the policy permits this request",
    "engine.error": "the policy could not be evaluated, so the request was denied",
    "engine.invariant": "a safety check after the policy engine refused the request",
    "request.invalid": "the request was incomplete or malformed",
    "request.malformed": "the request was incomplete or malformed",
    "sharing.no_agreement": "the requesting agency has no sharing agreement in force",
    "sharing.purpose_not_covered": "the sharing agreement does not cover this purpose",
    "sharing.agreement": "the sharing agreement does not allow this access",
    "approval.rejected": "a supervisor rejected the request",
    "approval.expired": "the held request expired before it ran",
    "requester.inactive": "the requester's account may no longer search",
    "sensitive.excluded": "cameras at places the policy protects were left out of the search",
}

DECISIONS = {
    "allow": "allowed",
    "deny": "denied",
    "needs_approval": "held for a supervisor",
    "no_answer": "no answer in time",
    "error": "the partner's node could not take the request (not a policy decision)",
}

EVENT_TYPES = {
    "reads_ingested": "reads stored",
    "search_requested": "search requested",
    "search_decided": "search decided",
    "search_executed": "search run",
    "approval_decided": "approval decided",
    "alert_raised": "hot-list alert",
    "alert_verified": "alert checked by an officer",
    "alert_outcome": "what came of a confirmed alert",
    "hotlist_changed": "hot list changed",
    "policy_changed": "policy changed",
    "sharing_changed": "sharing changed",
    "purge": "expired reads destroyed",
    "user_changed": "account or agency changed",
    "token_changed": "sign-in or token",
    "camera_changed": "camera changed",
    "stats_snapshot": "retained-vehicle count",
    "mobile_coverage": "mobile reads per area and day",
}


def reason_texts(policy: JurisdictionPolicy) -> dict[str, str]:
    """Rule id → plain text, for every rule of ``policy`` and the fixed codes."""
    texts = dict(FIXED_REASONS)
    for rule in build_rules(policy):
        texts.setdefault(rule.id, rule.text)
    return texts


def explain_reason(texts: dict[str, str], rule: str) -> str:
    """The text of ``rule``; an id unknown to the policy in force says so rather than guess."""
    return texts.get(rule) or "a rule not in the policy now in force (see the policy history)"


def purpose_label(code: str) -> str:
    """``stolen_vehicle`` → ``stolen vehicle``."""
    return code.replace("_", " ")


def category_label(code: str) -> str:
    """An NCIC code with its name (``V`` → ``V — Stolen Vehicle``), other codes as they are."""
    name = NCIC_CATEGORIES.get(code)
    return f"{code} — {name}" if name else purpose_label(code)
