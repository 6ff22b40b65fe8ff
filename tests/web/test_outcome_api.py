"""Stop outcomes over a real node (issue 15 item 6): ``POST /api/v1/alerts/{id}/outcome`` by an
officer, hostile input as 4xx with the node still answering, the portal's counts equal to
``audit recompute-stats`` of the public log, and ``trustlpr alerts outcome`` while the node is
served (through the admin socket) and while it is stopped."""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.web.portal_node import page_figures
from trustlpr.audit.leaf import parse_leaf
from trustlpr.cli.main import app as cli
from trustlpr.core import Read, Role
from trustlpr.runtime import System, initialise
from trustlpr.settings import Settings
from trustlpr.web.admin import AdminSocket
from trustlpr.web.app import create_app

NOW = datetime.now(UTC).replace(microsecond=0)
PASSWORD = "correct horse battery staple"
LISTED = {
    "plate": "STL123",
    "state": "CT",
    "category": "V",
    "reason": "stolen vehicle reported by owner",
    "case_number": "2026-000777",
    "owner": "Det. Example",
    "expires_at": (NOW + timedelta(days=30)).date().isoformat(),
}


@dataclass
class Node:
    system: System
    client: TestClient
    tokens: dict[str, str]
    tmp: Path

    def alert(self, minutes: int, *, confirm: bool = True) -> str:
        """A fresh alert on the listed plate, confirmed by the officer unless told not to."""
        read = Read(
            "STL123", "CT", 0.9, NOW - timedelta(minutes=minutes), f"cam-{minutes}", "nhpd",
            41.3, -72.9,
        )  # fmt: skip
        assert self.system.ingest([read]) == 1
        (alert,) = self.system.alerts.list_alerts(camera_id=f"cam-{minutes}")
        if confirm:
            self.system.alerts.verify(alert.id, "confirmed", note="NCIC confirmed", user="ofc")
        return alert.id

    def post(self, alert_id: str, body: object, who: str = "ofc") -> tuple[int, dict]:
        answer = self.client.post(
            f"/api/v1/alerts/{alert_id}/outcome", json=body,
            headers={"Authorization": f"Bearer {self.tokens[who]}"},
        )  # fmt: skip
        return answer.status_code, answer.json()


@pytest.fixture
def node(tmp_path: Path) -> Iterator[Node]:
    settings = Settings.load(
        tmp_path / "node", env={}, agency_id="nhpd", agency_state="CT", policy="ct-pa-26-14"
    )
    initialise(settings)
    with System(settings) as system:
        ids = system.identity
        admin = ids.add_user("adm", "nhpd", Role.ADMIN, "Admin", actor=None)
        for who, role in (("ofc", Role.OFFICER), ("sgt", Role.SUPERVISOR), ("aud", Role.AUDITOR)):
            ids.add_user(who, "nhpd", role, who, actor=admin, password=PASSWORD)
        tokens = {
            who: ids.create_token(who, actor=admin).plaintext for who in ("ofc", "sgt", "aud")
        }
        tokens["adm"] = ids.create_token("adm", actor=admin).plaintext
        system.hotlists.add_entry(LISTED, list_id="stolen", actor="sgt")
        app = create_app(system, portal_ttl=0, exposure=False)
        yield Node(system, TestClient(app), tokens, tmp_path)
        app.state.portal.close()


