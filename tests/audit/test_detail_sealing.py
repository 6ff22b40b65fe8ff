"""Details that describe a read are sealed with the read's day key and die with it."""

from __future__ import annotations

import secrets
import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.audit.conftest import alert_event, plate_search_event
from trustlpr.audit import AuditService, open_audit, verify_log
from trustlpr.audit.detail import DetailState
from trustlpr.core import (
    InputError,
    KeyDestroyedError,
    ReadLink,
    VerificationError,
)
from trustlpr.keys import KeyRing, ReadKeys
from trustlpr.store.factory import detail_keys, key_rings

T = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)


def _bytes(directory: Path) -> bytes:
    return b"".join(p.read_bytes() for p in directory.rglob("*") if p.is_file())


_ROOTS: dict[Path, bytes] = {}


def _node(tmp_path: Path) -> tuple[AuditService, dict[str, KeyRing]]:
    """The log with its node's key rings (one root key per node directory)."""
    rings = key_rings(tmp_path, _ROOTS.setdefault(tmp_path, secrets.token_bytes(32)))
    audit = open_audit(tmp_path, agency_id="nhpd", detail_keys=detail_keys(rings))
    return audit, {cls.value: ring for cls, ring in rings.items()}


def test_a_read_detail_is_sealed_and_opens_with_the_node_keys(tmp_path: Path) -> None:
    audit, _ = _node(tmp_path)
    index = audit.append(alert_event("SEAL123", T))
    found = audit.log.detail(index)
    assert found.private["plate"] == "SEAL123" and found.sealed_with == "hit:2026-11-03"
    assert b"SEAL123" not in _bytes(tmp_path / "audit")
    audit.close()


def test_destroying_the_day_key_destroys_the_detail_and_the_log_still_verifies(
    tmp_path: Path,
) -> None:
    audit, rings = _node(tmp_path)
    kept = audit.append(plate_search_event("SRCH999"))
    gone = audit.append(alert_event("GONE123", T))
    other_day = audit.append(alert_event("NEXT456", T + timedelta(days=1)))
    rings["hit"].destroy(T.date())
    found = audit.log.detail(gone)
    assert found.state is DetailState.DESTROYED and found.private == {}
    assert audit.log.detail(other_day).private["plate"] == "NEXT456"
    assert audit.log.detail(kept).private["plate"] == "SRCH999"  # search details are kept
    report = verify_log(audit.log, audit.verifier, audit.checkpoints())
    assert report.ok, report.problems
    assert (report.details_checked, report.details_destroyed) == (2, 1)
    audit.close()


def test_shred_empties_details_of_reads_before_the_cutoff_within_a_day(tmp_path: Path) -> None:
    audit, _ = _node(tmp_path)
    early = audit.append(alert_event("EARLY11", T, retention="nonhit"))
    late = audit.append(alert_event("LATE222", T + timedelta(hours=4), retention="nonhit"))
    at_cut = audit.append(alert_event("ATCUT33", T + timedelta(hours=2), retention="nonhit"))
    hit = audit.append(alert_event("HITKEEP", T))
    assert audit.shred_read_details({"nonhit": T + timedelta(hours=2), "hit": T}) == 1
    assert audit.log.detail(early).destroyed
    assert audit.log.detail(late).private["plate"] == "LATE222"
    assert audit.log.detail(at_cut).private["plate"] == "ATCUT33"  # exactly at it: kept
    assert audit.log.detail(hit).private["plate"] == "HITKEEP"  # other class, own cutoff
    sealed = [
        row[0]
        for row in sqlite3.connect(tmp_path / "audit" / "detail.db").execute(
            "SELECT private FROM detail WHERE idx = ?", (late,)
        )
    ]
    assert sealed and sealed[0]
    audit.close()
    with open_audit(tmp_path, readonly=True) as reader:  # no keys: sealed, never in clear
        assert reader.log.detail_digests().__next__()[2] is DetailState.DESTROYED
        report = verify_log(reader.log, reader.verifier, reader.checkpoints())
        assert report.ok and (report.details_destroyed, report.details_sealed) == (1, 3)


def test_a_tampered_sealed_detail_fails_verification_at_its_index(tmp_path: Path) -> None:
    audit, _ = _node(tmp_path)
    audit.append(plate_search_event("FIRST11"))
    index = audit.append(alert_event("TAMPER1", T))
    audit.close()
    with sqlite3.connect(tmp_path / "audit" / "detail.db") as db:
        (blob,) = db.execute("SELECT private FROM detail WHERE idx = ?", (index,)).fetchone()
        flipped = bytes([blob[0] ^ 1]) + blob[1:]
        db.execute("UPDATE detail SET private = ? WHERE idx = ?", (flipped, index))
    audit, _ = _node(tmp_path)
    with pytest.raises(VerificationError, match="does not open with its day key"):
        audit.log.detail(index)
    report = verify_log(audit.log, audit.verifier, audit.checkpoints())
    assert not report.ok and report.first_bad_index == index
    audit.close()


def test_without_keys_a_read_detail_is_not_kept_in_clear(tmp_path: Path) -> None:
    with open_audit(tmp_path) as audit:
        index = audit.append(alert_event("NOKEY11", T))
        assert audit.log.detail(index).destroyed
    assert b"NOKEY11" not in _bytes(tmp_path / "audit")


def test_a_read_link_must_name_a_retention_class(tmp_path: Path) -> None:
    audit, _ = _node(tmp_path)
    with pytest.raises(InputError, match="describes_read"):
        audit.append(alert_event("BAD1", T, retention="forever"))
    with pytest.raises(InputError, match="describes_read"):
        audit.append(
            replace(alert_event("BAD2", T), describes_read=ReadLink("hit", T.replace(tzinfo=None)))
        )
    assert audit.log.size == 0
    audit.close()


def test_read_keys_refuse_unknown_key_ids(tmp_path: Path) -> None:
    keys = ReadKeys({"hit": KeyRing(tmp_path, secrets.token_bytes(32), "hit")})

    for bad in ("nonhit:2026-11-03", "hit:not-a-day", "hit"):
        with pytest.raises(KeyDestroyedError):
            keys.detail_aead(bad)


def test_a_detail_store_from_before_sealing_is_upgraded_in_place(tmp_path: Path) -> None:
    with open_audit(tmp_path) as audit:
        audit.append(plate_search_event("OLD1234"))
    path = tmp_path / "audit" / "detail.db"
    with sqlite3.connect(path) as db:  # the layout of the previous version
        rows = db.execute("SELECT idx, type, agency, at, salt, private FROM detail").fetchall()
        db.execute("DROP TABLE detail")
        db.execute(
            "CREATE TABLE detail (idx INTEGER PRIMARY KEY, type TEXT NOT NULL, agency TEXT, "
            "at TEXT NOT NULL, salt BLOB NOT NULL, private BLOB NOT NULL)"
        )
        db.executemany("INSERT INTO detail VALUES (?, ?, ?, ?, ?, ?)", rows)
    with open_audit(tmp_path, readonly=True) as reader:  # read as it is, unchanged
        assert reader.log.detail(0).private["plate"] == "OLD1234"
    audit, _ = _node(tmp_path)
    index = audit.append(alert_event("NEW5678", T))
    assert audit.log.detail(0).private["plate"] == "OLD1234"
    assert audit.log.detail(index).sealed_with == "hit:2026-11-03"
    assert verify_log(audit.log, audit.verifier, audit.checkpoints()).ok
    audit.close()
