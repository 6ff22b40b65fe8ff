"""Jurisdiction policies as code: TOML files citing their statutes, compiled to Cedar.

``load_policy`` reads and validates a policy; ``PolicyEngine(policy).decide(request)`` judges a
search request under it (the policy's jurisdiction owns the data) and says why; any error is a
deny. ``screen_reason`` reads a free-text reason for prohibited purposes, vagueness and
"on behalf of" wording. See docs/policy.md.
"""

from .batch import LineResult, evaluate_lines
from .engine import PolicyEngine
from .loader import list_policies, load_policy
from .model import Access, JurisdictionPolicy, RuleEffect
from .request_json import (
    request_from_json,
    request_to_json,
    warrant_scope_from_json,
    warrant_scope_to_json,
)
from .screening import screen_reason

__all__ = [
    "Access",
    "JurisdictionPolicy",
    "LineResult",
    "PolicyEngine",
    "RuleEffect",
    "evaluate_lines",
    "list_policies",
    "load_policy",
    "request_from_json",
    "request_to_json",
    "screen_reason",
    "warrant_scope_from_json",
    "warrant_scope_to_json",
]
