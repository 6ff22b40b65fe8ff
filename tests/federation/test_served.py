"""The federation acceptance set with real ``trustlpr serve`` processes: a Connecticut town
(``ct-pa-26-14``), a Virginia town (``va-2-2-5517``) and a Massachusetts town asking them, each
its own data directory and process on loopback, talking signed HTTP. A Rhode Island node, open
in this test process and pinned by Connecticut, sends the forged, replayed and altered messages.

Checked here: an allowed stolen-car search answered with minimised rows; Virginia refusing an
out-of-state request; every bad signature refused with 401, audited, the process staying up and
the replay cache surviving a restart; a removed peer refused; a stopped (SIGSTOP) partner marked
as not answering while the search completes; ``search run --partners``, ``search fetch
--partner`` and the API's ``partners`` field; and both portals' figures equal to
``audit recompute-stats`` over each node's public log download.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from typer.testing import CliRunner

from tests.recognize.nodes import free_port
from trustlpr.audit import open_audit, parse_leaf
from trustlpr.cli.main import app as cli
from trustlpr.core.identity import Role
from trustlpr.core.reads import Read
from trustlpr.federation import Request
from trustlpr.federation.signatures import sign
from trustlpr.identity import make_attestation
from trustlpr.runtime import System, initialise
from trustlpr.settings import Settings

pytestmark = pytest.mark.slow

PASSWORD = "correct horse battery staple"
PLATE = "ABC1234"
PERMISSIVE = str(Path(__file__).parent / "policies" / "permissive-test.toml")
ATTESTED = ["no_immigration_enforcement", "no_reproductive_health_investigation",
            "no_gender_affirming_care_investigation"]  # fmt: skip
PING = "/federation/v1/ping"
DEADLINE = "6"  # seconds MA gives a partner; generous under a loaded machine
runner = CliRunner()


@dataclass
class Served:
    """One agency's node, run as ``trustlpr serve`` on its own port."""

    agency: str
    data: Path
    port: int
    tokens: dict[str, str]
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        command = [sys.executable, "-m", "trustlpr.cli", "--data-dir", str(self.data), "serve",
                   "--port", str(self.port), "--log-level", "warning"]  # fmt: skip
        self.process = subprocess.Popen(
            command, env={**os.environ, **self.env}, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )  # fmt: skip
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.2)
            if self.process.poll() is not None:
                err = self.process.stderr.read().decode() if self.process.stderr else ""
                raise AssertionError(f"{self.agency} died at start: {err[-3000:]}")
        raise AssertionError(f"{self.agency} did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.send_signal(signal.SIGCONT)  # in case a test left it stopped
            self.process.terminate()
            self.process.wait(timeout=120)
            self.process = None

    def alive(self) -> bool:
        assert self.process is not None and self.process.poll() is None, f"{self.agency} died"
        return httpx.get(f"{self.url}/healthz", timeout=30).status_code == 200

    def api(self, method: str, path: str, token: str, body: object = None) -> httpx.Response:
        return httpx.request(method, self.url + path, json=body, timeout=120,
                             headers={"Authorization": f"Bearer {token}"})  # fmt: skip

    def leaves(self, kind: str) -> list[dict[str, Any]]:
        """Public parts of the node's log entries of one type (read-only, while it serves)."""
        with open_audit(self.data, readonly=True) as audit:
            values = [parse_leaf(leaf) for _, leaf in audit.log.entries()]
        return [v["public"] for v in values if v["type"] == kind]


@dataclass
class Net:
    ct: Served
    ma: Served
    va: Served
    ri: System  # open here: the sender of crafted messages, pinned by CT


def _system(root: Path, agency: str, state: str, policy: str, port: int | None) -> System:
    url = f"http://127.0.0.1:{port}" if port else None
    settings = Settings.load(root / agency, env={}, policy=policy, agency_id=agency,
                             agency_name=f"{agency} police", agency_state=state,
                             agency_type="local", public_url=url)  # fmt: skip
    assert initialise(settings)
    system = System(settings)
    ids = system.identity
    ids.add_user("alice", agency, Role.ADMIN, "Alice", actor=None, password=PASSWORD)
    ids.add_user("bob", agency, Role.ADMIN, "Bob", actor=None)
    return system


def _pin(pinner: System, other: System, url: str) -> None:
    doc = other.federation.document(other.node_facts())
    ids = pinner.identity
    pinner.federation.peers.propose(doc, url, doc.key_pairs(), actor=ids.user("alice"))
    pinner.federation.peers.approve(other.owner.id, actor=ids.user("bob"))


def _agree(owner: System, grantee: str) -> None:
    ids, now = owner.identity, datetime.now(UTC)
    attestation = make_attestation("MOU-2026-7", "Chief", now - timedelta(days=1), ATTESTED)
    proposal = ids.sharing.propose(owner.owner.id, grantee_agency_id=grantee,
                                   purposes=["stolen_vehicle"], expires_at=now + timedelta(days=90),
                                   actor=ids.user("alice"), attestation=attestation)  # fmt: skip
    ids.sharing.approve(proposal.id, actor=ids.user("bob"))


def _hold_reads(system: System, state: str) -> None:
    now = datetime.now(UTC)
    system.ingest([Read(PLATE, state, 0.95, now - timedelta(hours=h), "cam-1", system.owner.id,
                        41.3, -72.9) for h in (2, 5)])  # fmt: skip


def _token(system: System, user_id: str, role: Role) -> str:
    ids = system.identity
    ids.add_user(user_id, system.owner.id, role, user_id.title(), actor=ids.user("alice"))
    return ids.create_token(user_id, actor=ids.user("alice")).plaintext


@pytest.fixture(scope="module")
def net(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Net]:
    root = tmp_path_factory.mktemp("fed")
    ports = {name: free_port() for name in ("ct-town", "ma-town", "va-town")}
    ct = _system(root, "ct-town", "CT", "ct-pa-26-14", ports["ct-town"])
    va = _system(root, "va-town", "VA", "va-2-2-5517", ports["va-town"])
    ma = _system(root, "ma-town", "MA", PERMISSIVE, ports["ma-town"])  # holds nothing itself
    ri = _system(root, "ri-town", "RI", "strict-default", None)
    _hold_reads(ct, "CT")
    _hold_reads(va, "VA")
    for owner in (ct, va):
        _pin(ma, owner, f"http://127.0.0.1:{ports[owner.owner.id]}")
        _pin(owner, ma, f"http://127.0.0.1:{ports['ma-town']}")
        _agree(owner, "ma-town")
    _pin(ct, ri, "http://127.0.0.1:9")
    _pin(ri, ct, f"http://127.0.0.1:{ports['ct-town']}")
    tokens = {"ct": {"sup": _token(ct, "sup", Role.SUPERVISOR)},
              "ma": {"ofc": _token(ma, "ofc", Role.OFFICER)}}  # fmt: skip
    for system in (ct, va, ma):
        system.close()
    served = {
        name: Served(agency, root / agency, ports[agency], tokens.get(name, {}),
                     {"TRUSTLPR_FEDERATION_DEADLINE": DEADLINE})
        for name, agency in (("ct", "ct-town"), ("va", "va-town"), ("ma", "ma-town"))
    }  # fmt: skip
    try:
        for node in served.values():
            node.start()
        yield Net(served["ct"], served["ma"], served["va"], ri)
    finally:
        for node in served.values():
            node.stop()
        ri.close()


def _search(purpose: str = "stolen_vehicle", **extra: object) -> dict[str, object]:
    end = datetime.now(UTC)
    return {
        "purpose": purpose, "case_number": "26-004512", "legal_basis": "none",
        "reason": "stolen grey Honda Civic reported by its owner",
        "query": {"type": "exact", "plate": PLATE, "window_start": (end - timedelta(days=3))
                  .isoformat(), "window_end": end.isoformat()},
        **extra,
    }  # fmt: skip


def _ask(net: Net, partners: str, **extra: object) -> dict[str, Any]:
    answer = net.ma.api("POST", "/api/v1/searches", net.ma.tokens["ofc"],
                        _search(partners=partners, **extra))  # fmt: skip
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def _partner(body: dict[str, Any], agency: str) -> dict[str, Any]:
    [part] = [p for p in body["partners"] if p["agency"] == agency]
    return part


def test_connecticut_answers_massachusetts_with_minimised_rows(net: Net) -> None:
    body = _ask(net, "ct-town")
    ct = _partner(body, "ct-town")
    assert ct["answered"] and ct["decision"] == "allow" and ct["status"] == "completed"
    assert len(ct["results"]) == 2
    assert all(r["agency"] == "ct-town" and r["plate"] == PLATE for r in ct["results"])
    assert not any("ref" in r for r in ct["results"])
    decided = [e for e in net.ct.leaves("search_decided") if e.get("federated")]
    assert decided[-1]["request_id"] == ct["request_id"] and decided[-1]["decision"] == "allow"
    sent = net.ma.leaves("federation_search")
    assert sent[-1]["peer_request_id"] == ct["request_id"]


def test_virginia_refuses_the_out_of_state_request(net: Net) -> None:
    va = _partner(_ask(net, "va-town"), "va-town")
    assert va["answered"] and va["decision"] == "deny" and va["results"] == []
    assert any(r["rule"].startswith("sharing") for r in va["reasons"]), va["reasons"]
    decided = [e for e in net.va.leaves("search_decided") if e.get("federated")]
    assert decided[-1]["decision"] == "deny" and decided[-1]["requester_agency"] == "ma-town"


def test_a_stopped_partner_is_marked_as_not_answering_and_the_search_completes(net: Net) -> None:
    _ask(net, "all")  # both partners' terms read (and cached a minute)
    assert net.ct.process is not None
    net.ct.process.send_signal(signal.SIGSTOP)  # alive, connected, and answering nothing
    try:
        body = _ask(net, "all")
    finally:
        net.ct.process.send_signal(signal.SIGCONT)
    assert body["status"] == "completed"  # the local search
    ct, va = _partner(body, "ct-town"), _partner(body, "va-town")
    assert not ct["answered"] and ct["status"] == "no_answer" and ct["results"] == []
    assert va["answered"] and va["decision"] == "deny"
    assert net.ct.alive()
    outcomes = [e for e in net.ma.leaves("federation_search") if e["action"] != "sent"]
    assert {(e["peer_agency"], e["action"]) for e in outcomes[-2:]} == {
        ("ct-town", "no_answer"), ("va-town", "answered")}  # fmt: skip


def test_the_api_partners_field_is_checked(net: Net) -> None:
    token = net.ma.tokens["ofc"]
    both = _ask(net, "ct-town,va-town")
    assert {p["agency"] for p in both["partners"]} == {"ct-town", "va-town"}
    assert "partners" not in _ask(net, "none")  # this node only
    unknown = _partner(_ask(net, "ny-town"), "ny-town")
    assert not unknown["sent"] and "not a peer" in unknown["note"]
    too_long = net.ma.api("POST", "/api/v1/searches", token, _search(partners="x," * 1500))
    assert too_long.status_code == 422
    bad = net.ma.api("POST", "/api/v1/searches", token, _search(partners=",,"))
    assert bad.status_code in (400, 422) and "partners" in bad.text


def _cli(*args: str, code: int = 0) -> str:
    result = runner.invoke(cli, list(args))
    assert result.exit_code == code, (args, result.output)
    return result.stdout


def test_cli_partners_and_a_request_held_at_a_partner_fetched_with_partner(net: Net) -> None:
    ma, token = net.ma, net.ma.tokens["ofc"]
    out = _cli("search", "run", "--purpose", "stolen_vehicle", "--plate", PLATE, "--days", "3",
               "--case", "26-004512", "--reason", "stolen grey Honda Civic reported by its owner",
               "--partners", "ct-town", "--url", ma.url, "--token", token, "--json")  # fmt: skip
    answer = json.loads(out)
    assert _partner(answer, "ct-town")["decision"] == "allow"
    assert len(_partner(answer, "ct-town")["results"]) == 2
    bad = runner.invoke(cli, ["search", "run", "--purpose", "stolen_vehicle", "--plate", PLATE,
                              "--reason", "stolen grey Honda Civic reported by its owner",
                              "--partners", ",", "--url", ma.url, "--token", token])  # fmt: skip
    assert bad.exit_code != 0 and "--partners" in bad.output
    held = _partner(_ask(net, "ct-town", protected_plate=True), "ct-town")
    assert held["status"] == "pending_approval" and held["results"] == []
    fetch = ("search", "fetch", held["request_id"], "--partner", "ct-town", "--url", ma.url,
             "--token", token, "--json")  # fmt: skip
    assert json.loads(_cli(*fetch, code=4))["status"] == "pending_approval"  # 4: still held
    sup = net.ct.tokens["sup"]
    approved = net.ct.api("POST", f"/api/v1/searches/{held['request_id']}/approve", sup,
                          {"note": "stolen car, owner's report on file"})  # fmt: skip
    assert approved.status_code == 200, approved.text
    fetched = json.loads(_cli(*fetch))
    assert fetched["status"] == "completed" and len(fetched["results"]) == 2


def _signed(
    ri: System,
    path: str,
    body: bytes,
    *,
    url: str,
    now: datetime | None = None,
    key: tuple[str, Ed25519PrivateKey] | None = None,
) -> dict[str, str]:
    """Headers of a request to ``url + path`` signed by RI (or by ``key``) at ``now``."""
    keys = ri.federation.keys
    key_id, private = key or (keys.active.key_id, keys.private_key(keys.active.key_id))
    message = Request("POST", url + path, {"Content-Type": "application/json"})
    sign(message, body, key_id=key_id, key=private, now=now or datetime.now(UTC))
    return dict(message.headers)


def _refused(response: httpx.Response) -> str:
    assert response.status_code == 401, response.text
    return str(response.json()["reason"])


def test_forged_replayed_altered_and_stale_messages_are_refused_and_the_node_stays_up(
    net: Net,
) -> None:
    ct, ri = net.ct, net.ri
    url = ct.url + PING
    body = b'{"hello":1}'
    good = _signed(ri, PING, body, url=ct.url)
    assert httpx.post(url, content=body, headers=good, timeout=60).status_code == 200
    reasons = [_refused(httpx.post(url, content=body, headers=good, timeout=60))]  # replayed
    forged = _signed(ri, PING, body, url=ct.url)
    signature = forged["Signature"]
    flipped = "A" if signature[8] != "A" else "B"
    forged["Signature"] = signature[:8] + flipped + signature[9:]
    reasons.append(_refused(httpx.post(url, content=body, headers=forged, timeout=60)))
    stranger = Ed25519PrivateKey.generate()
    alien = _signed(ri, PING, body, url=ct.url, key=("k" * 43, stranger))
    reasons.append(_refused(httpx.post(url, content=body, headers=alien, timeout=60)))
    altered = _signed(ri, PING, body, url=ct.url)
    reasons.append(_refused(httpx.post(url, content=b'{"hello":2}', headers=altered, timeout=60)))
    stale = _signed(ri, PING, body, url=ct.url, now=datetime.now(UTC) - timedelta(minutes=10))
    reasons.append(_refused(httpx.post(url, content=body, headers=stale, timeout=60)))
    reasons.append(_refused(httpx.post(url, content=body, timeout=60)))
    assert reasons == ["replayed_nonce", "bad_signature", "unknown_key", "digest_mismatch",
                       "outside_window", "unsigned"]  # fmt: skip
    assert ct.alive()
    # the replay cache survives a restart; a peer removed meanwhile is refused from then on
    ct.stop()
    ct.start()
    reasons.append(_refused(httpx.post(url, content=body, headers=good, timeout=60)))
    ct.stop()
    removed = runner.invoke(cli, ["--data-dir", str(ct.data), "federation", "peer", "remove",
                                  "ri-town", "--as", "alice"], input=f"{PASSWORD}\n")  # fmt: skip
    assert removed.exit_code == 0, removed.output
    ct.start()
    fresh = _signed(ri, PING, body, url=ct.url)
    reasons.append(_refused(httpx.post(url, content=body, headers=fresh, timeout=60)))
    assert reasons[-2:] == ["replayed_nonce", "peer_removed"]
    assert ct.alive()
    logged = [e["reasons"][0] for e in ct.leaves("federation_refused")]
    assert logged[-len(reasons) :] == reasons
    assert [e["action"] for e in ct.leaves("federation_changed")
            if e.get("peer_agency") == "ri-town"][-1] == "removed"  # fmt: skip


def test_both_portals_agree_with_recompute_stats(net: Net, tmp_path: Path) -> None:
    for node in (net.ct, net.ma, net.va):
        figures = httpx.get(node.url + "/figures.json", timeout=60).json()
        log = tmp_path / f"{node.agency}.jsonl"
        log.write_bytes(httpx.get(node.url + "/log/download.jsonl", timeout=120).content)
        size = str(figures["log"]["size"])  # the portal's figures are for the size it shows
        recomputed = json.loads(_cli("audit", "recompute-stats", "--log", str(log), "--size",
                                     size, "--json").strip().splitlines()[-1])  # fmt: skip
        assert figures == recomputed, node.agency
    ct_in = json.loads(_cli("--data-dir", str(net.ct.data), "audit", "recompute-stats", "--json"))[
        "federation"
    ]
    assert {(r["partner"], r["decision"]) for r in ct_in["in"]} >= {("ma-town", "allow")}
    ma_out = json.loads(_cli("--data-dir", str(net.ma.data), "audit", "recompute-stats", "--json"))[
        "federation"
    ]
    outcomes = {(r["partner"], r["decision"]) for r in ma_out["out"]}
    assert {("ct-town", "allow"), ("va-town", "deny"), ("ct-town", "no_answer")} <= outcomes
