"""`make mutate`: mutation testing of the safety-critical modules, and a report that says which
surviving mutants matter.

mutmut (configured in pyproject.toml, ``[tool.mutmut]``) changes one thing at a time in the
modules where a bug is a safeguard failure — a comparison, a boolean, a deleted call — and runs
the tests that cover the changed function. A mutant the tests do not notice "survives".

Not every survivor is a missed bug: mutmut also rewrites error messages ("XXtextXX", None).
Those survivors are reported apart as *message-only*: the decision, purge or verification is
the same, only the words differ. Every other survivor is *behavioural*. A behavioural survivor
that is provably equivalent (it cannot change what the code does) is listed with its reason in
``tests/mutation_equivalent.toml``; any other one fails the run (exit 1), so the report is a
to-do list of missing tests.

Writes ``artifacts/mutation/report.md`` and ``report.json``.

``--group NAME`` runs one group of modules (``[tool.trustlpr.mutation.groups]`` in
pyproject.toml: the paths and the tests that cover them) in a scratch copy of the tree, and
writes ``artifacts/mutation/NAME/report.md``. The copy keeps mutmut's results between runs:
running again syncs the current sources and tests into it, and ``--rerun-survivors`` re-tests
the mutants that survived (or had no test) against the tests written since.
"""

from __future__ import annotations

import argparse
import fnmatch
import io
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import tokenize
import tomllib
from dataclasses import asdict, dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EQUIVALENT_FILE = ROOT / "tests" / "mutation_equivalent.toml"
OUT_DIR = ROOT / "artifacts" / "mutation"
MUTMUT = [sys.executable, "-m", "mutmut"]
_RESULT_LINE = re.compile(r"^\s*(?P<name>[\w.]+__mutmut_\d+): (?P<status>.+)$")
_PLACEHOLDER = "«text»"
# what a scratch copy leaves out: caches, the venv, git, and mutmut's own state (kept apart)
_NOT_COPIED = (
    ".venv", ".git", "mutants", "artifacts", "__pycache__", ".pytest_cache", ".mypy_cache",
    ".ruff_cache", ".hypothesis", "trustlpr-data", "demo-data", "build", "dist", "*.egg-info",
)  # fmt: skip
_SURVIVING = ("survived", "no tests")
_KILLED = ("killed", "timeout", "caught by type check")
# mutants without a verdict yet (an interrupted run): neither killed nor survivors
_PENDING = ("not checked", "check was interrupted by user", "skipped")


@dataclass(frozen=True)
class Group:
    """One group of safety-critical modules and the tests that cover them."""

    name: str
    paths: tuple[str, ...]
    tests: tuple[str, ...]
    deselect: tuple[str, ...] = ()
    """Test ids left out of the group's run (each with its reason in pyproject.toml): a test
    whose cost is process start-up, reached by most functions, makes every surviving mutant
    pay for it."""


def load_groups(pyproject: Path = ROOT / "pyproject.toml") -> dict[str, Group]:
    with pyproject.open("rb") as handle:
        tool = tomllib.load(handle)["tool"]
    table = tool.get("trustlpr", {}).get("mutation", {}).get("groups", {})
    return {
        name: Group(
            name, tuple(entry["paths"]), tuple(entry["tests"]), tuple(entry.get("deselect", ()))
        )
        for name, entry in table.items()
    }


def _toml_list_pattern(key: str) -> re.Pattern[str]:
    return re.compile(rf"^{re.escape(key)} = \[[^\]]*\]", re.MULTILINE)


def narrow_config(text: str, group: Group) -> str:
    """pyproject.toml's text with ``[tool.mutmut]`` narrowed to the group's paths and tests.

    A JSON list of strings is a TOML array, so the lists are written as JSON."""
    for key, values in (
        ("only_mutate", group.paths),
        (
            "pytest_add_cli_args_test_selection",
            (*group.tests, *(arg for test in group.deselect for arg in ("--deselect", test))),
        ),
    ):
        found = list(_toml_list_pattern(key).finditer(text))
        if len(found) != 1:
            raise SystemExit(f"pyproject.toml: expected one `{key} = [...]` in [tool.mutmut]")
        start, end = found[0].span()
        text = f"{text[:start]}{key} = {json.dumps(list(values))}{text[end:]}"
    return text


