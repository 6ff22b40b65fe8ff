"""The federated search over real HTTP: each agency its own node (own data directory, served
by uvicorn on loopback), the owner's node judging every request for its data by its own
policy and agreements, both nodes logging the exchange."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from tests.hotlist.servers import AppServer
from trustlpr.core.identity import Role, User
from trustlpr.core.reads import Read
from trustlpr.core.search import LegalBasis, Purpose, Query, SearchType
from trustlpr.federation.client import PeerClient
from trustlpr.federation.outbound import FederatedOutcome
from trustlpr.federation.wire import SEARCH_PATH
from trustlpr.identity import make_attestation
from trustlpr.search import SearchForm, Status

from .conftest import FedNode

PERMISSIVE = str(Path(__file__).parent / "policies" / "permissive-test.toml")
PLATE = "ABC1234"
ATTESTED = ["no_immigration_enforcement", "no_reproductive_health_investigation",
            "no_gender_affirming_care_investigation"]  # fmt: skip


@dataclass
class Net:
    ct: FedNode
    servers: dict[str, AppServer]


def _officer(node: FedNode, user_id: str = "ofc") -> User:
    return node.system.identity.add_user(
        user_id, node.id, Role.OFFICER, "Officer", actor=node.alice
    )


def _net(make_node: Callable[..., FedNode], serve: Callable[[FedNode], AppServer]) -> Net:
    """The Connecticut town ``ct-pa-26-14`` holding reads of ``PLATE``, served."""
    ct = make_node("ct-town", "CT", policy="ct-pa-26-14")
    now = ct.system.clock()
    ct.system.ingest([Read(PLATE, "CT", 0.95, now - timedelta(hours=h), "cam-1", ct.id, 41.3,
                           -72.9) for h in (2, 5)])  # fmt: skip
    return Net(ct, {ct.id: serve(ct)})


def _link(owner: FedNode, requester: FedNode, server: AppServer) -> None:
    """Both sides pin each other the two-admin way; the requester knows the owner's URL."""
    doc = owner.document()
    peers = requester.system.federation.peers
    peers.propose(doc, server.url, doc.key_pairs(), actor=requester.alice)
    peers.approve(owner.id, actor=requester.bob)
    owner.pin(requester)


def _agree(owner: FedNode, grantee: str, purposes: list[str], *, attested: bool) -> None:
    sharing = owner.system.identity.sharing
    now = owner.system.clock()
    attestation = (
        make_attestation("MOU-2026-7", "Chief", now - timedelta(days=1), ATTESTED)
        if attested
        else None
    )
    proposal = sharing.propose(owner.id, grantee_agency_id=grantee, purposes=purposes,
                               expires_at=now + timedelta(days=90), actor=owner.alice,
                               attestation=attestation)  # fmt: skip
    sharing.approve(proposal.id, actor=owner.bob)


def _form(purpose: Purpose = Purpose.STOLEN_VEHICLE, *, days: int = 3, offense: str | None = None,
          basis: LegalBasis = LegalBasis.NONE, warrant: str | None = None,
          protected: bool = False) -> SearchForm:  # fmt: skip
    end = datetime.now(UTC) - timedelta(minutes=30)  # the nodes' clock stands a little earlier
    return SearchForm(
        purpose=purpose, case_number="26-004512", legal_basis=basis,
        reason="stolen grey Honda Civic reported by its owner", offense_code=offense,
        warrant_id=warrant, protected_plate=protected,
        query=Query(SearchType.EXACT, end - timedelta(days=days), end, plate=PLATE),
    )  # fmt: skip


def _run(
    node: FedNode, user: User, form: SearchForm, partners: list[str] | None
) -> FederatedOutcome:
    return node.system.federated.run(user, node.system.owner, form, partners)


def _decided(node: FedNode, requester: str) -> list[dict[str, object]]:
    return [e["public"] for e in node.events("search_decided")
            if e["public"]["requester_agency"] == requester]  # type: ignore[index]  # fmt: skip


def _sent(node: FedNode) -> list[dict[str, object]]:
    return [e["public"] for e in node.events("federation_search")]  # type: ignore[misc]


def test_a_massachusetts_partner_with_an_attestation_gets_minimised_results(
    make_node: Callable[..., FedNode], serve: Callable[[FedNode], AppServer]
) -> None:
    net = _net(make_node, serve)
    ma = make_node("ma-town", "MA", policy="strict-default")
    _link(net.ct, ma, net.servers["ct-town"])
    _agree(net.ct, "ma-town", ["stolen_vehicle"], attested=True)
    outcome = _run(ma, _officer(ma), _form(), ["ct-town"])
    assert outcome.local.status is Status.COMPLETED, outcome.local.decision.reasons
    [part] = outcome.partners
    assert part.answered and part.status == "completed" and part.decision == "allow"
    assert len(part.results) == 2
    row = outcome.json("ma-town")["partners"][0]["results"][0]
    assert row["plate"] == PLATE and row["agency"] == "ct-town"
    assert "ref" not in row  # the owner's row reference never leaves
    # both logs: MA sent, then recorded CT's answer; CT decided (before running) and ran
    sent = _sent(ma)
    assert [e["action"] for e in sent] == ["sent", "answered"]
    assert sent[0]["peers"] == ["ct-town"] and sent[1]["peer_request_id"] == part.request_id
    decided = _decided(net.ct, "ma-town")
    assert [d["decision"] for d in decided] == ["allow"]
    assert decided[0]["request_id"] == part.request_id
    executed = [e["public"] for e in net.ct.events("search_executed")]
    assert executed[-1]["result_count"] == 2


