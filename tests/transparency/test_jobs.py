"""The jobs that log what no other event carries: retained vehicles, the policy in force."""

from __future__ import annotations

import hashlib
import secrets
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.conftest import FakeClock
from trustlpr.audit import AuditService
from trustlpr.core import Read
from trustlpr.policy import load_policy
from trustlpr.store import SQLiteReadStore
from trustlpr.store.factory import key_rings
from trustlpr.store.retention import Retention
from trustlpr.transparency import (
    Tally,
    policy_file,
    record_policy_in_force,
    snapshot_retained_vehicles,
)


def _read(plate: str, state: str | None, at: datetime) -> Read:
    return Read(plate, state, 0.9, at, "cam-1", "ctpd", 41.3, -72.9)


def test_snapshot_counts_distinct_vehicles_and_logs_only_the_number(tmp_path: Path) -> None:
    clock = FakeClock(datetime(2026, 11, 20, 12, 0, tzinfo=UTC))
    store = SQLiteReadStore(tmp_path / "reads", key_rings(tmp_path, secrets.token_bytes(32)))
    now = clock.now
    reads = [_read("ABC123", "CT", now - timedelta(days=d, hours=1)) for d in range(5)]
    reads += [_read("ABC123", "NY", now - timedelta(hours=2))]  # another vehicle
    reads += [_read("XYZ789", "CT", now - timedelta(days=2)), _read("QQ1", None, now)]
    reads += [_read("OLD999", "CT", now - timedelta(days=30))]  # past retention
    store.append(reads[:-2])
    store.append(reads[-2:-1], hits=[True])
    store.append(reads[-1:])
    retention = Retention(nonhit=timedelta(days=21), hit=timedelta(days=21))
    with AuditService(tmp_path / "log") as audit:
        store.purge(now - retention.nonhit, now - retention.hit)
        assert snapshot_retained_vehicles(store, retention, audit, clock) == 4
        leaf = audit.log.entry(0)
        assert leaf["type"] == "stats_snapshot"
        assert leaf["public"] == {"action": "retained_vehicles", "count": 4, "days": 21}
        assert b"ABC123" not in audit.log.leaf(0)
        figures = Tally().feed(audit.log.entries()).figures()
        assert figures["retained_vehicles"]["latest"]["count"] == 4
    store.close()


def test_policy_in_force_is_logged_once_and_its_changes_dated(tmp_path: Path) -> None:
    clock = FakeClock()
    policy = load_policy("ct-pa-26-14")
    data, digest = policy_file(policy)
    assert digest == hashlib.sha256(data).hexdigest()
    with AuditService(tmp_path / "log") as audit:
        assert record_policy_in_force(audit.log, audit, policy, clock=clock) == 0
        assert record_policy_in_force(audit.log, audit, policy, clock=clock) is None
        clock.advance(days=3)
        other = load_policy("strict-default")
        assert record_policy_in_force(audit.log, audit, other, clock=clock) == 1
        edited = tmp_path / "strict-default.toml"
        shutil.copy(other.source, edited)  # type: ignore[arg-type]
        edited.write_text(edited.read_text() + "\n# tightened locally\n")
        clock.advance(days=1)
        assert record_policy_in_force(audit.log, audit, load_policy(edited), clock=clock) == 2
        history = Tally().feed(audit.log.entries()).figures()["changes"]["policy"]
    assert [(c["action"], c["policy"]) for c in history] == [
        ("adopted", "ct-pa-26-14"),
        ("replaced", "strict-default"),
        ("amended", "strict-default"),
    ]
    assert history[0]["digest"] == digest and history[2]["digest"] != history[1]["digest"]
    assert history[1]["time"] == "2026-11-04T12:00:00Z"
