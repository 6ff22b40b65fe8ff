"""Hot-list sharing over real HTTP: an owner node serving its lists to partners its agreements
grant, a subscriber pulling them signed and judging them by its own policy, alerts carrying
the list's provenance, and hit reports that leave only when the subscriber's policy and
agreements allow."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from tests.hotlist.servers import AppServer
from tests.web.test_console import sign_in
from trustlpr.core.errors import ConflictError
from trustlpr.core.identity import Role
from trustlpr.core.reads import Read
from trustlpr.federation.client import PeerClient
from trustlpr.federation.document import parse_document
from trustlpr.federation.hotlist_wire import HITS_PATH, HOTLISTS_PATH
from trustlpr.hotlist.records import AlertKind
from trustlpr.identity import make_attestation
from trustlpr.web.app import create_app

from .conftest import PASSWORD, FedNode
from .test_cli import _node as _operator

FEDERAL = str(Path(__file__).parent / "policies" / "federal-hotlist-test.toml")
ATTESTED = [
    "no_immigration_enforcement",
    "no_reproductive_health_investigation",
    "no_gender_affirming_care_investigation",
]
HEADER = "plate,state,category,reason,case_number,owner,expires_at\n"
STOLEN = "ABC1234"
OTHER = "XYZ9876"
INNOCENT = "QQQ1111"
WAIT = 60.0
_CONFLICT = ConflictError.exit_code


@dataclass
class Pair:
    owner: FedNode
    ct: FedNode
    server: AppServer


class TamperingProxy:
    """A real HTTP hop between two nodes (loopback) that forwards each request as it came
    (Host kept, so signatures still bind) and, while ``tamper`` is set, alters the answer's
    body after the owner signed it — a man in the middle."""

    def __init__(self, upstream: str) -> None:
        self.tamper = False
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def _forward(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                headers = {k: v for k, v in self.headers.items() if k.lower() != "content-length"}
                answer = httpx.request(
                    self.command,
                    upstream + self.path,
                    headers=headers,
                    content=body or None,
                    timeout=30,
                )
                content = answer.content
                if proxy.tamper and content:
                    content = content.replace(STOLEN.encode(), b"ABC1235")
                self.send_response(answer.status_code)
                for name, value in answer.headers.items():
                    if name.lower() not in (
                        "content-length",
                        "transfer-encoding",
                        "connection",
                        "date",
                        "server",
                    ):
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            do_GET = do_POST = _forward

            def log_message(self, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def proxies() -> Iterator[Callable[[str], TamperingProxy]]:
    made: list[TamperingProxy] = []

    def make(upstream: str) -> TamperingProxy:
        made.append(TamperingProxy(upstream))
        return made[-1]

    yield make
    for proxy in made:
        proxy.close()


def _link(owner: FedNode, subscriber: FedNode, url: str) -> None:
    """Both pin each other the two-admin way; the subscriber reaches the owner at ``url``."""
    doc = owner.document()
    peers = subscriber.system.federation.peers
    peers.propose(doc, url, doc.key_pairs(), actor=subscriber.alice)
    peers.approve(owner.id, actor=subscriber.bob)
    owner.pin(subscriber)


def _agree(owner: FedNode, grantee: str, purposes: list[str], *, attested: bool) -> None:
    sharing = owner.system.identity.sharing
    now = owner.system.clock()
    attestation = (
        make_attestation("MOU-2026-9", "Chief", now - timedelta(days=1), ATTESTED)
        if attested
        else None
    )
    proposal = sharing.propose(
        owner.id,
        grantee_agency_id=grantee,
        purposes=purposes,
        expires_at=now + timedelta(days=90),
        actor=owner.alice,
        attestation=attestation,
    )
    sharing.approve(proposal.id, actor=owner.bob)


def _import(node: FedNode, list_id: str, rows: list[tuple[str, str, str, str]]) -> None:
    """A CSV list of (plate, state, category, reason) rows, owned by ``node``."""
    until = (node.system.clock() + timedelta(days=30)).date().isoformat()
    lines = [
        f"{p},{s},{c},{r},26-{i:04d},{node.id.upper()[:9]},{until}"
        for i, (p, s, c, r) in enumerate(rows, start=1)
    ]
    data = (HEADER + "\n".join(lines) + "\n").encode()
    node.system.hotlists.import_bytes(data, list_id=list_id, fmt="csv", actor="alice")


def _pair(
    make_node: Callable[..., FedNode],
    serve: Callable[[FedNode], AppServer],
    *,
    owner_id: str = "ma-town",
    owner_state: str = "MA",
    owner_policy: str = "strict-default",
    via: Callable[[str], str] = lambda url: url,
) -> Pair:
    """A Massachusetts town owning list ``stolen`` (stolen vehicles) that its agreement
    shares with a Connecticut town (``ct-pa-26-14``) subscribed to it."""
    owner = make_node(owner_id, owner_state, policy=owner_policy)
    ct = make_node("ct-town", "CT", policy="ct-pa-26-14")
    _import(
        owner,
        "stolen",
        [
            (STOLEN, owner_state, "V", "stolen grey Honda Civic"),
            (OTHER, owner_state, "V", "stolen red Ford pickup"),
        ],
    )
    server = serve(owner)
    _link(owner, ct, via(server.url))
    _agree(owner, "ct-town", ["stolen_vehicle"], attested=False)
    return Pair(owner, ct, server)


def _subscribe(pair: Pair, list_id: str = "stolen") -> None:
    pair.ct.system.hotlist_subscriptions.subscribe(pair.owner.id, list_id, actor=pair.ct.alice)


def _sync(node: FedNode) -> list[dict[str, Any]]:
    return [r.json() for r in node.system.hotlist_subscriptions.sync()]


def _actions(node: FedNode) -> list[str]:
    return [str(e["public"]["action"]) for e in node.events("federation_hotlist")]  # type: ignore[index]


def _read(node: FedNode, plate: str, state: str, minutes: int = 5) -> Read:
    seen = node.system.clock() - timedelta(minutes=minutes)
    return Read(plate, state, 0.96, seen, "cam-1", node.id, 41.31, -72.92)


def _alerts(node: FedNode) -> list[dict[str, Any]]:
    records = node.system.alerts.list_alerts(kind=AlertKind.ALERT)
    return [r.to_json() for r in records]


def _reports(owner: FedNode, count: int) -> list[dict[str, Any]]:
    """The hit reports the owner received, waited for (they are sent in the background)."""
    deadline = time.monotonic() + WAIT
    while len(reports := owner.system.hotlist_desk.reports()) < count:
        if time.monotonic() > deadline:
            raise AssertionError(f"{len(reports)} hit report(s) arrived, {count} expected")
        time.sleep(0.05)
    return reports


def test_subscribe_sync_304_and_changes_since_a_version(
    make_node: Callable[..., FedNode], serve: Callable[[FedNode], AppServer]
) -> None:
    pair = _pair(make_node, serve)
    offered = pair.ct.system.hotlist_subscriptions.offered("ma-town")
    assert [(o.list_id, o.version, o.categories, o.purposes, o.entries) for o in offered.lists] == [
        ("stolen", 1, ["V"], ["stolen_vehicle"], 2)
    ]
    _subscribe(pair)
    [first] = _sync(pair.ct)
    assert (first["outcome"], first["version"], first["entries"]) == ("updated", 1, 2)
    [local] = [i for i in pair.ct.system.hotlists.lists() if i.list_id == "ma-town.stolen"]
    assert (local.source_agency, local.active) == ("ma-town", 2)
    [again] = _sync(pair.ct)
    assert again["outcome"] == "unchanged" and again["version"] == 1  # a signed 304
    served = [e["public"] for e in pair.owner.events("federation_hotlist")]
    assert [(p["action"], p.get("outcome"), p.get("count")) for p in served] == [
        ("served", "full", 2)
    ]  # the 304 moved no entry

    hotlists = pair.owner.system.hotlists
    hotlists.add_entry(
        {
            "plate": "NEW5555",
            "state": "MA",
            "category": "V",
            "reason": "stolen blue Subaru wagon",
            "case_number": "26-0099",
            "owner": "MA0130100",
            "expires_at": (pair.owner.system.clock() + timedelta(days=9)).isoformat(),
        },
        list_id="stolen",
        actor="alice",
    )
    [added] = _sync(pair.ct)
    assert (added["outcome"], added["version"], added["entries"]) == ("updated", 2, 3)
    [gone] = [e for e in hotlists.entries("stolen") if e.entry.plate == OTHER]
    hotlists.remove_entry("stolen", gone.id, actor="alice", note="vehicle recovered")
    [removed] = _sync(pair.ct)
    assert (removed["outcome"], removed["version"], removed["entries"]) == ("updated", 3, 2)
    served = [e["public"] for e in pair.owner.events("federation_hotlist")][1:]
    assert [(p["outcome"], p["count"]) for p in served] == [("changes", 1), ("changes", 0)]

    ct = pair.ct.system
    assert ct.hotlists.match(_read(pair.ct, "NEW5555", "MA")).hit
    assert not ct.hotlists.match(_read(pair.ct, OTHER, "MA")).hit  # removed at the owner
    [sub] = ct.hotlist_subscriptions.subscriptions()
    assert (sub.status, sub.version, sub.categories) == ("active", 3, ("V",))
    assert _actions(pair.ct) == ["subscribed", "synced", "synced", "synced"]


def test_connecticut_refuses_an_immigration_list_whoever_offers_it(
    make_node: Callable[..., FedNode], serve: Callable[[FedNode], AppServer]
) -> None:
    ice = make_node("us-ice", "DC", policy=FEDERAL, agency_type="federal")
    ct = make_node("ct-town", "CT", policy="ct-pa-26-14")
    # ICE administrative warrants travel as NCIC "wanted person" entries: the reasons say what
    # the list is for, and both nodes read them the same way
    _import(
        ice,
        "removals",
        [
            (STOLEN, "CT", "W", "ICE administrative removal warrant"),
            (OTHER, "CT", "W", "immigration detainer and deportation order"),
        ],
    )
    _link(ice, ct, serve(ice).url)
    _agree(ice, "ct-town", ["wanted_person", "immigration_enforcement"], attested=False)
    [offer] = ct.system.hotlist_subscriptions.offered("us-ice").lists
    assert offer.purposes == ["immigration_enforcement", "wanted_person"]
    ct.system.hotlist_subscriptions.subscribe("us-ice", "removals", actor=ct.alice)
    [report] = _sync(ct)
    assert report["outcome"] == "refused" and "immigration_enforcement" in report["note"]
    assert all(i.source_agency != "us-ice" for i in ct.system.hotlists.lists())
    assert not ct.system.hotlists.match(_read(ct, STOLEN, "CT")).hit
    [refused] = [
        e["public"] for e in ct.events("federation_hotlist") if e["public"]["action"] == "refused"
    ]
    assert refused["reasons"] == ["hotlist.purpose_not_permitted"]
    assert refused["purposes"] == ["immigration_enforcement", "wanted_person"]
    [sub] = ct.system.hotlist_subscriptions.subscriptions()
    assert (sub.status, sub.version) == ("refused", None)


def test_a_list_the_owners_agreement_does_not_cover_is_neither_offered_nor_served(
    make_node: Callable[..., FedNode], serve: Callable[[FedNode], AppServer]
) -> None:
    owner = make_node("ma-town", "MA", policy="strict-default")
    ct = make_node("ct-town", "CT", policy="ct-pa-26-14")
    _import(owner, "stolen", [(STOLEN, "MA", "V", "stolen grey Honda Civic")])
    _link(owner, ct, serve(owner).url)
    _agree(owner, "ct-town", ["stolen_plate"], attested=False)  # plates, not vehicles
    assert ct.system.hotlist_subscriptions.offered("ma-town").lists == []
    ct.system.hotlist_subscriptions.subscribe("ma-town", "stolen", actor=ct.alice)
    [report] = _sync(ct)
    assert report["outcome"] == "refused" and "shares no hot list" in report["note"]
    assert not ct.system.hotlists.match(_read(ct, STOLEN, "MA")).hit
    assert "served" not in _actions(owner)


def test_a_hit_carries_its_provenance_and_the_owner_is_told_signed(
    make_node: Callable[..., FedNode], serve: Callable[[FedNode], AppServer]
) -> None:
    pair = _pair(make_node, serve)
    _agree(pair.ct, "ma-town", ["stolen_vehicle"], attested=True)  # CT tells MA of its hits
    _subscribe(pair)
    _sync(pair.ct)
    pair.ct.system.ingest([_read(pair.ct, STOLEN, "MA"), _read(pair.ct, INNOCENT, "CT")])
    [alert] = _alerts(pair.ct)
    origin = alert["entry"]["provenance"]
    [agreement] = pair.owner.system.identity.sharing.agreements("ma-town")
    assert origin == {"agency": "ma-town", "list_id": "stolen", "version": 1, "grant": agreement.id}
    pair.ct.system.identity.add_user("ofc", "ct-town", Role.OFFICER, "Officer",
                                     actor=pair.ct.alice, password=PASSWORD)  # fmt: skip
    console = TestClient(create_app(pair.ct.system, exposure=False), follow_redirects=False)
    sign_in(console, "ofc")
    page = console.get("/console/alerts").text
    assert "Shared by</dt><dd>ma-town: its list stolen, version 1" in page  # the officer sees it
    [report] = _reports(pair.owner, 1)
    assert (report["peer"], report["plate"], report["list_id"]) == ("ct-town", STOLEN, "stolen")
    assert report["camera_id"] == "cam-1" and report["lat"] == 41.31
    assert "image" not in str(sorted(report))  # the sighting, no picture
    received = [
        e["public"]
        for e in pair.owner.events("federation_hotlist")
        if e["public"]["action"] == "hit_received"
    ]
    assert received == [
        {"action": "hit_received", "peer_agency": "ct-town", "list_id": "stolen", "category": "V"}
    ]
    assert pair.owner.events("federation_refused") == []  # it came signed by CT's key
    reported = [
        e["public"]
        for e in pair.ct.events("federation_hotlist")
        if e["public"]["action"] == "hit_reported"
    ]
    assert reported == [
        {
            "action": "hit_reported",
            "peer_agency": "ma-town",
            "list_id": "stolen",
            "category": "V",
            "purpose": "stolen_vehicle",
            "decision": "allow",
        }
    ]
    # the non-hit's plate went nowhere: not in any report, not in the owner's log details
    assert INNOCENT not in repr(pair.owner.system.hotlist_desk.reports())
    details = [d.private for d in pair.owner.system.audit.log.details()]
    assert INNOCENT not in repr(details)
    assert pair.ct.system.hotlist_subscriptions.flush() == 0  # sent once, nothing queued
    # the same report sent again (a retry after a lost answer) is recorded once
    again = {k: v for k, v in report.items() if k not in ("peer", "received_at")}
    with PeerClient(pair.ct.system.federation) as client:
        answer = client.post(pair.ct.system.federation.peers.peer("ma-town"), HITS_PATH, again)
    assert (answer.status, answer.body["new"]) == (200, False)
    assert len(pair.owner.system.hotlist_desk.reports()) == 1
    assert _actions(pair.owner).count("hit_received") == 1


def test_no_report_leaves_without_an_agreement_or_against_the_policy(
    make_node: Callable[..., FedNode], serve: Callable[[FedNode], AppServer]
) -> None:
    pair = _pair(make_node, serve)  # CT has no agreement granting MA anything
    tx = make_node("tx-sheriff", "TX", policy="strict-default")
    _import(tx, "stolen", [(OTHER, "TX", "V", "stolen white Chevrolet Tahoe")])
    _link(tx, pair.ct, serve(tx).url)
    _agree(tx, "ct-town", ["stolen_vehicle"], attested=False)
    _agree(pair.ct, "tx-sheriff", ["stolen_vehicle"], attested=False)  # agreed, no attestation
    subs = pair.ct.system.hotlist_subscriptions
    _subscribe(pair)
    subs.subscribe("tx-sheriff", "stolen", actor=pair.ct.alice)
    assert [r["outcome"] for r in _sync(pair.ct)] == ["updated", "updated"]
    pair.ct.system.ingest([_read(pair.ct, STOLEN, "MA"), _read(pair.ct, OTHER, "TX")])
    assert len(_alerts(pair.ct)) == 2  # both hits alert here
    assert subs.flush() == 0
    withheld = {
        e["public"]["peer_agency"]: e["public"]
        for e in pair.ct.events("federation_hotlist")
        if e["public"]["action"] == "hit_withheld"
    }  # type: ignore[index]
    assert set(withheld) == {"ma-town", "tx-sheriff"}
    assert "sharing.no_agreement" in withheld["ma-town"]["reasons"]  # type: ignore[operator]
    assert withheld["tx-sheriff"]["decision"] == "deny"  # CT's policy: no out-of-state
    assert withheld["tx-sheriff"]["reasons"] == ["sharing.out-of-state"]
    assert "hit_reported" not in _actions(pair.ct)
    assert pair.owner.system.hotlist_desk.reports() == []
    assert tx.system.hotlist_desk.reports() == []


def test_an_unsigned_pull_is_refused_and_a_tampered_answer_keeps_the_last_good_list(
    make_node: Callable[..., FedNode],
    serve: Callable[[FedNode], AppServer],
    proxies: Callable[[str], TamperingProxy],
) -> None:
    hop: list[TamperingProxy] = []

    def via(url: str) -> str:
        hop.append(proxies(url))
        return hop[0].url

    pair = _pair(make_node, serve, via=via)
    unsigned = httpx.get(pair.server.url + HOTLISTS_PATH + "/stolen", timeout=30)
    assert unsigned.status_code == 401 and unsigned.json()["reason"] == "unsigned"
    assert STOLEN not in unsigned.text
    assert [e["public"]["reasons"] for e in pair.owner.events("federation_refused")] == [
        ["unsigned"]
    ]
    _subscribe(pair)
    assert _sync(pair.ct)[0]["outcome"] == "updated"  # through the proxy, untouched
    pair.owner.system.hotlists.import_bytes(
        (
            HEADER + f"{STOLEN},MA,V,stolen grey Honda Civic,26-0001,MA0130100,"
            f"{(pair.owner.system.clock() + timedelta(days=5)).date()}\n"
        ).encode(),
        list_id="stolen",
        fmt="csv",
        actor="alice",
    )
    hop[0].tamper = True
    [report] = _sync(pair.ct)
    assert report["outcome"] == "failed" and "digest_mismatch" in report["note"]
    assert report["version"] == 1 and "stays in force" in report["note"]
    [failed] = [
        e["public"]
        for e in pair.ct.events("federation_hotlist")
        if e["public"]["action"] == "sync_failed"
    ]
    assert failed["reasons"] == ["signature.digest_mismatch"]
    assert pair.ct.system.hotlists.match(_read(pair.ct, OTHER, "MA")).hit  # version 1 holds
    assert not pair.ct.system.hotlists.match(_read(pair.ct, "ABC1235", "MA")).hit
    hop[0].tamper = False
    [fixed] = _sync(pair.ct)
    assert (fixed["outcome"], fixed["version"], fixed["entries"]) == ("updated", 2, 1)


def test_a_partner_that_is_down_is_reported_and_its_last_good_list_kept(
    make_node: Callable[..., FedNode], serve: Callable[[FedNode], AppServer]
) -> None:
    pair = _pair(make_node, serve)
    _subscribe(pair)
    assert _sync(pair.ct)[0]["outcome"] == "updated"
    pair.server.__exit__()  # the partner's node goes down
    [report] = _sync(pair.ct)
    assert report["outcome"] == "failed" and report["version"] == 1
    assert "could not be reached" in report["note"]
    [sub] = pair.ct.system.hotlist_subscriptions.subscriptions()
    assert sub.status == "failing" and sub.version == 1 and sub.last_success is not None
    [failed] = [
        e["public"]
        for e in pair.ct.events("federation_hotlist")
        if e["public"]["action"] == "sync_failed"
    ]
    assert failed["reasons"] == ["federation.no_answer"]
    pair.ct.system.ingest([_read(pair.ct, STOLEN, "MA")])
    [alert] = _alerts(pair.ct)
    assert alert["entry"]["provenance"]["agency"] == "ma-town"  # still matching, still named


def test_the_hotlist_commands_as_an_operator_runs_them(
    tmp_path: Path, make_node: Callable[..., FedNode], serve: Callable[[FedNode], AppServer]
) -> None:
    op = _operator(tmp_path)
    owner = make_node("ma-town", "MA", policy="strict-default")
    _import(owner, "stolen", [(STOLEN, "MA", "V", "stolen grey Honda Civic")])
    url = serve(owner).url
    password = f"{PASSWORD}\n"
    op("federation", "peer", "add", url, "--yes", "--as", "alice", input=password)
    op("federation", "peer", "approve", "ma-town", "--as", "bob", input=password)
    document = parse_document(op("federation", "identity", "--json").encode())
    owner.system.federation.peers.propose(document, "http://127.0.0.1:1", document.key_pairs(),
                                          actor=owner.alice)  # fmt: skip
    owner.system.federation.peers.approve("ct-town", actor=owner.bob)
    _agree(owner, "ct-town", ["stolen_vehicle"], attested=False)

    [offer] = json.loads(op("federation", "hotlist", "list", "--offered", "ma-town", "--json"))
    assert (offer["list_id"], offer["purposes"]) == ("stolen", ["stolen_vehicle"])
    out = op("federation", "hotlist", "subscribe", "ma-town", "stolen", "--json", "--as",
             "alice", input=password)  # fmt: skip
    assert [(r["outcome"], r["version"]) for r in json.loads(out)] == [("updated", 1)]
    [sync] = json.loads(op("federation", "hotlist", "sync", "--json"))
    assert sync["outcome"] == "unchanged"
    [sub] = json.loads(op("federation", "hotlist", "list", "--json"))
    assert (sub["local_list"], sub["status"], sub["version"]) == ("ma-town.stolen", "active", 1)
    assert "ma-town.stolen" in op("federation", "hotlist", "list")
    out = op("federation", "hotlist", "subscribe", "ma-town", "stolen", "--as", "alice",
             input=password, code=_CONFLICT)  # fmt: skip
    assert "already subscribed" in out
    op("federation", "hotlist", "unsubscribe", "ma-town", "stolen", "--as", "alice",
       input=password)  # fmt: skip
    assert json.loads(op("federation", "hotlist", "list", "--json")) == []
