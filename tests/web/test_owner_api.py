"""Own-vehicle requests over a real Connecticut node (issue 21 item 2): the API's steps, hostile
input as 4xx with the node still answering, and the portal's count equal to recompute-stats."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.web.portal_node import page_figures
from trustlpr.cli.main import app as cli
from trustlpr.core import Read, Role
from trustlpr.runtime import System, initialise
from trustlpr.settings import Settings
from trustlpr.web.app import create_app

NOW = datetime.now(UTC).replace(microsecond=0)
PROOF = {"plate": "OWN123", "state": "CT", "proof": "CT registration no. 5518820 and licence"}


@pytest.fixture
def node(tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str], Path]]:
    settings = Settings.load(
        tmp_path / "node", env={}, agency_id="nhpd", agency_state="CT", policy="ct-pa-26-14"
    )
    initialise(settings)
    with System(settings) as system:
        ids = system.identity
        admin = ids.add_user("adm", "nhpd", Role.ADMIN, "Admin", actor=None)
        ids.add_user("ofc", "nhpd", Role.OFFICER, "Officer", actor=admin)
        ids.add_user("sgt", "nhpd", Role.SUPERVISOR, "Sergeant", actor=admin)
        tokens = {
            who: ids.create_token(who, actor=ids.user(who)).plaintext
            for who in ("ofc", "sgt", "adm")
        }
        tokens["sgt-by-adm"] = ids.create_token("sgt", actor=admin).plaintext
        reads = [
            Read(
                "OWN123", "CT", 0.9, NOW - timedelta(days=d, hours=2), "cam-1", "nhpd", 41.3, -72.9
            )
            for d in range(6)
        ] + [
            Read("OWN123", "NY", 0.9, NOW - timedelta(hours=5), "cam-2", "nhpd", 41.3, -72.9),
            Read("0WN123", "CT", 0.9, NOW - timedelta(hours=6), "cam-2", "nhpd", 41.3, -72.9),
        ]
        system.ingest(reads)  # fmt: skip
        app = create_app(system, portal_ttl=0, exposure=False)
        yield TestClient(app), tokens, tmp_path
        app.state.portal.close()


def auth(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_open_verify_approve_answers_the_registered_plate_only(node) -> None:
    client, tokens, _ = node
    made = client.post("/api/v1/owner-requests", json=PROOF, headers=auth(tokens["ofc"]))
    assert made.status_code == 201, made.text
    request_id = made.json()["request_id"]
    early = client.post(
        f"/api/v1/owner-requests/{request_id}/approve", json={"note": "too soon"},
        headers=auth(tokens["sgt"]),
    )  # fmt: skip
    assert early.status_code == 403 and "not been verified" in early.text
    checked = client.post(
        f"/api/v1/owner-requests/{request_id}/verify", json={"note": "DMV record matches"},
        headers=auth(tokens["ofc"]),
    )  # fmt: skip
    assert checked.status_code == 200 and checked.json()["status"] == "verified"
    # the sergeant signing with a token the officer's maker minted is not a second person
    tied = client.post(
        f"/api/v1/owner-requests/{request_id}/approve", json={"note": "approved"},
        headers=auth(tokens["sgt-by-adm"]),
    )  # fmt: skip
    assert tied.status_code == 403 and "not independent" in tied.text
    done = client.post(
        f"/api/v1/owner-requests/{request_id}/approve", json={"note": "proof seen, approved"},
        headers=auth(tokens["sgt"]),
    )  # fmt: skip
    assert done.status_code == 200, done.text
    data = done.json()
    assert data["status"] == "answered" and data["plate"] is None
    results = data["answer"]["results"]
    assert len(results) == 6 and {(r["plate"], r["state"]) for r in results} == {("OWN123", "CT")}
    again = client.post(
        f"/api/v1/owner-requests/{request_id}/approve", json={"note": "twice"},
        headers=auth(tokens["adm"]),
    )  # fmt: skip
    assert again.status_code == 409


@pytest.mark.parametrize(
    "payload",
    [
        PROOF | {"include_variants": True},
        PROOF | {"cameras": ["cam-1"]},
        PROOF | {"window_start": "2020-01-01T00:00:00Z"},
        PROOF | {"pattern": "OWN*"},
        PROOF | {"plate": "\u041eWN123"},  # Cyrillic O
        PROOF | {"state": "ZZ"},
        PROOF | {"proof": "see\u200b"},
        PROOF | {"proof": "x" * 5000},
        {"plate": "OWN123", "state": "CT"},
        [1, 2, 3],
    ],
    ids=[
        "variants",
        "cameras",
        "window",
        "pattern",
        "homoglyph",
        "state",
        "invisible",
        "huge",
        "no-proof",
        "not-an-object",
    ],
)
def test_widening_and_hostile_bodies_are_422_and_the_node_stays_up(node, payload) -> None:
    client, tokens, _ = node
    answer = client.post("/api/v1/owner-requests", json=payload, headers=auth(tokens["ofc"]))
    assert answer.status_code == 422, answer.text
    assert client.get("/api/v1/owner-requests", headers=auth(tokens["ofc"])).json() == []
    assert client.get("/healthz").status_code == 200


def test_steps_need_a_note_a_known_request_and_a_staff_login(node) -> None:
    client, tokens, _ = node
    made = client.post("/api/v1/owner-requests", json=PROOF, headers=auth(tokens["ofc"])).json()
    path = f"/api/v1/owner-requests/{made['request_id']}"
    assert client.post(f"{path}/verify", json={}, headers=auth(tokens["ofc"])).status_code == 422
    extra = {"note": "checked", "plate": "ABC999"}
    assert client.post(f"{path}/verify", json=extra, headers=auth(tokens["ofc"])).status_code == 422
    assert client.post(f"{path}/verify", json={"note": "checked"}).status_code == 401
    unknown = client.get("/api/v1/owner-requests/OR-nope", headers=auth(tokens["ofc"]))
    assert unknown.status_code == 404
    long_id = client.get("/api/v1/owner-requests/" + "A" * 5000, headers=auth(tokens["ofc"]))
    assert long_id.status_code in (404, 414, 422)


def test_the_portal_counts_requests_as_recompute_stats_does(node) -> None:
    client, tokens, tmp_path = node
    ids = []
    for _ in range(3):
        made = client.post("/api/v1/owner-requests", json=PROOF, headers=auth(tokens["ofc"]))
        ids.append(made.json()["request_id"])
    for request_id in ids[:2]:
        client.post(
            f"/api/v1/owner-requests/{request_id}/verify", json={"note": "DMV record matches"},
            headers=auth(tokens["ofc"]),
        )  # fmt: skip
    client.post(
        f"/api/v1/owner-requests/{ids[0]}/approve", json={"note": "approved"},
        headers=auth(tokens["sgt"]),
    )  # fmt: skip
    client.post(
        f"/api/v1/owner-requests/{ids[1]}/refuse", json={"note": "name did not match"},
        headers=auth(tokens["sgt"]),
    )  # fmt: skip
    page = client.get("/")
    shown = {tuple(p): v for p, v in page_figures(page.text) if p[0] == "owner_requests"}
    expected = {"opened": 3, "verified": 2, "approved": 1, "refused": 1, "expired": 0,
                "answered": 1, "reads_returned": 6}  # fmt: skip
    assert {k[1]: v for k, v in shown.items()} == expected
    log_file = tmp_path / "log.jsonl"
    log_file.write_bytes(client.get("/log/download.jsonl").content)
    result = CliRunner().invoke(cli, ["audit", "recompute-stats", "--log", str(log_file), "--json"])
    assert result.exit_code == 0, result.output
    recomputed = json.loads(result.stdout.strip().splitlines()[-1])
    assert {k: recomputed["owner_requests"][k] for k in expected} == expected
    assert client.get("/figures.json").json()["owner_requests"] == recomputed["owner_requests"]
    assert recomputed["searches"]["by_purpose"]["owner_request"]["allow"] == 1
