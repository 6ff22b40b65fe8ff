"""Sharing-agreement commands: propose, amend, attest, approve, reject, revoke, and the lists
the public portal shows (agreements in force, grantees, change history). Changes work the
same while ``trustlpr serve`` runs (through its admin socket, ``cli/administer.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Annotated

import typer

from ..core.clock import iso, parse_utc, system_clock
from ..core.errors import InputError
from ..core.events import PublicValue
from ..identity import Commitment, make_attestation
from .administer import administer
from .common import AsUser, Json, Token, console, identity_store, print_json, table

sharing_app = typer.Typer(
    help="Sharing agreements between agencies: widening needs a second admin's approval.",
    no_args_is_help=True,
)
Owner = Annotated[
    str | None,
    typer.Option("--owner", help="Owner agency of the data (default: agency_id in config.toml)."),
]
At = Annotated[str | None, typer.Option("--at", help="Answer as of this ISO 8601 time.")]

# -- sharing --------------------------------------------------------------------------------

Purposes = Annotated[
    list[str] | None,
    typer.Option("--purpose", help="A purpose code the grantee may search for (repeatable)."),
]
Doc = Annotated[str | None, typer.Option("--doc", help="Attestation: document reference.")]
AttestedBy = Annotated[
    str | None, typer.Option("--attested-by", help="Attestation: who signed it (kept private).")
]
AttestedAt = Annotated[
    str | None, typer.Option("--attested-at", help="Attestation: when it was signed (ISO 8601).")
]
Commitments = Annotated[
    list[str] | None,
    typer.Option(
        "--commitment",
        help="Attestation: a promise, repeatable; default the three CT/IL ones: "
        + ", ".join(c.value for c in Commitment),
    ),
]


def _attestation(
    doc: str | None, by: str | None, at: str | None, commits: list[str] | None
) -> dict[str, object] | None:
    """The attestation's fields, checked here (as ``make_attestation`` will check them
    where the action runs) so a mistake is named before anyone signs in."""
    if doc is None and by is None and at is None and not commits:
        return None
    if doc is None or by is None or at is None:
        raise InputError(
            "an attestation needs --doc, --attested-by and --attested-at", field="--doc"
        )
    default = [c.value for c in Commitment][:3]
    make_attestation(doc, by, at, commits or default)
    return {"doc": doc, "attested_by": by, "attested_at": at, "commitments": commits or default}


def _show(agreement: Mapping[str, object], verb: str) -> None:
    console.print(
        f"{verb} [bold]{agreement['id']}[/] v{agreement['version']} "
        f"({agreement['status']}): {agreement['grantee_label']}"
    )
    if agreement["status"] == "pending":
        console.print(
            "it grants nothing until another admin runs "
            f"`trustlpr sharing approve {agreement['id']}`"
        )


def _names(value: PublicValue) -> str:
    return ", ".join(value) if isinstance(value, list) else ""


def _moment(at: str | None) -> datetime | None:
    return parse_utc(at, field="--at") if at else None


@sharing_app.command("add")
def sharing_add(
    ctx: typer.Context,
    grantee: str | None = typer.Option(None, "--grantee", help="Grantee agency id."),
    grantee_state: str | None = typer.Option(
        None, "--grantee-state", help="Or: every local/state police agency of this state."
    ),
    purpose: Purposes = None,
    expires: str = typer.Option(..., "--expires", help="End of the agreement (ISO 8601)."),
    owner: Owner = None,
    doc: Doc = None,
    attested_by: AttestedBy = None,
    attested_at: AttestedAt = None,
    commitment: Commitments = None,
    token: Token = None,
    as_user: AsUser = None,
    json_out: Json = False,
) -> None:
    """Propose an agreement; a second admin of the owner agency must approve it."""
    terms = {
        "owner": owner,
        "grantee": grantee,
        "grantee_state": grantee_state,
        "purposes": purpose or [],
        "expires_at": expires,
        "attestation": _attestation(doc, attested_by, attested_at, commitment),
    }
    proposed = administer(ctx, "sharing.propose", terms, token, as_user)
    if json_out:  # the new agreement's id, for the `sharing approve` of a script
        print_json(proposed)
        return
    _show(proposed, "proposed")


@sharing_app.command("amend")
def sharing_amend(
    ctx: typer.Context,
    agreement_id: str = typer.Argument(..., help="Agreement id (shr-…)."),
    purpose: Purposes = None,
    expires: str | None = typer.Option(None, "--expires", help="New end (ISO 8601)."),
    drop_attestation: bool = typer.Option(False, help="Withdraw the attestation on file."),
    token: Token = None,
    as_user: AsUser = None,
) -> None:
    """Change terms: narrowing applies at once, widening waits for a second admin."""
    terms = {
        "id": agreement_id,
        "purposes": purpose or None,
        "expires_at": expires,
        "drop_attestation": drop_attestation,
    }
    _show(administer(ctx, "sharing.amend", terms, token, as_user), "amended")


@sharing_app.command("attest")
def sharing_attest(
    ctx: typer.Context,
    agreement_id: str = typer.Argument(..., help="Agreement id (shr-…)."),
    doc: Doc = None,
    attested_by: AttestedBy = None,
    attested_at: AttestedAt = None,
    commitment: Commitments = None,
    token: Token = None,
    as_user: AsUser = None,
) -> None:
    """Put the grantee's written attestation on file (needs a second admin's approval)."""
    attestation = _attestation(doc, attested_by, attested_at, commitment)
    if attestation is None:
        raise InputError("give --doc, --attested-by and --attested-at", field="--doc")
    agreement = administer(
        ctx, "sharing.attest", {"id": agreement_id, "attestation": attestation}, token, as_user
    )
    _show(agreement, "attestation proposed for")


@sharing_app.command("approve")
def sharing_approve(
    ctx: typer.Context,
    agreement_id: str = typer.Argument(..., help="Agreement id with a pending change."),
    token: Token = None,
    as_user: AsUser = None,
) -> None:
    """Approve a pending change (an admin of the owner other than its proposer)."""
    _show(administer(ctx, "sharing.approve", {"id": agreement_id}, token, as_user), "approved")


@sharing_app.command("reject")
def sharing_reject(
    ctx: typer.Context,
    agreement_id: str = typer.Argument(..., help="Agreement id with a pending change."),
    token: Token = None,
    as_user: AsUser = None,
) -> None:
    """Reject (or withdraw) a pending change."""
    _show(administer(ctx, "sharing.reject", {"id": agreement_id}, token, as_user), "rejected")


@sharing_app.command("revoke")
def sharing_revoke(
    ctx: typer.Context,
    agreement_id: str = typer.Argument(..., help="Agreement id (shr-…)."),
    token: Token = None,
    as_user: AsUser = None,
) -> None:
    """End an agreement at once (one admin suffices)."""
    _show(administer(ctx, "sharing.revoke", {"id": agreement_id}, token, as_user), "revoked")


@sharing_app.command("list")
def sharing_list(
    ctx: typer.Context,
    owner: Owner = None,
    at: At = None,
    all_: bool = typer.Option(
        False, "--all", help="Every agreement in any status, not only those in force."
    ),
    json_out: Json = False,
) -> None:
    """List the agreements in force (or, with --all, every agreement's latest version)."""
    now = _moment(at) or system_clock()
    with identity_store(ctx, changes=False) as (store, cfg):
        if all_:
            found = store.sharing.listing(owner)
        else:
            found = store.sharing.agreements(owner or cfg.agency_id, now)
    if json_out:
        print_json([{**a.public(), "status": a.status_at(now)} for a in found])
        return
    table(
        "sharing agreements",
        ["id", "v", "owner", "grantee", "purposes", "expires", "attestation", "status"],
        [
            (
                a.id,
                a.version,
                a.owner_agency_id,
                a.grantee_label,
                ", ".join(sorted(p.value for p in a.purposes)),
                iso(a.expires_at),
                "on file" if a.attestation_complete else "none",
                a.status_at(now),
            )
            for a in found
        ],
    )


@sharing_app.command("grantees")
def sharing_grantees(
    ctx: typer.Context, owner: Owner = None, at: At = None, json_out: Json = False
) -> None:
    """Every agency with access to the owner's data, from the agreements themselves."""
    with identity_store(ctx, changes=False) as (store, cfg):
        found = store.sharing.grantees(owner or cfg.agency_id, _moment(at))
    if json_out:
        print_json([g.public() for g in found])
        return
    table(
        "agencies with access",
        ["grantee", "state", "purposes", "expires", "attestation"],
        [
            (
                g.name,
                g.state,
                ", ".join(p.value for p in g.purposes),
                iso(g.expires_at),
                "on file" if g.attestation_on_file else "none",
            )
            for g in found
        ],
    )


@sharing_app.command("history")
def sharing_history(ctx: typer.Context, owner: Owner = None, json_out: Json = False) -> None:
    """The published change history: every proposal, approval, narrowing and revocation."""
    with identity_store(ctx, changes=False) as (store, _):
        changes = store.sharing.history(owner)
    if json_out:
        print_json([c.public() for c in changes])
        return
    table(
        "sharing history",
        ["seq", "at", "agreement", "v", "action", "added", "removed"],
        [
            (
                c.seq,
                iso(c.at),
                c.agreement_id,
                c.version,
                c.action,
                _names(c.diff.get("purposes_added")),
                _names(c.diff.get("purposes_removed")),
            )
            for c in changes
        ],
    )


def register(app: typer.Typer) -> None:
    """Adds ``sharing`` to the ``trustlpr`` command."""
    app.add_typer(sharing_app, name="sharing")
