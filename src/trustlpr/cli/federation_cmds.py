"""Federation commands: this node's document, its peers (two admins to add one), key rotation.

``peer add`` fetches the peer's document over HTTP, checks it is signed by a key it lists, and
pins either the keys given with ``--key KEYID=PUBKEY`` (each must be in the document: compare
them with what the other agency told you out of band) or, after showing them, all its keys.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer

from ..core.clock import iso, parse_duration
from ..core.errors import InputError
from ..federation import Peer
from ..federation.client import PeerClient, document_url
from ..federation.document import DOCUMENT_PATH
from .common import (
    AsUser,
    Json,
    Token,
    console,
    err_console,
    print_json,
    reader,
    signed,
    table,
    writer,
)

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
    period = parse_duration(overlap, field="--overlap")
    with writer(ctx) as system:
        actor = signed(system.identity, token, as_user)
        new = system.federation.rotate_key(period, actor=actor)
    console.print(f"new signing key {new.key_id}={new.public_key}")
    console.print(f"the previous key retires in {overlap}; peers follow with `peer refresh`")


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
    with writer(ctx) as system:
        actor = signed(system.identity, token, as_user)
        with PeerClient(system.federation, deadline=deadline) as client:
            document = client.fetch_document(url)
        offered = document.key_pairs()
        if key:
            pins = _pairs(key)
        else:
            agency = document.agency
            err_console.print(f"{agency.id}: {agency.name} ({agency.state}, {agency.type.value})")
            for key_id, public in offered.items():
                err_console.print(f"  key {key_id}={public}")
            if not yes and not typer.confirm("Pin these keys?", err=True):
                raise typer.Abort()
            pins = offered
        base = document_url(url).removesuffix(DOCUMENT_PATH)  # as typed, not as claimed
        peer = system.federation.peers.propose(document, base, pins, actor=actor)
    console.print(f"proposed peer [bold]{peer.agency_id}[/] ({len(pins)} key(s) pinned)")
    console.print(
        f"it is not believed until another admin runs `trustlpr federation peer approve "
        f"{peer.agency_id}`"
    )


@peer_app.command("approve")
def peer_approve(
    ctx: typer.Context,
    agency: str = typer.Argument(..., help="Agency id of the pending peer."),
    token: Token = None,
    as_user: AsUser = None,
) -> None:
    """Approve a proposed peer (an admin independent of its proposer)."""
    with writer(ctx) as system:
        peer = system.federation.peers.approve(agency, actor=signed(system.identity, token,
                                                                     as_user))  # fmt: skip
    console.print(f"approved peer [bold]{peer.agency_id}[/]")


@peer_app.command("reject")
def peer_reject(
    ctx: typer.Context,
    agency: str = typer.Argument(..., help="Agency id of the pending peer."),
    token: Token = None,
    as_user: AsUser = None,
) -> None:
    """Reject (or withdraw) a proposed peer."""
    with writer(ctx) as system:
        peer = system.federation.peers.reject(agency, actor=signed(system.identity, token,
                                                                    as_user))  # fmt: skip
    console.print(f"rejected peer [bold]{peer.agency_id}[/]")


@peer_app.command("remove")
def peer_remove(
    ctx: typer.Context,
    agency: str = typer.Argument(..., help="Agency id of the peer."),
    token: Token = None,
    as_user: AsUser = None,
) -> None:
    """Stop talking to a peer at once; its keys are refused from now on (one admin)."""
    with writer(ctx) as system:
        peer = system.federation.peers.remove(agency, actor=signed(system.identity, token,
                                                                    as_user))  # fmt: skip
    console.print(f"removed peer [bold]{peer.agency_id}[/]")


@peer_app.command("refresh")
def peer_refresh(
    ctx: typer.Context,
    agency: str = typer.Argument(..., help="Agency id of the peer."),
    deadline: Deadline = 10.0,
) -> None:
    """Follow a peer's key rotation: fetch its document, signed by a key already pinned."""
    with writer(ctx) as system:
        peers = system.federation.peers
        with PeerClient(system.federation, deadline=deadline) as client:
            document = client.refresh(peers.peer(agency))
        peer = peers.rotate(agency, document)
    now = system.clock()
    console.print(f"{peer.agency_id}: {sum(k.in_force(now) for k in peer.keys)} key(s) in force")


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
