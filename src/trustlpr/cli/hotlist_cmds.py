"""``trustlpr hotlist …`` and ``trustlpr alerts …``: hot lists, alerts, verdicts and their counts.

Changes and anything showing plates are signed by a staff user: ``--token`` (or
``TRUSTLPR_TOKEN``) or ``--as USER`` with a password prompt. Supervisors and admins change hot
lists; officers and supervisors verify alerts and record their outcomes; admins manage
delivery targets. ``hotlist lists`` and ``alerts stats`` show counts only and need no sign-in.
Commands that change something write to the audit log, which one process holds at a time: with
``trustlpr serve`` running, use the HTTP API instead (``alerts outcome`` and the delivery
targets go through the admin table, which reaches the running service); commands that only
read run at any time.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer

from ..core.clock import parse_duration
from ..core.hotlist import StopOutcome
from ..core.identity import Role, User
from ..core.plates import mask_plate
from ..hotlist import AlertKind, HotlistService
from ..identity import IdentityStore, require_role, require_same_agency
from ..settings import Settings
from .administer import administer
from .common import (
    AsUser,
    Json,
    Token,
    console,
    err_console,
    new_table,
    print_json,
    progress,
    reader,
    signed,
    writer,
)

hotlist_app = typer.Typer(help="Import, inspect and change hot lists.", no_args_is_help=True)
alerts_app = typer.Typer(
    help="Alerts and possible matches: list, verify, counts, delivery targets.",
    no_args_is_help=True,
)

_MANAGE = (Role.SUPERVISOR, Role.ADMIN)
_VERIFY = (Role.OFFICER, Role.SUPERVISOR)
_VIEW = (Role.OFFICER, Role.SUPERVISOR, Role.AUDITOR, Role.ADMIN)


@contextmanager
def open_hotlists(
    ctx: typer.Context, *, changes: bool
) -> Iterator[tuple[HotlistService, IdentityStore, Settings]]:
    """The node's hot-list service, identities and settings from the composition root: the
    writer when the command changes something, else a read-only opening."""
    with writer(ctx) if changes else reader(ctx) as node:
        yield node.hotlists, node.identity, node.settings


def _signed(
    identity: IdentityStore, cfg: Settings, token: str | None, as_user: str | None, *roles: Role
) -> User:
    """The signed-in user, refused unless of this node's agency and one of ``roles``."""
    user = signed(identity, token, as_user)
    require_role(user, *roles)
    require_same_agency(user, cfg.agency_id)
    return user


def _show(
    title: str, rows: list[dict[str, Any]], json_out: bool, columns: Sequence[str] = ()
) -> None:
    """Rows as one JSON document (``--json``) or as a table of ``columns`` (default: all)."""
    if json_out:
        print_json(rows)
        return
    names = list(columns or (rows[0] if rows else ()))
    table = new_table(title, names)
    for row in rows:
        table.add_row(*("" if row.get(n) is None else str(row[n]) for n in names))
    console.print(table)


# -- hotlist -----------------------------------------------------------------------------


