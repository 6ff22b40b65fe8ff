"""Administering a node while ``trustlpr serve`` runs in its own process: the CLI's changes go
through the service's admin socket, the HTTP API runs the same actions, and both give the
same answers, two-person rules and audit entries as the CLI on a stopped node."""

from __future__ import annotations

import csv
import json
import os
import re
import signal
import socket
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from tests.hotlist.servers import AppServer
from trustlpr.audit import open_audit
from trustlpr.audit.leaf import parse_leaf
from trustlpr.cli import app
from trustlpr.core import Role
from trustlpr.core.errors import TrustLPRError
from trustlpr.runtime import System, initialise
from trustlpr.settings import Settings
from trustlpr.web.app import create_app

PASSWORD = "correct horse battery staple"
EXPIRES = (datetime.now(UTC) + timedelta(days=365)).strftime("%Y-%m-%dT%H:%M:%SZ")
pytestmark = pytest.mark.slow


@dataclass
class Node:
    data: Path
    settings: Settings
    admin1: str  # tokens of the node's two admins and an officer
    admin2: str
    officer: str


@dataclass
class Served:
    node: Node
    port: int
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def api(self, action: str, body: object, token: str | None) -> httpx.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        return httpx.post(
            f"{self.url}/api/v1/admin/{action}", json=body, headers=headers, timeout=120
        )


def make_node(data: Path) -> Node:
    """A node with two admins (adm1 has a console password), an officer and a state agency."""
    settings = Settings.load(data, env={}, agency_id="nhpd", agency_state="CT")
    initialise(settings)
    with System(settings) as system:
        ids = system.identity
        adm1 = ids.add_user("adm1", "nhpd", Role.ADMIN, "One", actor=None, password=PASSWORD)
        adm2 = ids.add_user("adm2", "nhpd", Role.ADMIN, "Two", actor=None)
        ids.add_user("ofc", "nhpd", Role.OFFICER, "Officer", actor=adm1)
        ids.add_agency("ctsp", "CT State Police", "CT", "state", actor=adm1)
        return Node(
            data,
            settings,
            ids.create_token("adm1", actor=adm1).plaintext,
            ids.create_token("adm2", actor=adm2).plaintext,
            ids.create_token("ofc", actor=adm1).plaintext,
        )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_serving(node: Node) -> Served:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRUSTLPR_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "trustlpr.cli", "--data-dir", str(node.data), "serve",
         "--port", str(port), "--log-level", "warning"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    deadline = time.monotonic() + 120
    while True:
        if process.poll() is not None:
            assert process.stderr is not None
            pytest.fail(f"trustlpr serve exited: {process.stderr.read().decode()[-800:]}")
        try:
            up = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2).status_code == 200
        except httpx.HTTPError:
            up = False
        if up and (node.data / "admin.sock").exists():
            return Served(node, port, process)
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail("trustlpr serve did not come up within 120 s")
        time.sleep(0.1)


def stop_serving(served: Served) -> None:
    served.process.send_signal(signal.SIGTERM)
    served.process.wait(60)


def deep(base: Path) -> Path:
    """A data directory whose admin socket's path is longer than a Unix socket address may be
    (108 bytes), so the long-path route is always exercised."""
    path = base
    while len(str(path)) < 120:
        path = path / "a-rather-long-directory-name"
    return path / "node"


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    node = make_node(deep(tmp_path_factory.mktemp("served")))
    running = start_serving(node)
    try:
        yield running
    finally:
        stop_serving(running)


@pytest.fixture
def stopped(tmp_path: Path) -> Node:
    """An identical node that no service holds: the CLI opens it itself."""
    return make_node(tmp_path / "node")


def cli(node: Node, *args: str, input: str | None = None) -> tuple[int, str]:
    result = CliRunner().invoke(app, ["--data-dir", str(node.data), *args], input=input)
    return result.exit_code, result.output


def audit_size(node: Node) -> int:
    with open_audit(node.data, agency_id="nhpd", readonly=True) as audit:
        return audit.log.size


def entries_since(node: Node, start: int) -> list[tuple[str, object]]:
    """The audit entries appended since ``start``: type and public action of each."""
    with open_audit(node.data, agency_id="nhpd", readonly=True) as audit:
        leaves = [parse_leaf(audit.log.leaf(i)) for i in range(start, audit.log.size)]
    return [(leaf["type"], leaf["public"].get("action")) for leaf in leaves]


