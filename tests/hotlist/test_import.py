"""Importing lists through the service: atomic replacement, policy gates, audit, other processes."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from tests.conftest import FakeClock
from tests.hotlist.conftest import ENTRY, ListAudit, make_read, ncic_line
from trustlpr.core.errors import (
    AuditError,
    ConflictError,
    FormatError,
    InputError,
    NotFoundError,
    PolicyDenied,
)
from trustlpr.core.events import EventType
from trustlpr.hotlist import HotlistService


def extract(*lines: str) -> bytes:
    return ("HEADER\n" + "\n".join(lines) + "\n").encode()


def plates(service: HotlistService, list_id: str) -> set[str]:
    return {e.entry.plate for e in service.entries(list_id, limit=10_000)}


def test_ncic_import_stores_entries_and_audits_per_category(
    service: HotlistService, audit: ListAudit
) -> None:
    report = service.import_bytes(
        extract(ncic_line(plate="AAA111"), ncic_line(code="W", plate="BBB222")),
        list_id="ncic",
        fmt="ncic",
        actor="admin-1",
    )
    assert (report.accepted, report.invalid, report.expired) == (2, 0, 0)
    assert report.categories == {"V": 1, "W": 1}
    assert plates(service, "ncic") == {"AAA111", "BBB222"}
    first = service.entries("ncic")[0]
    assert first.details == {
        "incident_date": "20260901",
        "tag_year": "2026",
        "vehicle_year": "2019",
        "make": "TOYT",
        "model": "CAM",
        "colour": "BLK",
    }
    assert first.entry.case_number == "V123456789" and first.entry.owner == "CT0000100"
    events = audit.of(EventType.HOTLIST_CHANGED)
    assert [dict(e.public) for e in events] == [
        {"list_id": "ncic", "category": "V", "action": "replace", "count": 1},
        {"list_id": "ncic", "category": "W", "action": "replace", "count": 1},
    ]
    assert events[0].private["actor"] == "admin-1"
    assert events[0].private["owners"] == ["CT0000100"]
    assert "AAA111" not in repr(dict(events[0].public))


def test_reimport_replaces_the_list_and_old_plates_stop_matching(
    service: HotlistService, clock: FakeClock
) -> None:
    service.import_bytes(extract(ncic_line(plate="OLD111")), list_id="ncic", fmt="ncic", actor="a")
    service.import_bytes(extract(ncic_line(plate="NEW222")), list_id="ncic", fmt="ncic", actor="a")
    assert plates(service, "ncic") == {"NEW222"}
    assert not service.match(make_read("OLD111", "CT", clock.now))
    assert service.match(make_read("NEW222", "CT", clock.now)).hit


def test_a_broken_line_aborts_the_import_and_keeps_the_old_list(service: HotlistService) -> None:
    service.import_bytes(extract(ncic_line(plate="KEEP11")), list_id="ncic", fmt="ncic", actor="a")
    with pytest.raises(InputError) as info:
        service.import_bytes(
            extract(ncic_line(plate="NEW111"), ncic_line(code="Q"), ncic_line(plate="#")),
            list_id="ncic",
            fmt="ncic",
            actor="a",
        )
    assert info.value.line == 3 and info.value.field == "list_type"
    assert (
        "1 more faulty line" in info.value.message and "nothing was imported" in info.value.message
    )
    assert plates(service, "ncic") == {"KEEP11"}


def test_skip_invalid_imports_the_good_lines_and_reports_the_bad(service: HotlistService) -> None:
    report = service.import_bytes(
        extract(ncic_line(plate="GOOD11"), ncic_line(state="ZZ")),
        list_id="ncic",
        fmt="ncic",
        actor="a",
        skip_invalid=True,
    )
    assert (report.accepted, report.invalid) == (1, 1)
    assert report.errors == ["line 3, field 'state': unknown issuing state/region 'ZZ'"]


def test_expired_csv_entries_are_skipped_and_counted(service: HotlistService) -> None:
    header = "plate,state,category,reason,case_number,owner,expires_at\n"
    rows = "AAA111,CT,V,r,c1,o,2026-10-01\nBBB222,CT,V,r,c2,o,2026-12-01T00:00:00Z\n"
    report = service.import_bytes((header + rows).encode(), list_id="l", fmt="csv", actor="a")
    assert (report.accepted, report.expired) == (1, 1)
    assert plates(service, "l") == {"BBB222"}


def test_csv_missing_field_aborts_with_line_and_field(service: HotlistService) -> None:
    header = "plate,state,category,reason,case_number,owner,expires_at\n"
    rows = "AAA111,CT,V,r,c1,o,2026-12-01\nBBB222,CT,V,r,c2,,2026-12-01\n"
    with pytest.raises(InputError) as info:
        service.import_bytes((header + rows).encode(), list_id="l", fmt="csv", actor="a")
    assert (info.value.line, info.value.field) == (3, "owner")
    assert service.lists() == []


def test_wrong_format_and_empty_files_change_nothing(service: HotlistService) -> None:
    csv = b"plate,state,category,reason,case_number,owner,expires_at\nA1,CT,V,r,c,o,2026-12-01\n"
    with pytest.raises(FormatError, match="no usable ncic entry"):
        service.import_bytes(csv, list_id="l", fmt="ncic", actor="a")
    with pytest.raises(FormatError, match="no usable"):
        service.import_bytes(b"HEADER ONLY\n", list_id="l", fmt="ncic", actor="a")
    with pytest.raises(FormatError, match="not UTF-8"):
        service.import_bytes(b"\xff\xfe\x00V12", list_id="l", fmt="ncic", actor="a")
    with pytest.raises(InputError) as info:
        service.import_bytes(csv, list_id="bad id!", fmt="csv", actor="a")
    assert info.value.field == "list_id"
    assert service.lists() == []


def test_categories_not_allowed_by_policy_are_refused(
    tmp_path: Path, audit: ListAudit, clock: FakeClock
) -> None:
    svc = HotlistService.open(
        tmp_path, audit=audit, agency_id="ctpd", clock=clock, allowed_category={"V", "A"}
    )
    try:
        data = extract(ncic_line(plate="AAA111"), ncic_line(code="T", plate="BBB222"))
        with pytest.raises(PolicyDenied) as info:
            svc.import_bytes(data, list_id="ncic", fmt="ncic", actor="a")
        assert info.value.reasons == ["hotlist.category_not_allowed"]
        assert "line 3" in info.value.message and "'T'" in info.value.message
        assert svc.lists() == []
        report = svc.import_bytes(data, list_id="ncic", fmt="ncic", actor="a", skip_invalid=True)
        assert (report.accepted, report.refused) == (1, 1)
        with pytest.raises(PolicyDenied):
            svc.add_entry({**ENTRY, "category": "IMMIGRATION"}, list_id="local", actor="a")
    finally:
        svc.close()


def test_callable_category_policy_must_return_true(
    tmp_path: Path, audit: ListAudit, clock: FakeClock
) -> None:
    svc = HotlistService.open(
        tmp_path,
        audit=audit,
        agency_id="ctpd",
        clock=clock,
        allowed_category=lambda c: 1 if c == "V" else None,  # type: ignore[arg-type,return-value]
    )
    try:
        with pytest.raises(PolicyDenied):  # truthy 1 is not True: fail closed
            svc.add_entry(ENTRY, list_id="local", actor="a")
    finally:
        svc.close()


def test_shared_lists_need_a_sharing_agreement(
    tmp_path: Path, audit: ListAudit, clock: FakeClock
) -> None:
    data = extract(ncic_line(plate="AAA111"))
    svc = HotlistService.open(tmp_path / "a", audit=audit, agency_id="ctpd", clock=clock)
    with pytest.raises(PolicyDenied) as info:
        svc.import_bytes(data, list_id="nypd", fmt="ncic", actor="a", source_agency="nypd")
    assert info.value.reasons == ["hotlist.sharing_agreement"]
    svc.close()
    asked: list[str] = []

    def agreement(source: str) -> bool:
        asked.append(source)
        return source == "mspd"

    svc = HotlistService.open(
        tmp_path / "b", audit=audit, agency_id="ctpd", clock=clock, sharing_agreement=agreement
    )
    try:
        svc.import_bytes(data, list_id="ms", fmt="ncic", actor="a", source_agency="mspd")
        with pytest.raises(PolicyDenied):
            svc.import_bytes(data, list_id="ny", fmt="ncic", actor="a", source_agency="nypd")
        with pytest.raises(ConflictError, match="comes from agency"):
            svc.import_bytes(data, list_id="ms", fmt="ncic", actor="a")
        assert asked == ["mspd", "nypd"]
        assert [i.source_agency for i in svc.lists()] == ["mspd"]
    finally:
        svc.close()


def test_audit_failure_rolls_the_change_back(service: HotlistService, audit: ListAudit) -> None:
    audit.fail = True
    with pytest.raises(AuditError):
        service.import_bytes(extract(ncic_line()), list_id="ncic", fmt="ncic", actor="a")
    with pytest.raises(AuditError):
        service.add_entry(ENTRY, list_id="local", actor="a")
    audit.fail = False
    assert service.lists() == []
    assert len(service.matcher.lists) == 0


def test_manual_add_remove_and_delete_list(
    service: HotlistService, audit: ListAudit, clock: FakeClock
) -> None:
    stored = service.add_entry(ENTRY, list_id="local", actor="sup-1")
    assert service.match(make_read("ABC1234", "CT", clock.now)).hit
    event = audit.of(EventType.HOTLIST_CHANGED)[-1]
    assert dict(event.public) == {"list_id": "local", "category": "V", "action": "add", "count": 1}
    assert event.private["case_number"] == "2026-000123"
    with pytest.raises(InputError, match="why"):
        service.remove_entry("local", stored.id, actor="sup-1", note=" ")
    with pytest.raises(NotFoundError):
        service.remove_entry("other", stored.id, actor="sup-1", note="x")
    service.remove_entry("local", stored.id, actor="sup-1", note="vehicle recovered")
    assert not service.match(make_read("ABC1234", "CT", clock.now))
    assert audit.of(EventType.HOTLIST_CHANGED)[-1].public["action"] == "remove"
    with pytest.raises(InputError, match="in the past"):
        service.add_entry({**ENTRY, "expires_at": "2026-10-01"}, list_id="local", actor="a")
    assert service.delete_list("local", actor="a") == 0
    with pytest.raises(NotFoundError):
        service.delete_list("local", actor="a")


def test_expired_entries_stop_matching_and_are_pruned(
    service: HotlistService, clock: FakeClock
) -> None:
    service.import_bytes(
        extract(ncic_line(plate="AAA111")),
        list_id="ncic",
        fmt="ncic",
        actor="a",
        valid_for=timedelta(hours=2),
    )
    assert service.match(make_read("AAA111", "CT", clock.now)).hit
    clock.advance(hours=2)
    assert not service.match(make_read("AAA111", "CT", clock.now))
    assert service.prune(actor="a") == 1
    assert service.entries("ncic") == []


def test_changes_by_another_process_are_picked_up(
    tmp_path: Path, audit: ListAudit, clock: FakeClock
) -> None:
    server = HotlistService.open(tmp_path, audit=audit, agency_id="ctpd", clock=clock)
    cli = HotlistService.open(tmp_path, audit=audit, agency_id="ctpd", clock=clock)
    try:
        assert server.refresh() == []
        cli.import_bytes(extract(ncic_line(plate="AAA111")), list_id="ncic", fmt="ncic", actor="a")
        assert server.refresh() == ["ncic"]
        assert server.match(make_read("AAA111", "CT", clock.now)).hit
        cli.delete_list("ncic", actor="a")
        server.tick()
        assert not server.match(make_read("AAA111", "CT", clock.now))
    finally:
        cli.close()
        server.close()


def test_database_file_is_private(service: HotlistService, tmp_path: Path) -> None:
    service.add_entry(ENTRY, list_id="local", actor="a")
    assert (tmp_path / "hotlists.db").stat().st_mode & 0o777 == 0o600
    assert (tmp_path / "alerts.db").stat().st_mode & 0o777 == 0o600


def test_entries_whose_reason_serves_a_prohibited_purpose_are_refused(
    service: HotlistService, tmp_path: Path, audit: ListAudit, clock: FakeClock
) -> None:
    """Issue 12: "ICE detainer deportation" was accepted and would alert on every read."""
    with pytest.raises(PolicyDenied) as info:
        service.add_entry({**ENTRY, "reason": "ICE detainer deportation"}, list_id="l", actor="a")
    assert info.value.reasons and info.value.reasons[0].startswith("[reason.immigration]")
    with pytest.raises(PolicyDenied):  # disguised, as in a search reason
        service.add_entry({**ENTRY, "reason": "d\u00ebp\u043ertation"}, list_id="l", actor="a")
    header = "plate,state,category,reason,case_number,owner,expires_at\n"
    rows = [
        "AAA111,CT,V,stolen vehicle reported by owner,26-1,o,2026-12-31",
        "BBB222,CT,W,la migra lo busca,26-2,o,2026-12-31",
    ]
    data = (header + "\n".join(rows) + "\n").encode()
    with pytest.raises(PolicyDenied) as info:
        service.import_bytes(data, list_id="csv", fmt="csv", actor="a")
    assert "line 3" in info.value.message and info.value.reasons[0].startswith("[reason.")
    assert service.lists() == []
    report = service.import_bytes(data, list_id="csv", fmt="csv", actor="a", skip_invalid=True)
    assert (report.accepted, report.refused) == (1, 1)
    assert plates(service, "csv") == {"AAA111"}
    service.add_entry({**ENTRY, "reason": "slid on ice, fled the crash"}, list_id="l", actor="a")


def test_the_policy_in_force_decides_which_reasons_are_refused(
    tmp_path: Path, audit: ListAudit, clock: FakeClock
) -> None:
    from trustlpr.policy import PolicyEngine

    engine = PolicyEngine("ct-pa-26-14")
    svc = HotlistService.open(
        tmp_path, audit=audit, agency_id="ctpd", clock=clock, reason_check=engine.reason_refusals
    )
    try:
        with pytest.raises(PolicyDenied) as info:
            svc.add_entry({**ENTRY, "reason": "abortion clinic visit"}, list_id="l", actor="a")
        assert "Conn. PA 26-14" in info.value.message
        assert info.value.reasons[0].startswith("[reason.reproductive-health]")
    finally:
        svc.close()
