"""Department practices apart from incidents: what everyone does is stated once; what stands
out against the department's own baseline stays an incident."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from trustlpr.oversight import (
    Finding,
    ImportResult,
    RuleRun,
    import_files,
    load_config,
    run_rules,
)
from trustlpr.oversight.report import summary
from trustlpr.oversight.report.summary import flagged_rows

from .synth import START, Search, clean_traffic, planted, write_13

OUTLIER = "Officer Clean03"


def _department() -> list[Search]:
    """Clean traffic where every officer runs about 30 % of searches across 1,500 networks
    (the department's habit), one officer nearly all of them, plus planted misuse."""
    out = []
    for k, s in enumerate(clean_traffic()):
        wide = s.name == OUTLIER or k % 10 < 3
        out.append(replace(s, networks=1500, reason=s.case or "25-99999") if wide else s)
    plants = planted()
    return out + plants["S1.immigration"] + plants["S4.repeat-plate"]


@pytest.fixture(scope="module")
def department(tmp_path_factory: pytest.TempPathFactory) -> tuple[ImportResult, RuleRun]:
    path = write_13(tmp_path_factory.mktemp("dept") / "audit.csv", _department())
    result = import_files([path])
    return result, run_rules(result.table, result.events, load_config(), result.file_columns())


def test_a_habit_of_the_whole_department_is_one_practice(
    department: tuple[ImportResult, RuleRun],
) -> None:
    result, run = department
    [wide] = [p for p in run.practices if p.rule == "S8.wide-scope"]
    c = result.table.cols
    expected = int(np.count_nonzero(np.asarray(c["networks"]) >= 100))
    assert wide.count == expected and wide.share == pytest.approx(expected / result.table.n)
    assert 0.25 < wide.share < 0.5
    users = len(result.table.pools["user"])  # ten clean officers and the planted ones
    assert wide.actors == 10 and wide.actor_share == pytest.approx(10 / users) and users > 10
    assert wide.policy and "supervisor" in wide.policy
    assert sum(m for _, m, _ in wide.trend) == expected
    assert sum(a for _, _, a in wide.trend) == result.table.n
    assert len(wide.sample) == 5 and all(c["networks"][r] >= 100 for r in wide.sample)
    # per-officer findings are folded in, not repeated as incidents
    assert len(wide.findings) >= 9
    assert all(f.rule != "S8.wide-scope" or f.subject == OUTLIER for f in run.incidents)


def test_who_stands_out_against_the_baseline_stays_an_incident(
    department: tuple[ImportResult, RuleRun],
) -> None:
    _, run = department
    [outlier] = [f for f in run.incidents if f.rule == "S8.wide-scope"]
    assert outlier.subject == OUTLIER
    assert "100% of their searches" in outlier.explanation
    assert "across the department" in outlier.explanation


def test_planted_misuse_is_never_folded_into_a_practice(
    department: tuple[ImportResult, RuleRun],
) -> None:
    result, run = department

    def cited(findings: list[Finding]) -> set[str | None]:
        return {result.table.export_id(int(r)) for f in findings for r in f.rows}

    incidents = cited(run.incidents)
    for search in planted()["S1.immigration"]:
        assert search.id in incidents, search.id
    # the planted repeat plate names a robbery and its case: the rule grades it low, a note
    listed = incidents | cited(run.notes)
    for search in planted()["S4.repeat-plate"]:
        assert search.id in listed, search.id
    assert "S1.immigration" in {f.rule for f in run.incidents}


def test_summary_and_charts_count_incidents_only(
    department: tuple[ImportResult, RuleRun],
) -> None:
    result, run = department
    info = summary(result, run)
    assert info["incidents"] == len(run.incidents) > 0
    rows = set()
    for f in run.incidents:
        rows.update(int(r) for r in f.rows)
    assert info["rows_in_incidents"] == len(rows) == int(flagged_rows(result, run).sum())
    assert info["rows_flagged"] > info["rows_in_incidents"]  # practices' medium rows too
    assert {p["rule"] for p in info["practices"]} >= {"S8.wide-scope"}
    for p in info["practices"]:
        assert set(p) == {"rule", "share", "rows"}
    assert (
        info["incidents"] + info["notes"] + sum(len(p.findings) for p in run.practices)
        == (info["findings"])
    )


def test_a_common_per_user_pattern_is_graded_against_the_department(tmp_path: Path) -> None:
    """Every officer re-running a plate a few times is the department's way of working; the
    one far above the others keeps their severity."""
    base = clean_traffic(users=6, days=28)
    repeats = [
        Search(
            f"R{u}-{k}", f"Officer Clean{u:02d}",
            START + timedelta(days=k % 25, hours=15 + k // 25), "Welfare check", plate=f"RPT{u}",
        )
        for u in range(6)
        for k in range(30 if u == 0 else 6)
    ]  # fmt: skip
    path = write_13(tmp_path / "a.csv", base + repeats)
    result = import_files([path])
    run = run_rules(result.table, result.events, load_config(), result.file_columns())
    found = [f for f in run.findings if f.rule == "S4.repeat-plate"]
    names = [f"Officer Clean{u:02d}" for u in range(6)]
    assert sorted(f.subject.split(" / ")[0] for f in found) == names
    kept = [f for f in run.incidents if f.rule == "S4.repeat-plate"]
    assert [(f.subject.split(" / ")[0], f.severity) for f in kept] == [("Officer Clean00", "high")]
    assert "stands out in this department, where 6 of 6 users" in kept[0].explanation
    graded = [f for f in run.notes if f.rule == "S4.repeat-plate"]
    assert len(graded) == 5
    assert all("Common in this department" in f.explanation for f in graded)


@pytest.mark.parametrize("span_days", [20, 91, 400])
def test_trend_periods_match_the_calendar(span_days: int) -> None:
    """Trends are counted per period number and labelled after; the labels and counts must be
    those of each search's own calendar month (or ISO week's Monday under three months)."""
    from collections import Counter
    from datetime import UTC, datetime

    from trustlpr.oversight.rules.practices import _trend

    rng = np.random.default_rng(span_days)
    t = rng.integers(0, span_days * 86400, 5000) + 1_735_000_000
    hits = rng.random(5000) < 0.3
    weekly = int(t.max() - t.min()) < 92 * 86400

    def label(epoch: int) -> str:
        day = datetime.fromtimestamp(epoch, UTC).date()
        if weekly:
            return (day - timedelta(days=day.weekday())).isoformat()
        return day.isoformat()[:7]

    labels = [label(int(e)) for e in t]
    total = Counter(labels)
    marked = Counter(lab for lab, hit in zip(labels, hits, strict=True) if hit)
    expected = [(lab, marked[lab], total[lab]) for lab in sorted(total)]
    assert _trend(t, hits) == expected


def _offense_export(path: Path, rows: list[tuple[str, str]]) -> Path:
    """A 14-column export: the 13 columns plus ``Offense Type`` (reason, offense type)."""
    from .synth import HEADER_13, write_csv

    searches = [
        Search(f"O{k:04d}", f"Officer {k % 5}", START + timedelta(hours=k), reason, plate="AB123")
        for k, (reason, _) in enumerate(rows)
    ]
    body = [[*s.row13(), offense] for s, (_, offense) in zip(searches, rows, strict=True)]
    return write_csv(path, [*HEADER_13, "Offense Type"], body)


def test_no_offense_type_is_a_blank_cell_and_a_reason_naming_no_offence(tmp_path: Path) -> None:
    rows = [
        ("25-001234", ""),  # a bare case number, no offense type: counted
        ("investigation", " "),  # a blank cell is no offense type: counted
        ("follow up", "240 Motor Vehicle Theft"),  # the offense type is stated
        ("Burglary 25-001235", ""),  # the reason names an offence
        ("Shoplifting at the mall", ""),
        ("DUI crash 25-5", ""),
        ("Drug/Narcotic Offenses - 25-7", ""),  # the 2026 drop-down in the reason
    ] * 20
    result = import_files([_offense_export(tmp_path / "offense.csv", rows)])
    run = run_rules(result.table, result.events, load_config(), result.file_columns())
    found = [f for f in run.findings if f.rule == "S2.no-offense-type"]
    assert all(f.severity == "low" for f in found)
    cited = sorted(int(i) for f in found for i in f.rows)
    assert cited == [k for k in range(len(rows)) if k % 7 in (0, 1)]
    [practice] = [p for p in run.practices if p.rule == "S2.no-offense-type"]
    assert practice.count == 40 and practice.share == pytest.approx(40 / 140)
    assert "NIBRS" in practice.policy and "SB 6002" in practice.policy
    assert sum(m for _, m, _ in practice.trend) == 40 and practice.sample
    assert not [f for f in run.incidents if f.rule == "S2.no-offense-type"]


def test_an_export_without_the_column_names_no_offense_type(tmp_path: Path) -> None:
    searches = [
        Search(f"N{k}", "Officer A", START + timedelta(hours=k), reason, plate="AB123")
        for k, reason in enumerate(["25-001234", "Robbery 25-1", "", "stolen vehicle"] * 5)
    ]
    result = import_files([write_13(tmp_path / "13.csv", searches)])
    run = run_rules(result.table, result.events, load_config(), result.file_columns())
    [finding] = [f for f in run.findings if f.rule == "S2.no-offense-type"]
    assert sorted(int(i) for i in finding.rows) == [k for k in range(20) if k % 4 in (0, 2)]
