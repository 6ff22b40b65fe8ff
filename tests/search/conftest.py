from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import FakeClock
from trustlpr.audit import AuditService
from trustlpr.core import Agency, AgencyType, AuditEvent, Read, Role, User
from trustlpr.core.area import Area
from trustlpr.core.protected import ProtectedCategory, ProtectedHandling
from trustlpr.identity import IdentityStore
from trustlpr.keys import StandingKeys
from trustlpr.policy import PolicyEngine
from trustlpr.protected import ProtectedPlates
from trustlpr.search import ApprovalQueue, SearchService
from trustlpr.store import SQLiteReadStore
from trustlpr.store.factory import key_rings

NOW = datetime(2026, 11, 10, 12, 0, tzinfo=UTC)
PASSWORD = "a password of their own"


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
    clock: FakeClock
    marks: dict[str, str]
    approvals: ApprovalQueue
    data_dir: Path
    protected: ProtectedPlates

    def person(self, user_id: str, agency_id: str, role: Role) -> User:
        """A user created by the first admin who took their password over and signs in with
        it: independent of everyone else but that admin."""
        self.identity.add_user(
            user_id, agency_id, role, user_id, actor=self.admin, password=PASSWORD
        )
        signed_in = self.identity.verify_password(user_id, PASSWORD)[0]
        self.identity.set_password(user_id, PASSWORD, actor=signed_in)
        return self.identity.verify_password(user_id, PASSWORD)[0]


def _read(plate: str, at: datetime, camera: str = "cam-1") -> Read:
    return Read(plate, "CT", 0.93, at, camera, "nhpd", 41.31, -72.92)


def make_world(
    tmp_path: Path,
    policy: str = "strict-default",
    *,
    search_clock: FakeClock | None = None,
    area_categories: Callable[[Area], AbstractSet[str]] | None = None,
) -> World:
    """``search_clock``: the search service's own clock (default: the identity store's);
    ``area_categories``: the sensitive places an area reaches (``cameras.AreaPlaces``)."""
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
    clock = FakeClock(NOW)
    audit = AuditService(tmp_path)
    identity = IdentityStore.open(tmp_path, ListSink(), clock=clock)
    owner = identity.add_agency("nhpd", "New Haven PD", "CT", AgencyType.LOCAL, actor=None)
    admin = identity.add_user("adm1", "nhpd", Role.ADMIN, "Admin One", actor=None)
    admin2 = identity.add_user("adm2", "nhpd", Role.ADMIN, "Admin Two", actor=None)
    officer = identity.add_user("off1", "nhpd", Role.OFFICER, "Officer One", actor=admin)
    officer2 = identity.add_user("off2", "nhpd", Role.OFFICER, "Officer Two", actor=admin)
    supervisor = identity.add_user("sup1", "nhpd", Role.SUPERVISOR, "Sgt One", actor=admin)
    marks: dict[str, str] = {}
    engine = PolicyEngine(
        policy,
        owner_state="CT",
        owner_agency_id="nhpd",
        camera_categories=marks,
        area_categories=area_categories,
    )
    approvals = ApprovalQueue(tmp_path / "approvals.db")
    protected = ProtectedPlates(
        tmp_path,
        StandingKeys(tmp_path / "keys", secrets.token_bytes(32), "protected"),
        agency_id="nhpd",
        people=identity,
        audit=ListSink(),
        handling={
            ProtectedCategory.SURVIVOR: ProtectedHandling.NOT_RECORDED,
            ProtectedCategory.UNDERCOVER: ProtectedHandling.SECOND_SUPERVISOR,
        },
        clock=clock,
    )
    service = SearchService(
        owner=owner,
        store=store,
        judge=engine,
        audit=audit,
        sharing=identity.sharing,
        people=identity,
        approvals=approvals,
        clock=search_clock or clock,
        nonhit_retention=timedelta(days=21),
        protected=protected,
    )
    return World(
        service, audit, identity, store, owner, officer, officer2, supervisor, admin, admin2,
        clock, marks, approvals, tmp_path, protected,
    )  # fmt: skip


def close_world(world: World) -> None:
    world.protected.close()
    world.approvals.close()
    world.store.close()
    world.audit.close()
    world.identity.close()


@pytest.fixture
def world(tmp_path: Path) -> Iterator[World]:
    made = make_world(tmp_path)
    yield made
    close_world(made)
