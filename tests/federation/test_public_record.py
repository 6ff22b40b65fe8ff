"""The public record of federation: each node's sharing page lists its partner nodes and the
agreements in force, counts requests in and out per partner, purpose and decision, and shows
every peer change; ``audit recompute-stats`` reaches the same figures from the downloaded public
log on both sides; and no public entry carries a plate, a person or a case."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError
from typer.testing import CliRunner

from tests.hotlist.servers import AppServer
from trustlpr.audit import parse_leaf
from trustlpr.cli.main import app as cli
from trustlpr.core.search import Purpose
from trustlpr.federation.wire import SEARCH_PATH, SearchAnswer
from trustlpr.web.app import create_app

from .conftest import FedNode
from .test_search import PERMISSIVE, PLATE, _agree, _form, _link, _net, _officer, _run

runner = CliRunner()
_ROW = re.compile(
    r'<tr><th scope="row">([^<]+)</th><td data-code="([^"]+)">[^<]*</td>'
    r'<td data-code="([^"]+)">[^<]*</td><td class="num">(\d+)</td></tr>'
)


def _figures_from_download(url: str, tmp_path: Path, name: str) -> dict[str, object]:
    """``recompute-stats`` over the node's public log, downloaded as anyone would."""
    log_file = tmp_path / f"{name}.jsonl"
    log_file.write_bytes(httpx.get(f"{url}/log/download.jsonl", timeout=60).content)
    result = runner.invoke(cli, ["audit", "recompute-stats", "--log", str(log_file), "--json"])
    assert result.exit_code == 0, result.output
    figures: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return figures


def _page_rows(page: str, direction: str) -> list[dict[str, object]]:
    table = page.split(f'data-direction="{direction}"', 1)[1].split("</table>", 1)[0]
    return [
        {"partner": p, "purpose": u, "decision": d, "count": int(c)}
        for p, u, d, c in _ROW.findall(table)
    ]


@pytest.fixture
def exchanged(
    make_node: Callable[..., FedNode], serve: Callable[[FedNode], AppServer]
) -> dict[str, tuple[FedNode, AppServer]]:
    net = _net(make_node, serve)
    ct, ct_server = net.ct, net.servers["ct-town"]
    ma = make_node("ma-town", "MA", policy="strict-default")
    _link(ct, ma, ct_server)
    _agree(ct, "ma-town", ["stolen_vehicle"], attested=True)
    tx = make_node("tx-sheriff", "TX", policy=PERMISSIVE)
    _link(ct, tx, ct_server)
    _agree(ct, "tx-sheriff", ["reproductive_health"], attested=False)
    officer = _officer(ma)
    for _ in range(2):
        assert _run(ma, officer, _form(), ["ct-town"]).partners[0].decision == "allow"
    denied = _run(tx, _officer(tx), _form(Purpose.REPRODUCTIVE_HEALTH), ["ct-town"])
    assert denied.partners[0].decision == "deny"
    unsigned = httpx.post(ct_server.url + SEARCH_PATH, json={"trustlpr_federation": 1})
    assert unsigned.status_code == 401
    ct.system.federation.peers.remove("tx-sheriff", actor=ct.alice)
    return {"ct": (ct, ct_server), "ma": (ma, serve(ma)), "tx": (tx, serve(tx))}


