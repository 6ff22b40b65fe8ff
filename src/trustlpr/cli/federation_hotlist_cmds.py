"""``trustlpr federation hotlist``: follow partners' hot lists (docs/federation.md,
"Hot-list sharing"). A subscribed list is pulled signed, judged by this node's policy, and in
force only once accepted; ``trustlpr serve`` pulls every subscription every five minutes."""

from __future__ import annotations

from typing import Annotated

import typer

from ..federation.hotlist_subscribe import SyncReport
from .common import AsUser, Json, Token, console, print_json, reader, signed, table, writer

hotlist_app = typer.Typer(
    help="Partners' hot lists: subscribe, pull them, see what is in force.",
    no_args_is_help=True,
)
Peer = Annotated[str, typer.Argument(help="Agency id of the partner (an active peer).")]
ListId = Annotated[str, typer.Argument(help="The partner's list id.")]


def _show(reports: list[SyncReport], json_out: bool) -> None:
    if json_out:
        print_json([r.json() for r in reports])
        return
    table(
        "hot-list sync",
        ["peer", "list", "outcome", "version", "entries", "note"],
        [(r.peer, r.list_id, r.outcome, r.version, r.entries, r.note) for r in reports],
    )


@hotlist_app.command("subscribe")
def subscribe(
    ctx: typer.Context,
    peer: Peer,
    list_id: ListId,
    sync: bool = typer.Option(True, "--sync/--no-sync", help="Pull the list at once."),
    json_out: Json = False,
    token: Token = None,
    as_user: AsUser = None,
) -> None:
    """Follow a partner's list (an admin); it matches once this node's policy accepted it."""
    with writer(ctx) as system:
        actor = signed(system.identity, token, as_user)
        subs = system.hotlist_subscriptions
        sub = subs.subscribe(peer, list_id, actor=actor)
        reports = [r for r in subs.sync(sub.peer) if r.list_id == sub.list_id] if sync else []
    if not json_out:
        console.print(f"subscribed to [bold]{sub.list_id}[/] of {sub.peer} as {sub.local_list}")
    if reports or json_out:
        _show(reports, json_out)


@hotlist_app.command("unsubscribe")
def unsubscribe(
    ctx: typer.Context,
    peer: Peer,
    list_id: ListId,
    token: Token = None,
    as_user: AsUser = None,
) -> None:
    """Stop following a partner's list; its entries stop matching at once."""
    with writer(ctx) as system:
        actor = signed(system.identity, token, as_user)
        system.hotlist_subscriptions.unsubscribe(peer, list_id, actor=actor)
    console.print(f"unsubscribed from {list_id} of {peer}")


@hotlist_app.command("sync")
def sync(
    ctx: typer.Context,
    peer: Annotated[str | None, typer.Argument(help="Only this partner's lists.")] = None,
    json_out: Json = False,
) -> None:
    """Pull the subscribed lists now (``since`` the version held; 304 when unchanged) and send
    queued hit reports. A partner that does not answer keeps its last good list in force."""
    with writer(ctx) as system:
        subs = system.hotlist_subscriptions
        reports = subs.sync(peer)
        subs.flush()
    _show(reports, json_out)


@hotlist_app.command("list")
def list_subscriptions(
    ctx: typer.Context,
    offered: Annotated[
        str | None, typer.Option("--offered", help="Show what this partner offers instead.")
    ] = None,
    json_out: Json = False,
) -> None:
    """The subscriptions with their version in force, status and last sync; or, with
    ``--offered PEER``, the lists that partner's agreements let this node pull."""
    with reader(ctx) as node:
        subs = node.hotlist_subscriptions
        if offered is not None:
            lists = [o.model_dump(mode="json") for o in subs.offered(offered).lists]
        rows = [s.public() for s in subs.subscriptions()]
    if offered is not None:
        if json_out:
            print_json(lists)
            return
        table(
            f"hot lists {offered} offers",
            ["list", "version", "categories", "purposes", "entries", "agreement"],
            [
                (
                    o["list_id"],
                    o["version"],
                    ",".join(o["categories"]),
                    ",".join(o["purposes"]),
                    o["entries"],
                    o["grant"]["agreement_id"],
                )
                for o in lists
            ],
        )
        return
    if json_out:
        print_json(rows)
        return
    table(
        "subscribed hot lists",
        ["peer", "list", "matched as", "status", "version", "categories", "last sync", "note"],
        [
            (
                r["peer"],
                r["list_id"],
                r["local_list"],
                r["status"],
                r["version"],
                ",".join(r["categories"]),
                r["last_attempt"],
                r["note"],
            )
            for r in rows
        ],
    )
