"""The requester's side of the federated search: one search, this node's data and its partners'.

Order of trust: this node's own policy judges the search first, as a local search (and logs
it); only an allowed search goes out. It goes only to active peers whose agreements grant this
agency the purpose (``/federation/v1/terms``, asked signed and cached a minute) — a partner
without one never sees the query. The outgoing request is in this node's log (a
``federation_search`` ``sent`` entry) before anything is sent; the partners are asked in
parallel, each with a deadline: a partner that is down, slow, or answers unsigned is "no
answer", never a stalled search. Each answer (decision, reasons, result count, the owner's
request id) is logged as it came. Results carry the agency that owns them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError

from ..core.clock import Clock, system_clock
from ..core.errors import InputError, NotFoundError, PeerUnavailableError, SignatureRefused
from ..core.events import PARTNER_ERROR, AuditEvent, AuditSink, EventType, PublicValue
from ..core.identity import Agency, User
from ..core.vehicle import KINDS as VEHICLE_FIELDS
from ..search import SearchForm, SearchOutcome, SearchService, Status, outcome_json
from ..search.body import body_of
from .client import PeerClient
from .peers import Peer, PeerStatus
from .service import Federation
from .wire import (
    POLL_PATH,
    SEARCH_PATH,
    TERMS_PATH,
    WIRE_VERSION,
    Reasoned,
    SearchAnswer,
    Terms,
)

DEFAULT_DEADLINE = 2.0
"""Seconds a partner has to answer one request before it counts as not answering."""
TERMS_TTL = timedelta(seconds=60)


@dataclass(frozen=True)
class PartnerResult:
    """One partner's part of a federated search. ``answered`` is False when it gave no
    (trustworthy) answer in time; ``sent`` is False when the query never left this node."""

    agency: str
    sent: bool
    answered: bool
    status: str
    decision: str = ""
    reasons: tuple[Reasoned, ...] = ()
    results: tuple[dict[str, Any], ...] = ()
    request_id: str | None = None
    expires_at: str | None = None
    note: str = ""

    def json(self) -> dict[str, Any]:
        return {
            "agency": self.agency,
            "sent": self.sent,
            "answered": self.answered,
            "status": self.status,
            "decision": self.decision,
            "reasons": [{"rule": r.rule, "text": r.text} for r in self.reasons],
            "request_id": self.request_id,
            "expires_at": self.expires_at,
            "note": self.note,
            "results": [{**row, "agency": self.agency} for row in self.results],
        }


@dataclass(frozen=True)
class FederatedOutcome:
    local: SearchOutcome
    partners: list[PartnerResult] = field(default_factory=list)

    def json(self, owner_agency_id: str) -> dict[str, Any]:
        """The local outcome (``search.outcome_json``, each sighting with its agency) and,
        under ``partners``, each partner's decision, reasons and sightings."""
        body = outcome_json(self.local)
        body["results"] = [{**row, "agency": owner_agency_id} for row in body["results"]]
        body["partners"] = [p.json() for p in self.partners]
        return body


def parse_partners(text: str | None) -> list[str] | None:
    """``--partners``: ``none`` (or nothing) -> ``[]``, ``all`` -> ``None``, else the ids."""
    if text is None or text.strip().lower() in ("", "none"):
        return []
    if text.strip().lower() == "all":
        return None
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names or len(names) > 64 or any(len(n) > 64 for n in names):
        raise InputError("name partners as none, all or AGENCY[,AGENCY...]", field="--partners")
    return list(dict.fromkeys(names))


