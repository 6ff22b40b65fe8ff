"""The ``agency``, ``user``, ``token`` and ``sharing`` commands, driven like an operator would."""

from __future__ import annotations

import json
import stat
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from trustlpr.audit import open_audit
from trustlpr.cli.main import app

from .conftest import PASSWORD

GROUPS = ("agency", "user", "token", "sharing")
runner = CliRunner()


class Operator:
    """Runs ``trustlpr --data-dir D ...`` and fails the test on an unexpected exit code."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir

    def __call__(self, *args: str, input: str | None = None, code: int = 0) -> str:
        result = runner.invoke(app, ["--data-dir", str(self.data_dir), *args], input=input)
        assert result.exit_code == code, (args, result.output)
        return result.stdout

    def json(self, *args: str) -> object:
        return json.loads(self(*args, "--json"))


@pytest.fixture
def op(tmp_path: Path) -> Operator:
    operator = Operator(tmp_path / "node")
    operator(
        "init", "--agency-id", "hartford-pd", "--agency-name", "Hartford Police", "--state", "CT"
    )
    return operator


def _iso(days: float) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).isoformat()


def _setup(op: Operator) -> str:
    """Hartford (made by init) and Boston, admin alice with a password; returns her token."""
    op("agency", "add", "providence-pd", "--name", "Providence Police", "--state", "RI")
    op(
        "user",
        "add",
        "alice",
        "--agency",
        "hartford-pd",
        "--role",
        "admin",
        "--name",
        "Alice",
        "--password",
        input=f"{PASSWORD}\n{PASSWORD}\n",
    )
    token = op("token", "create", "--user", "alice", "--as", "alice", input=f"{PASSWORD}\n")
    op(
        "agency",
        "add",
        "boston-pd",
        "--name",
        "Boston Police",
        "--state",
        "MA",
        "--token",
        token.strip(),
    )
    return token.strip()


def test_set_up_then_everything_must_be_signed(op: Operator) -> None:
    token = _setup(op)
    assert token.startswith("tlpr_") and "\n" not in token
    out = runner.invoke(
        app,
        [
            "--data-dir",
            str(op.data_dir),
            "user",
            "add",
            "mallory",
            "--agency",
            "hartford-pd",
            "--role",
            "officer",
            "--name",
            "M",
        ],
    )
    assert out.exit_code == 77 and "credentials are required" in " ".join(out.output.split())
    op(
        "user",
        "add",
        "olivia",
        "--agency",
        "hartford-pd",
        "--role",
        "officer",
        "--name",
        "Olivia",
        "--token",
        token,
    )
    op("user", "set-role", "olivia", "supervisor", "--token", token)
    assert op.json("user", "list", "--agency", "hartford-pd")[1]["role"] == "supervisor"  # type: ignore[index]
    op("user", "disable", "olivia", "--token", token)
    op("user", "enable", "olivia", "--token", token)
    op(
        "user",
        "set-password",
        "olivia",
        "--token",
        token,
        input="olivias passphrase\nolivias passphrase\n",
    )
    op("user", "disable", "olivia", "--as", "alice", input="wrong password!!\n", code=77)
    assert [a["id"] for a in op.json("agency", "list")] == [
        "boston-pd",
        "hartford-pd",
        "providence-pd",
    ]  # type: ignore[union-attr, index]


def test_tokens_are_shown_once_and_never_stored(op: Operator) -> None:
    token = _setup(op)
    listed = op.json("token", "list")
    assert isinstance(listed, list) and len(listed) == 1
    assert listed[0]["status"] == "active" and token.split("_")[1] == listed[0]["id"]
    secret = token.split("_", 2)[2]
    blob = b"".join(p.read_bytes() for p in op.data_dir.rglob("*") if p.is_file())
    assert secret.encode() not in blob and PASSWORD.encode() not in blob
    with open_audit(op.data_dir, readonly=True) as audit:
        leaves = [audit.log.entry(i) for i in range(audit.log.size)]
    # init's owner agency and policy, then providence, alice, alice's token, boston
    assert [leaf["type"] for leaf in leaves].count("policy_changed") == 1
    leaves = [leaf for leaf in leaves if leaf["type"] != "policy_changed"]
    assert [leaf["type"] for leaf in leaves] == ["user_changed"] * 3 + [
        "token_changed",
        "user_changed",
    ]
    assert leaves[3]["public"] == {"action": "token_created", "category": "admin"}
    assert stat.S_IMODE((op.data_dir / "identity.db").stat().st_mode) == 0o600
    op("token", "revoke", listed[0]["id"], "--token", token)
    op("agency", "list", "--token", token, code=2)  # list takes no credentials
    op("user", "list", "--json")
    op("token", "create", "--user", "alice", "--token", token, code=77)  # revoked


def test_two_admins_make_a_sharing_agreement(op: Operator) -> None:
    alice = _setup(op)
    op(
        "user",
        "add",
        "bob",
        "--agency",
        "hartford-pd",
        "--role",
        "admin",
        "--name",
        "Bob",
        "--password",
        input="bobs own passphrase\nbobs own passphrase\n",
    )  # the node's second admin: at set-up, unsigned, with his own password
    as_bob = ("--as", "bob")
    bob_pw = "bobs own passphrase\n"
    op(
        "sharing",
        "add",
        "--grantee",
        "boston-pd",
        "--purpose",
        "stolen_vehicle",
        "--purpose",
        "amber_alert",
        "--expires",
        _iso(90),
        "--doc",
        "MOU-7",
        "--attested-by",
        "Chief",
        "--attested-at",
        _iso(-1),
        *as_bob,
        input=bob_pw,
    )
    (proposal,) = op.json("sharing", "list", "--all")  # type: ignore[misc]
    assert proposal["status"] == "pending" and op.json("sharing", "grantees") == []
    op("sharing", "approve", proposal["agreement_id"], *as_bob, input=bob_pw, code=77)
    op("sharing", "approve", proposal["agreement_id"], "--token", alice)
    (grantee,) = op.json("sharing", "grantees")  # type: ignore[misc]
    assert grantee["agency_id"] == "boston-pd" and grantee["attestation_on_file"] is True
    op("sharing", "amend", proposal["agreement_id"], "--purpose", "amber_alert", "--token", alice)
    op(
        "sharing",
        "attest",
        proposal["agreement_id"],
        "--doc",
        "MOU-8",
        "--attested-by",
        "Chief",
        "--attested-at",
        _iso(-0.5),
        "--token",
        alice,
    )
    op("sharing", "reject", proposal["agreement_id"], "--token", alice)
    op("sharing", "revoke", proposal["agreement_id"], *as_bob, input=bob_pw)
    assert op.json("sharing", "grantees") == []
    history = op.json("sharing", "history")
    assert [h["action"] for h in history] == [  # type: ignore[union-attr, index]
        "proposed",
        "approved",
        "narrowed",
        "proposed",
        "rejected",
        "revoked",
    ]
    assert "bob" not in json.dumps(history) and "Chief" not in json.dumps(history)
    op("sharing", "list")  # the human-readable tables render
    op("sharing", "history")


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("agency", "add", "Bad Id", "--name", "X", "--state", "CT"), 65, "agency_id"),
        (("agency", "add", "x", "--name", "X", "--state", "ZZ"), 65, "state"),
        (("user", "add", "u", "--agency", "nope", "--role", "admin", "--name", "U"), 66, "nope"),
        (("token", "list", "--user", "nobody"), 0, ""),
        (("token", "create", "--user", "alice"), 77, "--token"),
        (
            (
                "sharing",
                "add",
                "--grantee",
                "boston-pd",
                "--expires",
                "2027-01-01T00:00:00Z",
                "--token",
                "tlpr_x_y",
            ),
            77,
            "invalid credential",
        ),
        (("sharing", "list", "--at", "yesterday"), 65, "--at"),
        (("token", "create", "--user", "alice", "--expires-in", "forever"), 65, "--expires-in"),
    ],
)
def test_bad_input_gets_a_precise_error(
    op: Operator, args: tuple[str, ...], code: int, message: str
) -> None:
    result = runner.invoke(app, ["--data-dir", str(op.data_dir), *args])
    assert result.exit_code == code, result.output
    assert message in " ".join(result.output.split())
    assert "Traceback" not in result.output


def test_an_uninitialised_directory_is_refused(tmp_path: Path) -> None:
    result = runner.invoke(app, ["--data-dir", str(tmp_path / "none"), "agency", "list"])
    assert result.exit_code == 78 and "not initialised" in " ".join(result.output.split())


def _commands() -> list[tuple[str, Any]]:
    root: Any = get_command(app)
    found = []
    for group in GROUPS:
        sub = root.commands[group]
        assert sub.help
        found += [(f"{group} {name}", cmd) for name, cmd in sub.commands.items()]
    return found


def test_every_command_and_option_has_help() -> None:
    commands = dict(_commands())
    assert {
        "agency add",
        "agency list",
        "user add",
        "user list",
        "user set-role",
        "user disable",
        "token create",
        "token list",
        "token revoke",
        "sharing add",
        "sharing list",
        "sharing revoke",
        "sharing attest",
        "sharing approve",
    } <= set(commands)
    for name, command in commands.items():
        assert command.help, name
        for param in command.params:
            assert getattr(param, "help", None), f"{name} {param.name}"
        result = runner.invoke(app, [*name.split(), "--help"])
        assert result.exit_code == 0 and "Usage" in result.output


def test_the_docs_name_every_command_and_option() -> None:
    text = (Path(__file__).parents[2] / "docs" / "identity.md").read_text(encoding="utf-8")
    for name, command in _commands():
        assert f"trustlpr {name}" in text, name
        for param in command.params:
            if param.param_type_name == "option":
                assert any(opt in text for opt in param.opts), f"{name} {param.opts}"


def test_a_new_admin_waits_for_a_second_admin(op: Operator) -> None:
    alice = _setup(op)
    bob_pw = "bobs own passphrase"
    add_bob = ("user", "add", "bob", "--agency", "hartford-pd", "--role", "admin", "--name", "B")
    op(*add_bob, "--password", "--token", alice, input=f"{bob_pw}\n{bob_pw}\n", code=77)
    op(*add_bob, "--password", input=f"{bob_pw}\n{bob_pw}\n")  # set-up: the second admin
    add_carol = ("user", "add", "carol", "--agency", "hartford-pd", "--role", "admin")
    out = op(*add_carol, "--name", "C", "--token", alice)
    assert "proposed admin" in " ".join(out.split())
    assert [p["user_id"] for p in op.json("user", "proposals")] == ["carol"]  # type: ignore[union-attr, index]
    op("user", "approve", "carol", "--token", alice, code=77)  # not her own proposal
    op("user", "approve", "carol", "--as", "bob", input=f"{bob_pw}\n")
    users = {u["id"]: u["status"] for u in op.json("user", "list")}  # type: ignore[union-attr, index]
    assert users["carol"] == "active" and op.json("user", "proposals") == []
    op("user", "set-role", "carol", "officer", "--token", alice)
    out = op("user", "set-role", "carol", "admin", "--token", alice)
    assert "proposed" in out
    op("user", "reject", "carol", "--as", "bob", input=f"{bob_pw}\n")
    assert {u["id"]: u["role"] for u in op.json("user", "list")}["carol"] == "officer"  # type: ignore[union-attr, index]


def test_a_token_for_another_agencys_user_names_who_is_refused(op: Operator) -> None:
    """The refusal names the one acting and the agency they lack (it said "user belongs to
    'hartford-pd', not to 'boston-pd'", as if the other agency's user were at fault)."""
    token = _setup(op)
    op("user", "add", "bob", "--agency", "boston-pd", "--role", "admin", "--name", "Bob")
    result = runner.invoke(
        app,
        ["--data-dir", str(op.data_dir), "token", "create", "--user", "bob", "--token", token],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 77, result.output
    assert " ".join(result.output.split()) == (
        "error: only 'bob' or an admin of 'boston-pd' may do this; 'alice' is an admin of "
        "'hartford-pd'"
    )
