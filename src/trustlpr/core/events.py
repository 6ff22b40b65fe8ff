"""Audit events: what every component tells the transparency log, and the sink it tells.

An event has a public part (non-personal metadata that goes into the public Merkle leaf) and a
private part (user, plate, case number, reason text) that only a salted commitment of reaches
the public log; the detail itself stays in the auditors' store. An event whose private part
describes a read (its plate, camera, time) names that read in ``describes_read``: its detail is
sealed with the read's day key and is shredded when the read expires.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Protocol

PublicValue = str | int | float | bool | None | list[str] | dict[str, int]

PARTNER_ERROR = "error"
"""The decision a ``federation_search`` entry records for a partner that answered without a
decision (an older node refusing a field it does not know, an unreadable body): not its
policy's ``deny``, so the public figures count it apart."""


class EventType(StrEnum):
    READS_INGESTED = "reads_ingested"
    READS_NOT_COLLECTED = "reads_not_collected"  # dropped near a sensitive place: per category
    MOBILE_COVERAGE = "mobile_coverage"  # a day's mobile reads in one coarse cell: a count
    SEARCH_REQUESTED = "search_requested"
    SEARCH_DECIDED = "search_decided"
    SEARCH_EXECUTED = "search_executed"
    APPROVAL_DECIDED = "approval_decided"
    ALERT_RAISED = "alert_raised"
    ALERT_VERIFIED = "alert_verified"
    ALERT_OUTCOME = "alert_outcome"  # what came of a confirmed alert: the outcome, counted
    HOTLIST_CHANGED = "hotlist_changed"
    POLICY_CHANGED = "policy_changed"
    SHARING_CHANGED = "sharing_changed"
    PURGE = "purge"
    USER_CHANGED = "user_changed"
    TOKEN_CHANGED = "token_changed"
    CAMERA_CHANGED = "camera_changed"
    PROTECTED_CHANGED = "protected_changed"  # the protected-plates registry: counts only
    OWNER_REQUEST = "owner_request"  # a resident's own-vehicle request: each step
    FEDERATION_CHANGED = "federation_changed"  # a peer proposed/approved/removed, a key rotated
    FEDERATION_REFUSED = "federation_refused"  # a signed message from a node refused (401)
    FEDERATION_SEARCH = "federation_search"  # a search sent to partners, and each one's answer
    FEDERATION_HOTLIST = "federation_hotlist"  # hot lists shared: served, synced, refused, hits
    STATS_SNAPSHOT = "stats_snapshot"  # periodic public figures the log cannot derive (portal)


@dataclass(frozen=True, slots=True)
class ReadLink:
    """The read an event's private detail describes: its retention class (``hit`` or
    ``nonhit``) and when it was observed. The detail lives exactly as long as that read."""

    retention: str
    observed_at: datetime

    @property
    def key_id(self) -> str:
        """The id of the read's day key: ``<class>:<YYYY-MM-DD>`` (UTC day)."""
        return f"{self.retention}:{self.observed_at.astimezone(UTC).date().isoformat()}"


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One thing that happened. ``public`` must never hold a plate, a name or free text."""

    type: EventType
    at: datetime
    agency_id: str | None = None
    public: Mapping[str, PublicValue] = field(default_factory=dict)
    private: Mapping[str, Any] = field(default_factory=dict)
    describes_read: ReadLink | None = None

    def __repr__(self) -> str:
        return f"AuditEvent(type={self.type.value!r}, agency_id={self.agency_id!r})"


class AuditSink(Protocol):
    """Where events go. ``append`` returns the entry's index once it is durable (fsync'd)."""

    def append(self, event: AuditEvent) -> int: ...

    def append_many(self, events: Sequence[AuditEvent]) -> list[int]: ...


class ReadDetails(Protocol):
    """Audit details that describe reads: the purge shreds them with the reads they describe.

    ``before`` maps a retention class (``hit``, ``nonhit``) to its cutoff; returns how many
    details were shredded."""

    def shred_read_details(self, before: Mapping[str, datetime]) -> int: ...
