"""Was my plate searched? ``trustlpr oversight plate PLATE FILES...``."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from trustlpr.cli.main import app
from trustlpr.core.errors import PlateError
from trustlpr.oversight import import_files
from trustlpr.oversight.plate import find_plate

from .synth import START, Search, write_13

runner = CliRunner()
PLATE = "QRX4821"  # invented


def _exports(tmp_path: Path) -> list[Path]:
    first = [
        Search("E1", "Officer A", START, "Burglary 25-00101", plate="QRX 4821"),
        Search("E2", "Officer B", START + timedelta(days=2), "personal <b>", plate="qrx-4821"),
        Search("E3", "Officer A", START + timedelta(days=1), "Theft", plate="QRX48*"),
        Search("E4", "Officer C", START, "Theft", plate="QRX4?21"),
        Search("E5", "Officer C", START, "Theft", plate="QRX4822"),  # another car
        Search("E6", "Officer C", START, "Theft", plate="0RX4821"),  # Q read as 0
        Search("E7", "Officer D", START, "Theft", plate="*"),  # no plate in it at all
    ]
    second = [
        Search("F1", "***", START + timedelta(days=3), "Assist", plate="***", org="***"),
        Search("F2", "Deputy E", START + timedelta(days=4), "BOLO", plate="QRX4821",
               org="Lubbock TX PD"),
    ]  # fmt: skip
    return [write_13(tmp_path / "a.csv", first), write_13(tmp_path / "b.csv", second)]


def test_finds_exact_and_partial_searches_in_time_order(tmp_path: Path) -> None:
    result = import_files(_exports(tmp_path))
    answer = find_plate(result.table, "qrx 4821")
    got = [(m.kind, m.record.export_id) for m in answer.matches]
    assert got == [("exact", "E1"), ("partial", "E4"), ("partial", "E3"), ("exact", "E2"),
                   ("exact", "F2")]  # fmt: skip
    assert answer.masked_plate_searches == 1
    assert answer.matches[-1].record.org == "Lubbock TX PD"
    similar = find_plate(result.table, PLATE, similar=True)
    assert [m.record.export_id for m in similar.matches if m.kind == "similar"] == ["E6"]
    with pytest.raises(PlateError):
        find_plate(result.table, "Q!")


def test_cli_json_text_and_html_never_full_plates(tmp_path: Path) -> None:
    files = [str(p) for p in _exports(tmp_path)]
    out = tmp_path / "out"
    done = runner.invoke(
        app, ["oversight", "plate", PLATE, *files, "--similar", "--out", str(out), "--json"]
    )
    assert done.exit_code == 0, done.output
    info = json.loads(done.stdout.strip().splitlines()[-1])
    assert info["matches"] == 6 and info["by_kind"] == {"exact": 3, "partial": 2, "similar": 1}
    shown = {s["export_id"]: s["plate"] for s in info["searches"]}
    assert shown["E1"] == PLATE and shown["E3"] == "QRX48*"  # the export's own cell
    assert shown["E6"] == "0******"  # another car: masked unless --show-plates
    html = (out / "plate.html").read_text()
    for full in (PLATE, "QRX48*", "0RX4821", "QRX4?21"):
        assert full not in html
    assert "Q******" in html and "personal &lt;b&gt;" in html and "personal <b>" not in html
    human = runner.invoke(app, ["oversight", "plate", PLATE, *files])
    assert human.exit_code == 0, human.output
    assert "5 of 9 searches name this plate" in human.stdout
    bad = runner.invoke(app, ["oversight", "plate", "Q!", *files])
    assert bad.exit_code == 65 and "only A-Z and 0-9" in bad.output
