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


_REASON_TAGS = {
    "S1.immigration": "IMMIGRATION", "S1.reproductive-care": "REPRODUCTIVE",
    "S1.gender-affirming-care": "GENDER_CARE", "S1.protest": "PROTEST", "S1.religion": "RELIGION",
    "S1.press": "PRESS", "S1.civil-matter": "CIVIL", "S1.personal-use": "PERSONAL",
    "S2.vague-reason": "VAGUE", "S2.case-number-only": "CASE_ONLY", "S2.pii-in-reason": "PII",
    "S10.on-behalf-of-federal": "FEDERAL_ASSIST", "S12.sensitive-place": "SENSITIVE_PLACE",
    "S15.minor-use": "MINOR", "S15.test-use": "TEST",
}  # fmt: skip


def _precision_examples() -> list[tuple[str, list[str], list[str]]]:
    import re

    section = DOC[DOC.index("## Precision, measured") :]
    section = section[: section.index("\n\n", section.index("| Rule | Flagged"))]
    out = []
    for line in section.splitlines()[2:]:
        if not line.startswith("| `"):
            continue
        rule, flagged, clean = (c.strip() for c in line.strip("|").split("|"))
        quoted = re.compile(r'"([^"]*)"')
        out.append((rule.strip("`"), quoted.findall(flagged), quoted.findall(clean)))
    return out


def test_precision_examples_are_what_the_classifier_does() -> None:
    from trustlpr.oversight.text import Tag, classify_reason

    examples = _precision_examples()
    assert {rule for rule, _, _ in examples} == set(_REASON_TAGS)

    def hit(rule: str, text: str) -> bool:
        tags, tag = classify_reason(text).tags, Tag[_REASON_TAGS[rule]]
        if rule == "S12.sensitive-place":  # a stated offence clears it
            return bool(tags & tag) and not tags & Tag.SERIOUS
        return bool(tags & tag)

    for rule, flagged, clean in examples:
        assert flagged and clean, rule
        for text in flagged:
            assert hit(rule, text), f"{rule}: {text!r} is documented as flagged"
        for text in clean:
            assert not hit(rule, text), f"{rule}: {text!r} is documented as not flagged"
