"""``--data-dir`` is global, and works on either side of the command (issue 25 item 7)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from trustlpr.cli import app
from trustlpr.cli.main import hoist_global_options


def test_data_dir_after_the_command_is_the_global_option(tmp_path: Path) -> None:
    node = tmp_path / "node"
    assert CliRunner().invoke(app, ["--data-dir", str(node), "init"]).exit_code == 0
    before = CliRunner().invoke(
        app, ["--data-dir", str(node), "audit", "recompute-stats", "--json"]
    )
    after = CliRunner().invoke(app, ["audit", "recompute-stats", "--data-dir", str(node), "--json"])
    joined = CliRunner().invoke(app, ["audit", "recompute-stats", "--json", f"--data-dir={node}"])
    assert before.exit_code == after.exit_code == joined.exit_code == 0, after.output
    assert json.loads(after.output)["log"]["size"] == json.loads(before.output)["log"]["size"] > 0
    assert joined.output == after.output


def test_hoisting_leaves_everything_else_in_order() -> None:
    assert hoist_global_options(["search", "run", "--plate", "AB1", "--data-dir", "n"]) == [
        "--data-dir", "n", "search", "run", "--plate", "AB1",
    ]  # fmt: skip
    # after `--` nothing is an option; a missing value is left for click to report
    assert hoist_global_options(["x", "--", "--data-dir", "n"]) == ["x", "--", "--data-dir", "n"]
    assert hoist_global_options(["stats", "--data-dir"]) == ["stats", "--data-dir"]
