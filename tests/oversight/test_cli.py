"""``trustlpr oversight``: report, check, rules, config."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

from typer.testing import CliRunner

from trustlpr.cli.main import app
from trustlpr.oversight.rules import RULES

from .synth import clean_traffic, planted, write_13

runner = CliRunner()


def _export(tmp_path: Path) -> Path:
    searches = clean_traffic(users=2, days=7) + [s for g in planted().values() for s in g]
    return write_13(tmp_path / "audit.csv", searches)


def _last_json(output: str) -> dict[str, object]:
    value = json.loads(output.strip().splitlines()[-1])
    assert isinstance(value, dict)
    return value


def test_report_json_and_outputs(tmp_path: Path) -> None:
    junk = tmp_path / "junk.xlsx"
    junk.write_bytes(b"PK\x03\x04 not really a workbook")
    out = tmp_path / "out"
    args = ["oversight", "report", str(_export(tmp_path)), str(junk), "--out", str(out), "--json"]
    done = runner.invoke(app, args)
    assert done.exit_code == 0, done.output
    summary = _last_json(done.stdout)
    assert {"files", "rows_imported", "rows_rejected", "findings"} <= set(summary)
    assert summary["files"] == 2 and summary["files_failed"] == 1
    assert isinstance(summary["findings"], int) and summary["findings"] > 0
    assert (out / "report.html").is_file() and (out / "findings.csv").is_file()
    assert "junk.xlsx" in done.stderr and "corrupt or truncated" in done.stderr


def test_report_human_output_and_home_state(tmp_path: Path) -> None:
    out = tmp_path / "out"
    done = runner.invoke(
        app, ["oversight", "report", str(_export(tmp_path)), "-o", str(out), "--home-state", "tx"]
    )
    assert done.exit_code == 0, done.output
    assert "findings:" in done.stdout and "high" in done.stdout


def test_all_files_bad_is_an_error(tmp_path: Path) -> None:
    junk = tmp_path / "junk.csv"
    junk.write_text("a,b\n1,2\n")
    done = runner.invoke(app, ["oversight", "report", str(junk), "--out", str(tmp_path / "o")])
    assert done.exit_code == 65
    assert "no file could be imported" in done.output


def test_no_input_is_an_error(tmp_path: Path) -> None:
    done = runner.invoke(app, ["oversight", "report", "--out", str(tmp_path / "o")])
    assert done.exit_code == 65 and "at least one export file" in done.output


def test_bad_config_is_refused_before_work(tmp_path: Path) -> None:
    config = tmp_path / "rules.toml"
    config.write_text("[repeat_plate]\nmin_serches = 2\n")
    args = [
        "oversight",
        "report",
        str(_export(tmp_path)),
        "--out",
        str(tmp_path / "o"),
        "--config",
        str(config),
    ]
    done = runner.invoke(app, args)
    assert done.exit_code == 78 and "min_serches" in done.output
    assert not (tmp_path / "o").exists()


def test_check(tmp_path: Path) -> None:
    done = runner.invoke(app, ["oversight", "check", str(_export(tmp_path)), "--json"])
    assert done.exit_code == 0, done.output
    info = _last_json(done.stdout)
    assert info["files"] == 1 and info["rows_rejected"] == 0 and info["rows_imported"]
    done = runner.invoke(app, ["oversight", "check", str(_export(tmp_path))])
    assert done.exit_code == 0 and "audit.csv" in done.stdout


def test_rules_and_config() -> None:
    done = runner.invoke(app, ["oversight", "rules", "--json"])
    assert done.exit_code == 0
    assert {r["rule"] for r in json.loads(done.stdout)} == set(RULES)
    done = runner.invoke(app, ["oversight", "config"])
    assert done.exit_code == 0
    assert tomllib.loads(done.stdout)["repeat_plate"]["min_searches"] == 5


def test_every_command_and_option_has_help() -> None:
    import typer

    group = typer.main.get_command(app)
    oversight = group.commands["oversight"]  # type: ignore[attr-defined]
    assert oversight.help
    assert set(oversight.commands) == {"report", "check", "rules", "config", "access", "plate"}
    for name, command in oversight.commands.items():
        assert command.help, name
        for param in command.params:
            assert getattr(param, "help", None), f"{name} {param.name} has no help"