@hotlist_app.command("import")
def import_cmd(
    ctx: typer.Context,
    file: Path = typer.Argument(..., exists=True, dir_okay=False, help="NCIC extract or CSV."),
    list_id: str = typer.Option(..., "--list", help="List to fill, e.g. ncic or local."),
    fmt: str = typer.Option(None, "--format", help="ncic or csv (default: .csv → csv, else ncic)."),
    add: bool = typer.Option(False, "--add", help="Add to the list instead of replacing it."),
    valid_for: str = typer.Option(
        "1d", help="NCIC entries expire after this (an extract carries no expiry), e.g. 1d, 12h."
    ),
    source_agency: str = typer.Option(
        None, help="Agency that shared the list (needs a sharing agreement in force)."
    ),
    skip_invalid: bool = typer.Option(
        False, help="Import the good lines and report the bad ones (default: abort on any)."
    ),
    token: Token = None,
    as_user: AsUser = None,
    json_out: Json = False,
) -> None:
    """Import a hot list; by default it replaces the list atomically, or changes nothing."""
    fmt = fmt or ("csv" if file.suffix.lower() == ".csv" else "ncic")
    validity = parse_duration(valid_for, field="--valid-for")
    data = file.read_bytes()
    with open_hotlists(ctx, changes=True) as (service, identity, cfg), progress() as bar:
        user = _signed(identity, cfg, token, as_user, *_MANAGE)
        task = bar.add_task(f"importing {file.name}", total=data.count(b"\n") or None)
        report = service.import_bytes(
            data,
            list_id=list_id,
            fmt=fmt,
            actor=user.id,
            replace=not add,
            source_agency=source_agency,
            valid_for=validity,
            skip_invalid=skip_invalid,
            # the file's line count was a guess (a header, blank lines): the end is exact
            progress=lambda n: bar.update(task, completed=n),
        )
        done = bar.tasks[0].completed
        bar.update(task, completed=done, total=done)
    if json_out:
        print_json(report.to_json())
        return
    verb = "replaced" if report.replaced else "added to"
    console.print(
        f"{verb} list [bold]{list_id}[/]: {report.accepted} entries, {report.expired} expired "
        f"skipped, {report.invalid} faulty, {report.refused} refused by policy"
    )
    for message in report.errors:
        err_console.print(f"  {message}", highlight=False)


@hotlist_app.command("add")
def add_cmd(
    ctx: typer.Context,
    list_id: str = typer.Option(..., "--list", help="List to add to (created if new)."),
    plate: str = typer.Option(..., help="Plate as issued, e.g. ABC1234."),
    state: str = typer.Option(..., help="Issuing state, e.g. CT."),
    category: str = typer.Option(..., help="NCIC code (V, W, A, …) or a local category."),
    reason: str = typer.Option(..., help="Why the vehicle is sought."),
    case_number: str = typer.Option(..., help="Case or NCIC record number."),
    owner: str = typer.Option(..., help="Officer or unit responsible for the entry."),
    expires: str = typer.Option(..., help="YYYY-MM-DD (valid through that day) or ISO time."),
    source_agency: str = typer.Option(None, help="Agency that shared the entry."),
    token: Token = None,
    as_user: AsUser = None,
    json_out: Json = False,
) -> None:
    """Add one entry; it matches at once."""
    raw = {
        "plate": plate,
        "state": state,
        "category": category,
        "reason": reason,
        "case_number": case_number,
        "owner": owner,
        "expires_at": expires,
    }
    with open_hotlists(ctx, changes=True) as (service, identity, cfg):
        user = _signed(identity, cfg, token, as_user, *_MANAGE)
        stored = service.add_entry(raw, list_id=list_id, actor=user.id, source_agency=source_agency)
    if json_out:
        print_json(stored.to_json())
    else:
        console.print(f"added entry {stored.id} to [bold]{list_id}[/]")


@hotlist_app.command("remove")
def remove_cmd(
    ctx: typer.Context,
    list_id: str = typer.Argument(..., help="List the entry is on."),
    entry_id: int = typer.Argument(..., help="Entry id (see `hotlist entries`)."),
    note: str = typer.Option(..., help="Why, e.g. 'vehicle recovered'."),
    token: Token = None,
    as_user: AsUser = None,
) -> None:
    """Remove one entry (case cleared, vehicle recovered)."""
    with open_hotlists(ctx, changes=True) as (service, identity, cfg):
        user = _signed(identity, cfg, token, as_user, *_MANAGE)
        service.remove_entry(list_id, entry_id, actor=user.id, note=note)
    console.print(f"removed entry {entry_id} from [bold]{list_id}[/]")


@hotlist_app.command("delete-list")
def delete_list_cmd(
    ctx: typer.Context,
    list_id: str = typer.Argument(..., help="List to delete with all its entries."),
    token: Token = None,
    as_user: AsUser = None,
) -> None:
    """Delete a whole list."""
    with open_hotlists(ctx, changes=True) as (service, identity, cfg):
        user = _signed(identity, cfg, token, as_user, *_MANAGE)
        count = service.delete_list(list_id, actor=user.id)
    console.print(f"deleted list [bold]{list_id}[/] ({count} entries)")


