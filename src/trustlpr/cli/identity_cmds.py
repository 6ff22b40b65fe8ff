"""Identity commands: ``agency``, ``user`` and ``token`` (``sharing`` is in ``sharing_cmds``).

Changes are signed by a user: ``--token`` (or ``TRUSTLPR_TOKEN``) with an API token, or ``--as
USER`` with a password prompt. They work the same while ``trustlpr serve`` runs: they then
go through its admin socket (``cli/administer.py``). Only while the node has no admin yet may
``agency add`` and ``user add`` run unsigned; the node's second admin is also added unsigned
(set-up). After that a new admin is a proposal until a second, independent admin approves it
(``user approve``).
"""

from __future__ import annotations

import typer

from ..core.clock import iso, parse_duration, system_clock
from ..core.errors import AuthError
from .administer import administer, administer_as, credential
from .common import (
    AsUser,
    Json,
    Token,
    console,
    err_console,
    identity_store,
    print_json,
    table,
)

agency_app = typer.Typer(help="Register and list agencies.", no_args_is_help=True)
user_app = typer.Typer(help="Manage users and their roles.", no_args_is_help=True)
token_app = typer.Typer(help="Issue, list and revoke API tokens.", no_args_is_help=True)


# -- agency ---------------------------------------------------------------------------------


@agency_app.command("add")
def agency_add(
    ctx: typer.Context,
    agency_id: str = typer.Argument(..., help="Short id, e.g. hartford-pd."),
    name: str = typer.Option(..., "--name", help="Display name, e.g. 'Hartford Police'."),
    state: str = typer.Option(..., "--state", help="Two-letter state code, e.g. CT."),
    type_: str = typer.Option("local", "--type", help="local, state, federal or vendor."),
    token: Token = None,
    as_user: AsUser = None,
) -> None:
    """Register an agency (its users may then be added)."""
    agency = administer(
        ctx,
        "agencies.add",
        {"id": agency_id, "name": name, "state": state, "type": type_},
        token,
        as_user,
    )
    console.print(f"added agency [bold]{agency['id']}[/] ({agency['type']}, {agency['state']})")


@agency_app.command("list")
def agency_list(ctx: typer.Context, json_out: Json = False) -> None:
    """List registered agencies."""
    with identity_store(ctx, changes=False) as (store, _):
        agencies = store.agencies()
    if json_out:
        print_json(
            [{"id": a.id, "name": a.name, "state": a.state, "type": a.type.value} for a in agencies]
        )
        return
    table(
        "agencies",
        ["id", "name", "state", "type"],
        [(a.id, a.name, a.state, a.type.value) for a in agencies],
    )


# -- user -----------------------------------------------------------------------------------


@user_app.command("add")
def user_add(
    ctx: typer.Context,
    user_id: str = typer.Argument(..., help="Login id, e.g. jsmith."),
    agency: str = typer.Option(..., "--agency", help="Id of the user's agency."),
    role: str = typer.Option(..., "--role", help="officer, supervisor, auditor or admin."),
    name: str = typer.Option(..., "--name", help="Display name (kept private)."),
    password: bool = typer.Option(
        False, "--password", help="Ask for a console password (needed to sign in with --as)."
    ),
    token: Token = None,
    as_user: AsUser = None,
) -> None:
    """Add a user. The node's first two admins are added unsigned (set-up); a later admin
    waits for a second admin's approval (`user approve`)."""
    secret = None
    if password:
        secret = typer.prompt(
            f"New password for {user_id}", hide_input=True, confirmation_prompt=True, err=True
        )
    user = administer(
        ctx,
        "users.add",
        {"id": user_id, "agency": agency, "role": role, "name": name, "password": secret},
        token,
        as_user,
    )
    if not user["active"]:
        console.print(
            f"proposed admin [bold]{user['id']}[/] of {user['agency_id']}: another admin, "
            f"independent of you, must approve (`trustlpr user approve {user['id']}`)"
        )
        return
    console.print(f"added user [bold]{user['id']}[/] ({user['role']} of {user['agency_id']})")


@user_app.command("list")
def user_list(
    ctx: typer.Context,
    agency: str | None = typer.Option(None, "--agency", help="Only users of this agency."),
    json_out: Json = False,
) -> None:
    """List users with their agency, role and status."""
    with identity_store(ctx, changes=False) as (store, _):
        users = store.users(agency)
    rows = [
        (u.id, u.agency_id, u.role.value, u.name, "active" if u.active else "disabled")
        for u in users
    ]
    if json_out:
        print_json(
            [dict(zip(("id", "agency_id", "role", "name", "status"), r, strict=True)) for r in rows]
        )
        return
    table("users", ["id", "agency", "role", "name", "status"], rows)


@user_app.command("set-role")
def user_set_role(
    ctx: typer.Context,
    user_id: str = typer.Argument(..., help="The user to change."),
    role: str = typer.Argument(..., help="officer, supervisor, auditor or admin."),
    token: Token = None,
    as_user: AsUser = None,
) -> None:
    """Change a user's role (an admin of the user's agency)."""
    user = administer(ctx, "users.set_role", {"id": user_id, "role": role}, token, as_user)
    if user["role"] != user["requested"]:
        console.print(f"proposed: {user['id']} becomes admin once a second admin approves")
        return
    console.print(f"{user['id']} is now {user['role']}")