def sync_tree(source: Path, work: Path, group: Group) -> None:
    """Make ``work`` a copy of ``source``'s tree narrowed to ``group``, keeping mutmut's
    results (``work/mutants``) so that only what changed is re-tested."""
    work.mkdir(parents=True, exist_ok=True)
    if any(work.iterdir()) and not (work / "pyproject.toml").is_file():
        raise SystemExit(f"{work} is not empty and not a scratch copy; choose another --workdir")
    for entry in work.iterdir():
        if entry.name in ("mutants", "artifacts"):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry)
        else:
            entry.unlink()
    for entry in source.iterdir():
        if any(entry.match(pattern) for pattern in _NOT_COPIED):
            continue
        target = work / entry.name
        if entry.is_dir():
            shutil.copytree(entry, target, ignore=shutil.ignore_patterns(*_NOT_COPIED))
        else:
            shutil.copy2(entry, target)
    pyproject = work / "pyproject.toml"
    pyproject.write_text(narrow_config(pyproject.read_text("utf-8"), group), "utf-8")
    prune_mutmut_copy(work / "mutants", group)


def prune_mutmut_copy(mutants: Path, group: Group) -> None:
    """Delete from mutmut's copy (``mutants/``) everything but its results: the mutated
    modules, their ``.meta`` verdicts and ``mutmut-*.json``.

    mutmut copies the rest of the tree into ``mutants/`` only when a file is missing there, so
    without this a changed data file, an unmutated module or a deleted test stays stale."""
    if not mutants.is_dir():
        return
    for path in sorted(mutants.rglob("*"), reverse=True):  # children before their folders
        relative = path.relative_to(mutants).as_posix()
        if path.is_dir() and not path.is_symlink():
            if not any(path.iterdir()):
                path.rmdir()
            continue
        module = relative.removesuffix(".meta")
        kept = relative.startswith("mutmut-") or any(
            fnmatch.fnmatch(module, pattern) for pattern in group.paths
        )
        if not kept:
            path.unlink()


@dataclass(frozen=True)
class Mutant:
    name: str
    status: str
    removed: tuple[str, ...]
    added: tuple[str, ...]

    @property
    def module(self) -> str:
        return self.name.rsplit(".", 1)[0]

    @property
    def function(self) -> str:
        """``x_name__mutmut_3`` → ``name`` (methods: ``Class.method``)."""
        last = self.name.rsplit(".", 1)[1]
        last = re.sub(r"__mutmut_\d+$", "", last)
        if last.startswith("xǁ"):  # a method: xǁClassǁmethod
            return ".".join(part for part in last[2:].split("ǁ") if part)
        return re.sub(r"^x_", "", last)


# where a changed string is a message rather than data: raised, logged, or a help/detail text
_MESSAGE_CONTEXT = re.compile(
    r"\braise\b|\w*(Error|Exception|Refused|Denied|Forbidden|Invalid)\(|\blog(ger)?\.\w+\("
    r"|\b(warn|warning|info|debug|error|echo|print)\(|\b(detail|message|help|hint)\s*="
)
# a string in such a line is still data when it is compared, matched or looked up
_DATA_CONTEXT = re.compile(r"==|!=|\bin\b|\bre\.|\bcompile\(|\[\s*[rbfu]*[\"']")


def _strip_text(line: str) -> str:
    """The line with every string literal (f-strings too) and ``None`` made one placeholder,
    so that two lines that differ only in message text compare equal."""
    out: list[str] = []
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(line.strip() + "\n").readline))
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return re.sub(r"(['\"]).*?\1|None", _PLACEHOLDER, line.strip())
    depth_fstring = 0
    for tok in tokens:
        kind = tokenize.tok_name.get(tok.type, "")
        if kind == "FSTRING_START":
            depth_fstring += 1
            continue
        if kind == "FSTRING_END":
            depth_fstring -= 1
            out.append(_PLACEHOLDER)
            continue
        if depth_fstring:
            continue
        if tok.type == tokenize.STRING or (tok.type == tokenize.NAME and tok.string == "None"):
            out.append(_PLACEHOLDER)
        elif tok.type not in (tokenize.NEWLINE, tokenize.NL, tokenize.ENDMARKER):
            out.append(tok.string)
    return " ".join(out)