def test_both_portals_count_the_exchanges_and_recompute_stats_agrees(
    exchanged: dict[str, tuple[FedNode, AppServer]], tmp_path: Path
) -> None:
    """Connecticut answered Massachusetts twice (allowed) and Texas once (denied by its policy)
    and refused one unsigned request; each side counts its part."""
    for side, (node, server) in exchanged.items():
        with TestClient(create_app(node.system, exposure=False)) as client:  # a fresh cache
            portal = client.get("/figures.json").json()
            page = client.get("/sharing").text
        recomputed = _figures_from_download(server.url, tmp_path, side)
        assert portal == recomputed, side
        fed = recomputed["federation"]
        assert isinstance(fed, dict)
        assert _page_rows(page, "in") == fed["in"], side
        assert _page_rows(page, "out") == fed["out"], side
        for key in ("requests_in", "requests_out", "refused_total"):
            assert f"value='{fed[key]}'>" in page.split("Partner nodes")[1], (side, key)
    ct_fed = _figures_from_download(exchanged["ct"][1].url, tmp_path, "ct2")["federation"]
    assert isinstance(ct_fed, dict)
    assert ct_fed["in"] == [
        {"partner": "ma-town", "purpose": "stolen_vehicle", "decision": "allow", "count": 2},
        {"partner": "tx-sheriff", "purpose": "reproductive_health", "decision": "deny",
         "count": 1},
    ]  # fmt: skip
    assert ct_fed["requests_out"] == 0 and ct_fed["refused"] == {"unsigned": 1}
    ma_fed = _figures_from_download(exchanged["ma"][1].url, tmp_path, "ma2")["federation"]
    assert isinstance(ma_fed, dict)
    assert ma_fed["out"] == [
        {"partner": "ct-town", "purpose": "stolen_vehicle", "decision": "allow", "count": 2}
    ]
    assert ma_fed["requests_in"] == 0 and ma_fed["searches_sent"] == 2
    tx_fed = _figures_from_download(exchanged["tx"][1].url, tmp_path, "tx2")["federation"]
    assert isinstance(tx_fed, dict)
    assert tx_fed["out"] == [
        {"partner": "ct-town", "purpose": "reproductive_health", "decision": "deny", "count": 1}
    ]


def test_the_sharing_page_lists_partner_nodes_and_every_peer_change(
    exchanged: dict[str, tuple[FedNode, AppServer]],
) -> None:
    ct = exchanged["ct"][0]
    with TestClient(create_app(ct.system, exposure=False)) as client:
        page = client.get("/sharing").text
    nodes = page.split("Partner nodes", 1)[1].split("Changes to partner nodes", 1)
    trusted = nodes[0].split("</table>", 1)[0]
    assert "1 partner node trusted" in trusted and "(ma-town)" in trusted
    assert "tx-sheriff" not in trusted  # removed: no longer trusted
    history = nodes[1].split("</table>", 1)[0]
    changes = re.findall(r"<tr><td>[^<]+</td><td>([a-z ]+)</td><td>([^<]+)</td>", history)
    assert ("removed", "tx-sheriff") in changes
    assert changes.count(("approved", "ma-town")) == 1 and ("proposed", "ma-town") in changes
    agreements = page.split("Partner nodes", 1)[0]  # the agreements in force, listed first
    assert "2 agreements in force" in agreements and "(ma-town)" in agreements


def test_no_public_entry_carries_a_plate_a_person_or_a_case(
    exchanged: dict[str, tuple[FedNode, AppServer]],
) -> None:
    secrets = {PLATE, "26-004512", "stolen grey Honda Civic", "Officer", "Alice", "Bob"}
    for side, (node, _) in exchanged.items():
        secrets.add(node.system.federated._pseudonym("ofc"))
        for _, leaf in node.system.audit.log.entries():
            value = parse_leaf(leaf)
            public = {k: v for k, v in value["public"].items() if k != "peer_keys"}  # base64
            text = json.dumps(public)
            for secret in secrets:
                assert secret not in text, (side, value["type"], secret)
            assert "ofc" not in re.findall(r"[a-z]+", text), (side, value["type"])


@pytest.mark.parametrize(
    "field,value",
    [("decision", "ABC1234 seen"), ("status", "John Smith"), ("request_id", "Case 26-004512"),
     ("reasons", [{"rule": "plate ABC1234", "text": "x"}])],
)  # fmt: skip
def test_a_partner_cannot_put_free_text_into_our_public_log(field: str, value: object) -> None:
    """A partner's decision, status, rule ids and request id are copied into the requester's
    public log: anything but a code is refused (the answer is then unreadable, not logged)."""
    answer = {"agency": "ct-town", "request_id": "s-1", "status": "completed",
              "decision": "allow", "reasons": [], "results": []}  # fmt: skip
    SearchAnswer.model_validate(answer)
    with pytest.raises(ValidationError):
        SearchAnswer.model_validate({**answer, field: value})
