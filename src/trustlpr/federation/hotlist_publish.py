"""The owner's side of hot-list sharing: which of its lists a partner may pull, each version
or its changes, and the hit reports partners send back.

The owner's agreements decide, as for a search: a list is offered to a signed, pinned peer
only when an agreement of this node in force covers that peer for every purpose the list
serves (``hotlist_wire.CATEGORY_PURPOSES``), and only lists this node owns — never one it
pulled from someone else (no onward sharing). A list's version is its generation in
``hotlists.db``; a pull ``since`` a version this node served is answered with the entries added
and the keys removed, an unchanged one with 304. Each version served is logged
(``federation_hotlist`` ``served``), and so is each hit report received (``hit_received``:
publicly the partner, the list and its category; the sighting in the private detail).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from ..core.clock import Clock, iso, system_clock
from ..core.errors import NotFoundError
from ..core.events import AuditEvent, AuditSink, EventType
from ..core.identity import Agency
from ..hotlist.records import ListInfo, StoredEntry
from .hotlist_db import ShareDB
from .hotlist_wire import (
    Grant,
    HitReport,
    ListVersion,
    Offer,
    WireEntry,
    entry_key,
    purposes_of,
)
from .inbound import Agreements, People
from .peers import Peer
from .wire import WIRE_VERSION

_PAGE = 10_000


class Lists(Protocol):
    """What the desk reads of the hot-list store (``hotlist.store.HotlistStore``)."""

    def lists(self) -> list[ListInfo]: ...

    def entries(
        self, list_id: str, *, active_only: bool = False, limit: int = 100, offset: int = 0
    ) -> list[StoredEntry]: ...


@dataclass(frozen=True)
class _Snapshot:
    version: int
    entries: dict[str, WireEntry]
    categories: list[str]
    purposes: list[str]


class HotlistDesk:
    """Serves this node's hot lists to partners; built once in ``runtime``."""

    def __init__(
        self,
        *,
        owner: Agency,
        lists: Lists,
        agreements: Agreements,
        people: People,
        db: ShareDB,
        audit: AuditSink,
        clock: Clock = system_clock,
    ) -> None:
        self._owner = owner
        self._lists = lists
        self._agreements = agreements
        self._people = people
        self._db = db
        self._audit = audit
        self._clock = clock
        self._cache: dict[str, _Snapshot] = {}
        self._lock = threading.Lock()

    def offers(self, peer: Peer) -> list[Offer]:
        """The lists ``peer`` may pull now, each with the agreement that grants it."""
        offers = []
        for info in self._own_lists():
            snap = self._snapshot(info)
            grant = self._grant(peer, snap.purposes)
            if grant is not None:
                offers.append(
                    Offer(
                        list_id=info.list_id,
                        version=snap.version,
                        categories=snap.categories,
                        purposes=snap.purposes,
                        entries=len(snap.entries),
                        updated_at=iso(info.updated_at),
                        grant=grant,
                    )
                )
        return offers

    def version(self, peer: Peer, list_id: str, since: int | None) -> ListVersion | None:
        """List ``list_id`` for ``peer``: None when ``since`` is its current version (304),
        its changes when ``since`` is a version served before, else the whole list.
        ``NotFoundError`` when there is no such list or it is not shared with ``peer`` (the
        same answer for both: a partner does not learn which lists exist)."""
        info = next((i for i in self._own_lists() if i.list_id == list_id), None)
        snap = self._snapshot(info) if info is not None else None
        grant = self._grant(peer, snap.purposes) if snap is not None else None
        if snap is None or grant is None:
            raise NotFoundError(f"{self._owner.id} shares no hot list {list_id[:64]!r} with you")
        if since == snap.version:
            return None
        keys = frozenset(snap.entries)
        self._db.remember_served(list_id, snap.version, keys)
        before = self._db.served_keys(list_id, since) if since is not None else None
        body: dict[str, Any] = {
            "trustlpr_federation": WIRE_VERSION,
            "agency": self._owner.id,
            "list_id": list_id,
            "version": snap.version,
            "categories": snap.categories,
            "purposes": snap.purposes,
            "grant": grant,
        }
        if before is None:
            body["entries"] = list(snap.entries.values())
        else:
            body |= {
                "base": since,
                "removed": sorted(before - keys),
                "entries": [snap.entries[k] for k in sorted(keys - before)],
            }
        answer = ListVersion.model_validate(body)
        self._audit.append(
            AuditEvent(
                type=EventType.FEDERATION_HOTLIST,
                at=self._clock(),
                agency_id=self._owner.id,
                public={
                    "action": "served",
                    "peer_agency": peer.agency_id,
                    "list_id": list_id,
                    "version": snap.version,
                    "count": len(answer.entries),
                    "outcome": "full" if before is None else "changes",
                },
            )
        )
        return answer

    def receive(self, peer: Peer, report: HitReport) -> bool:
        """Records a partner's report of a hit on one of this node's shared lists; False if
        it was received before. The list must be shared with ``peer`` and hold the entry."""
        info = next((i for i in self._own_lists() if i.list_id == report.list_id), None)
        snap = self._snapshot(info) if info is not None else None
        if snap is None or self._grant(peer, snap.purposes) is None:
            raise NotFoundError(f"{self._owner.id} shares no hot list {report.list_id!r} with you")
        entry = snap.entries.get(report.entry_key)
        known = self._db.served_keys(report.list_id, report.version) or frozenset()
        if entry is None and report.entry_key not in known:
            raise NotFoundError(f"list {report.list_id!r} has no such entry (removed?)")
        now = self._clock()
        body = report.model_dump(mode="json")
        with self._lock:  # logged first, then kept; a report sent twice is logged once
            if self._db.has_report(peer.agency_id, report.report_id):
                return False
            self._log_received(peer, report, entry, now)
            self._db.add_report(peer.agency_id, report.report_id, report.list_id, body, now)
        return True

    def _log_received(
        self, peer: Peer, report: HitReport, entry: WireEntry | None, now: datetime
    ) -> None:
        category = entry.category if entry is not None else None
        self._audit.append(
            AuditEvent(
                type=EventType.FEDERATION_HOTLIST,
                at=now,
                agency_id=self._owner.id,
                public={
                    "action": "hit_received",
                    "peer_agency": peer.agency_id,
                    "list_id": report.list_id,
                    "category": category,
                },
                private={
                    "report_id": report.report_id,
                    "plate": report.plate,
                    "state": report.state,
                    "camera_id": report.camera_id,
                    "observed_at": report.observed_at,
                    "case_number": entry.case_number if entry else None,
                },
            )
        )

    def reports(self, list_id: str | None = None) -> list[dict[str, Any]]:
        """Hit reports partners sent (for this node's staff), oldest first."""
        return self._db.reports(list_id)

    # -- internals ------------------------------------------------------------------------------

    def _own_lists(self) -> list[ListInfo]:
        return [i for i in self._lists.lists() if i.source_agency == self._owner.id]

    def _grant(self, peer: Peer, purposes: Sequence[str]) -> Grant | None:
        """The agreement of this node in force that covers ``peer`` for every one of a list's
        ``purposes``; None when none does."""
        agency = self._people.agency(peer.agency_id)
        needed = set(purposes)
        for agreement in self._agreements.agreements(self._owner.id, self._clock()):
            granted = {p.value for p in agreement.purposes}
            if agreement.covers(agency) and needed <= granted:
                return Grant(
                    agreement_id=agreement.id, version=agreement.version, purposes=sorted(granted)
                )
        return None

    def _snapshot(self, info: ListInfo) -> _Snapshot:
        """The list's active entries at its generation, computed once per generation."""
        with self._lock:
            cached = self._cache.get(info.list_id)
            if cached is not None and cached.version == info.generation:
                return cached
        entries: dict[str, WireEntry] = {}
        offset = 0
        while True:
            page = self._lists.entries(info.list_id, active_only=True, limit=_PAGE, offset=offset)
            for stored in page:
                wire = _wire(stored)
                entries[wire.key] = wire
            if len(page) < _PAGE:
                break
            offset += _PAGE
        categories = sorted({e.category for e in entries.values()})
        purposes = purposes_of(categories, (e.reason for e in entries.values()))
        snap = _Snapshot(info.generation, entries, categories, purposes)
        with self._lock:
            self._cache[info.list_id] = snap
        return snap


def _wire(stored: StoredEntry) -> WireEntry:
    e = stored.entry
    fields: dict[str, Any] = {
        "plate": e.plate,
        "state": e.state,
        "category": e.category,
        "reason": e.reason,
        "case_number": e.case_number,
        "owner": e.owner,
        "expires_at": iso(e.expires_at),
        "details": dict(stored.details),
    }
    return WireEntry.model_validate({"key": entry_key(fields), **fields})
