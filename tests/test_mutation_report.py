"""The mutation report's sorting: message-only survivors apart from behavioural ones."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

_PATH = Path(__file__).parents[1] / "scripts" / "mutation_report.py"
_SPEC = importlib.util.spec_from_file_location("mutation_report", _PATH)
assert _SPEC and _SPEC.loader
report = importlib.util.module_from_spec(_SPEC)
sys.modules["mutation_report"] = report
_SPEC.loader.exec_module(report)


def mutant(removed: str, added: str, name: str = "trustlpr.x.x_f__mutmut_1") -> object:
    return report.Mutant(name, "survived", (removed,), (added,))


def test_message_text_changes_are_message_only() -> None:
    assert report.message_only(mutant('raise E(f"user {u!r} off")', "raise E(None)"))
    assert report.message_only(
        mutant('raise E("two-person rule")', 'raise E("XXtwo-person ruleXX")')
    )


def test_logic_changes_are_behavioural() -> None:
    assert not report.message_only(mutant("if a <= b:", "if a < b:"))
    assert not report.message_only(mutant("require_role(u, A, B)", "require_role(u, A, )"))
    assert not report.message_only(mutant('x = s or "nobody"', 'x = s and "nobody"'))
    assert not report.message_only(mutant("check(x)", ""))


def test_function_name_of_a_method_mutant() -> None:
    m = report.Mutant(
        "trustlpr.search.service.xǁSearchServiceǁrequest__mutmut_7", "survived", (), ()
    )
    assert m.function == "SearchService.request"
    assert m.module == "trustlpr.search.service"


def test_equivalents_match_by_function_and_lines() -> None:
    m = mutant("a = 1", "a = 2", name="trustlpr.identity.roles.x_f__mutmut_3")
    entry = {"function": "f", "removed": "a = 1", "added": "a = 2", "reason": "unused"}
    assert report.explained(m, [entry]) == "unused"
    assert report.explained(m, [entry | {"added": "a = 3"}]) is None
