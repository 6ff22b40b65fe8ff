"""Audit events: what every component tells the transparency log, and the sink it tells.

An event has a public part (non-personal metadata that goes into the public Merkle leaf) and a
private part (user, plate, case number, reason text) that only a salted commitment of reaches
the public log; the detail itself stays in the auditors' store.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol

PublicValue = str | int | float | bool | None | list[str] | dict[str, int]


class EventType(StrEnum):
    READS_INGESTED = "reads_ingested"
    SEARCH_REQUESTED = "search_requested"
    SEARCH_DECIDED = "search_decided"
    SEARCH_EXECUTED = "search_executed"
    APPROVAL_DECIDED = "approval_decided"
    ALERT_RAISED = "alert_raised"
    ALERT_VERIFIED = "alert_verified"
    HOTLIST_CHANGED = "hotlist_changed"
    POLICY_CHANGED = "policy_changed"
    SHARING_CHANGED = "sharing_changed"
    PURGE = "purge"
    USER_CHANGED = "user_changed"
    TOKEN_CHANGED = "token_changed"
    CAMERA_CHANGED = "camera_changed"
    STATS_SNAPSHOT = "stats_snapshot"  # periodic public figures the log cannot derive (portal)


@dataclass(frozen=True, slots=True)
class AuditEvent:
    """One thing that happened. ``public`` must never hold a plate, a name or free text."""

    type: EventType
    at: datetime
    agency_id: str | None = None
    public: Mapping[str, PublicValue] = field(default_factory=dict)
    private: Mapping[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        return f"AuditEvent(type={self.type.value!r}, agency_id={self.agency_id!r})"


class AuditSink(Protocol):
    """Where events go. ``append`` returns the entry's index once it is durable (fsync'd)."""

    def append(self, event: AuditEvent) -> int: ...

    def append_many(self, events: Sequence[AuditEvent]) -> list[int]: ...
