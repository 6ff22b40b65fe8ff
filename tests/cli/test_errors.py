"""CLI errors are one line whatever the terminal width or the length of the paths in them."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from trustlpr.cli import app


def _long(tmp_path: Path) -> Path:
    return tmp_path.joinpath(*(["a-directory-with-a-rather-long-name"] * 6), "node")


@pytest.mark.parametrize("columns", ["40", "80", "200"])
def test_a_trustlpr_error_is_one_line(tmp_path: Path, columns: str) -> None:
    missing = _long(tmp_path)
    result = CliRunner().invoke(
        app, ["--data-dir", str(missing), "stats"], env={"COLUMNS": columns}
    )
    assert result.exit_code == 78
    assert result.output == (
        f"error: {missing} is not initialised; run `trustlpr --data-dir {missing} init` first\n"
    )


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["init", "--bogus"], "error: No such option: --bogus (see `trustlpr init --help`)\n"),
        (
            ["hotlist", "add", "--list", "x"],
            "error: Missing option '--plate'. (see `trustlpr hotlist add --help`)\n",
        ),
    ],
)
def test_a_usage_error_is_one_line_not_a_boxed_panel(
    tmp_path: Path, args: list[str], expected: str
) -> None:
    result = CliRunner().invoke(app, ["--data-dir", str(_long(tmp_path)), *args],
                                env={"COLUMNS": "40"})  # fmt: skip
    assert result.exit_code == 2
    assert result.output == expected


def test_a_bare_group_shows_its_help(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["hotlist"])
    assert "Import, inspect and change hot lists." in result.output
    assert "error" not in result.output
