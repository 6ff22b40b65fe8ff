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
"""

from __future__ import annotations

import argparse
import io
import json
import os
import re
import subprocess
import sys
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
    """True when the mutant changes nothing but the text of strings (messages)."""
    if len(mutant.removed) != len(mutant.added) or not mutant.removed:
        return False
    return all(
        _strip_text(a) == _strip_text(b) for a, b in zip(mutant.removed, mutant.added, strict=True)
    )


def _diff_lines(name: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    shown = subprocess.run(
        [*MUTMUT, "show", name], cwd=ROOT, capture_output=True, text=True, check=False
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


def collect() -> list[Mutant]:
    listed = subprocess.run(
        [*MUTMUT, "results", "--all", "true"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    mutants = []
    for line in listed.splitlines():
        match = _RESULT_LINE.match(line)
        if not match:
            continue
        status = match["status"].strip()
        if status in ("killed", "timeout"):
            mutants.append(Mutant(match["name"], status, (), ()))
            continue
        removed, added = _diff_lines(match["name"])
        mutants.append(Mutant(match["name"], status, removed, added))
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
    survivors = [m for m in mutants if m.status not in ("killed", "timeout")]
    messages = [m for m in survivors if message_only(m)]
    behavioural = [m for m in survivors if not message_only(m)]
    documented = [(m, r) for m in behavioural if (r := explained(m, equivalents))]
    unexplained = [m for m in behavioural if not explained(m, equivalents)]
    by_module: dict[str, dict[str, int]] = {}
    for m in mutants:
        row = by_module.setdefault(m.module, {"total": 0, "killed": 0, "survived": 0})
        row["total"] += 1
        row["killed" if m.status in ("killed", "timeout") else "survived"] += 1
    return {
        "total": len(mutants),
        "killed": len(mutants) - len(survivors),
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
        f"equivalent, **{summary['unexplained']} unexplained**.",
        "",
        "| module | mutants | killed | survived |",
        "|---|---:|---:|---:|",
    ]
    by_module = summary["by_module"]
    assert isinstance(by_module, dict)
    for module, row in sorted(by_module.items()):
        lines.append(f"| `{module}` | {row['total']} | {row['killed']} | {row['survived']} |")
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--report-only", action="store_true", help="report the last run")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="parallel mutants")
    args = parser.parse_args()
    if not args.report_only:
        env = os.environ | {"COLUMNS": "200"}
        subprocess.run(
            [*MUTMUT, "run", "--max-children", str(args.jobs)], cwd=ROOT, env=env, check=False
        )
    mutants = collect()
    if not mutants:
        print("mutation report: mutmut produced no results (see its output above)")
        return 2
    summary = report(mutants, load_equivalents())
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    (OUT_DIR / "report.json").write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    write_markdown(summary, OUT_DIR / "report.md")
    print(
        f"mutation report: {summary['total']} mutants, {summary['killed']} killed, "
        f"{summary['message_only']} message-only, {summary['equivalent']} equivalent, "
        f"{summary['unexplained']} unexplained -> {OUT_DIR / 'report.md'}"
    )
    return 1 if summary["unexplained"] else 0


if __name__ == "__main__":
    sys.exit(main())
