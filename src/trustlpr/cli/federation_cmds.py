"""Federation commands: this node's document, its peers (two admins to add one), key rotation.

Every change runs as an admin action (``trustlpr.admin``): in this process on a stopped node,
through the admin socket while ``trustlpr serve`` runs, so a peer can be removed at once.
``peer add`` fetches the peer's document over HTTP, checks it is signed by a key it lists, and
pins either the keys given with ``--key KEYID=PUBKEY`` (each must be in the document: compare
them with what the other agency told you out of band) or, after showing them, all its keys.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from ..admin import Credential
from ..core.clock import iso, parse_duration
from ..core.errors import InputError
from ..federation import Peer
from ..federation.client import PeerClient
from .administer import administer, administer_as, credential
from .common import AsUser, Json, Token, console, err_console, print_json, reader, table

federation_app = typer.Typer(
    help="Federation: this node's identity, the peers it talks to, its signing keys.",
    no_args_is_help=True,
)
peer_app = typer.Typer(
    help="Peers: other agencies' nodes, pinned by key; adding one needs a second admin.",
    no_args_is_help=True,
)
federation_app.add_typer(peer_app, name="peer")

Keys = Annotated[
    list[str] | None,
    typer.Option("--key", help="Pin this key, KEYID=PUBKEY (base64url), repeatable."),
]
Yes = Annotated[bool, typer.Option("--yes", help="Pin the fetched keys without asking.")]
Deadline = Annotated[float, typer.Option("--deadline", help="Seconds to wait for the peer.")]


def _pairs(given: list[str]) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for item in given:
        key_id, sep, public = item.partition("=")
        if not sep or not key_id or not public:
            raise InputError("give keys as KEYID=PUBKEY", field="--key")
        pairs[key_id.strip()] = public.strip()
    return pairs


def _when(moment: datetime | None) -> str:
    return iso(moment) if moment else ""


@federation_app.command("identity")
def identity(ctx: typer.Context, json_out: Json = False) -> None:
    """Print this node's document (what GET /.well-known/trustlpr serves)."""
    with reader(ctx) as node:
        document = node.federation.document(node.node_facts())
    if json_out:
        print_json(document.model_dump(mode="json"))
        return
    agency = document.agency
    console.print(f"[bold]{agency.id}[/] {agency.name} ({agency.state}, {agency.type.value})")
    console.print(f"policy {document.policy.name} sha256:{document.policy.digest}")
    console.print(f"log {document.log.origin} key {document.log.verifier_key}")
    for key in document.keys:
        retires = f" retires {iso(key.retires)}" if key.retires else ""
        console.print(f"key {key.kid}={key.x}{retires}")
    for name, url in document.endpoints.items():
        console.print(f"{name}: {url}")


@federation_app.command("rotate-key")
def rotate_key(
    ctx: typer.Context,
    overlap: str = typer.Option("1d", help="How long the old key stays valid (e.g. 1d, 6h)."),
    token: Token = None,
    as_user: AsUser = None,
) -> None:
    """Make a new signing key; peers accept the old one until the overlap ends."""
    parse_duration(overlap, field="--overlap")  # a bad duration is refused before signing in
    new = administer(ctx, "federation.rotate_key", {"overlap": overlap}, token, as_user)
    console.print(f"new signing key {new['key_id']}={new['public_key']}")
    console.print(f"the previous key retires in {overlap}; peers follow with `peer refresh`")


def _preview(ctx: typer.Context, url: str, deadline: float) -> dict[str, str]:
    """The keys a peer's document offers, shown for the admin to compare out of band."""
    with reader(ctx) as node, PeerClient(node.federation, deadline=deadline) as client:
        document = client.fetch_document(url)
    agency = document.agency
    err_console.print(f"{agency.id}: {agency.name} ({agency.state}, {agency.type.value})")
    offered = document.key_pairs()
    for key_id, public in offered.items():
        err_console.print(f"  key {key_id}={public}")
    return offered