def _script(node: Node, tag: str) -> list[tuple[int, str]]:
    """Every administrative command, with its two-person refusals, run against ``node``."""
    a1, a2 = node.admin1, node.admin2
    out = [
        cli(node, "user", "add", f"adm-{tag}", "--agency", "nhpd", "--role", "admin",
            "--name", "Third", "--token", a1),
        cli(node, "user", "approve", f"adm-{tag}", "--token", a1),  # its proposer: refused
        cli(node, "user", "approve", f"adm-{tag}", "--token", a2),
        cli(node, "user", "add", f"ofc-{tag}", "--agency", "nhpd", "--role", "officer",
            "--name", "New officer", "--as", "adm1", input=PASSWORD + "\n"),
        cli(node, "user", "disable", f"ofc-{tag}", "--token", a2),
        cli(node, "token", "create", "--user", "ofc", "--label", tag, "--token", a1),
        cli(node, "agency", "add", f"ag-{tag}", "--name", "Town", "--state", "CT", "--token", a1),
        cli(node, "camera", "add", "Elm St", "--lat", "41.31", "--lon", "-72.92",
            "--id", f"cam-{tag}", "--token", a1),
        cli(node, "camera", "disable", f"cam-{tag}", "--token", a1),
        cli(node, "camera", "add", "Bad", "--lat", "91", "--lon", "0", "--token", a1),
        cli(node, "camera", "add", "Unsigned", "--lat", "41", "--lon", "-72"),
        cli(node, "sharing", "add", "--grantee", "ctsp", "--purpose", "stolen_vehicle",
            "--expires", EXPIRES, "--token", a1),
        cli(node, "alerts", "target-add", "mqtt://127.0.0.1:1883/trustlpr/alerts",
            "--token", a1),
    ]  # fmt: skip
    agreement = out[-2][1].split()[1]
    out += [
        cli(node, "sharing", "approve", agreement, "--token", a1),  # its proposer: refused
        cli(node, "sharing", "approve", agreement, "--token", a2),
        cli(node, "token", "create", "--user", "adm2", "--token", node.officer),  # not theirs
        cli(node, "protected", "add", "KQ42X7", "--category", "survivor", "--expires", EXPIRES,
            "--note", "ACP 2026-114", "--token", a1),
    ]  # fmt: skip
    entry = out[-1][1].split()[1]
    out += [
        cli(node, "protected", "approve", entry, "--token", a1),  # its proposer: refused
        cli(node, "protected", "approve", entry, "--token", a2),
    ]
    return out


def _comparable(results: list[tuple[int, str]], tag: str) -> list[tuple[int, str]]:
    """Outputs without what differs by node: tokens, keys, ids, dates."""
    shown = []
    for code, text in results:
        words = [
            w for w in text.split() if not w.startswith(("tlpr_", "cam_", "shr-", "prt-", "20"))
        ]
        text = re.sub(r"\b[0-9a-f]{12}\b", "ID", " ".join(words))
        shown.append((code, text.replace(tag, "TAG")))
    return shown


def test_every_admin_command_works_the_same_while_serve_runs(served: Served, stopped: Node) -> None:
    before, reference_start = audit_size(served.node), audit_size(stopped)
    through_service = _script(served.node, "svc")
    assert served.process.poll() is None  # still serving: nothing was done in a second writer
    reference = _script(stopped, "ref")
    assert _comparable(through_service, "svc") == _comparable(reference, "ref")
    codes = [code for code, _ in through_service]
    assert codes == [0, 77, 0, 0, 0, 0, 0, 0, 0, 65, 77, 0, 0, 77, 0, 77, 0, 77, 0], through_service
    assert "two-person rule" in through_service[1][1]
    new = entries_since(served.node, before)
    assert new == entries_since(stopped, reference_start)
    assert ("camera_changed", "added") in new and len(new) >= 12, new
    assert ("protected_changed", "approved") in new  # the registry's change, through the socket