def test_texas_without_an_agreement_is_never_sent_and_refused_if_it_asks_anyway(
    make_node: Callable[..., FedNode], serve: Callable[[FedNode], AppServer]
) -> None:
    net = _net(make_node, serve)
    tx = make_node("tx-sheriff", "TX", policy=PERMISSIVE)
    _link(net.ct, tx, net.servers["ct-town"])
    form = _form(Purpose.REPRODUCTIVE_HEALTH)
    outcome = _run(tx, _officer(tx), form, None)
    [part] = outcome.partners
    assert not part.sent and "no agreement" in part.note
    assert _decided(net.ct, "tx-sheriff") == []  # the query never reached Connecticut
    # a Texas node that signs a request anyway is refused by CT's governed search
    body = tx.system.federated._ask_body(_officer(tx, "ofc2"), tx.system.owner, form, "s-tx1")
    with PeerClient(tx.system.federation) as client:
        answer = client.post(tx.system.federation.peers.peer("ct-town"), SEARCH_PATH, body)
    assert answer.status == 403 and answer.body["decision"] == "deny"
    rules = {r["rule"] for r in answer.body["reasons"]}
    assert "sharing.no_agreement" in rules and answer.body["results"] == []
    assert [d["decision"] for d in _decided(net.ct, "tx-sheriff")] == ["deny"]


def test_texas_with_an_agreement_is_still_denied_by_the_connecticut_policy(
    make_node: Callable[..., FedNode], serve: Callable[[FedNode], AppServer]
) -> None:
    net = _net(make_node, serve)
    tx = make_node("tx-sheriff", "TX", policy=PERMISSIVE)
    _link(net.ct, tx, net.servers["ct-town"])
    _agree(net.ct, "tx-sheriff", ["reproductive_health", "stolen_vehicle"], attested=False)
    outcome = _run(tx, _officer(tx), _form(Purpose.REPRODUCTIVE_HEALTH), ["ct-town"])
    [part] = outcome.partners
    assert part.sent and part.answered and part.decision == "deny" and part.results == ()
    rules = {r.rule for r in part.reasons}
    assert "sharing.no_agreement" not in rules and "sharing.purpose_not_covered" not in rules
    assert any(r.startswith("purpose") for r in rules), rules
    assert [d["decision"] for d in _decided(net.ct, "tx-sheriff")] == ["deny"]
    assert _sent(tx)[-1]["decision"] == "deny"


def test_a_federal_agency_is_denied_immigration_and_allowed_a_kidnapping_on_a_warrant(
    make_node: Callable[..., FedNode], serve: Callable[[FedNode], AppServer]
) -> None:
    net = _net(make_node, serve)
    fbi = make_node("fbi-nh", "NH", policy=PERMISSIVE, agency_type="federal")
    _link(net.ct, fbi, net.servers["ct-town"])
    # even an agreement that names immigration cannot override the Trust Act
    _agree(net.ct, "fbi-nh", ["immigration_enforcement", "violent_felony"], attested=False)
    agent = _officer(fbi)
    immigration = _form(Purpose.IMMIGRATION_ENFORCEMENT, basis=LegalBasis.WARRANT,
                        offense="immigration_violation",
                        warrant="W-2026-117")  # even on a judicial warrant  # fmt: skip
    denied = _run(fbi, agent, immigration, ["ct-town"])
    assert denied.partners[0].decision == "deny", (denied.local.decision, denied.partners)
    assert denied.partners[0].results == ()
    warrant = _form(Purpose.VIOLENT_FELONY, offense="kidnapping", basis=LegalBasis.WARRANT,
                    warrant="W-2026-118")  # fmt: skip
    allowed = _run(fbi, agent, warrant, ["ct-town"])
    assert allowed.partners[0].decision == "allow" and len(allowed.partners[0].results) == 2
    ct_side = _decided(net.ct, "fbi-nh")
    assert [(d["purpose"], d["decision"]) for d in ct_side] == [
        ("immigration_enforcement", "deny"), ("violent_felony", "allow")]  # fmt: skip
    fbi_side = [e for e in _sent(fbi) if e["action"] == "answered"]
    assert [(e["purpose"], e["decision"]) for e in fbi_side] == [
        ("immigration_enforcement", "deny"), ("violent_felony", "allow")]  # fmt: skip


