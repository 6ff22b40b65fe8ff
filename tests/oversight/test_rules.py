"""Every planted misuse is found by its rule; no finding cites a clean row.

The export is written in the real 13-column layout (CRLF records, two-line Time Frame cells,
unpadded US dates with "UTC"), imported with the real importer, and judged by every rule.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from trustlpr.oversight import ImportResult, RuleRun, import_files, load_config, run_rules
from trustlpr.oversight.rules import RULES

from .synth import burst_and_spike, clean_traffic, night_owl, planted, write_13

EVENTS_HEADER = ["Timestamp", "User", "Event Type", "Entity Type", "Entity Details"]


def _ids(result: ImportResult, rows: object) -> set[str]:
    return {result.table.export_id(int(r)) or "" for r in rows}  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def judged(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[ImportResult, RuleRun, dict[str, list[str]]]:
    folder = tmp_path_factory.mktemp("rules")
    plants = planted()
    regular, odd = night_owl()
    bursty, burst, spike = burst_and_spike()
    plants["S7.off-hours"] = odd
    plants["S7.isolated-burst"] = burst
    plants["S21.volume-spike"] = spike
    searches = clean_traffic() + regular + bursty + [s for group in plants.values() for s in group]
    export = write_13(folder / "audit.csv", sorted(searches, key=lambda s: s.at))
    from .synth import write_csv

    events = write_csv(
        folder / "events.csv",
        EVENTS_HEADER,
        [
            [
                "2025-03-04 10:00:00.000",
                "Admin, Planted",
                "create",
                "Custom Hotlist Entry",
                "Hotlist Name: Watch\nLicense: \nState: \nReason: \nCase: \nExpiry: never\n",
            ],
            [
                "2025-03-04 11:00:00.000",
                "Admin, Careful",
                "create",
                "Custom Hotlist Entry",
                "Hotlist Name: Stolen\nLicense: \nState: CT\nReason: stolen vehicle\n"
                "Case: 25-1234\nExpiry: 2025-04-01T00:00:00.000Z\n",
            ],
        ],
    )
    result = import_files([export, events], jobs=1)
    run = run_rules(result.table, result.events, load_config(), result.file_columns())
    expected = {rule: [s.id for s in group] for rule, group in plants.items()}
    return result, run, expected


def test_every_rule_has_a_planted_case(
    judged: tuple[ImportResult, RuleRun, dict[str, list[str]]],
) -> None:
    _, _, expected = judged
    search_rules = {r for r in RULES if not r.startswith("S16.")}
    assert search_rules <= set(expected), search_rules - set(expected)


@pytest.mark.parametrize("rule", sorted(r for r in RULES if not r.startswith("S16.")))
def test_planted_case_is_found(
    judged: tuple[ImportResult, RuleRun, dict[str, list[str]]], rule: str
) -> None:
    result, run, expected = judged
    cited: set[str] = set()
    for finding in run.findings:
        if finding.rule == rule:
            cited |= _ids(result, finding.rows)
            assert finding.explanation and finding.severity in ("high", "medium", "low")
    assert set(expected[rule]) <= cited, f"{rule} missed {set(expected[rule]) - cited}"


def test_no_finding_cites_a_clean_row(
    judged: tuple[ImportResult, RuleRun, dict[str, list[str]]],
) -> None:
    result, run, _ = judged
    for finding in run.findings:
        clean = sorted(i for i in _ids(result, finding.rows) if i.startswith("C"))
        assert not clean, f"{finding.rule} cites clean rows {clean[:5]}"


def test_hotlist_rules_flag_only_the_undocumented_entry(
    judged: tuple[ImportResult, RuleRun, dict[str, list[str]]],
) -> None:
    result, run, _ = judged
    by_rule = {f.rule: f for f in run.findings if f.rule.startswith("S16.")}
    assert set(by_rule) == {"S16.undocumented-entry", "S16.no-expiry"}
    for finding in by_rule.values():
        assert [result.events[i].user for i in finding.events] == ["Admin, Planted"]


def test_severities_follow_the_harm(
    judged: tuple[ImportResult, RuleRun, dict[str, list[str]]],
) -> None:
    _, run, _ = judged
    worst = {}
    for finding in run.findings:
        worst.setdefault(finding.rule, finding.severity)
    assert worst["S1.immigration"] == "high"
    assert worst["S1.protest"] == "high"
    assert worst["S9.out-of-state"] == "high"  # CT shares only with MA, NY, RI after attestation
    assert worst["MOD.vendor-flag"] == "high"  # a block
    assert worst["S2.case-number-only"] == "low"


def test_hsi_narcotics_is_a_federal_assist_not_immigration(
    judged: tuple[ImportResult, RuleRun, dict[str, list[str]]],
) -> None:
    result, run, expected = judged
    hsi = set(expected["S10.on-behalf-of-federal"])
    for finding in run.findings:
        if finding.rule == "S1.immigration":
            assert not (_ids(result, finding.rows) & hsi)


def test_blank_reason_with_moderation_note_is_kept_and_flagged(
    judged: tuple[ImportResult, RuleRun, dict[str, list[str]]],
) -> None:
    result, run, expected = judged
    [row_id] = expected["S2.blank-reason"]
    blank = [
        f for f in run.findings if f.rule == "S2.blank-reason" and row_id in _ids(result, f.rows)
    ]
    assert blank and "moderation note" in blank[0].explanation
    moderated = [f for f in run.findings if f.rule == "MOD.vendor-flag"]
    assert row_id in set().union(*(_ids(result, f.rows) for f in moderated))


def test_disabled_rules_do_not_run(tmp_path: Path) -> None:
    plants = planted()
    export = write_13(tmp_path / "a.csv", plants["S1.protest"] + plants["S2.vague-reason"])
    result = import_files([export])
    config = tmp_path / "rules.toml"
    config.write_text('[rules]\ndisabled = ["S1.protest", "S2"]\n')
    run = run_rules(result.table, result.events, load_config(config), result.file_columns())
    assert not [f for f in run.findings if f.rule.startswith(("S1.protest", "S2."))]


def test_thresholds_change_outcomes(tmp_path: Path) -> None:
    plants = planted()
    export = write_13(tmp_path / "a.csv", plants["S4.repeat-plate"])
    result = import_files([export])
    strict = load_config(None, {"repeat_plate": {"min_searches": 7}})
    run = run_rules(result.table, result.events, strict, result.file_columns())
    assert not [f for f in run.findings if f.rule == "S4.repeat-plate"]
    loose = load_config(None, {"repeat_plate": {"min_searches": 6}})
    run = run_rules(result.table, result.events, loose, result.file_columns())
    assert [f for f in run.findings if f.rule == "S4.repeat-plate"]


def test_rules_the_data_cannot_support_are_reported_as_skipped(tmp_path: Path) -> None:
    export = write_13(tmp_path / "a.csv", planted()["S1.protest"])
    result = import_files([export])
    run = run_rules(result.table, result.events, load_config(), result.file_columns())
    assert "S16.undocumented-entry" in run.skipped
    assert "admin event log" in run.skipped["S16.undocumented-entry"]
