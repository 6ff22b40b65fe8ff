"""docs/oversight.md documents every command, option, rule and setting (tests keep docs honest)."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest
import typer

from trustlpr.cli.main import app
from trustlpr.oversight.report import CSV_COLUMNS
from trustlpr.oversight.rules import RULES, default_text

DOC = (Path(__file__).parents[2] / "docs" / "oversight.md").read_text(encoding="utf-8")


def _commands() -> dict[str, Any]:
    group = typer.main.get_command(app)
    return dict(group.commands["oversight"].commands)  # type: ignore[attr-defined]


@pytest.mark.parametrize("rule", sorted(RULES))
def test_every_rule_is_documented(rule: str) -> None:
    assert f"`{rule}`" in DOC


def test_every_command_and_option_is_documented() -> None:
    for name, command in _commands().items():
        assert f"trustlpr oversight {name}" in DOC, name
        for param in command.params:
            for option in getattr(param, "opts", []):
                if option.startswith("--") and option != "--help":
                    assert f"`{option}" in DOC, f"{name} {option}"


def _keys(table: dict[str, Any], prefix: str = "") -> list[str]:
    keys = []
    for key, value in table.items():
        if isinstance(value, dict):
            keys += _keys(value, f"{prefix}{key}.")
        else:
            keys.append(f"{prefix}{key}")
    return keys


def test_every_setting_is_documented() -> None:
    for key in _keys(tomllib.loads(default_text())):
        section, _, name = key.rpartition(".")
        if section == "out_of_state.partners":
            assert "`out_of_state.partners.<STATE>`" in DOC
        elif section == "terms":
            assert f"`terms.{name}`" in DOC, key
        else:
            assert f"`{key}`" in DOC, key


def test_output_columns_and_summary_keys_are_documented() -> None:
    for column in CSV_COLUMNS:
        assert f"`{column}`" in DOC, column
    for key in ("files", "rows_imported", "rows_rejected", "findings", "rules_skipped", "per_file"):
        assert f"`{key}`" in DOC, key
