"""Every export layout agencies release, built synthetically, imports to the same records."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import openpyxl
import pytest

from trustlpr.oversight import SearchRecord, import_files

from .synth import HEADER_13, Search, flock_time, write_13, write_csv

AT = datetime(2025, 1, 9, 12, 32, 31, tzinfo=UTC)


def _one(path: Path) -> SearchRecord:
    result = import_files([path])
    assert result.files[0].error is None, result.files[0].error
    assert result.rows_imported == 1, result.issues
    return result.table.record(0)


def test_13_columns_with_id(tmp_path: Path) -> None:
    s = Search(
        "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0",
        "Pat Example",
        AT,
        "Robbery 25-1",
        plate="ab 123",
        networks=1424,
        case="25-1",
        type="lookup - Mobile",
    )
    rec = _one(write_13(tmp_path / "a.csv", [s]))
    assert rec.export_id == s.id and rec.user == "Pat Example" and rec.org == "Springfield CT PD"
    assert (
        rec.searched_at == AT
        and rec.window_end == AT
        and rec.window_start == AT - timedelta(days=7)
    )
    assert rec.plate == "AB123" and rec.networks == 1424 and rec.case_number == "25-1"
    assert rec.search_type == "lookup" and rec.mobile
    assert rec.line == 2


def test_8_column_layout_without_id_and_case_in_reason(tmp_path: Path) -> None:
    header = [
        "Name",
        "Total Networks Searched",
        "Time Frame",
        "License Plate",
        "Case #",
        "Filters",
        "Reason",
        "Search Time",
    ]
    frame = f"{flock_time(AT - timedelta(days=1))}\n{flock_time(AT)}"
    path = write_csv(
        tmp_path / "a.csv",
        header,
        [["Pat Example", "3", frame, "XY1", "", "Illinois ", "CPD25-001234", flock_time(AT)]],
    )
    rec = _one(path)
    assert rec.export_id is None and rec.case_number is None and rec.reason == "CPD25-001234"
    assert rec.filters == "Illinois" and rec.networks == 3


def test_9_column_layout_reason_before_case(tmp_path: Path) -> None:
    header = [
        "Name",
        "Total Networks Searched",
        "Time Frame",
        "License Plate",
        "Reason",
        "Case #",
        "Filters",
        "Search Time",
        "Search Type",
    ]
    path = write_csv(
        tmp_path / "a.csv",
        header,
        [["Pat", "1", "", "XY1", "Burglary", "25-9", "", flock_time(AT), "search"]],
    )
    rec = _one(path)
    assert (rec.reason, rec.case_number, rec.search_type) == ("Burglary", "25-9", "search")


def test_headers_with_stray_spaces_underscores_devices_and_offense(tmp_path: Path) -> None:
    header = [
        "ID",
        " Name",
        " Org Name",
        " Total Networks Searched",
        " Total Devices Searched ",
        " Time Frame",
        " License Plate",
        " Reason",
        " Case #",
        " Filters",
        " Search Time",
        " Search Type",
        " Text Prompt",
        " Moderation",
        " Offense Type",
    ]
    row = [
        "7",
        "Pat",
        "Org",
        "2",
        "99",
        "",
        "XY1",
        "why",
        "",
        "",
        flock_time(AT, padded=True),
        "freeform",
        "red truck",
        "allow",
        "Burglary",
    ]
    rec = _one(write_csv(tmp_path / "a.csv", header, [row]))
    assert (rec.export_id, rec.devices, rec.offense, rec.text_prompt, rec.moderation) == (
        "7",
        99,
        "Burglary",
        "red truck",
        "allow",
    )
    assert rec.searched_at == AT


def test_extracted_layout_with_split_time_frame_and_no_user(tmp_path: Path) -> None:
    header = [
        "ID",
        "Org_Name",
        "Total_Networks_Searched",
        "Total_Devices_Searched",
        "Time_Frame_Start",
        "Time_Frame_End",
        "Reason",
        "Search_Time",
        "Search_Type",
        "Moderation",
    ]
    row = [
        "x-1",
        "Some County FL SO",
        "840",
        "5000",
        flock_time(AT - timedelta(hours=2)),
        flock_time(AT),
        "",
        flock_time(AT),
        "visual",
        "block",
    ]
    rec = _one(write_csv(tmp_path / "a.csv", header, [row], terminator="\n"))
    assert rec.user is None and rec.org == "Some County FL SO" and rec.reason == ""
    assert rec.window_start == AT - timedelta(hours=2) and rec.moderation == "block"


def test_portal_layout_plus_encoded_reasons(tmp_path: Path) -> None:
    header = ["id", "userId", "searchDate", "cameraCount", "reason"]
    uid = "5869ce7e-98f2-47e7-a3c2-5e6bf000000"
    rows = [
        [f"{uid}1", "u-1", "2025-01-09 12:32:31.120", "135", "stolen+vehicle+%2325-1"],
        [f"{uid}2", "u-1", "2025-01-09 12:40:00.000", "135", "plus+sign and spaces"],
    ]
    result = import_files([write_csv(tmp_path / "a.csv", header, rows, terminator="\n")])
    first, second = result.table.records()
    assert (
        first.reason == "stolen vehicle #25-1" and first.devices == 135 and first.searched_at == AT
    )
    assert second.reason == "plus+sign and spaces"  # spaces present: the '+' is literal
    assert result.files[0].layout == "transparency-portal search audit"


@pytest.mark.parametrize("bom", [False, True])
def test_utf8_with_and_without_bom(tmp_path: Path, bom: bool) -> None:
    s = Search("1", "José Núñez", AT, "Robo — 25-1", plate="XY1")
    rec = _one(write_13(tmp_path / "a.csv", [s], bom=bom))
    assert rec.user == "José Núñez" and rec.reason == "Robo — 25-1"


def test_utf16_export(tmp_path: Path) -> None:
    s = Search("1", "José", AT, "Robbery 25-1", plate="XY1")
    rec = _one(write_13(tmp_path / "a.csv", [s], encoding="utf-16"))
    assert rec.user == "José"


def test_blank_and_formula_columns_and_formula_only_rows(tmp_path: Path) -> None:
    header = [*HEADER_13, "", "Total"]
    good = [*Search("1", "Pat", AT, "Robbery 25-1", plate="XY1").row13(), "", "=1+1"]
    formula_row = ["=COUNTA(A2:A3)"] + [""] * 14
    blank_row = [""] * 15
    result = import_files([write_csv(tmp_path / "a.csv", header, [good, formula_row, blank_row])])
    report = result.files[0]
    assert (report.rows, report.rejected, report.skipped, report.ignored_columns) == (1, 0, 2, 2)


def test_masked_fields_are_masked_not_grouped(tmp_path: Path) -> None:
    s = Search("1", "***", AT, "Robbery 25-1", plate="***", org="***")
    rec = _one(write_13(tmp_path / "a.csv", [s]))
    assert rec.masked and rec.user is None and rec.plate is None and rec.org is None


def test_title_row_above_the_header(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    write_13(path, [Search("1", "Pat", AT, "Robbery 25-1", plate="XY1")])
    path.write_text("Organization Audit,,,\r\n" + path.read_text(), newline="")
    rec = _one(path)
    assert rec.line == 3


def _xlsx(
    path: Path, header: list[str], rows: list[list[object]], *, title: str | None = None
) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "in"
    if title:
        sheet.append([title])
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    book.create_sheet("Sheet1")  # an empty sheet beside the data, as in real releases
    book.save(path)
    return path


def test_xlsx_with_datetime_cells_numbers_and_a_totals_row(tmp_path: Path) -> None:
    naive = AT.replace(tzinfo=None)
    rows: list[list[object]] = [
        [
            "Pat",
            1424,
            f"{flock_time(AT)}\n{flock_time(AT)}",
            "XY1",
            "Robbery",
            "25-1",
            None,
            naive,
            "lookup",
        ],
        [None, "=SUM(B3:B3)", None, None, None, None, None, None, None],
        ["Total", None, None, None, None, None, None, None, None],
    ]
    header = [
        "Name",
        "Total Networks Searched",
        "Time Frame",
        "License Plate",
        "Reason",
        "Case #",
        "Filters",
        "Search Time",
        "Search Type",
    ]
    result = import_files([_xlsx(tmp_path / "a.xlsx", header, rows, title="Audit")])
    report = result.files[0]
    assert (report.kind, report.rows, report.rejected, report.skipped) == ("search", 1, 1, 1)
    [issue] = result.issues
    assert issue.line == 5 and "Search Time" in issue.message  # the labelled totals row
    rec = result.table.record(0)
    assert rec.searched_at == AT and rec.networks == 1424 and rec.line == 3


def test_xlsx_event_log(tmp_path: Path) -> None:
    header = ["Timestamp", "User", "Event Type", "Entity Type", "Entity Details"]
    entry = "Hotlist Name: A\nCase: \nExpiry: never\n"
    hotlist = "Name: A\nOrganization Hotlist: No\n"
    rows: list[list[object]] = [
        [datetime(2025, 8, 19, 13, 36, 30), "Admin, Pat", "create", "Custom Hotlist Entry", entry],
        [None, None, None, None, None],
        [datetime(2025, 8, 19, 14, 0, 0), "Admin, Pat", "update", "customHotlist", hotlist],
    ]
    result = import_files([_xlsx(tmp_path / "e.xlsx", header, rows)])
    assert result.files[0].kind == "events" and result.events_imported == 2
    first = result.events[0]
    assert first.is_entry and first.details["expiry"] == "never" and first.details["case"] == ""
    assert not result.events[1].is_entry


def test_duplicates_across_csv_and_xlsx_of_the_same_month(tmp_path: Path) -> None:
    searches = [
        Search(f"id-{k}", "Pat", AT + timedelta(minutes=k), f"Robbery 25-{k}", plate=f"XY{k}")
        for k in range(3)
    ]
    csv_file = write_13(tmp_path / "a.csv", searches)
    header = [
        "Name",
        "Total Networks Searched",
        "Time Frame",
        "License Plate",
        "Reason",
        "Case #",
        "Filters",
        "Search Time",
        "Search Type",
    ]
    rows: list[list[object]] = [
        [s.name, 1, "", s.plate, s.reason, "", None, flock_time(s.at), "lookup"]
        for s in searches[1:]
    ]
    rows.append(
        [
            "Pat",
            1,
            "",
            "NEW1",
            "Burglary 25-9",
            "",
            None,
            flock_time(AT + timedelta(hours=1)),
            "lookup",
        ]
    )
    result = import_files([csv_file, _xlsx(tmp_path / "b.xlsx", header, rows)])
    assert result.rows_imported == 4
    assert [f.duplicates for f in result.files] == [0, 2]


def test_repeated_rows_inside_one_file_are_kept(tmp_path: Path) -> None:
    s = Search("", "Pat", AT, "Robbery 25-1", plate="XY1")
    result = import_files([write_13(tmp_path / "a.csv", [s, s])])
    assert result.rows_imported == 2 and result.duplicates == 0