@hotlist_app.command("prune")
def prune_cmd(ctx: typer.Context, token: Token = None, as_user: AsUser = None) -> None:
    """Delete expired entries (they already stopped matching)."""
    with open_hotlists(ctx, changes=True) as (service, identity, cfg):
        user = _signed(identity, cfg, token, as_user, *_MANAGE)
        count = service.prune(actor=user.id)
    console.print(f"deleted {count} expired entries")


@hotlist_app.command("lists")
def lists_cmd(ctx: typer.Context, json_out: Json = False) -> None:
    """Show the lists with their source and entry counts (no plates)."""
    with open_hotlists(ctx, changes=False) as (service, _, _):
        rows = [i.to_json() for i in service.lists()]
    _show("hot lists", rows, json_out)


@hotlist_app.command("entries")
def entries_cmd(
    ctx: typer.Context,
    list_id: str = typer.Argument(..., help="List to show."),
    limit: int = typer.Option(100, help="At most this many entries."),
    offset: int = typer.Option(0, help="Skip this many first."),
    token: Token = None,
    as_user: AsUser = None,
    json_out: Json = False,
) -> None:
    """Show a list's entries (signed in as supervisor or admin)."""
    with open_hotlists(ctx, changes=False) as (service, identity, cfg):
        _signed(identity, cfg, token, as_user, *_MANAGE)
        entries = service.entries(list_id, limit=limit, offset=offset)
    columns = ("id", "plate", "state", "category", "case_number", "owner", "expires_at")
    _show(f"list {list_id}", [e.to_json() for e in entries], json_out, columns)


# -- alerts ------------------------------------------------------------------------------


@alerts_app.command("list")
def alerts_list(
    ctx: typer.Context,
    kind: AlertKind = typer.Option(None, help="alert or possible."),
    status: str = typer.Option(None, help="unverified, confirmed, misread, not_the_vehicle."),
    list_id: str = typer.Option(None, "--list", help="Only this hot list."),
    camera: str = typer.Option(None, help="Only this camera."),
    days: int = typer.Option(None, help="Only the last N days."),
    limit: int = typer.Option(50, help="At most this many."),
    token: Token = None,
    as_user: AsUser = None,
    json_out: Json = False,
) -> None:
    """List alerts and possible matches, newest first."""
    with open_hotlists(ctx, changes=False) as (service, identity, cfg):
        _signed(identity, cfg, token, as_user, *_VIEW)
        records = service.alerts.list_alerts(
            kind=kind, status=status, list_id=list_id, camera_id=camera, days=days, limit=limit
        )
    rows = [r.to_json() for r in records]
    if not json_out:  # the table masks plates; --json is for the console and scripts
        for row in rows:
            row["kind"] = row["label"] if row["kind"] == "possible" else "ALERT"
            row["plate"] = mask_plate(str(row["read"].get("plate") or ""))
            row["camera"] = row["read"].get("camera_id")
            row["list"] = row["entry"].get("list_id")
    columns = ("id", "kind", "raised_at", "plate", "camera", "list", "status")
    _show("alerts", rows, json_out, columns)


@alerts_app.command("verify")
def alerts_verify(
    ctx: typer.Context,
    alert_id: str = typer.Argument(..., help="Alert id (see `alerts list`)."),
    outcome: str = typer.Option(..., help="confirmed, misread or not_the_vehicle."),
    note: str = typer.Option(..., help="What was checked (image, database, vehicle)."),
    token: Token = None,
    as_user: AsUser = None,
) -> None:
    """Record an officer's verdict on an alert (audited, counted on the portal)."""
    with open_hotlists(ctx, changes=True) as (service, identity, cfg):
        user = _signed(identity, cfg, token, as_user, *_VERIFY)
        record = service.alerts.verify(alert_id, outcome, note=note, user=user.id)
    console.print(f"alert {record.id}: {record.status}")


