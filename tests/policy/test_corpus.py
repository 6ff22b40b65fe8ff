"""The acceptance corpus: every shipped policy decides every request as expected."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest
from typer.testing import CliRunner

from trustlpr.cli.main import app
from trustlpr.policy import PolicyEngine, evaluate_lines, list_policies

from .corpus import EXPECTED, OWNER_STATE, POLICY_STATES, render, requests_file

MISUSE_CATEGORIES = {
    "prohibited purpose",
    "banned reason words",
    "vague reason",
    "missing case number",
    "federal without warrant",
    "out-of-state without attestation",
    "over-long window",
    "area search without warrant",
    "protected plate",
    "missing or invalid field",
}


def _expected() -> dict[tuple[str, str], dict[str, Any]]:
    rows = [json.loads(line) for line in EXPECTED.read_text(encoding="utf-8").splitlines()]
    return {(row["policy"], row["id"]): row for row in rows}


def _matches(want: str, got: list[str]) -> bool:
    return any(rule == want or (want.endswith(".") and rule.startswith(want)) for rule in got)


def test_corpus_files_are_current() -> None:
    for path, text in render().items():
        assert path.read_text(encoding="utf-8") == text, f"regenerate {path.name}"


def test_every_shipped_policy_has_a_corpus() -> None:
    assert sorted(POLICY_STATES) == list_policies()


@pytest.mark.parametrize("policy", sorted(POLICY_STATES))
def test_every_decision_is_right(policy: str, engines: dict[str, PolicyEngine]) -> None:
    expected = _expected()
    lines = requests_file(policy).read_text(encoding="utf-8").splitlines()
    wrong = []
    for result in evaluate_lines(engines[policy], lines):
        want = expected[(policy, str(result.id))]
        got = [reason.rule for reason in result.decision.reasons]
        if result.decision.outcome.value != want["decision"] or not all(
            _matches(rule, got) for rule in want["rules"]
        ):
            wrong.append((result.id, result.decision.outcome.value, got, want["decision"]))
        assert all(reason.text for reason in result.decision.reasons)
    assert not wrong, wrong[:5]


@pytest.mark.parametrize("policy", sorted(POLICY_STATES))
def test_corpus_size_and_categories(policy: str) -> None:
    rows = [row for (p, _), row in _expected().items() if p == policy]
    decisions = Counter(row["decision"] for row in rows)
    assert decisions["deny"] + decisions["needs_approval"] >= 150
    assert decisions["allow"] >= 100
    held = {row["category"] for row in rows if row["decision"] != "allow"}
    assert held >= MISUSE_CATEGORIES


def test_ids_are_unique_per_file() -> None:
    for policy in POLICY_STATES:
        ids = [json.loads(line)["id"] for line in requests_file(policy).read_text().splitlines()]
        assert len(ids) == len(set(ids))


def test_cli_evaluate_matches_the_library(engines: dict[str, PolicyEngine]) -> None:
    policy = "ct-pa-26-14"
    path = requests_file(policy)
    result = CliRunner().invoke(app, ["policy", "evaluate", "--policy", policy, str(path)])
    assert result.exit_code == 0, result.output
    cli = [json.loads(line) for line in result.stdout.splitlines()]
    library = [r.to_json() for r in evaluate_lines(engines[policy], path.read_text().splitlines())]
    assert cli == library
    assert {tuple(sorted(row)) for row in cli} == {("decision", "id", "reasons")}


def test_strict_default_is_judged_for_the_owner_state() -> None:
    # The corpus runs strict-default as owned by a Connecticut agency.
    assert OWNER_STATE["strict-default"] == "CT"
    engine = PolicyEngine("strict-default", owner_state="CT")
    assert engine.owner_state == "CT"
