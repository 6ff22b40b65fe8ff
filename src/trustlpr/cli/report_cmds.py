"""``trustlpr report annual``: the statutory annual report, from the public log alone."""

from __future__ import annotations

import json
from pathlib import Path

import typer

from ..core.errors import InputError
from ..transparency import read_jsonl
from ..transparency.annual import FORMATS, annual_report, check_year, render_html
from ..transparency.pdf import html_to_pdf
from ..transparency.source import is_url, read_jsonl_url
from .common import print_json
from .transparency_cmds import tally_download, tally_local

app = typer.Typer(help="Reports the statutes ask for, computed from the public log.")


@app.command("annual")
def annual(
    ctx: typer.Context,
    year: int = typer.Option(..., "--year", help="The calendar year (UTC) to report on."),
    fmt: str = typer.Option("html", "--format", help="html, json or pdf (pdf needs --out)."),
    policy: str | None = typer.Option(
        None,
        "--policy",
        help="The policy whose statute the report follows (default: the policy the log "
        "records in force at the end of the year).",
    ),
    log: str | None = typer.Option(
        None,
        "--log",
        help="A public-log JSONL download: a file, or the URL of a portal's "
        "/log/download.jsonl. Default: the log of the local data directory.",
    ),
    size: int | None = typer.Option(
        None, "--size", min=0, help="Count only the first SIZE entries (default: all)."
    ),
    out: Path | None = typer.Option(
        None, "--out", dir_okay=False, help="Write the report to this file (default: stdout)."
    ),
) -> None:
    """The annual report each policy's statute asks for, every figure citing the statute.

    Every number is computed from the public log, so the same command on the public download
    gives the same report; the report states the log size and root hash it counted.
    """
    check_year(year)
    if fmt not in FORMATS:
        raise InputError(
            f"unknown format {fmt[:20]!r}; use one of {', '.join(FORMATS)}", field="--format"
        )
    if fmt == "pdf" and out is None:
        raise InputError("a PDF is written to a file: give --out", field="--out")
    if log is None:
        tally = tally_local(ctx, size)
    elif is_url(log):
        tally = tally_download(read_jsonl_url(log), log, size)
    else:
        tally = tally_download(read_jsonl(Path(log)), Path(log).name, size)
    report = annual_report(tally, year, policy)
    if fmt == "json":
        if out is None:
            print_json(report)
            return
        body = (json.dumps(report, sort_keys=True, indent=1) + "\n").encode()
    else:
        html = render_html(report)
        if out is None:
            typer.echo(html, nl=False)
            return
        body = html_to_pdf(html) if fmt == "pdf" else html.encode()
    try:
        out.write_bytes(body)
    except OSError as exc:
        raise InputError(f"cannot write {out}: {exc}", field="--out") from exc


def register(root: typer.Typer) -> None:
    root.add_typer(app, name="report")