class FederatedSearch:
    """A node's searches across its partners (see the module docstring); one per node."""

    def __init__(
        self,
        *,
        federation: Federation,
        search: SearchService,
        audit: AuditSink,
        pseudonym: Callable[[str], str],
        deadline: float = DEFAULT_DEADLINE,
        clock: Clock = system_clock,
    ) -> None:
        self._federation = federation
        self._search = search
        self._audit = audit
        self._pseudonym = pseudonym
        self.deadline = deadline
        self._clock = clock
        self._client = PeerClient(federation, deadline=deadline)
        self._pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="federation")
        self._terms: dict[str, tuple[datetime, frozenset[str]]] = {}
        self._lock = threading.Lock()

    # -- asking -------------------------------------------------------------------------------

    def run(
        self, user: User, agency: Agency, form: SearchForm, partners: list[str] | None
    ) -> FederatedOutcome:
        """Searches this node's data and then (if this node's policy allowed the search) the
        chosen partners' (``None``: every active peer)."""
        local = self._search.request(user, agency, form)
        if partners == []:
            return FederatedOutcome(local)
        chosen, skipped = self._choose(partners)
        if local.status is not Status.COMPLETED:
            note = "not sent: this node's policy did not allow the search (see its decision)"
            return FederatedOutcome(local, [_unsent(p.agency_id, note) for p in chosen] + skipped)
        covered, uncovered = self._covered(chosen, form.purpose.value)
        if not covered:
            return FederatedOutcome(local, uncovered + skipped)
        ask = self._ask_body(user, agency, form, local.request_id)
        self._log_sent(user, local, covered, form)
        answers = self._fan_out(covered, SEARCH_PATH, ask)
        self._log_answers(local.request_id, form.purpose.value, answers)
        return FederatedOutcome(local, answers + uncovered + skipped)

    def poll(self, user: User, partner: str, request_id: str) -> PartnerResult:
        """A held request's state at the partner that holds it (``search fetch --partner``)."""
        peer = self._federation.peers.peer(partner)
        body = {"trustlpr_federation": WIRE_VERSION, "request_id": request_id,
                "user": self._pseudonym(user.id)}  # fmt: skip
        [result] = self._fan_out([peer], POLL_PATH, body)
        self._log_answers(request_id, "", [result])
        return result

    # -- internals ------------------------------------------------------------------------------

    def _choose(self, partners: list[str] | None) -> tuple[list[Peer], list[PartnerResult]]:
        if partners is None:
            return [p for p in self._federation.peers.peers() if p.status is PeerStatus.ACTIVE], []
        chosen: list[Peer] = []
        skipped: list[PartnerResult] = []
        for name in partners:
            try:
                peer = self._federation.peers.peer(name)
            except NotFoundError:
                skipped.append(_unsent(name, "not sent: not a peer of this node"))
                continue
            if peer.status is not PeerStatus.ACTIVE:
                skipped.append(_unsent(name, f"not sent: the peer is {peer.status.value}"))
                continue
            chosen.append(peer)
        return chosen, skipped

    def _covered(self, peers: list[Peer], purpose: str) -> tuple[list[Peer], list[PartnerResult]]:
        """The peers whose agreements grant this agency ``purpose``; the others, unsent."""
        stale = [p for p in peers if not self._fresh_terms(p.agency_id)]
        if stale:
            asked = self._fan_out(stale, TERMS_PATH, {"trustlpr_federation": WIRE_VERSION})
            for peer, answer in zip(stale, asked, strict=True):
                if answer.answered:
                    with self._lock:
                        granted = frozenset(answer.results[0]["purposes"])
                        self._terms[peer.agency_id] = (self._clock(), granted)
        covered: list[Peer] = []
        uncovered: list[PartnerResult] = []
        for peer in peers:
            terms = self._terms.get(peer.agency_id)
            if terms is None:
                uncovered.append(
                    _silent(peer.agency_id, "not sent: its terms could not be read", sent=False)
                )
            elif purpose not in terms[1]:
                note = f"not sent: no agreement of {peer.agency_id} covers {purpose}"
                uncovered.append(_unsent(peer.agency_id, note))
            else:
                covered.append(peer)
        return covered, uncovered

    def _fresh_terms(self, agency_id: str) -> bool:
        with self._lock:
            terms = self._terms.get(agency_id)
        return terms is not None and self._clock() - terms[0] < TERMS_TTL

    def _ask_body(
        self, user: User, agency: Agency, form: SearchForm, request_id: str
    ) -> dict[str, Any]:
        body = body_of(form).model_dump(mode="json")
        query = body["query"]
        for name in (*VEHICLE_FIELDS, "area"):  # absent unless asked: a partner older than
            if query.get(name) is None:  # them accepts every other search (its body forbids
                query.pop(name, None)  # unknown keys)
        body |= {
            "trustlpr_federation": WIRE_VERSION,
            "request_id": request_id,
            "requester": {"agency_id": agency.id, "state": agency.state,
                          "type": agency.type.value, "user": self._pseudonym(user.id),
                          "role": user.role.value},
        }  # fmt: skip
        return body

    def _fan_out(
        self, peers: Iterable[Peer], path: str, body: dict[str, Any]
    ) -> list[PartnerResult]:
        """Each peer asked in parallel; whatever has not answered by the deadline is "no
        answer" (its thread ends at the client's own timeout, the same deadline)."""
        futures: list[tuple[Peer, Future[PartnerResult]]] = [
            (peer, self._pool.submit(self._one, peer, path, body)) for peer in peers
        ]
        wait([f for _, f in futures], timeout=self.deadline + 0.5)
        results = []
        for peer, future in futures:
            if future.done() and future.exception() is None:
                results.append(future.result())
            else:
                results.append(_silent(peer.agency_id, "no answer before the deadline"))
        return results

    def _one(self, peer: Peer, path: str, body: dict[str, Any]) -> PartnerResult:
        try:
            answer = self._client.post(peer, path, body)
        except (PeerUnavailableError, SignatureRefused, InputError) as exc:
            return _silent(peer.agency_id, f"no answer: {exc.message}")
        value = answer.body
        try:
            if path == TERMS_PATH:
                terms = Terms.model_validate(value)
                return PartnerResult(peer.agency_id, True, True, "terms",
                                     results=({"purposes": terms.purposes},))  # fmt: skip
            parsed = SearchAnswer.model_validate(value)
        except ValidationError:
            error = value.get("detail") if isinstance(value, dict) else None
            status, decision, note = _refusal(answer.status, error)
            return PartnerResult(peer.agency_id, True, True, status, decision, note=note)
        if parsed.agency != peer.agency_id:
            return _silent(peer.agency_id, "no answer: the answer names another agency")
        return PartnerResult(
            agency=peer.agency_id, sent=True, answered=True, status=parsed.status,
            decision=parsed.decision, reasons=tuple(parsed.reasons),
            results=tuple(parsed.results), request_id=parsed.request_id,
            expires_at=parsed.expires_at,
        )  # fmt: skip

    def _log_sent(
        self, user: User, local: SearchOutcome, peers: list[Peer], form: SearchForm
    ) -> None:
        """Durably in this node's log before anything leaves."""
        self._audit.append(
            AuditEvent(
                type=EventType.FEDERATION_SEARCH,
                at=self._clock(),
                agency_id=self._federation.owner.id,
                public={
                    "action": "sent",
                    "peers": sorted(p.agency_id for p in peers),
                    "purpose": form.purpose.value,
                    "search_type": form.query.type.value,
                    "request_id": local.request_id,
                },
                private={"user_id": user.id, "pseudonym": self._pseudonym(user.id)},
            )
        )

    def _log_answers(self, request_id: str, purpose: str, answers: list[PartnerResult]) -> None:
        events = []
        for answer in answers:
            public: dict[str, PublicValue] = {
                "action": "answered" if answer.answered else "no_answer",
                "peer_agency": answer.agency,
                "request_id": request_id,
            }
            if purpose:
                public["purpose"] = purpose
            if answer.answered:
                public |= {"decision": answer.decision or None, "status": answer.status,
                           "result_count": len(answer.results),
                           "reasons": sorted({r.rule for r in answer.reasons}),
                           "peer_request_id": answer.request_id}  # fmt: skip
            events.append(
                AuditEvent(
                    type=EventType.FEDERATION_SEARCH,
                    at=self._clock(),
                    agency_id=self._federation.owner.id,
                    public=public,
                    private={"note": answer.note, "reason_texts": [r.text for r in answer.reasons]},
                )
            )
        if events:
            self._audit.append_many(events)

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)
        self._client.close()


