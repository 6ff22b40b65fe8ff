"""docs/policy.md stays complete: commands, options, keys, rule ids, codes and the public API."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import typer.main

import trustlpr.policy
from trustlpr.cli.policy_cmds import app
from trustlpr.policy import list_policies, load_policy
from trustlpr.policy.cedar import compile_policy
from trustlpr.policy.facts import OFFENSES
from trustlpr.policy.loader import POLICY_DIR, SENSITIVE_CATEGORIES

DOC = (Path(__file__).resolve().parents[2] / "docs" / "policy.md").read_text(encoding="utf-8")


def test_every_command_and_option_is_documented() -> None:
    group = typer.main.get_command(app)
    commands = getattr(group, "commands", {})
    assert len(commands) == 6
    for name, command in commands.items():
        assert f"trustlpr policy {name}" in DOC, name
        for param in command.params:
            options = [opt for opt in param.opts if opt.startswith("--")]
            assert all(opt in DOC for opt in options), (name, options)


def _keys(data: dict[str, object], prefix: str = "") -> set[str]:
    keys = set()
    for key, value in data.items():
        keys.add(key)
        if isinstance(value, dict):
            keys |= _keys(value, f"{prefix}{key}.")
    return keys


def test_every_policy_key_is_documented() -> None:
    for path in POLICY_DIR.glob("*.toml"):
        for key in _keys(tomllib.loads(path.read_text(encoding="utf-8"))):
            assert re.search(rf"\b{re.escape(key)}\b", DOC), (path.name, key)


def test_every_rule_id_offense_and_category_is_documented() -> None:
    for name in list_policies():
        assert f"`{name}`" in DOC
        for rule in compile_policy(load_policy(name)).rules.values():
            assert rule.id in DOC, rule.id
    for code in OFFENSES:
        assert re.search(rf"\b{code}\b", DOC), code
    for category in SENSITIVE_CATEGORIES:
        assert category in DOC, category


def test_public_api_is_small_and_documented() -> None:
    assert sorted(trustlpr.policy.__all__) == [
        "Access", "JurisdictionPolicy", "LineResult", "PolicyEngine", "RuleEffect",
        "evaluate_lines", "list_policies", "load_policy", "request_from_json",
        "request_to_json", "screen_reason",
    ]  # fmt: skip
    for name in ("PolicyEngine", "load_policy", "list_policies", "request_from_json",
                 "screen_reason", "evaluate_lines", "decide_json", "decide_many"):  # fmt: skip
        assert name in DOC
