"""Fixtures for the hot-list tests: a list-backed audit sink, a service, reads, NCIC lines."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import FakeClock
from trustlpr.audit import PUBLIC_FIELDS
from trustlpr.core.errors import AuditError
from trustlpr.core.events import AuditEvent, EventType
from trustlpr.core.reads import Read
from trustlpr.hotlist import HotlistService
from trustlpr.runtime import System, initialise
from trustlpr.settings import Settings


class ListAudit:
    """An ``AuditSink`` that keeps events in a list after the real log's public-field check."""

    def __init__(self) -> None:
        self.events: list[AuditEvent] = []
        self.fail = False

    def append(self, event: AuditEvent) -> int:
        return self.append_many([event])[0]

    def append_many(self, events: Sequence[AuditEvent]) -> list[int]:
        if self.fail:
            raise AuditError("audit log unavailable (test)")
        for event in events:
            for key, value in event.public.items():
                assert key in PUBLIC_FIELDS, f"{key!r} is not a public audit field"
                if value is not None:
                    PUBLIC_FIELDS[key](key, value)
        start = len(self.events)
        self.events.extend(events)
        return list(range(start, len(self.events)))

    def of(self, kind: EventType) -> list[AuditEvent]:
        return [e for e in self.events if e.type is kind]


def ncic_line(
    code: str = "V",
    nic_digits: str = "123456789",
    ori: str = "CT0000100",
    incident: str = "20260901",
    plate: str = "ABC1234",
    state: str = "CT",
    rest: str = "2026PC2019TOYTCAM4DBLK",
) -> str:
    """A fixed-width NCIC record laid out as REFERENCE.md §4 describes."""
    return f"{code}{nic_digits:<9}{ori:<9}{incident:<8}{plate:<10}{state:<2}{rest}"


def make_read(
    plate: str,
    state: str | None,
    at: datetime,
    *,
    camera: str = "cam-1",
    confidence: float = 0.95,
) -> Read:
    return Read(
        plate=plate,
        state=state,
        confidence=confidence,
        observed_at=at,
        camera_id=camera,
        agency_id="ctpd",
        latitude=41.3,
        longitude=-72.9,
    )


@pytest.fixture
def audit() -> ListAudit:
    return ListAudit()


@pytest.fixture
def service(tmp_path: Path, audit: ListAudit, clock: FakeClock) -> Iterator[HotlistService]:
    svc = HotlistService.open(
        tmp_path, audit=audit, agency_id="ctpd", clock=clock, retry_backoff=0.01
    )
    yield svc
    svc.close()


ENTRY = {
    "plate": "ABC1234",
    "state": "CT",
    "category": "V",
    "reason": "stolen vehicle reported by owner",
    "case_number": "2026-000123",
    "owner": "Det. Example",
    "expires_at": "2026-12-31",
}


def open_node(
    tmp_path: Path, policy: str = "strict-default", *, listed: str = "AB1234"
) -> Iterator[System]:
    """A whole node (``runtime.System``) of a CT agency with ``listed`` on its stolen list."""
    settings = Settings.load(
        tmp_path / "node", env={}, policy=policy, agency_id="nhpd", agency_state="CT"
    )
    initialise(settings)
    expires = (datetime.now(UTC) + timedelta(days=5)).isoformat()
    with System(settings) as system:
        system.hotlists.add_entry(
            {**ENTRY, "plate": listed, "expires_at": expires}, list_id="stolen", actor="test"
        )
        yield system


@pytest.fixture
def node(tmp_path: Path) -> Iterator[System]:
    yield from open_node(tmp_path)
