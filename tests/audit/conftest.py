"""Fixtures for the transparency log tests: realistic events and small logs on disk."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from trustlpr.audit import AuditService, open_audit
from trustlpr.core.events import AuditEvent, EventType, ReadLink

T0 = datetime(2026, 11, 1, 12, 0, 7, 123456, tzinfo=UTC)
PLATE = "7XKR442"
USER = "officer-jdoe"
REASON = "follow-up on a stolen vehicle report near the depot"


def search_event(i: int, *, at: datetime | None = None) -> AuditEvent:
    """A search decision the way the governed search writes it, with personal detail."""
    return AuditEvent(
        type=EventType.SEARCH_DECIDED,
        at=at or T0 + timedelta(seconds=i),
        agency_id="ct-nhpd",
        public={
            "purpose": "stolen_vehicle",
            "decision": "allow" if i % 3 else "deny",
            "reasons": ["purpose.allowed"] if i % 3 else ["reason.vague", "case.missing"],
            "search_type": "exact",
            "requester_agency": "ct-nhpd",
            "requester_state": "CT",
            "requester_type": "local",
            "out_of_agency": False,
            "request_id": f"req-{i}",
            "window_hours": 24,
        },
        private={
            "request_id": f"req-{i}",
            "user_id": USER,
            "plate": PLATE,
            "reason": REASON,
            "case_number": f"2026-{i:05d}",
            "window": [T0 - timedelta(days=1), T0],
        },
    )


@pytest.fixture
def make_event() -> Callable[[int], AuditEvent]:
    return search_event


@pytest.fixture
def audit(tmp_path: Path) -> Iterator[AuditService]:
    service = open_audit(tmp_path, agency_id="ct-nhpd")
    yield service
    service.close()


def fill(service: AuditService, count: int, *, batch: int = 100, every: int = 0) -> None:
    """Appends ``count`` events, signing a checkpoint every ``every`` entries if asked."""
    done = service.log.size
    target = done + count
    while done < target:
        n = min(batch, target - done)
        if every:
            n = min(n, every - done % every)
        service.append_many([search_event(done + i) for i in range(n)])
        done += n
        if every and done % every == 0:
            service.maybe_checkpoint()


DETAIL_AT = datetime(2026, 11, 3, 10, 0, tzinfo=UTC)
"""When the detail tests' searches happen (their cutoff)."""


def alert_event(plate: str, seen: datetime, retention: str = "hit") -> AuditEvent:
    """An alert whose private detail names a read of ``plate`` seen at ``seen``."""
    return AuditEvent(
        type=EventType.ALERT_RAISED,
        at=seen + timedelta(seconds=2),
        agency_id="nhpd",
        public={"list_id": "stolen", "category": "V", "count": 1},
        private={"plate": plate, "camera_id": "cam-7", "observed_at": seen.isoformat()},
        describes_read=ReadLink(retention, seen),
    )


def plate_search_event(plate: str) -> AuditEvent:
    """A search whose private detail names ``plate`` (not tied to a read)."""
    return AuditEvent(
        type=EventType.SEARCH_REQUESTED,
        at=DETAIL_AT,
        agency_id="nhpd",
        public={"purpose": "stolen_vehicle"},
        private={"plate": plate, "reason": "stolen car report"},
    )
