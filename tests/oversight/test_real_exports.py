"""Every released file in ../shared/data/flock_audit imports with the row count its README
documents. The files are read by path; no cell of them is copied, quoted or asserted on."""

from __future__ import annotations

from pathlib import Path

import pytest

from trustlpr.oversight import import_files, load_config, run_rules

CHAMPAIGN = "Champaign IL PD_Organization_Audit_"
# (folder, file name) → (rows documented in the folder's README, kind)
DOCUMENTED = {
    ("champaign_il_pd", f"{CHAMPAIGN}2025-01-01_2025-02-01.csv"): (3348, "search"),
    ("champaign_il_pd", f"{CHAMPAIGN}2025-06-01_2025-07-01.xlsx"): (3285, "search"),
    ("champaign_il_pd", f"{CHAMPAIGN}2025-08-01_09-01.csv"): (2945, "search"),
    ("champaign_il_pd", f"{CHAMPAIGN}2026-02-01_2025-02-28.csv"): (2735, "search"),
    ("eugene_or_pd", "EPDSearchAuditLogs.csv"): (4294, "search"),
    ("okaloosa_fl_so", "11_1_2025-12_8_2025-Okaloosa_County_FL_SO-Audit_EXTRACTED.csv"): (
        7273,
        "search",
    ),
    ("hotlist_event_log", "flock-safety-and-alpr-data-and-policies-200784_doc0.xlsx"): (
        2031,
        "events",
    ),
}


@pytest.fixture(scope="module")
def audit_dir(shared_dir: Path) -> Path:
    folder = shared_dir / "data" / "flock_audit"
    assert folder.is_dir(), f"{folder} is missing"
    return folder


def test_the_folder_holds_exactly_the_documented_files(audit_dir: Path) -> None:
    found = {(p.parent.name, p.name) for p in audit_dir.glob("*/*") if p.is_file()}
    assert found == set(DOCUMENTED)


@pytest.mark.parametrize(("key", "expected"), sorted(DOCUMENTED.items()), ids=lambda v: str(v)[:40])
def test_each_file_imports_with_its_documented_count(
    audit_dir: Path, key: tuple[str, str], expected: tuple[int, str]
) -> None:
    rows, kind = expected
    result = import_files([audit_dir / key[0] / key[1]])
    [report] = result.files
    assert report.error is None
    assert report.kind == kind
    assert (report.rows, report.rejected) == (rows, 0)
    assert result.rows_imported + result.events_imported == rows


def test_the_whole_folder_at_once(audit_dir: Path) -> None:
    paths = sorted(audit_dir.glob("*/*"))
    result = import_files(paths, jobs=2)
    searches = sum(r for (_, name), (r, kind) in DOCUMENTED.items() if kind == "search")
    assert result.rows_imported == searches
    assert result.events_imported == 2031
    assert result.rows_rejected == 0 and result.duplicates == 0
    run = run_rules(result.table, result.events, load_config(), result.file_columns())
    assert run.findings and not run.skipped


def test_importing_a_file_twice_counts_it_once(audit_dir: Path) -> None:
    path = audit_dir / "eugene_or_pd" / "EPDSearchAuditLogs.csv"
    result = import_files([path, path])
    assert result.rows_imported == 4294
    assert [f.duplicates for f in result.files] == [0, 4294]


# file → (incidents, searches behind them, {practice rule: searches or events showing it});
# counts only (docs/oversight.md states them), measured with the default thresholds
BASELINES = {
    f"{CHAMPAIGN}2025-01-01_2025-02-01.csv": (9, 698, {
        "S2.no-offense-type": 2831, "S2.case-number-only": 2154, "S8.wide-scope": 1711,
        "S14.feature-search": 961, "S22.unverifiable-claim": 386,
    }),
    f"{CHAMPAIGN}2025-06-01_2025-07-01.xlsx": (12, 875, {
        "S2.no-offense-type": 2260, "S2.case-number-only": 1693, "S8.wide-scope": 1394,
        "S14.feature-search": 558, "S22.unverifiable-claim": 353,
    }),
    f"{CHAMPAIGN}2025-08-01_09-01.csv": (15, 474, {
        "S2.no-offense-type": 1972, "S2.case-number-only": 1684, "S8.wide-scope": 1255,
        "S14.feature-search": 674, "S22.unverifiable-claim": 257,
    }),
    f"{CHAMPAIGN}2026-02-01_2025-02-28.csv": (25, 850, {
        "S8.wide-scope": 903, "S14.feature-search": 586, "S22.unverifiable-claim": 288,
    }),
    "EPDSearchAuditLogs.csv": (12, 315, {
        "S2.no-offense-type": 3361, "S2.vague-reason": 1254, "S22.unverifiable-claim": 66,
    }),
    "11_1_2025-12_8_2025-Okaloosa_County_FL_SO-Audit_EXTRACTED.csv": (3, 253, {
        "S2.no-offense-type": 5104, "S2.vague-reason": 2229, "S8.wide-scope": 2069,
        "S22.unverifiable-claim": 883,
    }),
    "flock-safety-and-alpr-data-and-policies-200784_doc0.xlsx": (0, 0, {
        "S16.no-expiry": 392, "S16.undocumented-entry": 104,
    }),
}  # fmt: skip


@pytest.mark.parametrize("key", sorted(DOCUMENTED), ids=lambda v: str(v)[:40])
def test_practices_are_stated_once_and_incidents_are_few(
    audit_dir: Path, key: tuple[str, str]
) -> None:
    from trustlpr.oversight.report import summary

    result = import_files([audit_dir / key[0] / key[1]])
    run = run_rules(result.table, result.events, load_config(), result.file_columns())
    info = summary(result, run)
    incidents, rows, practices = BASELINES[key[1]]
    assert (info["incidents"], info["rows_in_incidents"]) == (incidents, rows)
    assert {p["rule"]: p["rows"] for p in info["practices"]} == practices
    assert len({p["rule"] for p in info["practices"]}) == len(info["practices"])  # each once
    units = result.rows_imported or sum(
        1 for e in result.events if e.is_entry and e.event_type in ("create", "update")
    )
    for p in info["practices"]:
        assert p["share"] == round(p["rows"] / units, 4) and p["share"] >= 0.0
    # the headline is short against what the rules found, and no finding is lost
    assert info["incidents"] <= max(25, info["findings"] // 4)
    assert (
        info["incidents"] + info["notes"] + sum(len(p.findings) for p in run.practices)
        == info["findings"]
    )