def test_virginia_refuses_every_out_of_state_request(
    make_node: Callable[..., FedNode], serve: Callable[[FedNode], AppServer]
) -> None:
    va = make_node("va-town", "VA", policy="va-2-2-5517")
    now = va.system.clock()
    va.system.ingest([Read(PLATE, "VA", 0.95, now - timedelta(hours=1), "cam-1", va.id, 37.5,
                           -77.4)])  # fmt: skip
    server = serve(va)
    ma = make_node("ma-town", "MA", policy="strict-default")
    _link(va, ma, server)
    _agree(va, "ma-town", ["stolen_vehicle"], attested=True)
    outcome = _run(ma, _officer(ma), _form(), ["va-town"])
    [part] = outcome.partners
    assert part.decision == "deny" and part.results == ()
    assert any(r.rule.startswith("sharing") for r in part.reasons)
    assert [d["decision"] for d in _decided(va, "ma-town")] == ["deny"]


def test_a_partner_that_is_down_is_marked_as_not_answering(
    make_node: Callable[..., FedNode], serve: Callable[[FedNode], AppServer]
) -> None:
    net = _net(make_node, serve)
    ma = make_node("ma-town", "MA", policy="strict-default")
    _link(net.ct, ma, net.servers["ct-town"])
    _agree(net.ct, "ma-town", ["stolen_vehicle"], attested=True)
    ri = make_node("ri-town", "RI", policy="strict-default")
    ri_server = serve(ri)
    _link(ri, ma, ri_server)
    _agree(ri, "ma-town", ["stolen_vehicle"], attested=True)
    ma.system.federated.run(_officer(ma), ma.system.owner, _form(), None)  # terms cached
    ri_server.__exit__()  # the Rhode Island node goes down
    outcome = _run(ma, ma.system.identity.user("ofc"), _form(), None)
    by_agency = {p.agency: p for p in outcome.partners}
    assert by_agency["ct-town"].answered and len(by_agency["ct-town"].results) == 2
    assert not by_agency["ri-town"].answered and by_agency["ri-town"].status == "no_answer"
    assert _sent(ma)[-1]["action"] in ("answered", "no_answer")
    assert {e["peer_agency"] for e in _sent(ma)[-2:]} == {"ct-town", "ri-town"}


def test_a_held_request_waits_for_the_owners_supervisor_and_the_requester_polls_it(
    make_node: Callable[..., FedNode], serve: Callable[[FedNode], AppServer]
) -> None:
    net = _net(make_node, serve)
    ma = make_node("ma-town", "MA", policy=PERMISSIVE)  # holds nothing itself
    _link(net.ct, ma, net.servers["ct-town"])
    _agree(net.ct, "ma-town", ["stolen_vehicle"], attested=True)
    officer = _officer(ma)
    held = _run(ma, officer, _form(protected=True), ["ct-town"])  # CT holds protected plates
    assert held.local.status is Status.COMPLETED
    [part] = held.partners
    assert part.status == "pending_approval" and part.request_id and part.results == ()
    poll = ma.system.federated.poll(officer, "ct-town", part.request_id)
    assert poll.status == "pending_approval"
    sup = net.ct.system.identity.add_user("sup", "ct-town", Role.SUPERVISOR, "Sup",
                                          actor=net.ct.alice)  # fmt: skip
    [queued] = net.ct.system.search.pending(sup)
    assert queued.request_id == part.request_id and queued.agency_id == "ma-town"
    net.ct.system.search.decide_pending(sup, part.request_id, approve=True, note="stolen car")
    fetched = ma.system.federated.poll(officer, "ct-town", part.request_id)
    assert fetched.status == "completed" and len(fetched.results) == 2
    # another MA user cannot fetch it
    other = ma.system.federated.poll(_officer(ma, "ofc2"), "ct-town", part.request_id)
    assert other.status == "refused" and other.results == ()
    assert [e["action"] for e in _sent(ma)] == ["sent", "answered", "answered", "answered",
                                                 "answered"]  # fmt: skip


def test_a_declaration_naming_another_agency_is_refused(
    make_node: Callable[..., FedNode], serve: Callable[[FedNode], AppServer]
) -> None:
    net = _net(make_node, serve)
    ma = make_node("ma-town", "MA", policy="strict-default")
    _link(net.ct, ma, net.servers["ct-town"])
    _agree(net.ct, "ma-town", ["stolen_vehicle"], attested=True)
    body = ma.system.federated._ask_body(_officer(ma), ma.system.owner, _form(), "s-ma1")
    body["requester"]["agency_id"] = "ny-town"  # forwarding on another's behalf
    with PeerClient(ma.system.federation) as client:
        answer = client.post(ma.system.federation.peers.peer("ct-town"), SEARCH_PATH, body)
    assert answer.status == 403 and answer.body["error"] == "ForbiddenError"
    body["requester"]["agency_id"] = "ma-town"
    body["requester"]["state"] = "CT"  # claiming to be in-state
    with PeerClient(ma.system.federation) as client:
        answer = client.post(ma.system.federation.peers.peer("ct-town"), SEARCH_PATH, body)
    assert answer.status == 403
    assert _decided(net.ct, "ma-town") == []
    assert httpx.get(net.servers["ct-town"].url + "/healthz").status_code == 200
