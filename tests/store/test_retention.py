"""The purge that enforces retention (``purge_expired``): each class at its own cutoff, and the
purge's log entry (issue 24: the keys-store group's surviving mutants)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from trustlpr.core import AuditEvent, EventType
from trustlpr.core.clock import iso
from trustlpr.store import ReadStore
from trustlpr.store.retention import Retention, purge_expired

from .conftest import T0, make_read


class Events:
    def __init__(self) -> None:
        self.events: list[AuditEvent] = []

    def append(self, event: AuditEvent) -> int:
        self.events.append(event)
        return len(self.events) - 1

    def append_many(self, events: list[AuditEvent]) -> list[int]:
        return [self.append(e) for e in events]


def test_each_class_is_purged_at_its_own_cutoff_and_the_purge_is_logged(store: ReadStore) -> None:
    retention = Retention(nonhit=timedelta(days=3), hit=timedelta(days=10))
    now = T0 + timedelta(days=6, hours=1)
    store.append(
        [make_read("OLD1", T0), make_read("NEW1", T0 + timedelta(days=5)), make_read("HIT1", T0)],
        hits=[False, False, True],
    )
    log = Events()
    report = purge_expired(store, retention, now, audit=log)
    window = (T0 - timedelta(days=1), now)
    assert store.lookup("OLD1", *window) == []
    assert [f.read.plate for f in store.lookup("NEW1", *window)] == ["NEW1"]  # within 3 days
    assert [f.read.plate for f in store.lookup("HIT1", *window)] == ["HIT1"]  # within 10 days
    assert report.days_dropped
    (event,) = log.events
    assert event.type is EventType.PURGE and event.at == now
    assert event.public["days"] == [f"nonhit:{T0.date().isoformat()}"]
    assert event.private == {"cutoff": iso(now), "details_shredded": 0}

    assert purge_expired(store, retention, now, audit=log).days_dropped == []
    assert len(log.events) == 1  # nothing removed, nothing logged


def test_a_purge_that_only_trims_a_day_is_logged_too(store: ReadStore) -> None:
    """No day dropped, one read deleted from the boundary day: still a purge on the record."""
    retention = Retention(nonhit=timedelta(days=3), hit=timedelta(days=10))
    store.append(
        [
            make_read("EARLY1", T0 + timedelta(hours=1)),
            make_read("LATER1", T0 + timedelta(hours=20)),
        ]
    )
    log = Events()
    now = T0 + timedelta(days=3, hours=12)
    report = purge_expired(store, retention, now, audit=log)
    assert report.days_dropped == [] and report.rows_deleted == 1
    (event,) = log.events
    assert event.public == {"days": [], "key_ids": [], "count": 1}
    window = (T0, now)
    assert [f.read.plate for f in store.lookup("LATER1", *window)] == ["LATER1"]


class Details:
    """The audit details the purge shreds: records the cutoffs it was given."""

    def __init__(self, shreds: int) -> None:
        self.shreds = shreds
        self.asked: list[dict[str, object]] = []

    def shred_read_details(self, before: Mapping[str, datetime]) -> int:
        self.asked.append(dict(before))
        return self.shreds


def test_a_purge_that_only_shreds_details_is_logged_with_the_count(store: ReadStore) -> None:
    """No read expired, but two audit details past their class's cutoff were shredded: the
    purge is on the record, with how many."""
    retention = Retention(nonhit=timedelta(days=3), hit=timedelta(days=10))
    now = T0 + timedelta(days=20)
    details, log = Details(shreds=2), Events()
    report = purge_expired(store, retention, now, audit=log, details=details)
    assert report.days_dropped == [] and report.rows_deleted == 0
    assert details.asked == [{"nonhit": now - timedelta(days=3), "hit": now - timedelta(days=10)}]
    (event,) = log.events
    assert event.private == {"cutoff": iso(now), "details_shredded": 2}
