"""``MobileCoverage``: a day's mobile reads per cell, published once the day is over, exactly
once, with small cells folded together; and the public entries it writes are checked."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.conftest import FakeClock
from trustlpr.audit.leaf import check_public
from trustlpr.core.errors import AuditError, FormatError, InputError
from trustlpr.core.events import AuditEvent, EventType
from trustlpr.core.reads import Read
from trustlpr.ingest.coverage import MobileCoverage
from trustlpr.transparency import Tally
from trustlpr.transparency.figures import compute_figures

DAY = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


class Sink:
    def __init__(self) -> None:
        self.events: list[AuditEvent] = []
        self.refuse = False

    def append(self, event: AuditEvent) -> int:
        return self.append_many([event])[0]

    def append_many(self, events: Sequence[AuditEvent]) -> list[int]:
        if self.refuse:
            raise AuditError("audit log unavailable")
        for event in events:
            check_public(event.public)
        self.events += events
        return list(range(len(self.events) - len(events), len(self.events)))


def _read(camera: str, at: datetime, lat: float = 41.305, lon: float = -72.935) -> Read:
    return Read("AB123", "CT", 0.9, at, camera, "ctpd", lat, lon)


def _coverage(tmp_path: Path, clock: FakeClock, sink: Sink) -> MobileCoverage:
    return MobileCoverage(
        tmp_path, lambda camera: camera.startswith("mob"), audit=sink, clock=clock, min_count=3
    )


def test_a_day_is_published_once_after_it_ends_and_late_reads_still_count(
    tmp_path: Path,
) -> None:
    clock, sink = FakeClock(DAY), Sink()
    coverage = _coverage(tmp_path, clock, sink)
    assert coverage.count([_read("mob-1", DAY)] * 4 + [_read("pole", DAY)] * 9) == 4
    coverage.count([_read("mob-1", DAY, 41.401, -72.801)])  # one read alone in its cell
    assert coverage.publish() == 0  # the day is not over
    clock.advance(days=1)
    assert coverage.publish() == 2
    public = [dict(e.public) for e in sink.events]
    assert public == [
        {"day": "2026-11-02", "cell": "41.30,-72.94", "count": 4, "min_count": 3},
        {"day": "2026-11-02", "cell": "other", "count": 1, "min_count": 3},
    ]
    assert coverage.publish() == 0
    coverage.count([_read("mob-1", DAY)])  # arrives after its day was published
    clock.advance(days=1)
    assert coverage.publish() == 1
    assert dict(sink.events[-1].public)["day"] == "2026-11-03"  # the first day still open
    figures = compute_figures(_leaves(sink.events))
    assert figures["mobile"]["reads"] == 6  # every mobile read, once


def test_a_refused_publication_keeps_the_counts(tmp_path: Path) -> None:
    clock, sink = FakeClock(DAY), Sink()
    coverage = _coverage(tmp_path, clock, sink)
    coverage.count([_read("mob-1", DAY)] * 5)
    clock.advance(days=1)
    sink.refuse = True
    with pytest.raises(AuditError):
        coverage.publish()
    sink.refuse = False
    coverage.close()
    again = _coverage(tmp_path, clock, sink)  # and a restart loses nothing
    assert again.publish() == 1
    assert dict(sink.events[0].public)["count"] == 5
    again.close()


@pytest.mark.parametrize(
    "public",
    [
        {"day": "2026-11-02", "cell": "41.31,-72.94", "count": 4},  # not on the grid
        {"day": "2026-11-02", "cell": "41.305,-72.935", "count": 4},  # finer than a cell
        {"day": "2026-11-02T09:00", "cell": "41.30,-72.94", "count": 4},  # a time of day
    ],
)
def test_a_public_entry_finer_than_the_grid_or_the_day_is_refused(
    public: dict[str, object],
) -> None:
    with pytest.raises(InputError):
        check_public(public)  # type: ignore[arg-type]
    event = AuditEvent(EventType.MOBILE_COVERAGE, DAY, "ctpd", {})
    leaf = _leaf(event, public)
    with pytest.raises(FormatError):
        Tally().add(0, leaf)


def _leaf(event: AuditEvent, public: dict[str, object]) -> bytes:
    import json

    body = {
        "v": 1,
        "type": event.type.value,
        "agency": event.agency_id,
        "time": "2026-11-03T00:10:00Z",
        "public": public,
        "commitment": "",
    }
    return json.dumps(body, sort_keys=True, separators=(",", ":")).encode()


def _leaves(events: Sequence[AuditEvent]) -> list[tuple[int, bytes]]:
    stamp = DAY + timedelta(days=3)
    return [
        (i, _leaf(AuditEvent(e.type, stamp, e.agency_id, {}), dict(e.public)))
        for i, e in enumerate(events)
    ]
