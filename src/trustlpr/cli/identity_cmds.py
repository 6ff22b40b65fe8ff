"""Identity commands: ``agency``, ``user``, ``token`` and ``sharing`` (agreements between agencies).

Changes are signed by a user: ``--token`` (or ``TRUSTLPR_TOKEN``) with an API token, or ``--as
USER`` with a password prompt. Only while the node has no admin yet may ``agency add`` and
``user add`` run unsigned; the node's second admin is also added unsigned (set-up). After
that a new admin is a proposal until a second, independent admin approves it
(``user approve``).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import ExitStack, contextmanager
from typing import Annotated, Any

import typer
from rich.table import Table

from ..core.clock import iso, parse_duration, system_clock
from ..core.errors import InputError
from ..core.identity import User
from ..identity import IdentityStore
from ..settings import Settings
from .common import audit_for, console, err_console, print_json, settings

Token = Annotated[
    str | None,
    typer.Option(
        "--token",
        envvar="TRUSTLPR_TOKEN",
        show_envvar=True,
        help="API token of the user making the change.",
    ),
]
AsUser = Annotated[
    str | None,
    typer.Option("--as", help="Make the change as this user; asks for the password."),
]
Json = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]

agency_app = typer.Typer(help="Register and list agencies.", no_args_is_help=True)
user_app = typer.Typer(help="Manage users and their roles.", no_args_is_help=True)
token_app = typer.Typer(help="Issue, list and revoke API tokens.", no_args_is_help=True)


@contextmanager
def open_store(
    ctx: typer.Context, *, changes: bool = True
) -> Iterator[tuple[IdentityStore, Settings]]:
    """The node's identity store; with ``changes``, its audit log is opened to record them."""
    cfg = settings(ctx)
    with ExitStack() as stack:
        sink = stack.enter_context(audit_for(cfg, changes=changes))
        yield stack.enter_context(IdentityStore.open(cfg.data_dir, sink)), cfg


def actor_of(store: IdentityStore, token: str | None, as_user: str | None) -> User | None:
    """The signed-in user making a change, or ``None`` (accepted only before the first admin)."""
    if token and as_user:
        raise InputError("give either --token or --as, not both", field="--as")
    if token:
        return store.authenticate(token)[0]
    if as_user:
        password = typer.prompt(f"Password for {as_user}", hide_input=True, err=True)
        return store.verify_password(as_user, password)[0]
    return None


def signed(store: IdentityStore, token: str | None, as_user: str | None) -> User:
    actor = actor_of(store, token, as_user)
    if actor is None:
        raise InputError("sign this change with --token or --as USER", field="--token")
    return actor