def test_officers_record_an_outcome_once_and_others_may_not(node: Node) -> None:
    alert_id = node.alert(5)
    for who in ("aud", "adm"):
        code, _ = node.post(alert_id, {"outcome": "arrest"}, who)
        assert code == 403, who
    code, body = node.post(alert_id, {"outcome": "arrest", "note": "driver arrested"})
    assert code == 200, body
    assert body["stop_outcome"]["outcome"] == "arrest" and body["stop_outcome"]["by"] == "ofc"
    code, body = node.post(alert_id, {"outcome": "stop"}, "sgt")
    assert code == 409 and "already has the outcome arrest" in body["detail"]
    unconfirmed = node.alert(6, confirm=False)
    code, body = node.post(unconfirmed, {"outcome": "stop"})
    assert code == 409 and "confirmed" in body["detail"]
    shown = node.client.get(
        f"/api/v1/alerts/{alert_id}", headers={"Authorization": f"Bearer {node.tokens['aud']}"}
    ).json()
    assert shown["stop_outcome"]["note"] == "driver arrested"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"outcome": "arrested"}, "outcome"),
        ({"outcome": 3}, "outcome"),
        ({"outcome": ["stop"]}, "outcome"),
        ({}, "outcome"),
        ({"outcome": "other"}, "note"),
        ({"outcome": "stop", "note": 7}, "note"),
        ({"outcome": "stop", "note": "n" * 5000}, "note"),
        ({"outcome": "stop", "note": "\x00"}, "note"),
        ({"outcome": "stop", "officer": "someone-else"}, "officer"),
    ],
)
def test_hostile_bodies_are_422_naming_the_field(node: Node, body: object, field: str) -> None:
    alert_id = node.alert(5)
    code, answer = node.post(alert_id, body)
    assert code == 422 and answer["field"] == field, answer
    assert node.system.alerts.get(alert_id).stop_outcome is None
    assert node.post(alert_id, {"outcome": "stop"})[0] == 200  # still answering, nothing lost


def test_unknown_ids_and_bodies_that_are_no_object(node: Node) -> None:
    assert node.post("nope", {"outcome": "stop"})[0] == 404
    assert node.post("A" * 5000, {"outcome": "stop"})[0] in (404, 414, 422)
    alert_id = node.alert(5)
    assert node.post(alert_id, ["stop"])[0] == 422
    raw = node.client.post(
        f"/api/v1/alerts/{alert_id}/outcome", content=b"{not json",
        headers={"Authorization": f"Bearer {node.tokens['ofc']}",
                 "Content-Type": "application/json"},
    )  # fmt: skip
    assert raw.status_code in (400, 422)
    assert node.post(alert_id, {"outcome": "no_contact"})[0] == 200


def test_the_portal_counts_outcomes_as_recompute_stats_does(node: Node) -> None:
    recorded = ["arrest", "recovery", "recovery", "no_contact", "wrong_vehicle"]
    for minutes, outcome in enumerate(recorded, start=5):
        note = f"note-of-stop-{minutes}"
        code, _ = node.post(node.alert(minutes), {"outcome": outcome, "note": note})
        assert code == 200
    node.alert(20)  # confirmed, no outcome yet: not counted
    page = node.client.get("/")
    shown = {p[2]: v for p, v in page_figures(page.text) if p[:2] == ["hotlist", "outcomes"]}
    expected = {"no_contact": 1, "stop": 0, "arrest": 1, "recovery": 2,
                "wrong_vehicle": 1, "other": 0}  # fmt: skip
    assert shown == expected
    assert "Stolen vehicle or plate recovered" in page.text
    log_file = node.tmp / "log.jsonl"
    log_file.write_bytes(node.client.get("/log/download.jsonl").content)
    lines = [json.loads(line) for line in log_file.read_text().splitlines()]
    leaves = [parse_leaf(base64.b64decode(line["leaf_b64"])) for line in lines]
    published = [leaf for leaf in leaves if leaf.get("type") == "alert_outcome"]
    assert len(published) == 5
    assert all(set(leaf["public"]) == {"outcome", "count"} for leaf in published)
    assert "note-of-stop" not in log_file.read_text()
    result = CliRunner().invoke(cli, ["audit", "recompute-stats", "--log", str(log_file), "--json"])
    assert result.exit_code == 0, result.output
    recomputed = json.loads(result.stdout.strip().splitlines()[-1])["hotlist"]
    assert recomputed["outcomes"] == expected and recomputed["outcomes_recorded"] == 5
    assert node.client.get("/figures.json").json()["hotlist"]["outcomes"] == expected


