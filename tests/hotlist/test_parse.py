"""Parsing NCIC extracts, CSV files and manual entries: every fault names its line and field."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.hotlist.conftest import ENTRY, ncic_line
from trustlpr.core.errors import FormatError, InputError, PlateError
from trustlpr.hotlist.parse import (
    entry_from_mapping,
    iter_csv,
    iter_ncic,
    parse_expiry,
    parse_ncic_line,
)

NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
EXPIRES = NOW + timedelta(days=1)
YEAR = timedelta(days=366)


def ncic(line: str, lineno: int = 1):  # type: ignore[no-untyped-def]
    return parse_ncic_line(line, lineno, list_id="ncic", now=NOW, expires_at=EXPIRES)


def test_reference_example_line_parses_field_by_field() -> None:
    parsed = ncic("V123456789LA057020020190509AB123456  CA2009MC2009YAMACYLMCBLK")
    e = parsed.entry
    assert (e.plate, e.state, e.category) == ("AB123456", "CA", "V")
    assert e.case_number == "V123456789"  # the NIC
    assert e.owner == "LA0570200"  # the ORI
    assert e.reason == "NCIC Stolen Vehicle"
    assert e.expires_at == EXPIRES
    assert parsed.details == {
        "incident_date": "20190509",
        "tag_year": "2009",
        "vehicle_year": "2009",
        "make": "YAMA",
        "model": "CYL",
        "colour": "BLK",
    }


def test_short_record_without_vehicle_fields_is_accepted() -> None:
    parsed = ncic(ncic_line(code="A", plate="XYZ9", state="NY", rest=""))
    assert (parsed.entry.plate, parsed.entry.state, parsed.entry.category) == ("XYZ9", "NY", "A")


def test_state_keyed_as_zero_is_read_as_letter_o() -> None:
    assert ncic(ncic_line(state="0H")).entry.state == "OH"


@pytest.mark.parametrize(
    ("line", "field", "words"),
    [
        (ncic_line()[:30], "record", "at least 39"),
        (ncic_line(code="Q"), "list_type", "not an NCIC list code"),
        (ncic_line(nic_digits="12345X789"), "nic", "9 digits"),
        (ncic_line(ori=""), "ori", "ORI"),
        (ncic_line(incident="20261345"), "incident_date", "not a date"),
        (ncic_line(plate=""), "plate", "empty"),
        (ncic_line(plate="AB#12"), "plate", "'#'"),
        (ncic_line(state="ZZ"), "state", "unknown issuing state"),
        (ncic_line(state="  "), "state", "required"),
    ],
)
def test_broken_ncic_lines_name_line_and_field(line: str, field: str, words: str) -> None:
    with pytest.raises(InputError) as info:
        ncic(line, lineno=7)
    assert info.value.line == 7
    assert info.value.field == field
    assert words in info.value.message
    assert info.value.message.startswith(f"line 7, field '{field}'")


def test_iter_ncic_skips_header_and_blank_lines_and_yields_errors_in_place() -> None:
    text = "\n".join(
        ["NCIC HOTLIST EXTRACT 2026-11-01", ncic_line(plate="AAA111"), "", ncic_line(code="Q")]
    )
    items = list(iter_ncic(text, list_id="ncic", now=NOW, expires_at=EXPIRES))
    assert len(items) == 2
    assert not isinstance(items[0], InputError) and items[0].line == 2
    assert isinstance(items[1], InputError) and items[1].line == 4


def test_a_first_line_that_is_a_record_is_not_skipped() -> None:
    items = list(iter_ncic(ncic_line(), list_id="ncic", now=NOW, expires_at=EXPIRES))
    assert len(items) == 1 and not isinstance(items[0], InputError)


CSV_HEADER = "plate,state,category,reason,case_number,owner,expires_at"


def csv_items(text: str) -> list[object]:
    return list(iter_csv(text, list_id="local", now=NOW, max_validity=YEAR))


def test_csv_rows_become_entries_with_aliases_and_details() -> None:
    text = (
        "Plate,State,Category,Reason,Case,Owner,Expires,Color,Make\n"
        "abc-123,ct,Stolen Vehicle,owner report,C-1,Ofc. A,2026-12-31,Blue,Honda\n"
    )
    (item,) = csv_items(text)
    assert not isinstance(item, InputError)
    e = item.entry  # type: ignore[attr-defined]
    assert (e.plate, e.state, e.category, e.list_id) == ("ABC123", "CT", "V", "local")
    assert e.expires_at == datetime(2027, 1, 1, tzinfo=UTC)  # valid through 31 December
    assert item.details == {"colour": "Blue", "make": "Honda"}  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "missing", ["plate", "state", "category", "reason", "case_number", "owner", "expires_at"]
)
def test_csv_row_missing_a_required_value_names_line_and_field(missing: str) -> None:
    values = {**ENTRY}
    values[missing] = ""
    row = ",".join(str(values[k]) for k in CSV_HEADER.split(","))
    good = ",".join(str(ENTRY[k]) for k in CSV_HEADER.split(","))
    items = csv_items(f"{CSV_HEADER}\n{good}\n{row}\n")
    assert not isinstance(items[0], InputError)
    error = items[1]
    assert isinstance(error, InputError)
    assert (error.line, error.field) == (3, missing)
    assert "required" in error.message


def test_csv_header_without_required_columns_is_a_format_error() -> None:
    with pytest.raises(FormatError) as info:
        csv_items("plate,state,category,reason\nABC,CT,V,x\n")
    assert "case_number" in info.value.message and "owner" in info.value.message
    assert "expires_at" in info.value.message


def test_csv_unknown_column_and_ragged_row() -> None:
    with pytest.raises(FormatError, match="unknown column"):
        csv_items(CSV_HEADER + ",expirse\n")
    items = csv_items(f"{CSV_HEADER}\nABC123,CT,V\n")
    assert isinstance(items[0], InputError) and items[0].field == "row" and items[0].line == 2


def test_empty_csv_is_a_format_error() -> None:
    with pytest.raises(FormatError, match="empty"):
        csv_items("")


def test_manual_entry_checks_each_field() -> None:
    def check(field: str, value: object, words: str) -> None:
        with pytest.raises(InputError) as info:
            entry_from_mapping({**ENTRY, field: value}, list_id="local", now=NOW, max_validity=YEAR)
        assert info.value.field == field, info.value.message
        assert words in info.value.message

    check("plate", "A", "at least 2")
    check("state", "XX", "unknown issuing state")
    check("category", "stolen!", "NCIC code")
    check("reason", "x" * 201, "at most 200")
    check("owner", "a\x00b", "control characters")
    check("expires_at", "2026-02-30", "not a date")
    check("expires_at", "2026-12-01T00:00:00", "no UTC offset")
    check("expires_at", "2029-01-01", "more than 366 days")
    check("list_id", "other", "names list")
    with pytest.raises(PlateError):
        entry_from_mapping({**ENTRY, "plate": "ÄBC"}, list_id="l", now=NOW, max_validity=YEAR)


def test_expiry_forms() -> None:
    assert parse_expiry("2026-11-02") == datetime(2026, 11, 3, tzinfo=UTC)
    assert parse_expiry("2026-11-02T10:00:00Z") == datetime(2026, 11, 2, 10, tzinfo=UTC)
    with pytest.raises(InputError):
        parse_expiry(12.5)


@given(st.text(max_size=120))
def test_property_any_ncic_line_parses_or_names_a_field(line: str) -> None:
    try:
        parsed = ncic(line.replace("\n", " ").replace("\r", " "), lineno=3)
    except InputError as exc:
        assert exc.line == 3 and exc.field
    else:
        assert parsed.plate.isalnum() and len(parsed.state) == 2


@given(
    st.dictionaries(
        st.sampled_from([*ENTRY, "make", "colour", "list_id"]),
        st.one_of(st.text(max_size=30), st.integers(), st.none(), st.floats()),
    )
)
def test_property_any_manual_entry_parses_or_names_a_field(raw: dict[str, object]) -> None:
    try:
        entry_from_mapping(raw, list_id="local", now=NOW, max_validity=YEAR)
    except InputError as exc:
        assert exc.field