@user_app.command("disable")
def user_disable(
    ctx: typer.Context,
    user_id: str = typer.Argument(..., help="The user to disable."),
    token: Token = None,
    as_user: AsUser = None,
) -> None:
    """Disable a user: their tokens and sessions stop working at once."""
    administer(ctx, "users.disable", {"id": user_id}, token, as_user)
    console.print(f"{user_id} is disabled")


@user_app.command("enable")
def user_enable(
    ctx: typer.Context,
    user_id: str = typer.Argument(..., help="The user to enable again."),
    token: Token = None,
    as_user: AsUser = None,
) -> None:
    """Enable a disabled user (for an admin: a proposal for a second admin)."""
    user = administer(ctx, "users.enable", {"id": user_id}, token, as_user)
    if not user["active"]:
        console.print(f"proposed: admin {user_id} is enabled once a second admin approves")
        return
    console.print(f"{user_id} is enabled")


@user_app.command("proposals")
def user_proposals(ctx: typer.Context, json_out: Json = False) -> None:
    """Admin grants waiting for a second admin's approval."""
    with identity_store(ctx, changes=False) as (store, _):
        rows = [
            (p.user_id, p.agency_id, p.kind, p.proposed_by, iso(p.proposed_at))
            for p in store.admin_proposals()
        ]
    keys = ("user_id", "agency_id", "kind", "proposed_by", "proposed_at")
    if json_out:
        print_json([dict(zip(keys, r, strict=True)) for r in rows])
        return
    table("admin grants waiting", keys, rows)


@user_app.command("approve")
def user_approve(
    ctx: typer.Context,
    user_id: str = typer.Argument(..., help="The user whose admin grant to approve."),
    token: Token = None,
    as_user: AsUser = None,
) -> None:
    """Approve a pending admin grant (an admin independent of the one who proposed it)."""
    administer(ctx, "users.approve", {"id": user_id}, token, as_user)
    console.print(f"{user_id} is now an active admin")


@user_app.command("reject")
def user_reject(
    ctx: typer.Context,
    user_id: str = typer.Argument(..., help="The user whose admin grant to refuse."),
    token: Token = None,
    as_user: AsUser = None,
) -> None:
    """Refuse (or, as its proposer, withdraw) a pending admin grant."""
    administer(ctx, "users.reject", {"id": user_id}, token, as_user)
    console.print(f"the admin grant of {user_id} was refused")


@user_app.command("set-password")
def user_set_password(
    ctx: typer.Context,
    user_id: str = typer.Argument(..., help="Whose console password to set."),
    token: Token = None,
    as_user: AsUser = None,
) -> None:
    """Set a console password (the user themself, or an admin of their agency)."""
    signer = credential(token, as_user)
    if signer.token is None and signer.user is None:
        raise AuthError("sign in with --token (or TRUSTLPR_TOKEN) or --as USER")
    secret = typer.prompt(
        f"New password for {user_id}", hide_input=True, confirmation_prompt=True, err=True
    )
    administer_as(ctx, "users.set_password", {"id": user_id, "password": secret}, signer)
    console.print(f"password of {user_id} set; their open console sessions were ended")


# -- token ----------------------------------------------------------------------------------


@token_app.command("create")
def token_create(
    ctx: typer.Context,
    user: str = typer.Option(..., "--user", help="Whose token it is."),
    expires_in: str = typer.Option("90d", "--expires-in", help="Lifetime, e.g. 30d (max 366d)."),
    label: str = typer.Option("", "--label", help="What the token is for (kept private)."),
    token: Token = None,
    as_user: AsUser = None,
) -> None:
    """Issue an API token. It is printed once, on stdout; store it now."""
    parse_duration(expires_in, field="--expires-in")  # refused here, before signing in
    created = administer(
        ctx,
        "tokens.create",
        {"user": user, "expires_in": expires_in, "label": label},
        token,
        as_user,
    )
    err_console.print(
        f"token {created['id']} for {user}, expires {created['expires_at']}"
        " — shown once, it cannot be recovered:"
    )
    typer.echo(created["token"])


@token_app.command("list")
def token_list(
    ctx: typer.Context,
    user: str | None = typer.Option(None, "--user", help="Only this user's tokens."),
    json_out: Json = False,
) -> None:
    """List API tokens (ids and dates; never the secrets)."""
    with identity_store(ctx, changes=False) as (store, _):
        now, infos = system_clock(), store.tokens(user)
    rows = [
        (
            t.id,
            t.user_id,
            t.status(now),
            iso(t.created_at),
            iso(t.expires_at),
            iso(t.last_used_at) if t.last_used_at else None,
            t.label,
        )
        for t in infos
    ]
    keys = ("id", "user_id", "status", "created_at", "expires_at", "last_used_at", "label")
    if json_out:
        print_json([dict(zip(keys, r, strict=True)) for r in rows])
        return
    table("API tokens", keys, rows)


@token_app.command("revoke")
def token_revoke(
    ctx: typer.Context,
    token_id: str = typer.Argument(..., help="Token id, as in `token list`."),
    token: Token = None,
    as_user: AsUser = None,
) -> None:
    """Revoke an API token at once."""
    administer(ctx, "tokens.revoke", {"id": token_id}, token, as_user)
    console.print(f"token {token_id} revoked")


def register(app: typer.Typer) -> None:
    """Adds ``agency``, ``user`` and ``token`` to the ``trustlpr`` command."""
    app.add_typer(agency_app, name="agency")
    app.add_typer(user_app, name="user")
    app.add_typer(token_app, name="token")