def test_the_cli_records_outcomes_while_served_and_while_stopped(node: Node) -> None:
    data = str(node.system.settings.data_dir)
    served, stopped = node.alert(5), node.alert(6)
    env = {"TRUSTLPR_TOKEN": node.tokens["ofc"], "COLUMNS": "40"}
    socket = AdminSocket(node.system)
    socket.start()
    try:
        run = CliRunner().invoke(
            cli, ["--data-dir", data, "alerts", "outcome", served, "recovery", "--note", "towed"],
            env=env,
        )  # fmt: skip
        assert run.exit_code == 0, run.output
        assert "recovery" in run.stdout
        again = CliRunner().invoke(cli, ["--data-dir", data, "alerts", "outcome", served, "stop"],
                                   env=env)  # fmt: skip
        assert again.exit_code == 65 and "already has the outcome" in again.output
        bad = CliRunner().invoke(cli, ["--data-dir", data, "alerts", "outcome", served, "maybe"],
                                 env=env)  # fmt: skip
        assert bad.exit_code == 2 and "no_contact" in bad.output
        auditor = CliRunner().invoke(
            cli, ["--data-dir", data, "alerts", "outcome", stopped, "stop"],
            env={"TRUSTLPR_TOKEN": node.tokens["aud"]},
        )  # fmt: skip
        assert auditor.exit_code == 77, auditor.output
    finally:
        socket.close()
    assert node.system.alerts.get(served).outcome_by == "ofc"
    assert node.system.alerts.get(stopped).stop_outcome is None
    node.system.close()
    run = CliRunner().invoke(cli, ["--data-dir", data, "alerts", "outcome", stopped, "stop"],
                             env=env)  # fmt: skip
    assert run.exit_code == 0, run.output
    with System(node.system.settings) as reopened:
        assert reopened.alerts.get(stopped).stop_outcome is not None


def _signed_in(node: Node, user_id: str) -> tuple[TestClient, str]:
    """A console session of ``user_id`` and the CSRF token of the alerts page."""
    client = TestClient(node.client.app, follow_redirects=False)

    def csrf(path: str) -> str:
        found = re.search(r'name="csrf" value="([^"]+)"', client.get(path).text)
        assert found, path
        return found.group(1)

    answer = client.post(
        "/console/login",
        data={"csrf": csrf("/console/login"), "user_id": user_id, "password": PASSWORD},
    )
    assert answer.status_code == 303, answer.text
    client.cookies.set("trustlpr_session", answer.cookies["trustlpr_session"])
    return client, csrf("/console/alerts")


def test_the_console_offers_the_outcome_of_confirmed_alerts_once(node: Node) -> None:
    confirmed, waiting = node.alert(5), node.alert(6, confirm=False)
    client, csrf = _signed_in(node, "ofc")
    page = client.get("/console/alerts").text
    assert f'action="/console/alerts/{confirmed}/outcome"' in page
    assert f'action="/console/alerts/{waiting}/outcome"' not in page
    assert 'value="wrong_vehicle"' in page
    empty = client.post(
        f"/console/alerts/{confirmed}/outcome", data={"csrf": csrf, "outcome": "other"}
    )
    assert empty.status_code == 422 and "needs a note" in empty.text
    done = client.post(
        f"/console/alerts/{confirmed}/outcome",
        data={"csrf": csrf, "outcome": "stop", "note": "warning given"},
    )
    assert done.status_code == 303 and done.headers["location"] == "/console/alerts?done=outcome"
    assert node.system.alerts.get(confirmed).outcome_note == "warning given"
    assert f'/console/alerts/{confirmed}/outcome"' not in client.get("/console/alerts").text
    again = client.post(
        f"/console/alerts/{confirmed}/outcome", data={"csrf": csrf, "outcome": "arrest"}
    )
    assert again.status_code == 409
    forged = client.post(f"/console/alerts/{waiting}/outcome", data={"outcome": "stop"})
    assert forged.status_code == 403
    auditor, auditor_csrf = _signed_in(node, "aud")
    assert 'value="wrong_vehicle"' not in auditor.get("/console/alerts").text
    node.system.alerts.verify(waiting, "confirmed", note="ok", user="ofc")
    refused = auditor.post(
        f"/console/alerts/{waiting}/outcome", data={"csrf": auditor_csrf, "outcome": "stop"}
    )
    assert refused.status_code == 403
    assert node.system.alerts.get(waiting).stop_outcome is None
