"""``trustlpr owner-request``: a resident's request for their own vehicle's reads.

Staff open the request (plate, state, the proof the resident showed), an officer or
supervisor verifies the proof of registration, and a second staff member, independent of the
verifier, approves: the search then runs at once (the registered plate exactly, the retention
window) and its answer is printed for the approver to give the resident. Each step is logged.
Locally the steps write the audit log (stop the service first); ``--url`` asks a running one.
"""

from __future__ import annotations

from typing import Any

import typer
from rich.table import Table

from ..core.errors import InputError
from ..search import owner_json
from .common import Json, Token, console, err_console, print_json, reader, writer
from .search_cmds import Url, _http, _need

owner_app = typer.Typer(
    help="Residents' own-vehicle requests: open, verify the proof, approve (a second person).",
    no_args_is_help=True,
)


def _show(row: dict[str, Any], json_out: bool) -> None:
    if json_out:
        print_json(row)
        return
    console.print(
        f"[bold]{row['request_id']}[/] {row['status']}  plate {row['plate'] or '-'} "
        f"{row['state'] or ''}  verified by {row['verifier'] or '-'}  until {row['expires_at']}",
        highlight=False,
    )
    answer = row.get("answer")
    if answer is None:
        return
    console.print(f"search {answer['request_id']}: {answer['status']} ({answer['decision']})")
    for reason in answer["reasons"]:
        console.print(f"  • [{reason['rule']}] {reason['text']}", highlight=False, markup=False)
    table = Table(title=f"{len(answer['results'])} read(s) to give the resident")
    for column in ("observed_at", "plate", "state", "camera_id", "lat", "lon"):
        table.add_column(column)
    for r in answer["results"]:
        table.add_row(*(str(r[c]) for c in ("observed_at", "plate", "state", "camera_id", "lat",
                                            "lon")))  # fmt: skip
    console.print(table)


def _step(ctx: typer.Context, request_id: str, step: str, note: str, token: str | None,
          url: str | None, json_out: bool) -> None:  # fmt: skip
    if not note.strip():
        raise InputError("say what you checked or why in --note", field="--note")
    if url:
        target = f"{url.rstrip('/')}/api/v1/owner-requests/{request_id}/{step}"
        _show(_http("POST", target, _need(token), {"note": note}), json_out)
        return
    with writer(ctx) as system:
        user, _ = system.identity.authenticate(_need(token))
        desk = system.owner_requests
        if step == "approve":
            answer = desk.approve(user, request_id, note=note)
            row = owner_json(answer.request, answer)
        elif step == "verify":
            row = owner_json(desk.verify(user, request_id, note=note))
        else:
            row = owner_json(desk.refuse(user, request_id, note=note))
    _show(row, json_out)


@owner_app.command("open")
def open_request(
    ctx: typer.Context,
    plate: str = typer.Option(..., help="The plate the resident asks about."),
    state: str = typer.Option(..., help="Its issuing state (two letters)."),
    proof: str = typer.Option(
        ..., help="What the resident showed as proof of registration (document and number)."
    ),
    token: Token = None,
    url: Url = None,
    json_out: Json = False,
) -> None:
    """Open a resident's request; nothing is searched until it is verified and approved."""
    if url:
        body = {"plate": plate, "state": state, "proof": proof}
        target = f"{url.rstrip('/')}/api/v1/owner-requests"
        _show(_http("POST", target, _need(token), body), json_out)
        return
    with writer(ctx) as system:
        user, _ = system.identity.authenticate(_need(token))
        row = owner_json(system.owner_requests.open(user, plate=plate, state=state, proof=proof))
    _show(row, json_out)
    err_console.print(
        f"next: an officer checks the proof: trustlpr owner-request verify {row['request_id']}",
        highlight=False,
        markup=False,
    )


@owner_app.command("list")
def list_requests(
    ctx: typer.Context, token: Token = None, url: Url = None, json_out: Json = False
) -> None:
    """Open requests waiting for their next step."""
    if url:
        rows = _http("GET", f"{url.rstrip('/')}/api/v1/owner-requests", _need(token))
    else:
        with reader(ctx) as node:
            user, _ = node.identity.authenticate(_need(token))
            rows = [owner_json(r) for r in node.owner_requests.waiting(user)]
    if json_out:
        print_json(rows)
        return
    for row in rows:
        _show(row, False)


@owner_app.command("verify")
def verify(
    ctx: typer.Context,
    request_id: str = typer.Argument(..., help="The request's id (OR-…)."),
    note: str = typer.Option(..., help="What the proof was checked against."),
    token: Token = None,
    url: Url = None,
    json_out: Json = False,
) -> None:
    """Record that you (an officer or supervisor) checked the proof of registration."""
    _step(ctx, request_id, "verify", note, token, url, json_out)


@owner_app.command("approve")
def approve(
    ctx: typer.Context,
    request_id: str = typer.Argument(..., help="The request's id (OR-…)."),
    note: str = typer.Option(..., help="Why it is approved."),
    token: Token = None,
    url: Url = None,
    json_out: Json = False,
) -> None:
    """Approve a verified request (a supervisor or admin independent of the verifier): the
    search runs now and its reads are printed for the resident."""
    _step(ctx, request_id, "approve", note, token, url, json_out)


@owner_app.command("refuse")
def refuse(
    ctx: typer.Context,
    request_id: str = typer.Argument(..., help="The request's id (OR-…)."),
    note: str = typer.Option(..., help="Why it is refused."),
    token: Token = None,
    url: Url = None,
    json_out: Json = False,
) -> None:
    """Refuse an open request; it never runs."""
    _step(ctx, request_id, "refuse", note, token, url, json_out)


def register(app: typer.Typer) -> None:
    app.add_typer(owner_app, name="owner-request")