@alerts_app.command("outcome")
def alerts_outcome(
    ctx: typer.Context,
    alert_id: str = typer.Argument(..., help="Alert id (see `alerts list --status confirmed`)."),
    outcome: StopOutcome = typer.Argument(..., help="What came of the confirmed alert."),
    note: str = typer.Option("", help="Details (private log only); needed for `other`."),
    token: Token = None,
    as_user: AsUser = None,
) -> None:
    """Record what came of a confirmed alert, once (officers, supervisors): counted on the
    portal, the note kept in the private log. Works while `trustlpr serve` runs."""
    result = administer(
        ctx, "alerts.outcome", {"id": alert_id, "outcome": outcome.value, "note": note},
        token, as_user,
    )  # fmt: skip
    console.print(f"alert {result['id']}: outcome {result['outcome']} recorded")


@alerts_app.command("stats")
def alerts_stats(
    ctx: typer.Context,
    days: int = typer.Option(30, help="Count the last N days."),
    json_out: Json = False,
) -> None:
    """Hits, confirmed hits, misread rate and lists alerted on (counts only)."""
    with open_hotlists(ctx, changes=False) as (service, _, _):
        stats = service.alerts.stats(days)
    if json_out:
        print_json(stats.to_json())
        return
    rate = "n/a" if stats.misread_rate is None else f"{stats.misread_rate:.1%}"
    console.print(
        f"last {days} days: {stats.hits} hits, {stats.confirmed} confirmed, {stats.misreads} "
        f"misreads, {stats.not_the_vehicle} not the vehicle, {stats.unverified} unverified; "
        f"misread rate {rate}; {stats.possible} possible matches"
    )
    columns = ("list_id", "category", "hits", "confirmed", "misreads", "not_the_vehicle")
    _show("lists alerted on", stats.by_list, False, columns)


@alerts_app.command("target-add")
def target_add(
    ctx: typer.Context,
    url: str = typer.Argument(..., help="https://… webhook or mqtt://host:1883/topic."),
    secret_env: str = typer.Option(
        None, help="Environment variable holding the webhook signing secret (else prompted)."
    ),
    token: Token = None,
    as_user: AsUser = None,
) -> None:
    """Send exact alerts to a webhook (HMAC-signed) or an MQTT topic (audited)."""
    secret = None
    if url.startswith(("http://", "https://")):
        secret = os.environ.get(secret_env) if secret_env else None
        if secret is None:
            secret = typer.prompt("Webhook signing secret", hide_input=True, err=True)
    target = administer(ctx, "alerts.targets.add", {"url": url, "secret": secret}, token, as_user)
    console.print(f"added {target['kind']} target {target['id']}")


@alerts_app.command("targets")
def targets_cmd(
    ctx: typer.Context, token: Token = None, as_user: AsUser = None, json_out: Json = False
) -> None:
    """List delivery targets (secrets are never shown)."""
    with open_hotlists(ctx, changes=False) as (service, identity, cfg):
        _signed(identity, cfg, token, as_user, Role.ADMIN)
        targets = service.alerts.store.targets()
    rows = [{"id": t.id, "kind": t.kind, "url": t.url} for t in targets]
    _show("delivery targets", rows, json_out)


@alerts_app.command("target-remove")
def target_remove(
    ctx: typer.Context,
    target_id: int = typer.Argument(..., help="Target id (see `alerts targets`)."),
    token: Token = None,
    as_user: AsUser = None,
) -> None:
    """Stop sending alerts to a target (audited)."""
    administer(ctx, "alerts.targets.remove", {"id": target_id}, token, as_user)
    console.print(f"removed target {target_id}")


def register(app: typer.Typer) -> None:
    """Adds ``hotlist`` and ``alerts`` to the ``trustlpr`` command."""
    app.add_typer(hotlist_app, name="hotlist")
    app.add_typer(alerts_app, name="alerts")
