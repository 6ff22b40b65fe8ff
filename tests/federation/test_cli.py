"""The ``federation`` commands, driven like an operator would, against a node served on
loopback."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from typer.testing import CliRunner

from tests.hotlist.servers import AppServer
from trustlpr.cli.main import app

from .conftest import PASSWORD, FedNode

runner = CliRunner()
_PATIENT = {"TRUSTLPR_FEDERATION_DEADLINE": "30"}


class Operator:
    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir

    def __call__(self, *args: str, input: str | None = None, code: int = 0) -> str:
        # the partner's answer may take longer than 2 s under load (tests/federation/conftest.py)
        result = runner.invoke(
            app, ["--data-dir", str(self.data_dir), *args], input=input, env=_PATIENT
        )
        assert result.exit_code == code, (args, result.output)
        return result.output if code else result.stdout


def _node(tmp_path: Path) -> Operator:
    op = Operator(tmp_path / "ct")
    op("init", "--agency-id", "ct-town", "--agency-name", "Town Police", "--state", "CT",
       "--policy", "ct-pa-26-14", "--public-url", "https://alpr.town.example")  # fmt: skip
    for user in ("alice", "bob"):
        op("user", "add", user, "--agency", "ct-town", "--role", "admin", "--name", user,
           "--password", input=f"{PASSWORD}\n{PASSWORD}\n")  # fmt: skip
    return op


def test_identity_prints_the_node_document(tmp_path: Path) -> None:
    op = _node(tmp_path)
    document = json.loads(op("federation", "identity", "--json"))
    assert document["agency"] == {"id": "ct-town", "name": "Town Police", "state": "CT",
                                  "type": "local"}  # fmt: skip
    assert document["endpoints"]["search"] == "https://alpr.town.example/federation/v1/search"
    (key,) = document["keys"]
    text = op("federation", "identity")
    assert f"key {key['kid']}={key['x']}" in text and "ct-pa-26-14" in text


def test_peer_add_approve_list_remove(
    tmp_path: Path, make_node: Callable[..., FedNode], serve: Callable[[FedNode], AppServer]
) -> None:
    op = _node(tmp_path)
    ma = make_node("ma-town", "MA", policy="strict-default")
    url = serve(ma).url
    key = ma.system.federation.keys.active
    alice = ("--as", "alice")
    wrong = f"{key.key_id}=" + "A" * 43
    out = op("federation", "peer", "add", url, "--key", wrong, *alice, input=f"{PASSWORD}\n",
             code=65)  # fmt: skip
    assert "not in the peer's document" in out
    op("federation", "peer", "add", url, "--key", f"{key.key_id}={key.public_key}", *alice,
       input=f"{PASSWORD}\n")  # fmt: skip
    out = op("federation", "peer", "approve", "ma-town", *alice, input=f"{PASSWORD}\n", code=77)
    assert "two-person rule" in out
    op("federation", "peer", "approve", "ma-town", "--as", "bob", input=f"{PASSWORD}\n")
    (peer,) = json.loads(op("federation", "peer", "list", "--json"))
    assert (peer["agency_id"], peer["status"], peer["url"]) == ("ma-town", "active", url)
    assert [k["key_id"] for k in peer["keys"] if k["in_force"]] == [key.key_id]
    op("federation", "peer", "remove", "ma-town", *alice, input=f"{PASSWORD}\n")
    (peer,) = json.loads(op("federation", "peer", "list", "--json"))
    assert peer["status"] == "removed" and not any(k["in_force"] for k in peer["keys"])
    out = op("federation", "peer", "add", "http://127.0.0.1:9", "--yes", *alice,
             input=f"{PASSWORD}\n", code=69)  # fmt: skip
    assert "could not be reached" in out