@peer_app.command("add")
def peer_add(
    ctx: typer.Context,
    url: str = typer.Argument(..., help="The peer node's base URL (or its document URL)."),
    key: Keys = None,
    yes: Yes = False,
    deadline: Deadline = 10.0,
    token: Token = None,
    as_user: AsUser = None,
) -> None:
    """Propose a peer; it is believed only once another admin runs `peer approve`."""
    signer = credential(token, as_user)
    pins: dict[str, str] | None = _pairs(key) if key else None
    if pins is None and not yes:
        pins = _preview(ctx, url, deadline)
        if not typer.confirm("Pin these keys?", err=True):
            raise typer.Abort()
    args = {"url": url, "keys": pins, "deadline": deadline}
    peer = administer_as(ctx, "federation.peers.add", args, signer)
    agency = peer["agency_id"]
    console.print(f"proposed peer [bold]{agency}[/] ({_count(peer['keys'])} key(s) pinned)")
    console.print(
        f"it is not believed until another admin runs `trustlpr federation peer approve {agency}`"
    )


def _count(keys: object) -> int:
    return len(keys) if isinstance(keys, list) else 0


def _decide(ctx: typer.Context, verb: str, agency: str, token: str | None,
            as_user: str | None) -> dict[str, object]:  # fmt: skip
    return administer(ctx, f"federation.peers.{verb}", {"agency": agency}, token, as_user)


@peer_app.command("approve")
def peer_approve(
    ctx: typer.Context,
    agency: str = typer.Argument(..., help="Agency id of the pending peer."),
    token: Token = None,
    as_user: AsUser = None,
) -> None:
    """Approve a proposed peer (an admin independent of its proposer)."""
    peer = _decide(ctx, "approve", agency, token, as_user)
    console.print(f"approved peer [bold]{peer['agency_id']}[/]")


@peer_app.command("reject")
def peer_reject(
    ctx: typer.Context,
    agency: str = typer.Argument(..., help="Agency id of the pending peer."),
    token: Token = None,
    as_user: AsUser = None,
) -> None:
    """Reject (or withdraw) a proposed peer."""
    peer = _decide(ctx, "reject", agency, token, as_user)
    console.print(f"rejected peer [bold]{peer['agency_id']}[/]")


@peer_app.command("remove")
def peer_remove(
    ctx: typer.Context,
    agency: str = typer.Argument(..., help="Agency id of the peer."),
    token: Token = None,
    as_user: AsUser = None,
) -> None:
    """Stop talking to a peer at once; its keys are refused from now on (one admin).

    Works while `trustlpr serve` runs (through its admin socket): the running node refuses
    the peer from its next request on, so a leaked peer key is revoked without a restart."""
    peer = _decide(ctx, "remove", agency, token, as_user)
    console.print(f"removed peer [bold]{peer['agency_id']}[/]")


@peer_app.command("refresh")
def peer_refresh(
    ctx: typer.Context,
    agency: str = typer.Argument(..., help="Agency id of the peer."),
    deadline: Deadline = 10.0,
) -> None:
    """Follow a peer's key rotation: fetch its document, signed by a key already pinned."""
    args = {"agency": agency, "deadline": deadline}
    peer = administer_as(ctx, "federation.peers.refresh", args, Credential())
    keys = peer["keys"] if isinstance(peer["keys"], list) else []
    in_force = sum(1 for k in keys if isinstance(k, dict) and k.get("in_force"))
    console.print(f"{peer['agency_id']}: {in_force} key(s) in force")


@peer_app.command("list")
def peer_list(ctx: typer.Context, json_out: Json = False) -> None:
    """List every peer, in any status, with its pinned keys."""
    with reader(ctx) as node:
        peers = node.federation.peers.peers()
        now = node.clock()
    if json_out:
        print_json([p.public(now) for p in peers])
        return
    table(
        "federation peers",
        ["agency", "name", "state", "type", "status", "url", "keys in force", "decided"],
        [_row(p, now) for p in peers],
    )


def _row(peer: Peer, now: datetime) -> tuple[object, ...]:
    keys = ", ".join(k.key_id[:12] + "…" for k in peer.keys if k.in_force(now))
    return (peer.agency_id, peer.name, peer.state, peer.type.value, peer.status.value, peer.url,
            keys, _when(peer.decided_at))  # fmt: skip


def register(app: typer.Typer) -> None:
    """Adds ``federation`` (with ``federation hotlist``) to the ``trustlpr`` command."""
    from .federation_hotlist_cmds import hotlist_app

    federation_app.add_typer(hotlist_app, name="hotlist")
    app.add_typer(federation_app, name="federation")
