"""``trustlpr protected``: the registry driven as an operator would, two admins for a change."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from typer.testing import CliRunner

from trustlpr.cli.main import app
from trustlpr.core.errors import AuthError

runner = CliRunner()
PASSWORD = "correct horse battery staple"


def run(data_dir: Path, *args: str, code: int = 0, password: bool = False) -> str:
    result = runner.invoke(
        app, ["--data-dir", str(data_dir), *args], input=f"{PASSWORD}\n" if password else None
    )
    assert result.exit_code == code, (args, result.output)
    return result.stdout


def test_an_entry_needs_a_second_admin_and_lists_masked(tmp_path: Path) -> None:
    node = tmp_path / "node"
    run(node, "init", "--agency-id", "hpd", "--agency-name", "Hartford Police", "--state", "CT")
    for admin in ("alice", "bob"):  # the node's set-up: its first two admins
        result = runner.invoke(
            app,
            ["--data-dir", str(node), "user", "add", admin, "--agency", "hpd", "--role", "admin",
             "--name", admin, "--password"],
            input=f"{PASSWORD}\n{PASSWORD}\n",
        )  # fmt: skip
        assert result.exit_code == 0, result.output
    expires = (datetime.now(UTC) + timedelta(days=180)).isoformat()
    out = run(
        node, "protected", "add", "KQ42X7", "--category", "survivor", "--expires", expires,
        "--note", "ACP 2026-0042", "--as", "alice", password=True,
    )  # fmt: skip
    assert "KQ42X7" not in out and "protected approve" in out
    (entry,) = json.loads(run(node, "protected", "list", "--json", "--as", "bob", password=True))
    assert entry["status"] == "pending" and entry["plate"].startswith("K")
    assert "KQ42X7" not in json.dumps(entry)
    run(node, "protected", "approve", entry["id"], "--as", "alice", password=True, code=77)
    run(node, "protected", "approve", entry["id"], "--as", "bob", password=True)
    (active,) = json.loads(run(node, "protected", "list", "--json", "--as", "alice", password=True))
    assert active["status"] == "active" and not active["review_due"]
    run(node, "protected", "add", "KQ42X7", "--category", "witness", "--expires", expires,
        "--as", "alice", password=True, code=2)  # fmt: skip
    run(node, "protected", "list", "--json", code=AuthError.exit_code)  # not signed