def message_only(mutant: Mutant) -> bool:
    """True when the mutant changes nothing but the text of messages.

    Conservative: the changed strings must sit in a line that raises, logs or gives help, and
    not be compared, matched (a regular expression) or used as a key. A string anywhere else
    may be data (a rule id, a pattern, a word list), so that change counts as behavioural."""
    if len(mutant.removed) != len(mutant.added) or not mutant.removed:
        return False
    for removed, added in zip(mutant.removed, mutant.added, strict=True):
        if _strip_text(removed) != _strip_text(added):
            return False
        if removed == added:
            continue
        code = _strip_text(removed)  # the line without its strings' text
        if not _MESSAGE_CONTEXT.search(removed) or _DATA_CONTEXT.search(code):
            return False
    return True


def _diff_lines(name: str, cwd: Path) -> tuple[tuple[str, ...], tuple[str, ...]]:
    shown = subprocess.run(
        [*MUTMUT, "show", name], cwd=cwd, capture_output=True, text=True, check=False
    ).stdout
    removed, added = [], []
    for line in shown.splitlines():
        if line.startswith("---") or line.startswith("+++"):
            continue
        if line.startswith("-"):
            removed.append(line[1:].strip())
        elif line.startswith("+"):
            added.append(line[1:].strip())
    return tuple(removed), tuple(added)


