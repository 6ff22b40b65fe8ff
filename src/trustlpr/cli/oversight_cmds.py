"""``trustlpr oversight``: misuse reports over Flock audit exports and our own audit log."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from ..core.errors import FormatError, InputError
from ..oversight import import_files, load_config, read_own_log, records_from_audit, run_rules
from ..oversight.access import who_searched
from ..oversight.reading import ImportResult, total_bytes
from ..oversight.report import import_summary, write_report
from ..oversight.rules import RULES, default_text
from .common import console, err_console, print_json, progress, settings
from .oversight_lookup_cmds import SHARING_HELP, access_inputs, add_commands

app = typer.Typer(
    help="Find misuse in ALPR search audit logs: Flock exports released under public-records "
    "laws, and TrustLPR's own transparency log.",
    no_args_is_help=True,
)

FILES_HELP = (
    "Flock audit exports (CSV or XLSX, any known layout) and admin event logs; many at once, "
    "one per agency or month. Duplicated rows across files are counted once."
)
JOBS_HELP = "Worker processes for big CSV files (default: 2, or 1 on a one-core machine)."


def _import(files: list[Path], jobs: int | None, own_log: bool, ctx: typer.Context) -> ImportResult:
    own = records_from_audit(read_own_log(settings(ctx).data_dir)) if own_log else None
    with progress(transient=True) as bar:
        task = bar.add_task("importing", total=total_bytes(files) or None)
        return import_files(
            files, jobs=jobs, own_records=own, progress=lambda n: bar.advance(task, n)
        )


def _warn_failures(result: ImportResult) -> None:
    for report in result.files:
        if report.error:
            err_console.print(f"[yellow]skipped:[/] {report.error}", highlight=False)
        elif report.rejected:
            err_console.print(
                f"[yellow]{Path(report.path).name}:[/] {report.rejected} row(s) rejected "
                "(line numbers in the report)",
                highlight=False,
            )


@app.command()
def report(
    ctx: typer.Context,
    files: list[Path] = typer.Argument(None, help=FILES_HELP, show_default=False),
    out: Path = typer.Option(
        ..., "--out", "-o", help="Directory for report.html and findings.csv."
    ),
    json_out: bool = typer.Option(
        False,
        "--json",
        help="Print a JSON summary (files, rows_imported, incidents, practices, findings, ...).",
    ),
    config: Path = typer.Option(
        None, "--config", help="TOML file of rule thresholds (see `trustlpr oversight config`)."
    ),
    own_log: bool = typer.Option(
        False, "--own-log", help="Also read this node's transparency log (--data-dir), read-only."
    ),
    home_state: str = typer.Option(
        None, "--home-state", help="Two-letter state whose data was searched (default: inferred)."
    ),
    show_plates: bool = typer.Option(
        False, "--show-plates", help="Write full plates into the outputs instead of masked ones."
    ),
    jobs: int = typer.Option(None, "--jobs", "-j", min=1, help=JOBS_HELP),
    sharing_list: Path = typer.Option(None, "--sharing-list", help=SHARING_HELP),
    agency: list[str] = typer.Option(
        None, "--agency", help="The department's own organisation name(s) (repeatable)."
    ),
    state_laws: Path = typer.Option(
        None, "--state-laws", help="Your own state-laws table (see `oversight access --help`)."
    ),
    title: str = typer.Option(
        "ALPR search audit: oversight report", "--title", help="Title of the HTML report."
    ),
) -> None:
    """Import exports, run the misuse rules, write a self-contained HTML report and findings.csv.

    A file that is not an export is reported and skipped; the rest of the batch goes on. Bad
    rows are reported with their line number and skipped.
    """
    files = list(files or [])
    if not files and not own_log:
        raise InputError("give at least one export file, or --own-log", field="FILES")
    overrides = {"out_of_state": {"home_state": home_state.upper()}} if home_state else None
    if own_log and not home_state:
        overrides = {"out_of_state": {"home_state": settings(ctx).agency_state}}
    rules = load_config(config, overrides)
    laws, sharing = access_inputs(sharing_list, state_laws)
    result = _import(files, jobs, own_log, ctx)
    _warn_failures(result)
    with err_console.status("running rules and writing the report"):
        run = run_rules(result.table, result.events, rules, result.file_columns())
        access = who_searched(run.context, laws, sharing, agency)
        info = write_report(out, result, run, show_plates=show_plates, title=title, access=access)
    if json_out:
        print_json(info)
    else:
        _print_summary(info)
    if result.rows_imported == 0 and result.events_imported == 0:
        raise FormatError("no file could be imported; see the messages above and report.html")


def _print_summary(info: dict[str, object]) -> None:
    by_severity = info["findings_by_severity"]
    assert isinstance(by_severity, dict)
    console.print(
        f"{info['rows_imported']:,} searches and {info['events_imported']:,} admin events from "
        f"{info['files']} file(s); {info['rows_rejected']:,} rows rejected, "
        f"{info['duplicates']:,} duplicates dropped."
    )
    practices = info["practices"]
    assert isinstance(practices, list)
    console.print(
        f"{info['incidents']} incidents ({info['rows_in_incidents']:,} searches); "
        f"{len(practices)} department practices"
        + "".join(f"\n  {p['share']:.0%} of searches: {p['rule']}" for p in practices)
    )
    console.print(
        f"{info['findings']} findings in all: {by_severity.get('high', 0)} high, "
        f"{by_severity.get('medium', 0)} medium, {by_severity.get('low', 0)} low."
    )
    console.print(f"report: {info['report']}\nfindings: {info['findings_csv']}")


@app.command()
def check(
    ctx: typer.Context,
    files: list[Path] = typer.Argument(..., help=FILES_HELP),
    json_out: bool = typer.Option(False, "--json", help="Print the per-file results as JSON."),
    jobs: int = typer.Option(None, "--jobs", "-j", min=1, help=JOBS_HELP),
    max_issues: int = typer.Option(20, help="How many row problems to list (all are counted)."),
) -> None:
    """Import only: what layout each file has, how many rows were read, rejected or skipped."""
    result = _import(files, jobs, False, ctx)
    if json_out:
        info = import_summary(result)
        info["issues"] = [str(i) for i in result.issues[:max_issues]]
        print_json(info)
        return
    table = Table("file", "kind", "layout", "rows", "rejected", "skipped", "dupes", "problem")
    for f in result.files:
        table.add_row(
            Path(f.path).name, f.kind, f.layout, f"{f.rows:,}", str(f.rejected), str(f.skipped),
            str(f.duplicates), f.error or "",
        )  # fmt: skip
    console.print(table)
    for issue in result.issues[:max_issues]:
        console.print(f"  {issue}", highlight=False, markup=False)
    if len(result.issues) > max_issues:
        console.print(f"  … and {len(result.issues) - max_issues} more")


@app.command("rules")
def list_rules(
    json_out: bool = typer.Option(False, "--json", help="Print the rule catalogue as JSON."),
) -> None:
    """List the misuse rules: id, signal number, what each looks for and which columns it reads."""
    if json_out:
        print_json([vars(r) for r in RULES.values()])
        return
    table = Table("rule", "signal", "looks for", "reads")
    for r in RULES.values():
        table.add_row(r.rule, str(r.signal or "vendor"), r.title, r.needs)
    console.print(table)


@app.command("config")
def show_config() -> None:
    """Print the default rule thresholds as TOML, to copy, edit and pass with --config."""
    typer.echo(default_text(), nl=False)


add_commands(app)


def register(root: typer.Typer) -> None:
    """Adds ``oversight`` to the ``trustlpr`` command."""
    root.add_typer(app, name="oversight")
