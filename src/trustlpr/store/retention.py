"""Retention: how long each class of read is kept, and the purge that enforces it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from ..core.clock import format_duration, iso
from ..core.events import AuditEvent, AuditSink, EventType, ReadDetails
from .base import PurgeReport, ReadStore, RetentionClass

DEFAULT_RETENTION = timedelta(days=21)


@dataclass(frozen=True)
class Retention:
    """In hit-only mode (asked for, or ``nonhit`` below one day) non-hit reads never reach
    the disk: they wait in memory for ``nonhit`` and vanish."""

    nonhit: timedelta = DEFAULT_RETENTION
    hit: timedelta = DEFAULT_RETENTION
    hit_only_mode: bool = False

    @property
    def hit_only(self) -> bool:
        return self.hit_only_mode or self.nonhit < timedelta(days=1)

    def describe(self) -> dict[str, str | bool]:
        return {
            "nonhit": format_duration(self.nonhit),
            "hit": format_duration(self.hit),
            "hit_only": self.hit_only,
        }


def purge_expired(
    store: ReadStore,
    retention: Retention,
    now: datetime,
    audit: AuditSink | None = None,
    details: ReadDetails | None = None,
) -> PurgeReport:
    """Removes every read past its class's retention, shreds the audit details that describe
    those reads (``details``), and records the purge in the audit log."""
    cutoffs = {
        RetentionClass.NONHIT: now - retention.nonhit,
        RetentionClass.HIT: now - retention.hit,
    }
    report = store.purge(cutoffs[RetentionClass.NONHIT], cutoffs[RetentionClass.HIT])
    shredded = 0
    if details is not None:
        shredded = details.shred_read_details({cls.value: cut for cls, cut in cutoffs.items()})
    if audit is not None and (report.days_dropped or report.rows_deleted or shredded):
        audit.append(
            AuditEvent(
                type=EventType.PURGE,
                at=now,
                public={
                    "days": sorted(
                        f"{cls.value}:{day.isoformat()}" for cls, day in report.days_dropped
                    ),
                    "key_ids": sorted(report.key_ids_destroyed),
                    "count": report.rows_deleted,
                },
                private={"cutoff": iso(now), "details_shredded": shredded},
            )
        )
    return report
