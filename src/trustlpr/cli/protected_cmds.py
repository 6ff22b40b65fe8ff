"""Protected-plates commands: propose an entry, approve or reject a proposal, propose a removal,
and list the registry (admins only). Every change needs a second admin's approval; changes run
through the admin table (``trustlpr.admin``), so they work while ``trustlpr serve`` runs."""

from __future__ import annotations

from typing import Annotated

import typer

from ..admin import Result
from ..core.clock import iso
from ..core.protected import ProtectedCategory
from .administer import administer
from .common import AsUser, Json, Token, console, print_json, reader, signed, table

protected_app = typer.Typer(
    help="The protected-plates registry (address confidentiality, survivors, officials, "
    "undercover): entries and removals need a second admin's approval.",
    no_args_is_help=True,
)
EntryId = Annotated[str, typer.Argument(help="Entry id (prt-…).")]


def _show(entry: Result, verb: str) -> None:
    console.print(
        f"{verb} [bold]{entry['id']}[/] ({entry['status']}, {entry['category']}): "
        f"{entry['plate']}, expires {entry['expires_at']}"
    )
    if entry["status"] == "pending" or entry["removal_proposed"]:
        console.print(
            f"nothing changes until another admin runs `trustlpr protected approve {entry['id']}`"
        )


@protected_app.command("add")
def protected_add(
    ctx: typer.Context,
    plate: str = typer.Argument(..., help="The plate to protect."),
    category: ProtectedCategory = typer.Option(..., "--category", help="Why it is protected."),
    expires: str = typer.Option(..., "--expires", help="End of the protection (ISO 8601)."),
    review: str | None = typer.Option(
        None, "--review", help="Review date (ISO 8601; default a year on, or the expiry)."
    ),
    state: str | None = typer.Option(None, "--state", help="The plate's state, if known."),
    note: str = typer.Option("", "--note", help="Private note, e.g. the ACP authorisation."),
    token: Token = None,
    as_user: AsUser = None,
) -> None:
    """Propose protecting a plate; a second admin must approve it."""
    args = {"plate": plate, "category": category.value, "expires_at": expires,
            "review_at": review, "state": state, "note": note}  # fmt: skip
    _show(administer(ctx, "protected.add", args, token, as_user), "proposed")


@protected_app.command("approve")
def protected_approve(
    ctx: typer.Context, entry_id: EntryId, token: Token = None, as_user: AsUser = None
) -> None:
    """Approve the waiting proposal (an entry or its removal); you must not be its proposer."""
    _show(administer(ctx, "protected.approve", {"id": entry_id}, token, as_user), "approved")


@protected_app.command("reject")
def protected_reject(
    ctx: typer.Context, entry_id: EntryId, token: Token = None, as_user: AsUser = None
) -> None:
    """Refuse (or withdraw your own) waiting proposal."""
    _show(administer(ctx, "protected.reject", {"id": entry_id}, token, as_user), "rejected")


@protected_app.command("remove")
def protected_remove(
    ctx: typer.Context, entry_id: EntryId, token: Token = None, as_user: AsUser = None
) -> None:
    """Propose ending an entry before its expiry; a second admin must approve it."""
    entry = administer(ctx, "protected.remove", {"id": entry_id}, token, as_user)
    _show(entry, "removal proposed for")


@protected_app.command("list")
def protected_list(
    ctx: typer.Context,
    ended: bool = typer.Option(False, "--ended", help="Also list ended entries (tombstones)."),
    json_out: Json = False,
    token: Token = None,
    as_user: AsUser = None,
) -> None:
    """The registry for review (admins); plates are masked."""
    with reader(ctx) as node:
        entries = node.protected.entries(actor=signed(node.identity, token, as_user), ended=ended)
        now = node.clock()
    rows = [
        {
            "id": e.id,
            "plate": e.masked_plate,
            "category": e.category.value,
            "status": e.status.value,
            "expires_at": iso(e.expires_at),
            "review_at": iso(e.review_at),
            "review_due": e.review_due(now),
            "removal_proposed": e.removal_proposed_by is not None,
        }
        for e in entries
    ]
    if json_out:
        print_json(rows)
        return
    table("protected plates", list(rows[0]) if rows else ["id"], [list(r.values()) for r in rows])


def register(app: typer.Typer) -> None:
    """Adds ``protected`` to the ``trustlpr`` command."""
    app.add_typer(protected_app, name="protected")
