"""The replay clock: set by hand while a past is replayed, then live, never going back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from trustlpr.core.clock import ReplayClock
from trustlpr.core.errors import InputError


def test_stands_where_it_is_set_and_refuses_to_go_back() -> None:
    start = datetime(2026, 10, 1, tzinfo=UTC)
    clock = ReplayClock(start)
    assert clock() == start and not clock.live
    later = start + timedelta(hours=5)
    assert clock.set(later) == later
    assert clock() == later
    with pytest.raises(InputError):
        clock.set(start)
    assert clock() == later


def test_live_follows_the_system_clock_and_cannot_be_set() -> None:
    clock = ReplayClock(datetime(2026, 10, 1, tzinfo=UTC))
    clock.go_live()
    before = datetime.now(UTC)
    assert before <= clock() <= datetime.now(UTC)
    with pytest.raises(InputError):
        clock.set(datetime.now(UTC) + timedelta(days=1))


def test_live_never_reads_before_the_replay() -> None:
    ahead = datetime.now(UTC) + timedelta(days=2)  # a replay that ran past the wall clock
    clock = ReplayClock(ahead)
    clock.go_live()
    assert clock() == ahead