def test_the_cli_reaches_the_service_through_an_owner_only_socket(served: Served) -> None:
    sock = served.node.data / "admin.sock"
    mode = sock.stat().st_mode
    assert stat.S_ISSOCK(mode) and stat.S_IMODE(mode) == 0o600
    code, out = cli(served.node, "token", "create", "--user", "ofc", "--token", served.node.admin1)
    assert code == 0, out
    token = out.strip().splitlines()[-1]
    assert token.startswith("tlpr_")
    # the token is live in the running service at once
    answer = httpx.get(
        f"{served.url}/api/v1/admin", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    assert answer.status_code == 200 and "cameras.import" in answer.json()["actions"]


def test_read_only_commands_run_while_serving(served: Served) -> None:
    for args in (("stats", "--json"), ("audit", "entry", "0"), ("policy", "show", "ct-pa-26-14")):
        code, out = cli(served.node, *args)
        assert code == 0, (args, out)
    assert json.loads(cli(served.node, "audit", "entry", "1")[1])["index"] == 1


def test_the_api_runs_the_same_actions_with_the_same_rules(served: Served, stopped: Node) -> None:
    node = served.node
    steps: list[tuple[str, dict[str, object], str]] = [
        ("agencies.add", {"id": "apisp", "name": "API SP", "state": "CT", "type": "state"},
         node.admin1),
        ("users.add", {"id": "api-adm", "agency": "nhpd", "role": "admin", "name": "A"},
         node.admin1),
        ("users.approve", {"id": "api-adm"}, node.admin1),
        ("users.approve", {"id": "api-adm"}, node.admin2),
        ("tokens.create", {"user": "ofc", "expires_in": "7d"}, node.admin1),
        ("cameras.add", {"name": "Oak St", "lat": 41.3, "lon": -72.9, "id": "api-cam"},
         node.admin1),
        ("cameras.rotate_key", {"id": "api-cam"}, node.admin2),
        ("cameras.add", {"name": "Elm", "lat": 41.3, "lon": -72.9}, node.officer),
        ("sharing.propose", {"grantee": "apisp", "purposes": ["stolen_vehicle"],
                             "expires_at": EXPIRES}, node.admin1),
        ("alerts.targets.add", {"url": "https://alerts.example.gov/hook",
                                "secret": "s" * 32}, node.admin1),
    ]  # fmt: skip
    before = audit_size(node)
    statuses, answers = [], []
    for action, body, token in steps:
        response = served.api(action, body, token)
        statuses.append(response.status_code)
        answers.append(response.json())
    assert statuses == [200, 200, 403, 200, 200, 200, 200, 403, 200, 200], answers
    assert answers[3]["active"] is True and answers[4]["token"].startswith("tlpr_")
    assert answers[5]["key"].startswith("cam_") and answers[6]["key"] != answers[5]["key"]
    agreement = answers[8]["id"]
    assert answers[8]["status"] == "pending"
    assert served.api("sharing.approve", {"id": agreement}, node.admin1).status_code == 403
    approved = served.api("sharing.approve", {"id": agreement}, node.admin2)
    assert approved.status_code == 200 and approved.json()["status"] == "active"
    via_api = entries_since(node, before)
    # the same actions in-process on a stopped node write the same entries
    reference_start, reference = audit_size(stopped), []
    with System(stopped.settings) as system:
        tokens = {node.admin1: stopped.admin1, node.admin2: stopped.admin2,
                  node.officer: stopped.officer}  # fmt: skip
        for action, body, token in [*steps, ("sharing.approve", {}, node.admin2)]:
            actor = system.identity.authenticate(tokens[token])[0]
            if action == "sharing.approve":
                (pending,) = [a for a in system.identity.sharing.listing(None)
                              if a.status.value == "pending"]  # fmt: skip
                body = {"id": pending.id}
            try:
                system.admin.run(action, body, actor)
                reference.append(200)
            except TrustLPRError as exc:
                reference.append(exc.http_status)
    assert reference == [*statuses, 200]
    assert via_api == entries_since(stopped, reference_start)


def test_bulk_import_of_fifty_cameras_while_serving(served: Served, tmp_path: Path) -> None:
    rows = [{"name": f"Bulk {i}", "lat": f"{41.2 + i / 1000:.4f}", "lon": "-72.9",
             "direction": "90", "id": f"bulk-{i}"} for i in range(50)]  # fmt: skip
    inventory = tmp_path / "cameras.csv"
    with inventory.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    keys = tmp_path / "keys.csv"
    before = audit_size(served.node)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRUSTLPR_")}
    done = subprocess.run(
        [sys.executable, "-m", "trustlpr.cli", "--data-dir", str(served.node.data), "camera",
         "import", str(inventory), "--keys-out", str(keys), "--token", served.node.admin1],
        env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(keys.stat().st_mode) == 0o600
    with keys.open() as f:
        issued = list(csv.DictReader(f))
    assert [k["id"] for k in issued] == [r["id"] for r in rows]
    assert entries_since(served.node, before) == [("camera_changed", "added")] * 50
    # a key works at once in the running service's camera ingest
    read = {"plate": "AB1234", "state": "CT", "observed_at": "2020-01-01T00:00:00Z",
            "camera_id": "bulk-7", "confidence": 0.9, "lat": 41.2, "lon": -72.9}  # fmt: skip
    answer = httpx.post(f"{served.url}/api/v1/reads", json=read, timeout=60,
                        headers={"Authorization": f"Bearer {issued[7]['key']}"})  # fmt: skip
    assert answer.status_code != 401, answer.text
    # the same file again: all refused, nothing added, no key file written
    again = cli(served.node, "camera", "import", str(inventory), "--keys-out",
                str(tmp_path / "again.csv"), "--token", served.node.admin1)  # fmt: skip
    assert again[0] == 65 and "bulk-0" in again[1], again
    assert not (tmp_path / "again.csv").exists()
    assert audit_size(served.node) == before + 50


ADMIN = {"authorization": "ADMIN"}  # replaced by the first admin's bearer token
OUTSIDER: dict[str, str] = {}
HOSTILE: list[tuple[str, bytes, dict[str, str], int]] = [
    ("users.add", b'{"id":"x","agency":"nhpd","role":"admin","name":"x"}', OUTSIDER, 401),
    ("users.add", b"{not json", ADMIN, 422),
    ("users.add", b"[1, 2]", ADMIN, 422),
    ("users.add", b'"text"', ADMIN, 422),
    ("users.add", b'{"id":"x","agency":"nhpd","role":"admin","name":"x","evil":1}', ADMIN, 422),
    ("users.add", b'{"id":["x"],"agency":"nhpd","role":"admin","name":"x"}', ADMIN, 422),
    ("users.add", b'{"id":"\\ud800","agency":"nhpd","role":"officer","name":"x"}', ADMIN, 422),
    (
        "users.add",
        b'{"id":"' + b"x" * 5000 + b'","agency":"nhpd","role":"o","name":"x"}',
        ADMIN,
        422,
    ),
    ("users.add", b'{"id":"x","agency":"nhpd","role":"emperor","name":"x"}', ADMIN, 422),
    ("users.add", b'{"id":"x","agency":"nowhere","role":"officer","name":"x"}', ADMIN, 404),
    ("tokens.create", b'{"user":"ofc","expires_in":"forever"}', ADMIN, 422),
    ("tokens.create", b'{"user":"nobody"}', ADMIN, 404),
    ("cameras.add", b'{"name":"x","lat":1e400,"lon":0}', ADMIN, 422),
    ("cameras.add", b'{"name":"x","lat":"NaN","lon":0}', ADMIN, 422),
    ("cameras.add", b'{"name":"x","lat":41,"lon":-72,"id":"../../etc"}', ADMIN, 422),
    ("cameras.import", b'{"cameras":[]}', ADMIN, 422),
    ("cameras.import", b'{"cameras":' + b"[" * 5000 + b"]" * 5000 + b"}", ADMIN, 422),
    ("cameras.disable", b'{"id":"no-such-camera"}', ADMIN, 404),
    ("alerts.targets.remove", b'{"id":"1; DROP TABLE targets"}', ADMIN, 422),
    ("alerts.targets.add", b'{"url":"https://x.example/h"}', ADMIN, 422),
    ("sharing.approve", b'{"id":"shr-nothing"}', ADMIN, 404),
    ("no.such.action", b"{}", ADMIN, 404),
    ("users.add", b"x" * (70 * 1024), ADMIN, 413),
    ("users.add", b"{}", {"authorization": "Bearer not-a-token"}, 401),
    ("users.add", b"{}", {"authorization": "Basic YWRtMTpwYXNz"}, 401),
    (
        "users.add",
        b'{"id":"x","agency":"nhpd","role":"officer","name":"x"}',
        {"cookie": "trustlpr_session=abc"},
        403,
    ),
]


def test_hostile_input_to_the_admin_api_is_a_4xx(served: Served) -> None:
    node = served.node
    for action, body, headers, expected in HOSTILE:
        sent = {"content-type": "application/json"}
        if headers is ADMIN:
            sent["authorization"] = f"Bearer {node.admin1}"
        else:
            sent.update(headers)
        response = httpx.post(f"{served.url}/api/v1/admin/{action}", content=body,
                              headers=sent, timeout=60)  # fmt: skip
        assert response.status_code == expected, (action, body[:80], response.text)
        assert response.json()["error"]
    officer = served.api("users.add", {"id": "o2", "agency": "nhpd", "role": "officer",
                                       "name": "x"}, node.officer)  # fmt: skip
    assert officer.status_code == 403
    assert served.process.poll() is None
    assert httpx.get(f"{served.url}/healthz", timeout=30).status_code == 200
    assert served.api("cameras.add", {"name": "After", "lat": 41, "lon": -72},
                      node.admin1).status_code == 200  # fmt: skip


def test_the_socket_is_replaced_when_stale_and_removed_at_exit(tmp_path: Path) -> None:
    node = make_node(tmp_path / "node")
    stale = node.data / "admin.sock"
    with socket.socket(socket.AF_UNIX) as old:  # what a killed service leaves behind
        old.bind(str(stale))
    running = start_serving(node)
    try:
        code, out = cli(node, "camera", "add", "Elm", "--lat", "41", "--lon", "-72",
                        "--token", node.admin1)  # fmt: skip
        assert code == 0, out
        assert stat.S_IMODE(stale.stat().st_mode) == 0o600
    finally:
        stop_serving(running)
    assert not stale.exists()
    # with the service gone, the same command opens the node itself
    code, out = cli(node, "camera", "add", "Oak", "--lat", "41", "--lon", "-72",
                    "--token", node.admin1)  # fmt: skip
    assert code == 0, out


def _ping(peer: System, served: Served) -> httpx.Response:
    """A signed ``/federation/v1/ping`` from ``peer`` to the served node."""
    url = f"{served.url}/federation/v1/ping"
    body = b"{}"
    headers = peer.federation.sign_request("POST", url, body)
    return httpx.post(url, content=body, headers=headers, timeout=60)


def test_a_peer_is_added_and_revoked_while_serving(served: Served, tmp_path: Path) -> None:
    """A leaked peer key is revoked without stopping the node: ``peer remove`` reaches the
    running service, whose next answer to that peer is a refusal."""
    settings = Settings.load(tmp_path / "ma", env={}, agency_id="ma-town",
                             agency_name="MA Town", agency_state="MA")  # fmt: skip
    initialise(settings)
    node = served.node
    with System(settings) as peer, AppServer(create_app(peer, exposure=False)) as site:
        before = audit_size(node)
        assert _ping(peer, served).status_code == 401  # not a peer yet
        added = cli(node, "federation", "peer", "add", site.url, "--yes", "--token", node.admin1)
        assert added[0] == 0 and "proposed peer ma-town" in added[1], added
        assert _ping(peer, served).status_code == 401  # proposed is not believed
        refused = cli(node, "federation", "peer", "approve", "ma-town", "--token", node.admin1)
        assert refused[0] == 77 and "two-person rule" in refused[1], refused
        approved = cli(node, "federation", "peer", "approve", "ma-town", "--token", node.admin2)
        assert approved[0] == 0, approved
        answer = _ping(peer, served)
        assert answer.status_code == 200 and answer.json()["peer"] == "ma-town", answer.text
        # the read-only commands open the node beside the service
        code, listed = cli(node, "federation", "peer", "list", "--json")
        assert code == 0 and [p["status"] for p in json.loads(listed)] == ["active"], listed
        assert cli(node, "federation", "identity", "--json")[0] == 0
        removed = cli(node, "federation", "peer", "remove", "ma-town", "--token", node.officer)
        assert removed[0] == 77, removed  # an officer cannot
        removed = cli(node, "federation", "peer", "remove", "ma-town", "--token", node.admin2)
        assert removed[0] == 0 and "removed peer ma-town" in removed[1], removed
        refusal = _ping(peer, served)  # at once, in the running service
        assert refusal.status_code == 401 and "peer_removed" in refusal.text, refusal.text
        again = served.api("federation.peers.approve", {"agency": "ma-town"}, node.admin1)
        assert again.status_code == 409, again.text  # removed is not pending
    assert served.process.poll() is None
    changes = [a for t, a in entries_since(node, before) if t == "federation_changed"]
    assert changes == ["proposed", "approved", "removed"], entries_since(node, before)
    code, listed = cli(node, "federation", "peer", "list", "--json")
    (row,) = json.loads(listed)
    assert row["status"] == "removed" and not any(k["in_force"] for k in row["keys"])


def test_the_node_key_rotates_through_the_api_while_serving(served: Served) -> None:
    node = served.node
    before = httpx.get(f"{served.url}/.well-known/trustlpr", timeout=60).json()["keys"]
    assert served.api("federation.rotate_key", {"overlap": "1h"}, node.officer).status_code == 403
    assert served.api("federation.rotate_key", {"overlap": "soon"}, node.admin1).status_code == 422
    rotated = served.api("federation.rotate_key", {"overlap": "1h"}, node.admin1)
    assert rotated.status_code == 200, rotated.text
    after = httpx.get(f"{served.url}/.well-known/trustlpr", timeout=60).json()["keys"]
    assert rotated.json()["key_id"] in [k["kid"] for k in after]
    assert {k["kid"] for k in before} < {k["kid"] for k in after}
