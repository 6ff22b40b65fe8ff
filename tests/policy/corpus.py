"""Builds the acceptance corpus files from ``corpus_cases.py``; run it to regenerate them.

    .venv/bin/python -m tests.policy.corpus

writes ``tests/data/policy_requests_<policy>.jsonl`` (pure requests, evaluable with
``trustlpr policy evaluate``) and ``tests/data/policy_requests_expected.jsonl`` (one line per
policy and request: decision and required rule ids). A test checks the files are current.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from .corpus_base import STRICT, Case
from .corpus_cases import all_cases

DATA = Path(__file__).resolve().parents[1] / "data"
EXPECTED = DATA / "policy_requests_expected.jsonl"
POLICY_STATES = {
    "ca-civ-1798-90": "CA",
    "ct-pa-26-14": "CT",
    "il-625-2-130": "IL",
    "me-29a-2117a": "ME",
    "mn-13-824": "MN",
    "nh-rsa-261-75b": "NH",
    STRICT: "CT",
    "va-2-2-5517": "VA",
    "wa-sb-6002": "WA",
}
OWNER_STATE = POLICY_STATES  # strict-default is evaluated as owned by a Connecticut agency
_QUERY_KEYS = {"start": "window_start", "end": "window_end", "variants": "include_variants"}


def requests_file(policy: str) -> Path:
    return DATA / f"policy_requests_{policy}.jsonl"


def base_request(state: str) -> dict[str, Any]:
    """A legitimate in-state request: what every shipped policy allows."""
    return {
        "id": "",
        "requester": {
            "agency_id": f"{state.lower()}-metro-pd",
            "agency_state": state,
            "agency_type": "local",
            "user_id": "u7",
            "role": "officer",
            "attestation_on_file": False,
        },
        "purpose": "stolen_vehicle",
        "offense_code": "larceny_motor_vehicle",
        "case_number": "26-004512",
        "legal_basis": "none",
        "warrant_id": None,
        "reason": "stolen white Honda Civic reported by owner 11/2",
        "query": {
            "type": "exact",
            "plate": "AB12345",
            "pattern": None,
            "cameras": None,
            "window_start": "2026-11-03T00:00:00Z",
            "window_end": "2026-11-08T00:00:00Z",
        },
        "protected_plate": False,
        "now": "2026-11-10T12:00:00Z",
    }


def build_request(case: Case, state: str) -> dict[str, Any]:
    request = base_request(state)
    request["id"] = case.name
    for key, value in copy.deepcopy(case.change).items():
        if key == "drop":
            for name in value:
                request.pop(name, None)
        elif key == "extra":
            request.update(value)
        elif key.startswith("r_"):
            request["requester"][key[2:]] = value
        elif key.startswith("q_"):
            request["query"][_QUERY_KEYS.get(key[2:], key[2:])] = value
        else:
            request[key] = value
    return request


def expected(case: Case, policy: str) -> dict[str, Any]:
    decision, rules = case.only.get(policy, (case.expect, case.rules))
    return {
        "policy": policy,
        "id": case.name,
        "category": case.category,
        "decision": decision,
        "rules": list(rules),
    }


def render() -> dict[Path, str]:
    """The text of every corpus file, keyed by path."""
    cases = all_cases()
    files: dict[Path, str] = {}
    lines: list[str] = []
    for policy, state in sorted(POLICY_STATES.items()):
        body = [json.dumps(build_request(c, state), ensure_ascii=False) for c in cases]
        files[requests_file(policy)] = "\n".join(body) + "\n"
        lines += [json.dumps(expected(c, policy), ensure_ascii=False) for c in cases]
    files[EXPECTED] = "\n".join(lines) + "\n"
    return files


def main() -> None:
    for path, text in render().items():
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path} ({text.count(chr(10))} lines)")


if __name__ == "__main__":
    main()
