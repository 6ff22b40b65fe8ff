"""The mutation report's sorting: message-only survivors apart from behavioural ones."""

from __future__ import annotations

import importlib.util
import sys
import tomllib
from pathlib import Path

import pytest

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


def test_changed_data_strings_are_behavioural() -> None:
    # from the policy group's run: each was once filed as message-only
    assert not report.message_only(
        mutant('gap = f"[^{letter[1:-1]}\\n]"', 'gap = f"[^{letter[2:-1]}\\n]"')
    )
    assert not report.message_only(
        mutant('return re.compile(same + r"\\.?")', 'return re.compile(same + r"XX\\.?XX")')
    )
    assert not report.message_only(
        mutant('if rule.id == "reason.too-short":', 'if rule.id == "XXreason.too-shortXX":')
    )
    # a bare continuation line may be a word list as well as a message
    assert not report.message_only(
        mutant('"(settings.agency_state)"', '"XX(settings.agency_state)XX"')
    )
    # words in a message are not code: "in" inside the text is not a membership test
    assert report.message_only(mutant('raise E(f"{a} in {b}")', 'raise E("XX{a} in {b}XX")'))


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


def test_every_mutated_module_is_in_exactly_one_group() -> None:
    with (_PATH.parents[1] / "pyproject.toml").open("rb") as handle:
        mutmut = tomllib.load(handle)["tool"]["mutmut"]
    groups = report.load_groups()
    assert groups, "no [tool.trustlpr.mutation.groups] in pyproject.toml"
    grouped = [path for group in groups.values() for path in group.paths]
    assert sorted(grouped) == sorted(mutmut["only_mutate"])
    selection = set(mutmut["pytest_add_cli_args_test_selection"])
    for group in groups.values():
        assert group.tests, group.name
        assert set(group.tests) <= selection, group.name
        for test in group.deselect:  # a deselected test exists, in the group's own tests
            path, _, name = test.partition("::")
            assert any(path.startswith(t) for t in group.tests), test
            assert f"def {name}(" in (_PATH.parents[1] / path).read_text("utf-8"), test


def test_a_group_narrows_only_the_mutmut_lists() -> None:
    text = (
        "[tool.mutmut]\n"
        'only_mutate = [\n  "src/a.py",\n  "src/b.py",\n]\n'
        'pytest_add_cli_args_test_selection = [\n  "tests/a", "tests/b",\n]\n'
        'pytest_add_cli_args = ["-p", "no:cacheprovider"]\n'
        "[tool.other]\nkeep = [1, 2]\n"
    )
    group = report.Group("a", ("src/a.py",), ("tests/a",))
    narrowed = tomllib.loads(report.narrow_config(text, group))
    assert narrowed["tool"]["mutmut"] == {
        "only_mutate": ["src/a.py"],
        "pytest_add_cli_args_test_selection": ["tests/a"],
        "pytest_add_cli_args": ["-p", "no:cacheprovider"],
    }
    assert narrowed["tool"]["other"] == {"keep": [1, 2]}
    slow = report.Group("a", ("src/a.py",), ("tests/a",), ("tests/a/test_x.py::test_slow",))
    narrowed = tomllib.loads(report.narrow_config(text, slow))
    assert narrowed["tool"]["mutmut"]["pytest_add_cli_args_test_selection"] == [
        "tests/a", "--deselect", "tests/a/test_x.py::test_slow",
    ]  # fmt: skip


def test_narrowing_a_config_without_the_lists_is_an_error() -> None:
    with pytest.raises(SystemExit, match="only_mutate"):
        report.narrow_config("[tool.mutmut]\n", report.Group("a", ("x",), ("t",)))


def _tree(root: Path) -> None:
    (root / "src" / "pkg").mkdir(parents=True)
    (root / "src" / "pkg" / "m.py").write_text("X = 1\n")
    (root / "src" / "pkg" / "__pycache__").mkdir()
    (root / "src" / "pkg" / "__pycache__" / "m.pyc").write_bytes(b"\0")
    (root / "tests").mkdir()
    (root / "tests" / "test_m.py").write_text("def test_m(): pass\n")
    (root / ".venv").mkdir()
    (root / "mutants").mkdir()
    (root / "mutants" / "from-source").write_text("not copied")
    (root / "pyproject.toml").write_text(
        '[tool.mutmut]\nonly_mutate = ["src/pkg/m.py", "src/pkg/n.py"]\n'
        'pytest_add_cli_args_test_selection = ["tests"]\n'
    )


