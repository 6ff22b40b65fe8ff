"""``trustlpr policy ...`` end to end through the real command."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from trustlpr.cli.main import app
from trustlpr.policy import list_policies
from trustlpr.policy.loader import POLICY_DIR

from .corpus import base_request

runner = CliRunner()


def _run(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, ["policy", *args], input=stdin)
    return result.exit_code, result.stdout, result.stderr


def test_list_table_and_json() -> None:
    code, out, _ = _run("list")
    assert code == 0 and "ct-pa-26-14" in out and "MA, NY, RI" in out
    code, out, _ = _run("list", "--json")
    assert [p["name"] for p in json.loads(out)] == list_policies()


def test_show() -> None:
    code, out, _ = _run("show", "nh-rsa-261-75b")
    assert code == 0 and "RSA 261:75-b" in out and '"nonhit": "3m"' in out
    code, out, _ = _run("show", "va-2-2-5517", "--json")
    assert json.loads(out)["sharing"]["federal"] == "never"
    code, _, err = _run("show", "no-such-policy")
    assert code == 66 and "shipped policies" in err


def test_validate_all_and_a_bad_file(tmp_path: Path) -> None:
    code, out, _ = _run("validate")
    assert code == 0 and out.count("ok ") == len(list_policies())
    bad = tmp_path / "ct-pa-26-14.toml"
    text = (POLICY_DIR / "ct-pa-26-14.toml").read_text(encoding="utf-8")
    bad.write_text(text.replace("[sharing]\n", '[sharing]\nfedral = "never"\n'), "utf-8")
    code, _, err = _run("validate", str(bad))
    assert code == 78 and "sharing.fedral" in err.replace("\n", "")


def test_compile_prints_cedar_and_schema() -> None:
    code, out, _ = _run("compile", "ct-pa-26-14")
    assert code == 0 and '@id("sharing.attestation-missing")' in out and "permit (" in out
    code, out, _ = _run("compile", "ct-pa-26-14", "--schema")
    assert code == 0 and out.startswith("namespace TrustLPR")


def test_evaluate_from_stdin_with_summary() -> None:
    good = base_request("CT")
    good["id"] = "a"
    lines = [json.dumps(good), "not json", json.dumps({**good, "id": "b", "reason": "test"})]
    code, out, err = _run(
        "evaluate", "--policy", "ct-pa-26-14", "--summary", "-", stdin="\n".join(lines)
    )
    assert code == 0
    rows = [json.loads(line) for line in out.splitlines()]
    assert [(r["id"], r["decision"]) for r in rows] == [
        ("a", "allow"),
        (None, "deny"),
        ("b", "deny"),
    ]
    assert '"allow": 1' in err and '"deny": 2' in err


def test_evaluate_approved_and_owner_state(tmp_path: Path) -> None:
    held = base_request("VT")
    held.update(id="h", protected_plate=True)
    path = tmp_path / "requests.jsonl"
    path.write_text(json.dumps(held) + "\n", encoding="utf-8")
    args = ["evaluate", "--policy", "strict-default", "--owner-state", "VT", str(path)]
    assert json.loads(_run(*args)[1])["decision"] == "needs_approval"
    assert json.loads(_run(*args, "--approved")[1])["decision"] == "allow"


def test_evaluate_missing_file_is_a_clean_error(tmp_path: Path) -> None:
    code, _, err = _run("evaluate", "--policy", "ct-pa-26-14", str(tmp_path / "none.jsonl"))
    assert code == 65 and "cannot read" in err


def test_screen() -> None:
    code, out, _ = _run("screen", "per agent")
    rules = {r["rule"] for r in json.loads(out)["reasons"]}
    assert code == 0 and {"reason.on-behalf", "reason.vague"} <= rules
