"""``trustlpr oversight access`` (who really searched) and ``trustlpr oversight plate`` (was my
plate searched?): the two questions asked of exports by people outside the department."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from ..oversight import import_files, load_config
from ..oversight.access import (
    AccessReport,
    SharingList,
    StateLaws,
    load_state_laws,
    read_sharing_list,
    who_searched,
)
from ..oversight.plate import find_plate
from ..oversight.reading import ImportResult, total_bytes
from ..oversight.rules import Context
from .common import console, err_console, print_json, progress

FILES_HELP = (
    "Flock audit exports (CSV or XLSX): network audits (searches of the agency's cameras by "
    "other organisations) or the agency's own search audit."
)
SHARING_HELP = (
    "The organisations the agency says have access (its transparency portal's list): a CSV "
    "with an organisation column, or one name a line."
)
AGENCY_HELP = (
    "The department's own organisation name(s) as the exports spell them (repeatable; "
    "default: per file, the organisation behind more than half of its searches)."
)
LAWS_HELP = (
    "A state-laws table of your own (TOML, same format as the shipped one: `trustlpr "
    "oversight access --print-laws`), replacing the shipped entries state by state."
)


def _read(files: list[Path], jobs: int | None) -> ImportResult:
    with progress(transient=True) as bar:
        task = bar.add_task("importing", total=total_bytes(files) or None)
        result = import_files(files, jobs=jobs, progress=lambda n: bar.advance(task, n))
    for report in result.files:
        if report.error:
            err_console.print(f"[yellow]skipped:[/] {report.error}", highlight=False)
    return result


def access_inputs(
    sharing_list: Path | None, state_laws: Path | None
) -> tuple[StateLaws, SharingList | None]:
    """The state-laws table and the sharing list, read (and refused if bad) before any
    export is imported."""
    return load_state_laws(state_laws), read_sharing_list(sharing_list) if sharing_list else None


def add_commands(app: typer.Typer) -> None:
    """Adds ``access`` and ``plate`` to the ``oversight`` command group."""

    @app.command()
    def access(
        files: list[Path] = typer.Argument(None, help=FILES_HELP, show_default=False),
        sharing_list: Path = typer.Option(None, "--sharing-list", help=SHARING_HELP),
        agency: list[str] = typer.Option(None, "--agency", help=AGENCY_HELP),
        state_laws: Path = typer.Option(None, "--state-laws", help=LAWS_HELP),
        json_out: bool = typer.Option(False, "--json", help="Print the whole list as JSON."),
        print_laws: bool = typer.Option(
            False, "--print-laws", help="Print the shipped state-laws table (TOML) and exit."
        ),
        jobs: int = typer.Option(None, "--jobs", "-j", min=1, help="Worker processes."),
    ) -> None:
        """Who really has access: every outside organisation that searched, its state,
        federal or not, its state's law on abortion and gender-affirming care, its searches
        and reasons. With --sharing-list, organisations missing from the list come first."""
        if print_laws:
            from importlib import resources

            text = resources.files("trustlpr.oversight.access").joinpath("state_laws.toml")
            typer.echo(text.read_text(encoding="utf-8"), nl=False)
            return
        if not files:
            from ..core.errors import InputError

            raise InputError("give at least one export file", field="FILES")
        laws, sharing = access_inputs(sharing_list, state_laws)
        result = _read(files, jobs)
        ctx = Context(result.table, result.events, load_config(), result.file_columns())
        report = who_searched(ctx, laws, sharing, agency)
        if json_out:
            print_json(report.to_json())
            return
        _print_access(report)

    @app.command()
    def plate(
        plate: str = typer.Argument(
            ..., help="The plate, as on the car (spaces and dashes ignored)."
        ),
        files: list[Path] = typer.Argument(..., help="Flock audit exports (CSV or XLSX)."),
        similar: bool = typer.Option(
            False,
            "--similar",
            help="Also plates that differ only by misreadings (O/0, I/1, B/8, S/5, Z/2).",
        ),
        out: Path = typer.Option(
            None, "--out", "-o", help="Also write DIR/plate.html (plates always masked there)."
        ),
        show_plates: bool = typer.Option(
            False, "--show-plates", help="Show similar plates (other cars) in full as well."
        ),
        json_out: bool = typer.Option(False, "--json", help="Print the answer as JSON."),
        jobs: int = typer.Option(None, "--jobs", "-j", min=1, help="Worker processes."),
    ) -> None:
        """Was my plate searched? Every search in the exports that names PLATE (exactly, or
        a partial search whose wildcards cover it): when, by whom, from which organisation,
        and the reason given."""
        from ..core.plates import normalize_plate

        normalize_plate(plate)  # a bad plate is refused before any file is read
        result = _read(files, jobs)
        answer = find_plate(result.table, plate, similar=similar)
        if out is not None:
            from ..oversight.report.plate_html import write_plate_html

            out.mkdir(parents=True, exist_ok=True)
            write_plate_html(out / "plate.html", answer, result)
        if json_out:
            info = answer.to_json(show_plates)
            if out is not None:
                info["report"] = str(out / "plate.html")
            print_json(info)
            return
        console.print(
            f"{len(answer.matches)} of {answer.searches:,} searches name this plate"
            + (
                f"; {answer.masked_plate_searches:,} searches have masked details and no plate "
                "shown (any could be it)"
                if answer.masked_plate_searches
                else ""
            ),
            highlight=False,
        )
        if answer.matches:
            table = Table("when (UTC)", "match", "plate", "user", "organisation", "reason", "case")
            for m in (match.to_json(show_plates) for match in answer.matches):
                table.add_row(
                    str(m["time"])[:19].replace("T", " "), str(m["match"]), str(m["plate"]),
                    str(m["user"] or "—"), str(m["org"] or "—"), str(m["reason"] or "(blank)"),
                    str(m["case_number"] or ""),
                )  # fmt: skip
            console.print(table)


def _print_access(report: AccessReport) -> None:
    s = report.summary()
    line = (
        f"{s['outside_orgs']:,} outside organisations made {s['outside_searches']:,} searches; "
        f"{s['federal_orgs']} federal, {s['orgs_in_criminalising_states']} in states the table "
        "marks as criminalising abortion or gender-affirming care"
    )
    if report.sharing_list:
        line += (
            f"; {s['orgs_not_on_list']} not on the sharing list, "
            f"{s['listed_not_seen']} listed without a search here"
        )
    console.print(line + ".", highlight=False)
    table = Table("organisation", "state", "federal", "abortion", "gender care", "searches",
                  "on list", "concerns")  # fmt: skip
    for o in report.orgs:
        table.add_row(
            o.org, o.state or "?", "yes" if o.federal else "", o.abortion or "unknown",
            o.gender_affirming_care or "unknown", f"{o.searches:,}",
            "" if o.on_list is None else ("yes" if o.on_list else "NO"), "; ".join(o.concerns),
        )  # fmt: skip
    console.print(table)
    for source, as_of in report.law_sources:
        console.print(f"state laws: {source} (as of {as_of})", highlight=False)
