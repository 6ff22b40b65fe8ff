"""The subscriber's side of hot-list sharing: partner lists pulled, judged by this node's
policy, matched with their provenance, and hits told to the list's owner when allowed.

A sync pulls each subscribed list, signed, with ``since`` and ``If-None-Match`` (304 when it
did not change), and accepts a version only if the owner's signed grant covers every purpose
the list serves and **this node's** policy permits each of those purposes and allows every
category and reason in it — the same screening as an import (``HotlistService.install_shared``):
a Connecticut node refuses an immigration list whoever offers it. A refused version takes the
list out of force; a partner that is down or answers unsigned leaves the last good version in
force, and the sync says so.
The list is matched as ``<partner>.<list>``; every alert it raises carries its provenance
(owner agency, list, version).

When such an alert is raised (after its read is stored and its ``alert_raised`` logged), this
node asks its own policy and agreements whether the list's owner may be told — as if the owner
had searched this node for that plate with the list's purpose and legal basis ``hotlist``
(``SearchService.judge_for_peer``). Allowed: a signed hit report with the minimised sighting a
search would have returned is queued and sent (``flush``). Not allowed: nothing leaves, and the
log says it was withheld and why. Possible matches never leave: only exact hits are reported.
"""

from __future__ import annotations

import logging
import secrets
import threading
from collections.abc import Collection, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Protocol

from pydantic import ValidationError

from ..core.clock import Clock, parse_utc, system_clock
from ..core.errors import (
    ConflictError,
    FormatError,
    InputError,
    NotFoundError,
    PeerUnavailableError,
    PolicyDenied,
    SignatureRefused,
    TrustLPRError,
)
from ..core.events import AuditEvent, AuditSink, EventType, PublicValue, ReadLink
from ..core.identity import Agency, Role, User
from ..core.search import Decision, LegalBasis, Purpose, Query, SearchType
from ..hotlist.importer import ImportReport
from ..hotlist.parse import check_list_id
from ..hotlist.records import AlertKind, AlertRecord, ListInfo
from ..identity.roles import require_admin
from ..search import SearchForm
from .client import PeerClient
from .hotlist_db import ShareDB, Subscription
from .hotlist_wire import (
    ENTRY_FIELDS,
    HITS_PATH,
    HOTLISTS_PATH,
    HitReport,
    ListVersion,
    Offers,
    entry_key,
    etag,
    flat,
    purpose_of,
    purposes_of,
)
from .peers import PeerStatus
from .service import Federation

log = logging.getLogger(__name__)

CALLBACK_USER = "hotlistcallback"
"""The pseudonym under which the list owner is judged as asking (it is no one's account)."""
_WINDOW = timedelta(minutes=1)
PEER_GONE = "federation.peer_removed"


class SharedLists(Protocol):
    """What subscriptions need of the hot-list stage (``hotlist.HotlistService``)."""

    def category_allowed(self, category: str) -> bool: ...

    def install_shared(
        self,
        list_id: str,
        raws: Sequence[dict[str, Any]],
        *,
        source_agency: str,
        actor: str,
        detail: dict[str, Any],
    ) -> ImportReport: ...

    def delete_list(self, list_id: str, *, actor: str) -> int: ...

    def lists(self) -> list[ListInfo]: ...


class Disclosure(Protocol):
    """How this node would judge a partner's search (``search.SearchService``)."""

    def judge_for_peer(
        self, agency: Agency, user_id: str, role: Role, form: SearchForm
    ) -> Decision: ...


class People(Protocol):
    def agency(self, agency_id: str) -> Agency: ...


@dataclass(frozen=True)
class SyncReport:
    """One subscription's sync: ``outcome`` is ``updated``, ``unchanged``, ``refused`` or
    ``failed`` (the last good version, if any, stays in force)."""

    peer: str
    list_id: str
    outcome: str
    version: int | None
    entries: int | None = None
    note: str = ""

    def json(self) -> dict[str, Any]:
        return dict(self.__dict__)