def _refusal(status: int, error: object) -> tuple[str, str, str]:
    """A partner's answer that is not a decision, as (status, decision, note). A 422 is its
    node refusing the request's format — ``unsupported`` when it names a field this node sends
    but the partner does not know (an older node, e.g. before attribute searches) — and an
    unreadable body says nothing either: both are decision ``error``, never counted as its
    policy's ``deny``. Any other refusal (403, 404: not this requester's) stays ``deny``."""
    if not error:
        return "error", PARTNER_ERROR, "unreadable answer"
    text = str(error)[:200]
    unknown = "extra inputs are not permitted" in text.lower() or "extra fields" in text.lower()
    if status == 422 and unknown:
        return (
            "unsupported",
            PARTNER_ERROR,
            (
                f"refused (422): the partner's node does not accept this kind of request, likely "
                f"an older version without it; ask its operators to update ({text})"
            ),
        )
    if status == 422:
        return "error", PARTNER_ERROR, f"refused (422): {text}"
    return "refused", "deny", f"refused ({status}): {text}"


def _unsent(agency: str, note: str) -> PartnerResult:
    return PartnerResult(agency, sent=False, answered=True, status="not_sent", note=note)


def _silent(agency: str, note: str, *, sent: bool = True) -> PartnerResult:
    return PartnerResult(agency, sent=sent, answered=False, status="no_answer", note=note)
