"""``trustlpr hotlist`` and ``trustlpr alerts`` driven as an operator would, on a real node."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.hotlist.conftest import make_read, ncic_line
from trustlpr.audit import open_audit
from trustlpr.cli.main import app
from trustlpr.core.clock import system_clock
from trustlpr.core.identity import Role
from trustlpr.hotlist import HotlistService
from trustlpr.identity import IdentityStore

runner = CliRunner()


@dataclass
class Node:
    data_dir: Path
    tokens: dict[str, str]

    def __call__(self, *args: str, user: str | None = "sup", code: int = 0) -> str:
        env = {"TRUSTLPR_TOKEN": self.tokens[user]} if user else {}
        result = runner.invoke(app, ["--data-dir", str(self.data_dir), *args], env=env)
        assert result.exit_code == code, (args, result.output)
        return result.stdout

    def json(self, *args: str, user: str | None = "sup") -> object:
        return json.loads(self(*args, "--json", user=user))


@pytest.fixture
def node(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Node:
    data_dir = tmp_path / "node"
    monkeypatch.delenv("TRUSTLPR_TOKEN", raising=False)
    result = runner.invoke(
        app,
        ["--data-dir", str(data_dir), "init", "--policy", "ct-pa-26-14", "--agency-id", "ctpd",
         "--state", "CT"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    tokens: dict[str, str] = {}
    with (
        open_audit(data_dir, agency_id="ctpd") as audit,
        IdentityStore.open(data_dir, audit) as identity,
    ):
        admin = identity.add_user("adm", "ctpd", Role.ADMIN, "Admin", actor=None)
        for user_id, role in (("sup", Role.SUPERVISOR), ("ofc", Role.OFFICER)):
            identity.add_user(user_id, "ctpd", role, user_id, actor=admin)
        for user_id in ("adm", "sup", "ofc"):
            tokens[user_id] = identity.create_token(user_id, actor=admin).plaintext
    return Node(data_dir, tokens)


def _soon(days: int = 30) -> str:
    return (system_clock() + timedelta(days=days)).date().isoformat()


def test_import_list_add_remove_and_prune(node: Node, tmp_path: Path) -> None:
    extract = tmp_path / "ncic.txt"
    extract.write_text(
        "HEADER\n" + ncic_line(plate="AAA111") + "\n" + ncic_line(code="W", plate="BBB222") + "\n"
    )
    report = node.json("hotlist", "import", str(extract), "--list", "ncic", "--valid-for", "2d")
    assert isinstance(report, dict)
    assert (report["accepted"], report["replaced"], report["categories"]) == (
        2,
        True,
        {"V": 1, "W": 1},
    )
    lists = node.json("hotlist", "lists", user=None)
    assert isinstance(lists, list)
    assert [(i["list_id"], i["active"], i["updated_by"]) for i in lists] == [("ncic", 2, "sup")]
    added = node.json(
        "hotlist", "add", "--list", "local", "--plate", "xyz-99", "--state", "ct",
        "--category", "V", "--reason", "stolen", "--case-number", "C-1", "--owner", "Det. A",
        "--expires", _soon(),
    )  # fmt: skip
    assert isinstance(added, dict) and added["plate"] == "XYZ99"
    entries = node.json("hotlist", "entries", "local")
    assert isinstance(entries, list) and [e["plate"] for e in entries] == ["XYZ99"]
    out = node("hotlist", "remove", "local", str(added["id"]), "--note", "recovered")
    assert "removed entry" in out
    assert node.json("hotlist", "entries", "local") == []
    assert "deleted 0 expired" in node("hotlist", "prune")
    assert "deleted list" in node("hotlist", "delete-list", "local")


def test_refusals_are_clear_one_line_errors(node: Node, tmp_path: Path) -> None:
    broken = tmp_path / "broken.txt"
    broken.write_text("HEADER\n" + ncic_line() + "\n" + ncic_line(state="ZZ") + "\n")
    result = runner.invoke(
        app,
        ["--data-dir", str(node.data_dir), "hotlist", "import", str(broken), "--list", "n"],
        env={"TRUSTLPR_TOKEN": node.tokens["sup"]},
    )
    assert result.exit_code == 65
    assert "line 3, field 'state'" in result.stderr and "Traceback" not in result.output
    node("hotlist", "import", str(broken), "--list", "n", user="ofc", code=77)  # officer: no
    node("hotlist", "entries", "n", user=None, code=77)  # plates need a sign-in
    immigration = tmp_path / "imm.csv"
    immigration.write_text(
        "plate,state,category,reason,case_number,owner,expires_at\n"
        f"ABC123,CT,IMMIGRATION,detainer,C-9,ICE liaison,{_soon()}\n"
    )
    node("hotlist", "import", str(immigration), "--list", "x", code=3)  # policy: refused
    shared = tmp_path / "shared.txt"
    shared.write_text("HEADER\n" + ncic_line() + "\n")
    node("hotlist", "import", str(shared), "--list", "ny", "--source-agency", "nypd", code=3)
    assert node.json("hotlist", "lists", user=None) == []


def test_alerts_list_verify_stats_and_targets(node: Node) -> None:
    with open_audit(node.data_dir, agency_id="ctpd") as audit:
        service = HotlistService.open(node.data_dir, audit=audit, agency_id="ctpd")
        try:
            service.add_entry(
                {"plate": "ABC1234", "state": "CT", "category": "V", "reason": "stolen",
                 "case_number": "C-1", "owner": "Det. A", "expires_at": _soon()},
                list_id="ncic", actor="sup",
            )  # fmt: skip
            service.on_reads([make_read("ABC1234", "CT", system_clock())])
        finally:
            service.close()
    alerts = node.json("alerts", "list", user="ofc")
    assert isinstance(alerts, list) and [a["kind"] for a in alerts] == ["alert"]
    table = node("alerts", "list", user="ofc")
    assert "ABC1234" not in table and "A******" in table
    alert_id = alerts[0]["id"]
    node(
        "alerts", "verify", alert_id, "--outcome", "confirmed", "--note", "ok", user="adm", code=77
    )
    out = node(
        "alerts", "verify", alert_id, "--outcome", "misread", "--note", "1 not 7", user="ofc"
    )
    assert "misread" in out
    node("alerts", "verify", alert_id, "--outcome", "confirmed", "--note", "x", user="ofc", code=65)
    stats = node.json("alerts", "stats", "--days", "7", user=None)
    assert isinstance(stats, dict) and (stats["hits"], stats["misread_rate"]) == (1, 1.0)
    added = node("alerts", "target-add", "mqtt://127.0.0.1:1883/ct/alerts", user="adm")
    assert "added mqtt target 1" in added
    node("alerts", "target-add", "mqtt://127.0.0.1/x", user="sup", code=77)
    targets = node.json("alerts", "targets", user="adm")
    assert targets == [{"id": 1, "kind": "mqtt", "url": "mqtt://127.0.0.1:1883/ct/alerts"}]
    node("alerts", "target-remove", "1", user="adm")
    assert node.json("alerts", "targets", user="adm") == []


def test_import_progress_ends_with_every_line_counted(node: Node, tmp_path: Path) -> None:
    """The bar's last state counts every entry of the file, not the last multiple of 10,000
    (it ended at "0/3"; issue 25 item 7)."""
    extract = tmp_path / "ncic.txt"
    plates = ("AAA111", "BBB222", "CCC333")
    extract.write_text("".join(ncic_line(plate=p) + "\n" for p in plates))
    result = runner.invoke(
        app,
        ["--data-dir", str(node.data_dir), "hotlist", "import", str(extract), "--list", "ncic"],
        env={"TRUSTLPR_TOKEN": node.tokens["sup"], "COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    assert "3/3" in result.stderr and "0/3" not in result.stderr, result.stderr