class HotlistSubscriptions:
    """This node's subscriptions to partners' lists (see the module docstring)."""

    def __init__(
        self,
        *,
        federation: Federation,
        hotlists: SharedLists,
        disclosure: Disclosure,
        people: People,
        permitted: Collection[Purpose],
        db: ShareDB,
        audit: AuditSink,
        deadline: float,
        clock: Clock = system_clock,
    ) -> None:
        self._federation = federation
        self._permitted = frozenset(p.value for p in permitted)
        self._hotlists = hotlists
        self._disclosure = disclosure
        self._people = people
        self._db = db
        self._audit = audit
        self._clock = clock
        self._client = PeerClient(federation, deadline=deadline)
        self._sync_lock = threading.Lock()
        self._flush_lock = threading.Lock()  # one sender at a time: a report goes out once
        self._sender = ThreadPoolExecutor(max_workers=1, thread_name_prefix="hotlist-callback")

    @property
    def _owner(self) -> Agency:
        return self._federation.owner

    # -- administration -------------------------------------------------------------------------

    def subscribe(self, peer_id: str, list_id: str, *, actor: User) -> Subscription:
        """Follows a partner's list (an admin); it is in force after the first good sync."""
        require_admin(actor, self._owner.id)
        peer = self._federation.peers.peer(peer_id)
        if peer.status is not PeerStatus.ACTIVE:
            raise ConflictError(f"{peer_id} is {peer.status.value}, not an active peer")
        check_list_id(list_id)
        local = check_list_id(f"{peer.agency_id}.{list_id}"[:200])
        taken = any(i.list_id == local for i in self._hotlists.lists())
        if taken and self._db.by_local_list(local) is None:
            raise ConflictError(f"this node already has a list {local!r} of its own")
        if not self._db.subscribe(peer.agency_id, list_id, local, actor=actor.id, at=self._clock()):
            raise ConflictError(f"already subscribed to {list_id!r} of {peer.agency_id}")
        self._log("subscribed", peer.agency_id, list_id, private={"actor": actor.id})
        found = self._db.subscription(peer.agency_id, list_id)
        assert found is not None
        return found

    def unsubscribe(self, peer_id: str, list_id: str, *, actor: User) -> None:
        """Stops following a list; its entries stop matching at once."""
        require_admin(actor, self._owner.id)
        sub = self._get(peer_id, list_id)
        self._retire(sub, actor=f"federation:{actor.id}")
        self._db.unsubscribe(sub)
        self._log("unsubscribed", sub.peer, sub.list_id, private={"actor": actor.id})

    def subscriptions(self) -> list[Subscription]:
        return self._db.subscriptions()

    def offered(self, peer_id: str) -> Offers:
        """What ``peer_id`` offers this node now (a signed pull of its index)."""
        peer = self._federation.peers.peer(peer_id)
        answer = self._client.get(peer, HOTLISTS_PATH)
        if answer.status != 200:
            detail = _detail(answer.body)
            raise PeerUnavailableError(f"{peer_id} answered {answer.status}: {detail}")
        try:
            offers = Offers.model_validate(answer.body)
        except ValidationError as exc:
            raise FormatError(f"{peer_id} answered with an unreadable list of hot lists") from exc
        if offers.agency != peer.agency_id:
            raise FormatError(f"{peer_id} answered for another agency")
        return offers

    def provenance(self, local_list: str) -> dict[str, Any] | None:
        """Where a matched list came from: owner agency, list and version (None: our own)."""
        sub = self._db.by_local_list(local_list)
        if sub is None:
            return None
        return {
            "agency": sub.peer,
            "list_id": sub.list_id,
            "version": sub.version,
            "grant": sub.grant_id,
        }

    # -- syncing --------------------------------------------------------------------------------

    def sync(self, peer_id: str | None = None) -> list[SyncReport]:
        """Pulls every subscribed list (of ``peer_id`` only, if given); one report each."""
        with self._sync_lock:
            return [self._sync(s) for s in self._db.subscriptions(peer_id)]

    def sync_all(self) -> None:
        """The periodic job: syncs everything and sends the queued hit reports."""
        self.sync()
        self.flush()

    def _sync(self, sub: Subscription) -> SyncReport:
        now = self._clock()
        try:
            peer = self._federation.peers.peer(sub.peer)
        except NotFoundError:
            return self._refuse(sub, [PEER_GONE], "the partner is no longer a peer")
        if peer.status is not PeerStatus.ACTIVE:
            return self._refuse(sub, [PEER_GONE], f"the peer is {peer.status.value}")
        since = f"?since={sub.version}" if sub.version is not None else ""
        tag = etag(sub.list_id, sub.version) if sub.version is not None else None
        try:
            answer = self._client.get(
                peer, f"{HOTLISTS_PATH}/{sub.list_id}{since}", if_none_match=tag
            )
        except (PeerUnavailableError, SignatureRefused, FormatError) as exc:
            return self._failed(sub, exc)
        if answer.status == 304:
            self._db.attempted(
                sub, status="active" if sub.version else sub.status, note="unchanged", at=now
            )
            return SyncReport(sub.peer, sub.list_id, "unchanged", sub.version)
        if answer.status in (403, 404):
            return self._refuse(sub, ["hotlist.not_shared"], _detail(answer.body))
        if answer.status != 200:
            return self._failed(sub, PeerUnavailableError(f"answered {answer.status}"))
        try:
            version = ListVersion.model_validate(answer.body)
            if version.agency != peer.agency_id or version.list_id != sub.list_id:
                raise FormatError("the answer names another agency or list")
            entries = self._entries(sub, version)
        except (ValidationError, FormatError) as exc:
            note = exc.message if isinstance(exc, FormatError) else "unreadable answer"
            return self._failed(sub, FormatError(note))
        return self._accept(sub, version, entries)

    def _entries(self, sub: Subscription, version: ListVersion) -> dict[str, dict[str, Any]]:
        """The entries of ``version``: its own, or the last good ones with its changes."""
        if version.base is None:
            entries: dict[str, dict[str, Any]] = {}
        elif version.base == sub.version:
            entries = self._db.shared(sub.local_list)
            for key in version.removed:
                entries.pop(key, None)
        else:
            raise FormatError(f"changes since version {version.base}, not {sub.version}")
        for entry in version.entries:
            fields = entry.fields()
            if entry_key(fields) != entry.key:
                raise FormatError("an entry's key is not the SHA-256 of its fields")
            entries[entry.key] = fields
        return entries

    def _accept(
        self, sub: Subscription, version: ListVersion, entries: dict[str, dict[str, Any]]
    ) -> SyncReport:
        found = {str(e["category"]) for e in entries.values()}
        categories = sorted(found | set(version.categories))
        reasons = (str(e["reason"]) for e in entries.values())
        purposes = sorted(set(purposes_of(categories, reasons)) | set(version.purposes))
        refused = [c for c in categories if not self._hotlists.category_allowed(c)]
        if refused:
            note = f"this node's policy does not allow categories {', '.join(refused)}"
            return self._refuse(sub, ["hotlist.category_not_allowed"], note, purposes)
        barred = [p for p in purposes if p not in self._permitted]
        if barred:
            note = f"the list serves {', '.join(barred)}, which this node's policy does not permit"
            return self._refuse(sub, ["hotlist.purpose_not_permitted"], note, purposes)
        if not set(purposes) <= set(version.grant.purposes):
            note = "the owner's agreement does not cover every purpose of the list"
            return self._refuse(sub, ["hotlist.not_covered"], note, purposes)
        raws = [flat(e) for e in entries.values()]
        try:
            if raws:
                self._hotlists.install_shared(
                    sub.local_list,
                    raws,
                    source_agency=sub.peer,
                    actor=f"federation:{sub.peer}",
                    detail={
                        "peer_list": sub.list_id,
                        "version": version.version,
                        "grant": version.grant.agreement_id,
                    },
                )
            else:
                self._retire(sub, actor=f"federation:{sub.peer}")
        except PolicyDenied as exc:
            return self._refuse(
                sub, list(exc.reasons) or ["hotlist.refused"], exc.message, purposes
            )
        except (InputError, FormatError) as exc:
            return self._refuse(sub, ["hotlist.invalid_entry"], exc.message, purposes)
        self._db.accepted(
            sub,
            version=version.version,
            entries=entries,
            categories=categories,
            purposes=purposes,
            grant_id=version.grant.agreement_id,
            at=self._clock(),
        )
        mode = "full" if version.base is None else "changes"
        public: dict[str, PublicValue] = {
            "version": version.version,
            "count": len(entries),
            "outcome": mode,
            "agreement_id": version.grant.agreement_id,
        }
        self._log("synced", sub.peer, sub.list_id, public)
        return SyncReport(sub.peer, sub.list_id, "updated", version.version, len(entries))

    def _refuse(
        self, sub: Subscription, reasons: list[str], note: str, purposes: list[str] | None = None
    ) -> SyncReport:
        """No version of the list is in force any more (the policy, the grant or the peer)."""
        self._retire(sub, actor=f"federation:{sub.peer}")
        self._db.attempted(sub, status="refused", note=note, at=self._clock())
        public: dict[str, PublicValue] = {"reasons": sorted(set(reasons))[:16]}
        if purposes:
            public["purposes"] = purposes
        self._log("refused", sub.peer, sub.list_id, public, private={"note": note[:300]})
        return SyncReport(sub.peer, sub.list_id, "refused", None, note=note)

    def _failed(self, sub: Subscription, exc: TrustLPRError) -> SyncReport:
        """The partner gave no trustworthy answer: the last good version stays in force."""
        status = "failing" if sub.version is not None else sub.status
        kept = f"; version {sub.version} stays in force" if sub.version is not None else ""
        note = f"{exc.message}{kept}"
        self._db.attempted(sub, status=status, note=note, at=self._clock())
        reason = (
            f"signature.{exc.reason}"
            if isinstance(exc, SignatureRefused)
            else (
                "federation.unreadable" if isinstance(exc, FormatError) else "federation.no_answer"
            )
        )
        self._log(
            "sync_failed",
            sub.peer,
            sub.list_id,
            {"reasons": [reason]},
            private={"note": note[:300]},
        )
        return SyncReport(sub.peer, sub.list_id, "failed", sub.version, note=note)

    def _retire(self, sub: Subscription, *, actor: str) -> None:
        if any(i.list_id == sub.local_list for i in self._hotlists.lists()):
            self._hotlists.delete_list(sub.local_list, actor=actor)

    # -- hits -----------------------------------------------------------------------------------

    def on_alerts(self, records: Sequence[AlertRecord]) -> None:
        """Called once alerts are raised (``Outbox.on_raised``): each exact hit on a shared
        list is reported to its owner if this node's policy and agreements allow, or logged as
        withheld. Errors are logged, never raised into the alert path."""
        queued = False
        for record in records:
            if record.kind is not AlertKind.ALERT:
                continue
            sub = self._db.by_local_list(record.list_id)
            if sub is None or sub.version is None or self._db.has_callback(record.id):
                continue
            try:
                queued |= self._judge_hit(sub, record)
            except TrustLPRError as exc:
                log.error(
                    "hit on %s not reported: %s: %s",
                    sub.local_list,
                    type(exc).__name__,
                    exc.message,
                )
        if queued:
            self._sender.submit(self._flush_logged)

    def _judge_hit(self, sub: Subscription, record: AlertRecord) -> bool:
        read, entry = record.read, record.entry
        seen = parse_utc(str(read["observed_at"]))
        purpose = purpose_of(record.category)
        end = min(seen + _WINDOW, self._clock())
        form = SearchForm(
            purpose=purpose,
            case_number=str(entry.get("case_number") or "") or None,
            legal_basis=LegalBasis.HOTLIST,
            reason=f"hot-list hit on list {sub.list_id} shared by {sub.peer}; telling its owner",
            query=Query(
                SearchType.EXACT, min(seen - _WINDOW, end - _WINDOW), end, plate=str(read["plate"])
            ),
        )
        decision = self._disclosure.judge_for_peer(
            self._people.agency(sub.peer), CALLBACK_USER, Role.OFFICER, form
        )
        report_id = f"h-{secrets.token_hex(12)}"
        link = ReadLink("hit", seen)
        common: dict[str, PublicValue] = {
            "category": record.category,
            "purpose": purpose.value,
            "decision": decision.outcome.value,
        }
        if not decision.allowed:
            common["reasons"] = sorted({r.rule for r in decision.reasons})[:16]
            texts = [r.text for r in decision.reasons]
            self._log(
                "hit_withheld",
                sub.peer,
                sub.list_id,
                common,
                private={"alert_id": record.id, "reason_texts": texts},
                link=link,
            )
            return False
        body = HitReport(
            trustlpr_federation=1,
            report_id=report_id,
            list_id=sub.list_id,
            version=sub.version or 1,
            entry_key=self._key_of(sub, entry),
            plate=read["plate"],
            state=read.get("state"),
            observed_at=read["observed_at"],
            camera_id=read["camera_id"],
            lat=read["latitude"],
            lon=read["longitude"],
            direction=read.get("direction"),
            confidence=read["confidence"],
            make=read.get("make"),
            colour=read.get("colour"),
            vehicle_type=read.get("vehicle_type"),
        ).model_dump(mode="json")
        sighting = {
            "alert_id": record.id,
            "report_id": report_id,
            "plate": read["plate"],
            "camera_id": read["camera_id"],
            "observed_at": read["observed_at"],
        }
        self._log("hit_reported", sub.peer, sub.list_id, common, private=sighting, link=link)
        return self._db.queue_callback(report_id, record.id, sub.peer, body, self._clock())

    def flush(self) -> int:
        """Sends the queued hit reports; returns how many the owners accepted. A report an
        owner did not take stays queued for the next run (until hit retention drops it)."""
        with self._flush_lock:
            return self._flush()

    def _flush(self) -> int:
        sent = 0
        for report_id, peer_id, body in self._db.callbacks():
            try:
                peer = self._federation.peers.peer(peer_id)
                if peer.status is not PeerStatus.ACTIVE:
                    raise PeerUnavailableError(f"{peer_id} is {peer.status.value}")
                answer = self._client.post(peer, HITS_PATH, body)
            except (PeerUnavailableError, SignatureRefused, FormatError, NotFoundError) as exc:
                self._db.callback_failed(report_id, exc.message)
                continue
            if answer.status in (200, 201):
                self._db.callback_done(report_id, self._clock())
                sent += 1
            else:
                self._db.callback_failed(report_id, f"{answer.status}: {_detail(answer.body)}")
        return sent

    def _flush_logged(self) -> None:
        try:
            self.flush()
        except TrustLPRError as exc:
            log.error("hit reports wait for the next run: %s", exc.message)

    # -- internals ------------------------------------------------------------------------------

    def _key_of(self, sub: Subscription, entry: dict[str, Any]) -> str:
        """The owner's key of the entry an alert names: of its canonical fields, or (should a
        field have been normalised on the way in) of the shared entry with its plate, state
        and case number."""
        key = entry_key(_wire_fields(entry))
        shared = self._db.shared(sub.local_list)
        if key in shared:
            return key
        for other, fields in shared.items():
            if all(fields.get(n) == entry.get(n) for n in ("plate", "state", "case_number")):
                return other
        raise NotFoundError("the alert's entry is not in the shared list any more")

    def _get(self, peer_id: str, list_id: str) -> Subscription:
        sub = self._db.subscription(peer_id, list_id)
        if sub is None:
            raise NotFoundError(f"not subscribed to {list_id[:64]!r} of {peer_id[:64]}")
        return sub

    def _log(
        self,
        action: str,
        peer: str,
        list_id: str,
        public: Mapping[str, PublicValue] | None = None,
        *,
        private: dict[str, Any] | None = None,
        link: ReadLink | None = None,
    ) -> None:
        self._audit.append(
            AuditEvent(
                type=EventType.FEDERATION_HOTLIST,
                at=self._clock(),
                agency_id=self._owner.id,
                public={
                    "action": action,
                    "peer_agency": peer,
                    "list_id": list_id,
                    **(public or {}),
                },
                private=private or {},
                describes_read=link,
            )
        )

    def close(self) -> None:
        self._sender.shutdown(wait=True, cancel_futures=False)
        self._client.close()


def _wire_fields(entry: dict[str, Any]) -> dict[str, Any]:
    """An alert's entry back in the shared entry's canonical fields (for its key)."""
    fields = {name: entry.get(name) for name in ENTRY_FIELDS}
    return {**fields, "details": dict(entry.get("details") or {})}


def _detail(body: Any) -> str:
    if isinstance(body, dict):
        return str(body.get("detail") or body.get("error") or "")[:200]
    return ""
