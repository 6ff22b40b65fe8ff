from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from trustlpr.audit import AuditService
from trustlpr.core import Agency, AgencyType, AuditEvent, Read, Role, User
from trustlpr.identity import IdentityStore
from trustlpr.policy import PolicyEngine
from trustlpr.search import ApprovalQueue, SearchService
from trustlpr.store import SQLiteReadStore
from trustlpr.store.factory import key_rings

NOW = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)


class ListSink:
    """Identity's own events in these tests (the search's go to the real log)."""

    def __init__(self) -> None:
        self.events: list[AuditEvent] = []

    def append(self, event: AuditEvent) -> int:
        self.events.append(event)
        return len(self.events) - 1

    def append_many(self, events: list[AuditEvent]) -> list[int]:
        return [self.append(e) for e in events]


@dataclass
class World:
    service: SearchService
    audit: AuditService
    identity: IdentityStore
    store: SQLiteReadStore
    owner: Agency
    officer: User
    officer2: User
    supervisor: User
    admin: User
    admin2: User


def _read(plate: str, at: datetime, camera: str = "cam-1") -> Read:
    return Read(plate, "CT", 0.93, at, camera, "nhpd", 41.31, -72.92)


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    store = SQLiteReadStore(tmp_path / "reads", key_rings(tmp_path, secrets.token_bytes(32)))
    reads = []
    for day in range(20):
        at = NOW - timedelta(days=day, hours=3)
        reads += [
            _read("AB12345", at, f"cam-{day % 3}"),
            _read("XY99887", at + timedelta(minutes=1), f"cam-{day % 3}"),
            _read("AB12346", at + timedelta(minutes=2)),
            _read("A812345", at + timedelta(minutes=3)),
        ]
    store.append(reads)
    audit = AuditService(tmp_path)
    identity = IdentityStore.open(tmp_path, ListSink(), clock=lambda: NOW)
    owner = identity.add_agency("nhpd", "New Haven PD", "CT", AgencyType.LOCAL, actor=None)
    admin = identity.add_user("adm1", "nhpd", Role.ADMIN, "Admin One", actor=None)
    admin2 = identity.add_user("adm2", "nhpd", Role.ADMIN, "Admin Two", actor=None)
    officer = identity.add_user("off1", "nhpd", Role.OFFICER, "Officer One", actor=admin)
    officer2 = identity.add_user("off2", "nhpd", Role.OFFICER, "Officer Two", actor=admin)
    supervisor = identity.add_user("sup1", "nhpd", Role.SUPERVISOR, "Sgt One", actor=admin)
    engine = PolicyEngine("strict-default", owner_state="CT", owner_agency_id="nhpd")
    service = SearchService(
        owner=owner,
        store=store,
        judge=engine,
        audit=audit,
        sharing=identity.sharing,
        approvals=ApprovalQueue(tmp_path / "approvals.db"),
        clock=lambda: NOW,
    )
    yield World(
        service, audit, identity, store, owner, officer, officer2, supervisor, admin, admin2
    )
    store.close()
    audit.close()
    identity.close()
