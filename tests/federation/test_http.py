"""Signed requests over real HTTP: nodes served by uvicorn on loopback, each with its own data
directory. Every refusal is a 401 with its reason, audited, and the node keeps serving."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import httpx
import pytest

from tests.conftest import FakeClock
from tests.hotlist.servers import AppServer
from trustlpr.core.errors import SignatureRefused
from trustlpr.federation import Request
from trustlpr.federation.client import PeerClient
from trustlpr.federation.signatures import sign

from .conftest import FedNode

PING = "/federation/v1/ping"


def _pair(
    make_node: Callable[..., FedNode], serve: Callable[[FedNode], AppServer]
) -> tuple[FedNode, FedNode, AppServer]:
    """A Connecticut town (``ct``) and a Massachusetts partner (``ma``) that pinned each other;
    ``ma`` served. ``ct`` pins ``ma`` over HTTP (fetching its document), ``ma`` pins ``ct``
    from the document handed over."""
    ct = make_node("ct-town", "CT")
    ma = make_node("ma-town", "MA", policy="strict-default")
    server = serve(ma)
    with PeerClient(ct.system.federation) as client:
        document = client.fetch_document(server.url)
    peers = ct.system.federation.peers
    peers.propose(document, server.url, document.key_pairs(), actor=ct.alice)
    peers.approve("ma-town", actor=ct.bob)
    ma.pin(ct)
    return ct, ma, server


def _signed_headers(node: FedNode, url: str, body: bytes) -> dict[str, str]:
    return node.system.federation.sign_request("POST", url, body)


def _refusal(response: httpx.Response) -> str:
    assert response.status_code == 401, response.text
    body = response.json()
    assert body["error"] == "SignatureRefused"
    assert "signature-input" in {k.lower() for k in response.headers}  # refusals are signed
    return str(body["reason"])


def test_the_node_document_is_public_and_signed_by_the_keys_it_lists(
    make_node: Callable[..., FedNode], serve: Callable[[FedNode], AppServer]
) -> None:
    ct = make_node("ct-town", "CT")
    ma = make_node("ma-state", "MA", policy="strict-default", agency_type="state")
    server = serve(ma)
    raw = httpx.get(server.url + "/.well-known/trustlpr").json()
    assert raw["agency"] == {"id": "ma-state", "name": "ma-state police", "state": "MA",
                             "type": "state"}  # fmt: skip
    assert raw["policy"]["name"] == "strict-default" and len(raw["policy"]["digest"]) == 64
    assert raw["log"]["verifier_key"].startswith("trustlpr/ma-state/log+")
    assert raw["endpoints"]["search"] == server.url + "/federation/v1/search"
    assert [k["kid"] for k in raw["keys"]] == [ma.system.federation.keys.active.key_id]
    with PeerClient(ct.system.federation) as client:
        document = client.fetch_document(server.url)
    assert document.agency.id == "ma-state"


def test_a_signed_ping_is_answered_and_the_answer_verified(
    make_node: Callable[..., FedNode], serve: Callable[[FedNode], AppServer]
) -> None:
    ct, ma, _ = _pair(make_node, serve)
    with PeerClient(ct.system.federation) as client:
        answer = client.post(ct.system.federation.peers.peer("ma-town"), PING, {"hello": 1})
    assert answer.status == 200
    assert answer.body["agency"] == "ma-town" and answer.body["peer"] == "ct-town"
    assert ma.events("federation_refused") == []


def test_each_bad_signature_is_refused_with_its_reason_and_audited(
    make_node: Callable[..., FedNode],
    serve: Callable[[FedNode], AppServer],
    fed_clock: FakeClock,
) -> None:
    ct, ma, server = _pair(make_node, serve)
    url = server.url + PING
    body = b'{"q":1}'

    def post(headers: dict[str, str], content: bytes = body) -> httpx.Response:
        return httpx.post(url, headers=headers, content=content, timeout=30)

    reasons = []
    reasons.append(_refusal(post({"Content-Type": "application/json"})))  # unsigned
    forged = _signed_headers(ct, url, body)
    value = forged["Signature"]
    forged["Signature"] = value[:12] + ("A" if value[12] != "A" else "B") + value[13:]
    reasons.append(_refusal(post(forged)))
    stranger = make_node("tx-sheriff", "TX", policy="strict-default")  # pinned by nobody
    reasons.append(_refusal(post(_signed_headers(stranger, url, body))))
    reasons.append(_refusal(post(_signed_headers(ct, url, body), b'{"q":2}')))  # body altered
    old = Request("POST", url, {"Content-Type": "application/json"})
    sign(old, body, key_id=ct.system.federation.keys.active.key_id,
         key=ct.system.federation.keys.private_key(ct.system.federation.keys.active.key_id),
         now=fed_clock() - timedelta(minutes=10))  # fmt: skip
    reasons.append(_refusal(post(dict(old.headers))))  # expired window
    once = _signed_headers(ct, url, body)
    assert post(once).status_code == 200
    reasons.append(_refusal(post(once)))  # replayed nonce
    assert reasons == ["unsigned", "bad_signature", "unknown_key", "digest_mismatch",
                       "outside_window", "replayed_nonce"]  # fmt: skip

    logged = [e["public"] for e in ma.events("federation_refused")]
    assert [p["reasons"] for p in logged] == [[r] for r in reasons]
    assert [p.get("peer_agency") for p in logged] == [None, "ct-town", None, "ct-town", "ct-town",
                                                     "ct-town"]  # fmt: skip
    assert post(_signed_headers(ct, url, body)).status_code == 200  # still serving


def test_a_removed_peer_is_refused_from_then_on(
    make_node: Callable[..., FedNode], serve: Callable[[FedNode], AppServer]
) -> None:
    ct, ma, _ = _pair(make_node, serve)
    peer = ct.system.federation.peers.peer("ma-town")
    with PeerClient(ct.system.federation) as client:
        assert client.post(peer, PING, {}).status == 200
        ma.system.federation.peers.remove("ct-town", actor=ma.alice)
        with pytest.raises(SignatureRefused) as refused:
            client.post(peer, PING, {})
    assert refused.value.reason == "peer_removed"
    assert [e["public"]["action"] for e in ma.events("federation_changed")] == [
        "proposed", "approved", "removed"
    ]  # fmt: skip


def test_the_replay_cache_survives_a_restart(
    make_node: Callable[..., FedNode],
    serve: Callable[[FedNode], AppServer],
    fed_clock: FakeClock,
) -> None:
    ct, ma, server = _pair(make_node, serve)
    url = server.url + PING
    once = _signed_headers(ct, url, b"{}")
    assert httpx.post(url, headers=once, content=b"{}").status_code == 200
    server.__exit__()
    ma.reopen(fed_clock)
    again = serve(ma)
    moved = again.url + PING
    replay = _signed_headers(ct, moved, b"{}")
    assert httpx.post(moved, headers=replay, content=b"{}").status_code == 200
    assert _refusal(httpx.post(moved, headers=replay, content=b"{}")) == "replayed_nonce"
    # the first nonce, sent before the restart, is still known after it
    nonce = once["Signature-Input"].split('nonce="')[1].split('"')[0]
    assert nonce in {row[1] for row in ma.system.federation._nonces._db.query(
        "SELECT key_id, nonce FROM nonces")}  # fmt: skip
    fed_clock.advance(minutes=6)
    fresh = _signed_headers(ct, moved, b"{}")
    assert httpx.post(moved, headers=fresh, content=b"{}").status_code == 200
    left = {row[0] for row in ma.system.federation._nonces._db.query("SELECT nonce FROM nonces")}
    assert nonce not in left and len(left) == 1  # pruned once past the window


def test_key_rotation_with_overlap(
    make_node: Callable[..., FedNode],
    serve: Callable[[FedNode], AppServer],
    fed_clock: FakeClock,
) -> None:
    ct, ma, ma_server = _pair(make_node, serve)
    ct_server = serve(ct)
    ma_peers = ma.system.federation.peers
    ma_peers.remove("ct-town", actor=ma.alice)
    with PeerClient(ma.system.federation) as client:
        document = client.fetch_document(ct_server.url)
    ma_peers.propose(document, ct_server.url, document.key_pairs(), actor=ma.alice)
    ma_peers.approve("ct-town", actor=ma.bob)

    keys = ct.system.federation.keys
    old = keys.active.key_id
    old_private = keys.private_key(old)
    new = ct.system.federation.rotate_key(timedelta(hours=1), actor=ct.alice)
    url = ma_server.url + PING
    with_new = _signed_headers(ct, url, b"{}")
    assert _refusal(httpx.post(url, headers=with_new, content=b"{}")) == "unknown_key"

    with PeerClient(ma.system.federation) as client:  # ma follows, from a document signed
        refreshed = client.refresh(ma_peers.peer("ct-town"))  # by the key it pinned
    ma_peers.rotate("ct-town", refreshed)
    assert (
        httpx.post(url, headers=_signed_headers(ct, url, b"{}"), content=b"{}").status_code == 200
    )

    def with_old() -> dict[str, str]:
        message = Request("POST", url, {"Content-Type": "application/json"})
        sign(message, b"{}", key_id=old, key=old_private, now=fed_clock())
        return dict(message.headers)

    assert httpx.post(url, headers=with_old(), content=b"{}").status_code == 200  # overlap
    fed_clock.advance(hours=1, seconds=1)
    assert _refusal(httpx.post(url, headers=with_old(), content=b"{}")) == "key_retired"
    assert [k.kid for k in ct.document().keys] == [new.key_id]
    assert "key_rotated" in [e["public"]["action"] for e in ct.events("federation_changed")]
    assert "keys_rotated" in [e["public"]["action"] for e in ma.events("federation_changed")]
    ct.system.purge()  # the old private half is destroyed with the node's purge
    assert not (ct.settings.data_dir / "federation" / f"{old}.key").exists()
    assert (ct.settings.data_dir / "federation" / f"{new.key_id}.key").exists()
