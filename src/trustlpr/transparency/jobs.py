"""The events that put into the log what the portal must show but no other event carries.

- ``snapshot_retained_vehicles``: how many distinct vehicles the store holds right now. Read
  counts cannot give it (the same car is read many times, and reads expire), so the node counts
  them itself — with its keys, in memory, never writing a plate anywhere — and logs only the
  number as a ``stats_snapshot`` event. The service runs it periodically (hourly by default).
- ``record_policy_in_force``: at start-up, logs a ``policy_changed`` event when the policy in
  force (its name and the SHA-256 of its file) differs from the last one the log recorded, so
  the portal's dated policy history comes from the log, not from a hand-kept list.
"""

from __future__ import annotations

import hashlib
import json
import math
from datetime import datetime, timedelta

from ..audit import AuditLog, parse_leaf
from ..core.clock import Clock, system_clock
from ..core.errors import ConfigError
from ..core.events import AuditEvent, AuditSink, EventType
from ..policy import JurisdictionPolicy
from ..store import ReadStore
from ..store.retention import Retention
from .figures import SNAPSHOT_RETAINED

SNAPSHOT_INTERVAL = timedelta(hours=1)
_SLACK = timedelta(days=1)  # purge runs every minute or so; reads in the future are refused
_POLICY_MARK = b'"type":"policy_changed"'


def count_retained_vehicles(store: ReadStore, retention: Retention, now: datetime) -> int:
    """Distinct (plate, state) pairs among every read the store holds at ``now``.

    Decrypts the retained reads one by one (only their plate and state) and keeps only a 64-bit
    hash of each pair in memory.
    """
    longest = max(retention.nonhit, retention.hit)
    return len({hash(pair) for pair in store.vehicles(now - longest - _SLACK, now + _SLACK)})


def snapshot_retained_vehicles(
    store: ReadStore, retention: Retention, audit: AuditSink, clock: Clock = system_clock
) -> int:
    """Counts the distinct vehicles retained now and logs the number; returns it."""
    now = clock()
    count = count_retained_vehicles(store, retention, now)
    days = math.ceil(max(retention.nonhit, retention.hit) / timedelta(days=1))
    audit.append(
        AuditEvent(
            type=EventType.STATS_SNAPSHOT,
            at=now,
            public={"action": SNAPSHOT_RETAINED, "count": count, "days": days},
        )
    )
    return count


def policy_file(policy: JurisdictionPolicy) -> tuple[bytes, str]:
    """The policy's TOML text as published and its SHA-256 (hex)."""
    if policy.source is None:
        raise ConfigError(f"the policy {policy.name!r} was not loaded from a file")
    try:
        data = policy.source.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read the policy file {policy.source}: {exc}") from exc
    return data, hashlib.sha256(data).hexdigest()


def last_recorded_policy(log: AuditLog) -> tuple[str, str] | None:
    """``(name, digest)`` of the newest ``policy_changed`` entry of the log, if any."""
    found: tuple[str, str] | None = None
    for _, leaf in log.entries():
        if _POLICY_MARK in leaf:
            public = parse_leaf(leaf).get("public") or {}
            found = (str(public.get("policy", "")), str(public.get("digest", "")))
    return found


def record_policy_in_force(
    log: AuditLog,
    audit: AuditSink,
    policy: JurisdictionPolicy,
    *,
    agency_id: str | None = None,
    clock: Clock = system_clock,
) -> int | None:
    """Logs the policy in force if the log does not already say so; returns the new index."""
    _, digest = policy_file(policy)
    last = last_recorded_policy(log)
    if last == (policy.name, digest):
        return None
    action = "adopted" if last is None else ("amended" if last[0] == policy.name else "replaced")
    summary = json.dumps(policy.to_dict()["retention"], sort_keys=True)
    return audit.append(
        AuditEvent(
            type=EventType.POLICY_CHANGED,
            at=clock(),
            agency_id=agency_id,
            public={"action": action, "policy": policy.name, "digest": digest},
            private={"file": policy.source.name if policy.source else None, "retention": summary},
        )
    )