def test_a_scratch_copy_is_synced_and_keeps_mutmut_results(tmp_path: Path) -> None:
    source, work = tmp_path / "source", tmp_path / "work"
    _tree(source)
    group = report.Group("m", ("src/pkg/m.py",), ("tests/test_m.py",))
    report.sync_tree(source, work, group)
    assert (work / "src" / "pkg" / "m.py").read_text() == "X = 1\n"
    assert not (work / ".venv").exists()
    assert not (work / "src" / "pkg" / "__pycache__").exists()
    assert not (work / "mutants").exists()
    config = tomllib.loads((work / "pyproject.toml").read_text())["tool"]["mutmut"]
    assert config["only_mutate"] == ["src/pkg/m.py"]
    assert config["pytest_add_cli_args_test_selection"] == ["tests/test_m.py"]

    # mutmut's results survive a re-sync; a test written since arrives, a deleted one goes
    copy = work / "mutants"
    (copy / "src" / "pkg").mkdir(parents=True)
    (copy / "tests").mkdir()
    (copy / "mutmut-stats.json").write_text("{}")
    (copy / "src" / "pkg" / "m.py").write_text("X = 1  # mutants\n")
    (copy / "src" / "pkg" / "m.py.meta").write_text("{}")
    (copy / "src" / "pkg" / "data.toml").write_text("old = true\n")
    (copy / "src" / "pkg" / "other.py").write_text("OLD = 1\n")
    (copy / "tests" / "test_m.py").write_text("def test_m(): pass\n")
    (source / "tests" / "test_new.py").write_text("def test_new(): pass\n")
    (source / "tests" / "test_m.py").unlink()
    report.sync_tree(source, work, group)
    assert (work / "tests" / "test_new.py").is_file()
    assert not (work / "tests" / "test_m.py").exists()
    # mutmut copies a file into its own copy only when it is missing there: stale ones go
    kept = sorted(p.relative_to(copy).as_posix() for p in copy.rglob("*") if p.is_file())
    assert kept == ["mutmut-stats.json", "src/pkg/m.py", "src/pkg/m.py.meta"]
    assert not (copy / "tests").exists()


def test_a_scratch_copy_never_empties_a_directory_that_is_not_one(tmp_path: Path) -> None:
    source, elsewhere = tmp_path / "source", tmp_path / "elsewhere"
    _tree(source)
    elsewhere.mkdir()
    (elsewhere / "notes.txt").write_text("mine")
    with pytest.raises(SystemExit, match="not a scratch copy"):
        report.sync_tree(source, elsewhere, report.Group("m", ("src/pkg/m.py",), ("tests",)))
    assert (elsewhere / "notes.txt").read_text() == "mine"


def test_group_options_are_checked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = report.parse_args(["--group", "policy", "--max-children", "1"])
    assert args.jobs == 1
    assert args.workdir == report.default_workdir("policy").resolve()
    assert report.parse_args(["--group", "policy", "--workdir", str(tmp_path)]).workdir == tmp_path
    only = report.parse_args(["--group", "audit", "--only", "a.x_f__mutmut_*", "--only", "b.*"])
    assert only.only == ["a.x_f__mutmut_*", "b.*"]
    for bad, said in (
        (["--group", "audit", "--only", "a.*", "--rerun-survivors"], "exclude each other"),
        (["--group", "nonesuch"], "unknown group 'nonesuch'"),
        (["--rerun-survivors"], "need --group"),
        (["--group", "policy", "--workdir", str(report.ROOT / "x")], "outside the work tree"),
    ):
        with pytest.raises(SystemExit):
            report.parse_args(bad)
        assert said in " ".join(capsys.readouterr().err.split())


def test_mutants_not_checked_yet_are_neither_killed_nor_survivors() -> None:
    mutants = [
        report.Mutant("trustlpr.a.x_f__mutmut_1", "killed", (), ()),
        report.Mutant("trustlpr.a.x_f__mutmut_2", "not checked", (), ()),
        report.Mutant("trustlpr.a.x_f__mutmut_3", "survived", ("if a <= b:",), ("if a < b:",)),
        report.Mutant("trustlpr.a.x_f__mutmut_4", "caught by type check", (), ()),
    ]
    summary = report.report(mutants, [])
    assert (summary["total"], summary["killed"], summary["not_checked"]) == (4, 2, 1)
    assert summary["unexplained"] == 1
    assert summary["by_module"] == {
        "trustlpr.a": {"total": 4, "killed": 2, "survived": 1, "not_checked": 1}
    }
