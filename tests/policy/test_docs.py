"""docs/policy.md stays complete: commands, options, keys, rule ids, codes and the public API."""

from __future__ import annotations

import ast
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path

import typer.main

import trustlpr.policy
from trustlpr.cli.policy_cmds import app
from trustlpr.policy import list_policies, load_policy
from trustlpr.policy.cedar import compile_policy
from trustlpr.policy.loader import POLICY_DIR, SENSITIVE_CATEGORIES
from trustlpr.policy.offenses import NIBRS, OFFENSES

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
        if prefix == "sources.cite.":
            # a citation's key is a parameter's dotted path: each part is a documented key
            keys |= set() if key.startswith("rules.") else set(key.split("."))
        else:
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
    for nibrs in NIBRS.values():
        assert f"| `{nibrs.code}` | {nibrs.name} |" in DOC, nibrs.code
    for category in SENSITIVE_CATEGORIES:
        assert category in DOC, category


def test_public_api_is_small_and_documented() -> None:
    assert sorted(trustlpr.policy.__all__) == [
        "Access", "JurisdictionPolicy", "LineResult", "PolicyEngine", "RuleEffect",
        "evaluate_lines", "list_policies", "load_policy", "request_from_json",
        "request_to_json", "screen_reason", "warrant_scope_from_json", "warrant_scope_to_json",
    ]  # fmt: skip
    for name in ("PolicyEngine", "load_policy", "list_policies", "request_from_json",
                 "screen_reason", "evaluate_lines", "decide_json", "decide_many",
                 "warrant_scope_from_json", "warrant_scope_to_json"):  # fmt: skip
        assert name in DOC


def _emitted_rule_ids() -> set[str]:
    """Every rule id the code can put in a decision or a screening result: each policy's
    compiled rules, screening's flags, the fixed codes the portal explains, and every
    ``Reason("...", ...)`` written anywhere in the source."""
    from trustlpr.policy.screening import SCREENING_RULES
    from trustlpr.transparency.explain import FIXED_REASONS

    found = set(SCREENING_RULES) | set(FIXED_REASONS)
    for name in list_policies():
        found |= {rule.id for rule in compile_policy(load_policy(name)).rules.values()}
    source = Path(trustlpr.policy.__file__).resolve().parents[1]
    for path in source.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in _outside_mutants(tree):
            if (
                isinstance(node, ast.Call)
                and getattr(node.func, "id", getattr(node.func, "attr", "")) == "Reason"
                and node.args
                and isinstance(node.args[0], ast.Constant)
                and isinstance(node.args[0].value, str)
            ):
                found.add(node.args[0].value)
    return found


def _outside_mutants(tree: ast.AST) -> Iterator[ast.AST]:
    """Every node of ``tree`` but the bodies of mutmut's variants (``x_f__mutmut_3``): under
    ``make mutate`` the source holds each mutant's copy, with its rule ids misspelt."""
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and "__mutmut_" in node.name:
            continue
        yield node
        yield from _outside_mutants(node)


def test_every_rule_id_the_code_can_emit_is_in_the_rule_table() -> None:
    """Issue 25: ids shown in output (``reason.on-behalf``, ``sharing.purpose_not_covered``)
    were missing from the table."""
    table = DOC.split("## Rules and their reasons", 1)[1].split("\n## ", 1)[0]
    emitted = _emitted_rule_ids()
    assert {"permit", "reason.on-behalf", "sharing.purpose_not_covered"} <= emitted
    missing = sorted(r for r in emitted if f"`{r}`" not in table and not r.startswith("local."))
    assert not missing, missing