def _statuses(cwd: Path) -> list[tuple[str, str]]:
    listed = subprocess.run(
        [*MUTMUT, "results", "--all", "true"],
        cwd=cwd,
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    return [
        (match["name"], match["status"].strip())
        for line in listed.splitlines()
        if (match := _RESULT_LINE.match(line))
    ]


def collect(cwd: Path = ROOT) -> list[Mutant]:
    mutants = []
    for name, status in _statuses(cwd):
        if status in _KILLED or status in _PENDING:
            mutants.append(Mutant(name, status, (), ()))
            continue
        removed, added = _diff_lines(name, cwd)
        mutants.append(Mutant(name, status, removed, added))
    return mutants


def load_equivalents() -> list[dict[str, str]]:
    if not EQUIVALENT_FILE.is_file():
        return []
    with EQUIVALENT_FILE.open("rb") as handle:
        entries: list[dict[str, str]] = tomllib.load(handle).get("equivalent", [])
    for entry in entries:
        missing = {"function", "removed", "added", "reason"} - entry.keys()
        if missing:
            raise SystemExit(f"{EQUIVALENT_FILE}: an entry lacks {sorted(missing)}: {entry}")
    return entries


def explained(mutant: Mutant, equivalents: list[dict[str, str]]) -> str | None:
    """The documented reason a behavioural survivor is equivalent, if one matches."""
    removed, added = " / ".join(mutant.removed), " / ".join(mutant.added)
    for entry in equivalents:
        if (
            mutant.module.endswith(entry.get("module", mutant.module))
            and entry["function"] == mutant.function
            and entry["removed"] == removed
            and entry["added"] == added
        ):
            return entry["reason"]
    return None


def report(mutants: list[Mutant], equivalents: list[dict[str, str]]) -> dict[str, object]:
    pending = [m for m in mutants if m.status in _PENDING]
    survivors = [m for m in mutants if m.status not in _KILLED and m.status not in _PENDING]
    messages = [m for m in survivors if message_only(m)]
    behavioural = [m for m in survivors if not message_only(m)]
    documented = [(m, r) for m in behavioural if (r := explained(m, equivalents))]
    unexplained = [m for m in behavioural if not explained(m, equivalents)]
    by_module: dict[str, dict[str, int]] = {}
    for m in mutants:
        row = by_module.setdefault(
            m.module, {"total": 0, "killed": 0, "survived": 0, "not_checked": 0}
        )
        row["total"] += 1
        if m.status in _KILLED:
            row["killed"] += 1
        elif m.status in _PENDING:
            row["not_checked"] += 1
        else:
            row["survived"] += 1
    return {
        "total": len(mutants),
        "killed": len(mutants) - len(survivors) - len(pending),
        "not_checked": len(pending),
        "message_only": len(messages),
        "equivalent": len(documented),
        "unexplained": len(unexplained),
        "by_module": by_module,
        "unexplained_mutants": [asdict(m) | {"function": m.function} for m in unexplained],
        "equivalent_mutants": [asdict(m) | {"reason": r} for m, r in documented],
    }


def write_markdown(summary: dict[str, object], path: Path) -> None:
    lines = [
        "# Mutation report",
        "",
        f"{summary['total']} mutants: {summary['killed']} killed; survivors: "
        f"{summary['message_only']} message-only, {summary['equivalent']} documented as "
        f"equivalent, **{summary['unexplained']} unexplained**; "
        f"{summary['not_checked']} not checked yet.",
        "",
        "| module | mutants | killed | survived | not checked |",
        "|---|---:|---:|---:|---:|",
    ]
    by_module = summary["by_module"]
    assert isinstance(by_module, dict)
    for module, row in sorted(by_module.items()):
        lines.append(
            f"| `{module}` | {row['total']} | {row['killed']} | {row['survived']} "
            f"| {row['not_checked']} |"
        )
    lines += ["", "## Unexplained survivors (each needs a test, or a reason)", ""]
    unexplained = summary["unexplained_mutants"]
    assert isinstance(unexplained, list)
    for m in unexplained:
        lines.append(f"- `{m['name']}` ({m['status']}) in `{m['function']}`")
        for removed in m["removed"]:
            lines.append(f"  - `- {removed}`")
        for added in m["added"]:
            lines.append(f"  - `+ {added}`")
    if not unexplained:
        lines.append("None.")
    lines += ["", "## Documented equivalent survivors", ""]
    equivalent = summary["equivalent_mutants"]
    assert isinstance(equivalent, list)
    for m in equivalent:
        lines.append(f"- `{m['name']}`: {m['reason']}")
    if not equivalent:
        lines.append("None.")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def default_workdir(group: str) -> Path:
    return Path(tempfile.gettempdir()) / "trustlpr-mutation" / group


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report-only", action="store_true", help="report the last run")
    parser.add_argument(
        "--jobs", "--max-children", type=int, default=os.cpu_count() or 1, help="parallel mutants"
    )
    parser.add_argument(
        "--group",
        help="run one group of [tool.trustlpr.mutation.groups] (pyproject.toml) in a scratch copy",
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        help="the scratch copy for --group (default: $TMPDIR/trustlpr-mutation/GROUP)",
    )
    parser.add_argument(
        "--rerun-survivors",
        action="store_true",
        help="with --group: re-test the mutants that survived or had no test",
    )
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        metavar="GLOB",
        help="re-test only the mutants whose name matches (fnmatch; repeatable), e.g. "
        "'trustlpr.audit.detail.xǁDetailStoreǁshred__mutmut_*'",
    )
    args = parser.parse_args(argv)
    if (args.workdir or args.rerun_survivors) and not args.group:
        parser.error("--workdir and --rerun-survivors need --group")
    if args.only and args.rerun_survivors:
        parser.error("--only and --rerun-survivors exclude each other")
    if args.group:
        groups = load_groups()
        if args.group not in groups:
            parser.error(f"unknown group {args.group!r}; groups: {', '.join(sorted(groups))}")
        args.workdir = (args.workdir or default_workdir(args.group)).resolve()
        if args.workdir == ROOT or ROOT in args.workdir.parents:
            parser.error("--workdir must be outside the work tree")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    cwd, out_dir = ROOT, OUT_DIR
    if args.group:
        cwd, out_dir = args.workdir, OUT_DIR / args.group
        if not args.report_only:
            sync_tree(ROOT, cwd, load_groups()[args.group])
            print(f"mutation group {args.group}: scratch copy in {cwd}")
    if not args.report_only:
        env = os.environ | {"COLUMNS": "200"}
        names: list[str] = []
        if args.rerun_survivors:
            names = [name for name, status in _statuses(cwd) if status in _SURVIVING]
            print(f"re-testing {len(names)} surviving mutants")
        names = names or list(args.only)
        if not args.rerun_survivors or names:
            subprocess.run(
                [*MUTMUT, "run", "--max-children", str(args.jobs), *names],
                cwd=cwd,
                env=env,
                check=False,
            )
    mutants = collect(cwd)
    if not mutants:
        print("mutation report: mutmut produced no results (see its output above)")
        return 2
    summary = report(mutants, load_equivalents())
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "report.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    write_markdown(summary, out_dir / "report.md")
    print(
        f"mutation report: {summary['total']} mutants, {summary['killed']} killed, "
        f"{summary['message_only']} message-only, {summary['equivalent']} equivalent, "
        f"{summary['unexplained']} unexplained, {summary['not_checked']} not checked "
        f"-> {out_dir / 'report.md'}"
    )
    return 1 if summary["unexplained"] or summary["not_checked"] else 0


if __name__ == "__main__":
    sys.exit(main())