def table(title: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    for row in rows:
        table.add_row(*("" if v is None else str(v) for v in row))
    console.print(table)


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
    with open_store(ctx) as (store, _):
        agency = store.add_agency(
            agency_id, name, state, type_, actor=actor_of(store, token, as_user)
        )
    console.print(f"added agency [bold]{agency.id}[/] ({agency.type.value}, {agency.state})")


@agency_app.command("list")
def agency_list(ctx: typer.Context, json_out: Json = False) -> None:
    """List registered agencies."""
    with open_store(ctx, changes=False) as (store, _):
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
    with open_store(ctx) as (store, _):
        actor = actor_of(store, token, as_user)
        secret = None
        if password:
            secret = typer.prompt(
                f"New password for {user_id}", hide_input=True, confirmation_prompt=True, err=True
            )
        user = store.add_user(user_id, agency, role, name, actor=actor, password=secret)
    if not user.active:
        console.print(
            f"proposed admin [bold]{user.id}[/] of {user.agency_id}: another admin, independent "
            f"of you, must approve (`trustlpr user approve {user.id}`)"
        )
        return
    console.print(f"added user [bold]{user.id}[/] ({user.role.value} of {user.agency_id})")


@user_app.command("list")
def user_list(
    ctx: typer.Context,
    agency: str | None = typer.Option(None, "--agency", help="Only users of this agency."),
    json_out: Json = False,
) -> None:
    """List users with their agency, role and status."""
    with open_store(ctx, changes=False) as (store, _):
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
    with open_store(ctx) as (store, _):
        user = store.set_role(user_id, role, actor=signed(store, token, as_user))
    if user.role.value != role.strip().lower():
        console.print(f"proposed: {user.id} becomes admin once a second admin approves")
        return
    console.print(f"{user.id} is now {user.role.value}")


@user_app.command("disable")
def user_disable(
    ctx: typer.Context,
    user_id: str = typer.Argument(..., help="The user to disable."),
    token: Token = None,
    as_user: AsUser = None,
) -> None:
    """Disable a user: their tokens and sessions stop working at once."""
    with open_store(ctx) as (store, _):
        store.disable(user_id, actor=signed(store, token, as_user))
    console.print(f"{user_id} is disabled")


@user_app.command("enable")
def user_enable(
    ctx: typer.Context,
    user_id: str = typer.Argument(..., help="The user to enable again."),
    token: Token = None,
    as_user: AsUser = None,
) -> None:
    """Enable a disabled user (for an admin: a proposal for a second admin)."""
    with open_store(ctx) as (store, _):
        user = store.enable(user_id, actor=signed(store, token, as_user))
    if not user.active:
        console.print(f"proposed: admin {user_id} is enabled once a second admin approves")
        return
    console.print(f"{user_id} is enabled")


@user_app.command("proposals")
def user_proposals(ctx: typer.Context, json_out: Json = False) -> None:
    """Admin grants waiting for a second admin's approval."""
    with open_store(ctx, changes=False) as (store, _):
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
    with open_store(ctx) as (store, _):
        store.approve_admin(user_id, actor=signed(store, token, as_user))
    console.print(f"{user_id} is now an active admin")


@user_app.command("reject")
def user_reject(
    ctx: typer.Context,
    user_id: str = typer.Argument(..., help="The user whose admin grant to refuse."),
    token: Token = None,
    as_user: AsUser = None,
) -> None:
    """Refuse (or, as its proposer, withdraw) a pending admin grant."""
    with open_store(ctx) as (store, _):
        store.reject_admin(user_id, actor=signed(store, token, as_user))
    console.print(f"the admin grant of {user_id} was refused")


@user_app.command("set-password")
def user_set_password(
    ctx: typer.Context,
    user_id: str = typer.Argument(..., help="Whose console password to set."),
    token: Token = None,
    as_user: AsUser = None,
) -> None:
    """Set a console password (the user themself, or an admin of their agency)."""
    with open_store(ctx) as (store, _):
        actor = signed(store, token, as_user)
        secret = typer.prompt(
            f"New password for {user_id}", hide_input=True, confirmation_prompt=True, err=True
        )
        store.set_password(user_id, secret, actor=actor)
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
    lifetime = parse_duration(expires_in, field="--expires-in")
    with open_store(ctx) as (store, _):
        created = store.create_token(
            user, actor=signed(store, token, as_user), expires_in=lifetime, label=label
        )
    err_console.print(
        f"token {created.info.id} for {user}, expires {iso(created.info.expires_at)}"
        " — shown once, it cannot be recovered:"
    )
    typer.echo(created.plaintext)


@token_app.command("list")
def token_list(
    ctx: typer.Context,
    user: str | None = typer.Option(None, "--user", help="Only this user's tokens."),
    json_out: Json = False,
) -> None:
    """List API tokens (ids and dates; never the secrets)."""
    with open_store(ctx, changes=False) as (store, _):
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
    with open_store(ctx) as (store, _):
        store.revoke_token(token_id, actor=signed(store, token, as_user))
    console.print(f"token {token_id} revoked")


def register(app: typer.Typer) -> None:
    """Adds ``agency``, ``user``, ``token`` and ``sharing`` to the ``trustlpr`` command."""
    from .sharing_cmds import sharing_app

    app.add_typer(agency_app, name="agency")
    app.add_typer(user_app, name="user")
    app.add_typer(token_app, name="token")
    app.add_typer(sharing_app, name="sharing")
