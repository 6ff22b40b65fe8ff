"""Fixtures of the identity tests: a list-backed audit sink and a small seeded node."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import FakeClock
from trustlpr.audit import PUBLIC_FIELDS
from trustlpr.core.errors import AuditError
from trustlpr.core.events import AuditEvent, EventType
from trustlpr.core.identity import AgencyType, Role, User
from trustlpr.identity import IdentityStore

PASSWORD = "correct horse battery staple"


class ListSink:
    """An ``AuditSink`` keeping events in a list; ``refuse`` makes it fail like a full disk."""

    def __init__(self) -> None:
        self.events: list[AuditEvent] = []
        self.refuse = False

    def append(self, event: AuditEvent) -> int:
        """Keeps the event after the same public-field check the real audit log applies."""
        if self.refuse:
            raise AuditError("audit log unavailable")
        for key, value in event.public.items():
            assert key in PUBLIC_FIELDS, f"{key!r} is not a public audit field"
            if value is not None:
                PUBLIC_FIELDS[key](key, value)
        self.events.append(event)
        return len(self.events) - 1

    def append_many(self, events: Sequence[AuditEvent]) -> list[int]:
        return [self.append(e) for e in events]

    def of(self, type_: EventType) -> list[AuditEvent]:
        return [e for e in self.events if e.type is type_]


@pytest.fixture
def sink() -> ListSink:
    return ListSink()


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def store(data_dir: Path, sink: ListSink, clock: FakeClock) -> Iterator[IdentityStore]:
    with IdentityStore.open(data_dir, sink, clock) as opened:
        yield opened


@dataclass
class Node:
    """A seeded node: Hartford (CT, owner) with three admins (alice and bob from the set-up,
    carol proposed by bob and approved by alice), an officer, a supervisor and an auditor
    (created by alice); Boston (MA) and Providence (RI) police; the state police of MA; a
    federal agency."""

    store: IdentityStore
    clock: FakeClock
    alice: User
    bob: User
    carol: User
    olivia: User
    sam: User
    audrey: User
    boston_admin: User


def appoint(
    store: IdentityStore,
    user_id: str,
    agency_id: str,
    name: str,
    *,
    proposer: User,
    approver: User,
    password: str | None = None,
) -> User:
    """A new admin the two-person way: proposed by one admin, approved by another."""
    proposed = store.add_user(
        user_id, agency_id, Role.ADMIN, name, actor=proposer, password=password
    )
    assert not proposed.active
    return store.approve_admin(user_id, actor=approver)


@pytest.fixture
def node(store: IdentityStore, clock: FakeClock) -> Node:
    store.add_agency("hartford-pd", "Hartford Police", "CT", AgencyType.LOCAL, actor=None)
    alice = store.add_user(
        "alice", "hartford-pd", Role.ADMIN, "Alice Admin", actor=None, password=PASSWORD
    )
    for agency_id, name, state, type_ in [
        ("boston-pd", "Boston Police", "MA", AgencyType.LOCAL),
        ("providence-pd", "Providence Police", "RI", AgencyType.LOCAL),
        ("ma-state-police", "Massachusetts State Police", "MA", AgencyType.STATE),
        ("fbi-boston", "FBI Boston Field Office", "MA", AgencyType.FEDERAL),
        ("acme-vendor", "Acme ALPR", "MA", AgencyType.VENDOR),
    ]:
        store.add_agency(agency_id, name, state, type_, actor=alice)
    bob = store.add_user("bob", "hartford-pd", Role.ADMIN, "Bob Admin", actor=None)  # set-up
    carol = appoint(store, "carol", "hartford-pd", "Carol Admin", proposer=bob, approver=alice)
    olivia = store.add_user(
        "olivia", "hartford-pd", Role.OFFICER, "Olivia Officer", actor=alice, password=PASSWORD
    )
    sam = store.add_user("sam", "hartford-pd", Role.SUPERVISOR, "Sam Supervisor", actor=alice)
    audrey = store.add_user("audrey", "hartford-pd", Role.AUDITOR, "Audrey Auditor", actor=alice)
    boston_admin = appoint(
        store, "bpd-admin", "boston-pd", "Boston Admin", proposer=alice, approver=bob
    )
    clock.advance(days=8)
    return Node(store, clock, alice, bob, carol, olivia, sam, audrey, boston_admin)
