"""The same rules over TrustLPR's own transparency log (``--own-log``)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from typer.testing import CliRunner

from trustlpr.audit import open_audit
from trustlpr.cli.main import app
from trustlpr.core.events import AuditEvent, EventType
from trustlpr.oversight import (
    import_files,
    load_config,
    read_own_log,
    records_from_audit,
    run_rules,
)
from trustlpr.oversight.reading.ownlog import event_pair

T0 = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)


def decided(request_id: str, at: datetime, *, purpose: str = "stolen_vehicle", plate: str = "AB123",
            reason: str = "stolen car 26-00042", user: str = "u-7", state: str = "CT",
            agency: str = "ct-nhpd", decision: str = "allow") -> AuditEvent:  # fmt: skip
    """A search_decided event shaped exactly as trustlpr.search writes it."""
    return AuditEvent(
        type=EventType.SEARCH_DECIDED,
        at=at,
        agency_id="ct-nhpd",
        public={
            "purpose": purpose,
            "decision": decision,
            "reasons": [],
            "search_type": "exact",
            "requester_agency": agency,
            "requester_state": state,
            "requester_type": "local",
            "out_of_agency": agency != "ct-nhpd",
            "request_id": request_id,
            "window_hours": 72,
        },
        private={
            "user_id": user,
            "role": "investigator",
            "plate": plate,
            "pattern": None,
            "cameras": None,
            "window_start": "2026-10-30T15:00:00Z",
            "window_end": "2026-11-02T15:00:00Z",
            "case_number": None,
            "offense_code": None,
            "legal_basis": "none",
            "warrant_id": None,
            "reason": reason,
        },
    )


def executed(request_id: str, at: datetime) -> AuditEvent:
    return AuditEvent(
        type=EventType.SEARCH_EXECUTED,
        at=at,
        agency_id="ct-nhpd",
        public={
            "search_type": "exact",
            "purpose": "stolen_vehicle",
            "result_count": 3,
            "requester_agency": "ct-nhpd",
            "request_id": request_id,
        },
        private={"user_id": "u-7", "refs": ["r1", "r2", "r3"]},
    )


def test_events_of_one_search_become_one_record() -> None:
    pairs = [
        event_pair(decided("req-1", T0)),
        event_pair(executed("req-1", T0 + timedelta(seconds=2))),
    ]
    [record] = records_from_audit(pairs)
    assert record.export_id == "req-1" and record.user == "u-7" and record.plate == "AB123"
    assert (
        record.searched_at == T0
        and record.purpose == "stolen_vehicle"
        and record.decision == "allow"
    )
    assert record.org == "ct-nhpd" and record.org_state == "CT" and record.search_type == "lookup"
    assert record.window_start == datetime(2026, 10, 30, 15, tzinfo=UTC)
    assert record.reason == "stolen car 26-00042" and record.legal_basis == "none"


def test_hand_built_leaf_and_detail_dicts() -> None:
    leaf: dict[str, Any] = {
        "v": 1, "type": "search_requested", "agency": "ct-x", "time": "2026-11-02T15:00Z",
        "public": {"purpose": "other", "search_type": "area", "camera_counts": {"a": 5, "b": 7}},
    }  # fmt: skip
    private = {
        "user_id": "u-1",
        "reason": "check",
        "window": {"start": "2026-11-01T00:00:00Z", "end": "2026-11-02T00:00:00Z"},
    }
    other = {"type": "purge", "time": "2026-11-02T15:00Z", "public": {"count": 3}}
    orphan = {"type": "search_executed", "time": "2026-11-02T15:01Z", "public": {}}
    records = list(
        records_from_audit([(leaf, private), (other, None), (orphan, None), (leaf, None)])
    )
    assert len(records) == 2  # the purge is ignored; an executed event without id is skipped
    first, masked = records
    assert first.networks == 2 and first.devices == 12 and first.search_type == "multigeo"
    assert first.window_end == datetime(2026, 11, 2, tzinfo=UTC)
    assert masked.user is None and masked.plate is None and masked.reason == ""


def test_an_attribute_search_reads_as_a_flock_visual_search() -> None:
    leaf = {"type": "search_requested", "time": "2026-11-02T15:00Z",
            "public": {"purpose": "violent_felony", "search_type": "attribute"}}  # fmt: skip
    [record] = records_from_audit([(leaf, {"user_id": "u-1", "reason": "homicide"})])
    assert record.search_type == "visual"  # the plateless rule's word for it


def _log(tmp_path: Path) -> Path:
    with open_audit(tmp_path, agency_id="ct-nhpd") as audit:
        audit.append(
            decided(
                "imm-1",
                T0,
                purpose="immigration_enforcement",
                reason="assist federal partner",
                decision="deny",
            )
        )
        for day in range(6):  # one user, one plate, six days
            rid = f"rep-{day}"
            audit.append(
                decided(rid, T0 + timedelta(days=day, hours=1), plate="ZZ999", reason="follow up")
            )
            audit.append(executed(rid, T0 + timedelta(days=day, hours=1, seconds=1)))
        audit.append(
            decided("oos-1", T0 + timedelta(hours=3), agency="tx-dps", state="TX", user="tx-1")
        )
    return tmp_path


def test_the_rules_run_on_our_own_log(tmp_path: Path) -> None:
    data_dir = _log(tmp_path)
    records = list(records_from_audit(read_own_log(data_dir)))
    assert len(records) == 8
    assert records[0].line == 0 and records[0].decision == "deny"
    result = import_files([], own_records=records)
    overrides = {"out_of_state": {"home_state": "CT"}}
    run = run_rules(
        result.table, result.events, load_config(None, overrides), result.file_columns()
    )
    rules = {f.rule for f in run.findings}
    assert {"S1.immigration", "S4.repeat-plate", "S9.out-of-state", "S2.vague-reason"} <= rules
    repeat = next(f for f in run.findings if f.rule == "S4.repeat-plate")
    assert {result.table.export_id(int(r)) for r in repeat.rows} == {f"rep-{d}" for d in range(6)}


def test_cli_own_log(tmp_path: Path) -> None:
    data_dir = _log(tmp_path / "data")
    out = tmp_path / "out"
    runner = CliRunner()
    done = runner.invoke(
        app,
        [
            "--data-dir",
            str(data_dir),
            "oversight",
            "report",
            "--own-log",
            "--out",
            str(out),
            "--json",
        ],
    )
    assert done.exit_code == 0, done.output
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["rows_imported"] == 8 and summary["findings_by_rule"]["S1.immigration"] == 1
    assert (out / "report.html").is_file()


def test_cli_own_log_without_a_log(tmp_path: Path) -> None:
    done = CliRunner().invoke(
        app,
        [
            "--data-dir",
            str(tmp_path),
            "oversight",
            "report",
            "--own-log",
            "--out",
            str(tmp_path / "o"),
        ],
    )
    assert done.exit_code != 0 and "no audit log" in done.output
