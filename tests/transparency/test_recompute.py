"""``trustlpr audit recompute-stats``: the local log and its public download give the same
figures; the download is checked line by line; a checkpoint ties the figures to the signed log."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.transparency.test_figures import events
from trustlpr.audit import AuditService, open_audit
from trustlpr.audit.export import export
from trustlpr.cli.main import app as cli
from trustlpr.core.errors import FormatError, VerificationError
from trustlpr.runtime import initialise
from trustlpr.settings import Settings
from trustlpr.transparency import check_checkpoint, jsonl_leaves, tally_lines

runner = CliRunner()


@pytest.fixture
def node(tmp_path: Path) -> Path:
    data_dir = tmp_path / "data"
    initialise(Settings.load(data_dir, env={}))
    with open_audit(data_dir) as audit:
        audit.append_many(events())
        audit.checkpoint()
    return data_dir


def _download(data_dir: Path, path: Path) -> list[str]:
    with open_audit(data_dir, readonly=True) as audit, path.open("w", encoding="utf-8") as out:
        export(audit.log, out, "jsonl")
    return path.read_text(encoding="utf-8").splitlines(keepends=True)


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(cli, list(args))
    return result.exit_code, result.output


def test_local_log_and_download_give_the_same_figures(node: Path, tmp_path: Path) -> None:
    log_file = tmp_path / "log.jsonl"
    _download(node, log_file)
    code, local = _run("--data-dir", str(node), "audit", "recompute-stats", "--json")
    assert code == 0, local
    code, remote = _run("audit", "recompute-stats", "--log", str(log_file), "--json")
    assert code == 0, remote
    assert json.loads(local) == json.loads(remote)
    figures = json.loads(remote)
    # init logs the owner agency and the policy in force before the test's events
    assert figures["searches"]["denied"] == 3 and figures["log"]["size"] == len(events()) + 2
    code, sized = _run("audit", "recompute-stats", "--log", str(log_file), "--size", "5", "--json")
    assert code == 0 and json.loads(sized)["log"]["size"] == 5
    code, table = _run("--data-dir", str(node), "audit", "recompute-stats")
    assert code == 0 and "searches denied" in table and "3" in table


def test_checkpoint_ties_the_figures_to_the_signed_log(node: Path, tmp_path: Path) -> None:
    log_file = tmp_path / "log.jsonl"
    lines = _download(node, log_file)
    with AuditService(node) as audit:
        note, vkey = audit.checkpoint().note, audit.vkey
    (tmp_path / "cp.txt").write_text(note, encoding="utf-8")
    (tmp_path / "vkey.txt").write_text(vkey, encoding="utf-8")
    key = f"@{tmp_path / 'vkey.txt'}"
    args = ["audit", "recompute-stats", "--log", str(log_file), "--json",
            "--checkpoint", str(tmp_path / "cp.txt"), "--vkey", key]  # fmt: skip
    code, out = _run(*args)
    assert code == 0, out
    assert json.loads(out)["checkpoint"] == {
        "origin": "trustlpr/local/log",
        "size": len(lines),
        "root_matches": True,
        "signature_checked": True,
    }
    # one count changed in the copy: same size, different root -> refused
    record = json.loads(lines[3])
    leaf = json.loads(base64.b64decode(record["leaf_b64"]))
    leaf["public"]["count"] += 1
    record["leaf_b64"] = base64.b64encode(
        json.dumps(leaf, sort_keys=True, separators=(",", ":")).encode()
    ).decode()
    lines[3] = json.dumps(record) + "\n"
    log_file.write_text("".join(lines), encoding="utf-8")
    code, out = _run(*args)
    assert code == VerificationError.exit_code and "not the one the checkpoint signs" in out
    tally = tally_lines(lines)
    with pytest.raises(VerificationError, match="size"):
        check_checkpoint(tally_lines(lines[:-1]), note, None)
    other = AuditService(tmp_path / "other")
    with pytest.raises(VerificationError):
        check_checkpoint(tally, note, other.verifier)
    other.close()


def test_bad_downloads_are_refused_at_their_line(node: Path, tmp_path: Path) -> None:
    lines = _download(node, tmp_path / "log.jsonl")
    cases = {
        "not JSON": [*lines[:2], "{oops\n"],
        "JSON object": [*lines[:2], "[1, 2]\n"],
        "index": [*lines[:2], '{"index": "2", "leaf_b64": ""}\n'],
        "base64": [*lines[:2], '{"index": 2, "leaf_b64": "***"}\n'],
        "expected entry 2": [*lines[:2], lines[3]],
        "blank line": [*lines[:2], "\n", *lines[2:]],
    }
    for expected, content in cases.items():
        with pytest.raises(FormatError, match=expected) as caught:
            tally_lines(content)
        assert caught.value.line == 3, expected
    with pytest.raises(FormatError, match="--size 999"):
        tally_lines(lines, end=999)
    assert [i for i, _ in jsonl_leaves(lines, end=2)] == [0, 1]
    bad = tmp_path / "bad.jsonl"
    bad.write_text("".join(cases["not JSON"]), encoding="utf-8")
    code, out = _run("audit", "recompute-stats", "--log", str(bad), "--json")
    assert code == FormatError.exit_code and "line 3" in out
    code, out = _run("audit", "recompute-stats", "--log", str(tmp_path / "none.jsonl"))
    assert code == FormatError.exit_code and "cannot read" in out
    code, out = _run("--data-dir", str(node), "audit", "recompute-stats", "--as-of", "monday")
    assert code == FormatError.exit_code and "--as-of" in out
    code, out = _run("--data-dir", str(node), "audit", "recompute-stats", "--size", "9999")
    assert code == FormatError.exit_code and "--size" in out
