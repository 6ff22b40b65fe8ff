"""Who really has access: outside organisations in a network audit, their state and its law,
compared with a published sharing list (missing ones first)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from trustlpr.cli.main import app
from trustlpr.core.errors import ConfigError, FormatError
from trustlpr.oversight import import_files, load_config
from trustlpr.oversight.access import (
    load_state_laws,
    org_key,
    read_sharing_list,
    who_searched,
)
from trustlpr.oversight.rules import Context

from .synth import HOME_ORG, START, Search, write_13

runner = CliRunner()

# Every agency here is invented; the states are real codes.
FEDERAL = ["HSI Hartford", "FBI New Haven Field Office", "US Marshals Service District of CT"]
TX = ["Harris County TX Sheriff's Office", "Lubbock TX PD"]
PARTNERS = ["Providence RI PD", "Worcester MA Police Department"]
SHARING_LIST = [
    "Providence RI Police Dept.",  # the same agency, spelt as portals do
    "Worcester MA Police Department",
    "Lubbock TX PD",
    "Albany NY PD",  # listed, never searched
]
NOT_LISTED = {*FEDERAL, "Harris County TX Sheriff's Office"}

LAWS = """
[meta]
source = "test table (synthetic)"
as_of = "2026-11-01"

[states.TX]
abortion = "criminalised"
gender_affirming_care = "criminalised"
source = "synthetic entry for the test"
as_of = "2026-11-01"
"""


def _network_audit(path: Path) -> Path:
    searches = []
    n = 0
    orgs = [HOME_ORG] * 4 + FEDERAL + TX + PARTNERS
    for k, org in enumerate(orgs):
        for j in range(1 + k % 3):
            n += 1
            reason = "ICE detainer request" if org == FEDERAL[0] and j == 0 else "Burglary 25-1"
            searches.append(
                Search(
                    id=f"N{n:04d}",
                    name=f"User {n}",
                    at=START + timedelta(hours=n),
                    reason=reason,
                    plate=f"NA{n:04d}",
                    org=org,
                    networks=1200,
                )
            )
    n += 1
    searches.append(Search(id=f"N{n:04d}", name="***", at=START, reason="Theft", org="***"))
    return write_13(path, searches)


def _files(tmp_path: Path) -> tuple[Path, Path, Path]:
    export = _network_audit(tmp_path / "network_audit.csv")
    listed = tmp_path / "portal.txt"
    listed.write_text(
        "# External organizations with access\n" + "\n".join(f"- {n}" for n in SHARING_LIST)
    )
    laws = tmp_path / "laws.toml"
    laws.write_text(LAWS)
    return export, listed, laws


def test_every_outside_org_listed_and_missing_ones_first(tmp_path: Path) -> None:
    export, listed, laws_file = _files(tmp_path)
    result = import_files([export])
    ctx = Context(result.table, result.events, load_config(), result.file_columns())
    report = who_searched(
        ctx, load_state_laws(laws_file), read_sharing_list(listed), agencies=[HOME_ORG]
    )
    names = [o.org for o in report.orgs]
    assert sorted(names) == sorted([*FEDERAL, *TX, *PARTNERS])
    assert report.own == [(HOME_ORG, 1 + 2 + 3 + 1)]  # its four rows of orgs, 1 + k % 3 each
    missing = [o.org for o in report.orgs if o.on_list is False]
    assert set(missing) == NOT_LISTED
    assert names[: len(missing)] == missing  # the missing ones lead
    by_name = {o.org: o for o in report.orgs}
    for name in FEDERAL:
        assert by_name[name].federal and "federal agency" in by_name[name].concerns
    for name in TX:
        o = by_name[name]
        assert o.state == "TX" and o.abortion == "criminalised"
        assert "its state (TX) criminalises abortion" in o.concerns
    assert by_name["Providence RI PD"].on_list is True  # "PD" = "Police Dept."
    assert by_name["Providence RI PD"].abortion is None  # RI: the table does not say
    assert by_name[FEDERAL[0]].watched == {"immigration": 1}
    assert report.listed_not_seen == ["Albany NY PD"]
    assert report.masked_searches == 1
    assert ("test table (synthetic)", "2026-11-01") in report.law_sources
    # among the missing: federal before the rest, then by searches
    assert [by_name[m].federal for m in missing] == sorted(
        (by_name[m].federal for m in missing), reverse=True
    )


def test_the_departments_own_org_is_inferred_when_it_holds_most_searches(
    tmp_path: Path,
) -> None:
    searches = [
        Search(id=f"H{i}", name="Officer A", at=START + timedelta(minutes=i), reason="Theft")
        for i in range(10)
    ] + [Search(id="O1", name="B", at=START, reason="Theft", org="Lubbock TX PD")]
    result = import_files([write_13(tmp_path / "own.csv", searches)])
    ctx = Context(result.table, result.events, load_config(), result.file_columns())
    report = who_searched(ctx, load_state_laws())
    assert [o.org for o in report.orgs] == ["Lubbock TX PD"]
    assert report.own == [(HOME_ORG, 10)]
    assert report.orgs[0].on_list is None


def test_cli_access_json_and_report_section(tmp_path: Path) -> None:
    export, listed, laws = _files(tmp_path)
    args = ["oversight", "access", str(export), "--sharing-list", str(listed)]
    args += ["--state-laws", str(laws), "--agency", HOME_ORG, "--json"]
    done = runner.invoke(app, args)
    assert done.exit_code == 0, done.output
    info = json.loads(done.stdout.strip().splitlines()[-1])
    assert info["orgs_not_on_list"] == len(NOT_LISTED)
    assert {o["org"] for o in info["orgs"][: len(NOT_LISTED)]} == NOT_LISTED
    assert info["federal_orgs"] == len(FEDERAL)
    assert info["orgs_in_criminalising_states"] == len(TX)
    out = tmp_path / "out"
    args = ["oversight", "report", str(export), "-o", str(out), "--json"]
    args += ["--sharing-list", str(listed), "--state-laws", str(laws), "--agency", HOME_ORG]
    done = runner.invoke(app, args)
    assert done.exit_code == 0, done.output
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["access"]["orgs_not_on_list"] == len(NOT_LISTED)
    html = (out / "report.html").read_text()
    section = html[html.index("Who searched: outside organisations") :]
    assert section.index("Harris County TX Sheriff&#39;s Office") < section.index(
        "Providence RI PD"
    )
    human = runner.invoke(app, ["oversight", "access", str(export), "--agency", HOME_ORG])
    assert human.exit_code == 0, human.output
    assert "outside organisations" in human.stdout


def test_shipped_table_has_sources_and_marks_nothing_it_cannot_source() -> None:
    laws = load_state_laws()
    assert laws.sources and all(s and d for s, d in laws.sources)
    assert laws.states["CT"].abortion == "protected"
    for law in laws.states.values():
        assert law.source and law.as_of
        assert not law.criminalises  # REFERENCE.md names no such state: nothing invented


META = "[meta]\nsource='x'\nas_of='y'\n"
SOURCED = "source='s'\nas_of='d'\n"


@pytest.mark.parametrize(
    ("text", "says"),
    [
        (META + "[states.TX]\nabortion='banned'\n" + SOURCED, "must be one of"),
        (META + "[states.XX]\n" + SOURCED, "two-letter"),
        (META + "[states.TX]\nabortion='criminalised'", "needs source"),
        (META + "[states.TX]\nabortoin='x'\n" + SOURCED, "abortoin"),
        ("[states.TX]\n" + SOURCED, "[meta]"),
        ("not toml = = ", "not valid TOML"),
    ],
)  # fmt: skip
def test_bad_state_law_tables_are_refused(tmp_path: Path, text: str, says: str) -> None:
    path = tmp_path / "laws.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_state_laws(path)
    assert says in str(caught.value)


def test_sharing_list_formats(tmp_path: Path) -> None:
    csv_list = tmp_path / "list.csv"
    csv_list.write_text('Count,Organization Name\n1,Boston MA PD\n2,"Smith & Co, Inc"\n')
    assert read_sharing_list(csv_list).names == ("Boston MA PD", "Smith & Co, Inc")
    empty = tmp_path / "empty.txt"
    empty.write_text("# nothing\n\n")
    with pytest.raises(FormatError, match="names no organisation"):
        read_sharing_list(empty)
    binary = tmp_path / "bin.txt"
    binary.write_bytes(b"\xff\xfe\x00junk")
    with pytest.raises(FormatError, match="not UTF-8"):
        read_sharing_list(binary)


def test_org_names_fold_case_punctuation_and_abbreviations_only() -> None:
    assert org_key("Harris County Sheriff's Office") == org_key("HARRIS COUNTY SO")
    assert org_key("Providence RI PD") == org_key("Providence RI Police Dept.")
    assert org_key("Ｓｐｒｉｎｇｆｉｅｌｄ CT PD") == org_key("Springfield CT PD")  # NFKC
    assert org_key("Springfield CT PD") != org_key("Springfield MA PD")
    assert org_key("Springfield CT PD") != org_key("West Springfield CT PD")


def test_an_import_with_no_searches_lists_no_organisation(tmp_path: Path) -> None:
    empty = write_13(tmp_path / "empty.csv", [])
    result = import_files([empty])
    ctx = Context(result.table, result.events, load_config(), result.file_columns())
    report = who_searched(ctx, load_state_laws())
    assert report.orgs == [] and report.own == [] and report.summary()["outside_orgs"] == 0
