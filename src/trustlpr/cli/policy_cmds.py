"""``trustlpr policy ...``: list, show, validate and compile policies; evaluate request files."""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

import typer
from rich.table import Table

from ..core.errors import InputError
from ..policy import PolicyEngine, evaluate_lines, list_policies, load_policy, screen_reason
from ..policy.cedar import SCHEMA, compile_policy
from ..policy.sources import Sources
from .common import console, err_console, print_json, progress, settings

app = typer.Typer(
    help="Jurisdiction policies: which searches the law of the data's owner allows, and why.",
    no_args_is_help=True,
)

POLICY_HELP = "A shipped policy name (see `trustlpr policy list`) or the path of a policy file."


@app.command("list")
def list_cmd(
    as_json: bool = typer.Option(False, "--json", help="Print JSON instead of a table."),
) -> None:
    """List the shipped policies with their statute, retention and sharing."""
    policies = [load_policy(name) for name in list_policies()]
    if as_json:
        print_json([p.to_dict() for p in policies])
        return
    table = Table("name", "state", "non-hit", "hit", "attested states", "others", "federal")
    for p in policies:
        d = p.to_dict()
        table.add_row(
            p.name,
            p.jurisdiction or "(own)",
            d["retention"]["nonhit"],
            d["retention"]["hit"],
            ", ".join(d["sharing"]["attestation_states"]) or "-",
            d["sharing"]["out_of_state"],
            d["sharing"]["federal"],
        )
    console.print(table)


@app.command("show")
def show_cmd(
    name: str = typer.Argument(..., help=POLICY_HELP),
    as_json: bool = typer.Option(False, "--json", help="Print every parameter as JSON."),
) -> None:
    """Show every parameter of a policy, with its statute, URL and unconfirmed points.

    The table at the end gives each parameter the file sets with its source: the section of
    the law (``cited``), a citation not yet read in the enacted text (``unconfirmed``), or a
    TrustLPR ``default``, and the date it was checked.
    """
    policy = load_policy(name)
    data = policy.to_dict()
    if as_json:
        print_json(data)
        return
    console.print(f"[bold]{policy.name}[/]: {policy.title}", highlight=False)
    console.print(f"{policy.statute.citation}\n{policy.statute.url}", highlight=False)
    console.print(f"effective {data['effective']}; jurisdiction {policy.jurisdiction or '-'}")
    for note in policy.statute.notes:
        console.print(f"  note: {note}", highlight=False)
    for section in ("retention", "purposes", "windows", "search_types", "hotlist", "sharing",
                    "approvals", "sensitive_locations"):  # fmt: skip
        console.print(f"[bold]{section}[/]")
        console.print_json(json.dumps(data[section]))
    if data["rules"]:
        console.print("[bold]local rules[/]")
        console.print_json(json.dumps(data["rules"]))
    if policy.sources is not None:
        _print_sources(policy.sources)


def _print_sources(sources: Sources) -> None:
    console.print(
        f"[bold]sources[/] (checked {sources.checked.isoformat()} against:)", highlight=False
    )
    for item in sources.checked_against:
        console.print(f"  - {item}", highlight=False)
    table = Table("parameter", "value", "status", "source", "checked")
    for key, citation in sorted(sources.parameters.items()):
        table.add_row(
            key,
            sources.values.get(key, ""),
            citation.status,
            citation.text,
            citation.checked.isoformat(),
        )
    console.print(table)


@app.command("validate")
def validate_cmd(
    files: list[Path] = typer.Argument(
        None, help="Policy files to check; without any, every shipped policy is checked."
    ),
) -> None:
    """Parse, compile to Cedar and validate against the schema; exit non-zero on any error.

    A parameter without a source in ``[sources]`` (a ``cite`` or a ``default``) is an error.
    """
    targets: list[str | Path] = list(files) if files else list(list_policies())
    for target in targets:
        policy = load_policy(target)
        rules = len(compile_policy(policy).rules)
        cited = list(policy.sources.parameters.values()) if policy.sources else []
        unconfirmed = sum(1 for c in cited if c.status == "unconfirmed")
        console.print(
            f"ok  {policy.name} ({target}): {rules} rules, {len(cited)} parameters sourced"
            f" ({unconfirmed} unconfirmed)",
            highlight=False,
        )


@app.command("compile")
def compile_cmd(
    name: str = typer.Argument(..., help=POLICY_HELP),
    schema: bool = typer.Option(False, "--schema", help="Print the Cedar schema instead."),
) -> None:
    """Print the Cedar policies a policy compiles to (or the schema they are checked against)."""
    if schema:
        typer.echo(SCHEMA, nl=False)
        return
    typer.echo(compile_policy(load_policy(name)).text, nl=False)


@app.command("evaluate")
def evaluate_cmd(
    ctx: typer.Context,
    file: Path = typer.Argument(
        ..., help="JSON Lines file with one search request per line ('-' reads stdin)."
    ),
    policy: str = typer.Option(..., "--policy", "-p", help=POLICY_HELP),
    owner_state: str = typer.Option(
        None,
        "--owner-state",
        help="State that owns the data; default: the policy's jurisdiction, else the "
        "configured agency_state (needed for strict-default).",
    ),
    approved: bool = typer.Option(
        False, "--approved", help="Judge as if a supervisor had approved every request."
    ),
    summary: bool = typer.Option(
        False, "--summary", help="Print counts per decision and rule on stderr at the end."
    ),
) -> None:
    """Judge every request of FILE as the live search would; one JSON decision per line.

    Output lines are exactly {"id", "decision", "reasons"}; a malformed line gives a deny
    that names its line number, and the run goes on.
    """
    loaded = load_policy(policy)
    state = owner_state or loaded.jurisdiction or settings(ctx).agency_state
    engine = PolicyEngine(loaded, owner_state=state)
    counts: Counter[str] = Counter()
    rules: Counter[str] = Counter()
    with _open(file) as stream, progress(transient=True) as bar:
        total = _count_lines(file)
        task = bar.add_task(f"evaluating under {loaded.name}", total=total)
        for result in evaluate_lines(
            engine, stream, approved=approved, on_line=lambda n: bar.update(task, completed=n)
        ):
            typer.echo(json.dumps(result.to_json(), ensure_ascii=False))
            counts[result.decision.outcome.value] += 1
            rules.update(r.rule for r in result.decision.reasons)
    if summary:
        err_console.print_json(json.dumps({"decisions": counts, "rules": rules}))


@app.command("screen")
def screen_cmd(
    reason: str = typer.Argument(..., help="The free-text reason of a search, in quotes."),
) -> None:
    """Show what reason screening finds in a search reason (prohibited words, vagueness...)."""
    found = screen_reason(reason)
    print_json({"reasons": [{"rule": r.rule, "text": r.text} for r in found]})


@contextmanager
def _open(file: Path) -> Iterator[TextIO]:
    if str(file) == "-":
        yield sys.stdin
        return
    try:
        stream = file.open(encoding="utf-8", errors="replace")
    except OSError as exc:
        raise InputError(f"cannot read {file}: {exc.strerror}", field="FILE") from exc
    with stream:
        yield stream


def _count_lines(file: Path) -> int | None:
    if str(file) == "-":
        return None
    with file.open("rb") as raw:
        return sum(1 for _ in raw)


def register(root: typer.Typer) -> None:
    """Adds ``policy`` to the ``trustlpr`` command."""
    root.add_typer(app, name="policy")
