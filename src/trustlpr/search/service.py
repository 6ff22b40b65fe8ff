"""The governed search: authenticate → decide → audit (durable) → run → minimise → audit.

Nothing reaches the read store before the decision, with its reasons, is durably in the
transparency log; the result count follows once the query ran. The data owner's policy
judges every request, including other agencies'; those also need a sharing agreement in
force that covers the purpose. Requests the policy holds wait for a supervisor of the
requester's own agency.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from ..core.clock import Clock, iso, system_clock
from ..core.errors import PolicyDenied
from ..core.events import AuditEvent, AuditSink, EventType
from ..core.identity import Agency, User
from ..core.search import (
    Decision,
    LegalBasis,
    Outcome,
    Purpose,
    Query,
    Reason,
    Requester,
    SearchRequest,
)
from ..identity.roles import require_approver, require_searcher
from ..policy.screening import check_reason_length
from ..store import ReadStore
from .approvals import ApprovalQueue, PendingSearch
from .queries import Sighting, checked_query, run_query


class Judge(Protocol):
    """What the search needs of the policy engine (``trustlpr.policy.PolicyEngine``)."""

    def decide(self, request: SearchRequest, *, approved: bool = False) -> Decision: ...


class Sharing(Protocol):
    """What the search needs of the sharing registry (``trustlpr.identity``)."""

    def attestation_on_file(self, owner_agency_id: str, grantee: Agency, at: datetime) -> bool: ...

    def require_agreement(
        self, owner_agency_id: str, grantee: Agency, purpose: Purpose, at: datetime
    ) -> object: ...


def _reason_of(text: str) -> Reason:
    """A ``Reason`` back from its ``"[rule] text"`` form."""
    if text.startswith("[") and "] " in text:
        rule, _, rest = text[1:].partition("] ")
        return Reason(rule, rest)
    return Reason("sharing.agreement", text)


class Status(StrEnum):
    COMPLETED = "completed"
    DENIED = "denied"
    PENDING = "pending_approval"
    REJECTED = "rejected"


@dataclass(frozen=True)
class SearchForm:
    """What a person asks for; who asks comes from authentication, never from the form."""

    purpose: Purpose
    case_number: str | None
    legal_basis: LegalBasis
    reason: str
    query: Query
    offense_code: str | None = None
    warrant_id: str | None = None
    protected_plate: bool = False

    def __post_init__(self) -> None:
        check_reason_length(self.reason)  # the one cap, whichever face built the form


@dataclass(frozen=True)
class SearchOutcome:
    request_id: str
    status: Status
    decision: Decision
    audit_index: int
    results: list[Sighting] = field(default_factory=list)
    result_audit_index: int | None = None


class SearchService:
    def __init__(
        self,
        *,
        owner: Agency,
        store: ReadStore,
        judge: Judge,
        audit: AuditSink,
        sharing: Sharing,
        approvals: ApprovalQueue,
        clock: Clock = system_clock,
    ) -> None:
        self._owner = owner
        self._store = store
        self._judge = judge
        self._audit = audit
        self._sharing = sharing
        self._approvals = approvals
        self._clock = clock

    # -- asking ---------------------------------------------------------------------------------

    def request(self, user: User, agency: Agency, form: SearchForm) -> SearchOutcome:
        """Judges, logs and (if allowed) runs one search. Denials are outcomes, not errors."""
        require_searcher(user)
        query = checked_query(form.query)
        now = self._clock()
        outside = agency.id != self._owner.id
        request = SearchRequest(
            id=f"s-{secrets.token_hex(8)}",
            requester=Requester(
                agency_id=agency.id,
                agency_state=agency.state,
                agency_type=agency.type,
                user_id=user.id,
                role=user.role,
                attestation_on_file=outside
                and self._sharing.attestation_on_file(self._owner.id, agency, now),
            ),
            purpose=form.purpose,
            offense_code=form.offense_code,
            case_number=form.case_number,
            legal_basis=form.legal_basis,
            warrant_id=form.warrant_id,
            reason=form.reason,
            query=query,
            now=now,
            protected_plate=form.protected_plate,
            owner_agency_id=self._owner.id,
        )
        decision = self._judge.decide(request)
        if outside and decision.outcome is not Outcome.DENY:
            decision = self._check_agreement(agency, request, decision)
        index = self._audit.append(self._decided_event(request, decision))
        if decision.outcome is Outcome.DENY:
            return SearchOutcome(request.id, Status.DENIED, decision, index)
        if decision.outcome is Outcome.NEEDS_APPROVAL:
            self._approvals.add(request, index, [str(r) for r in decision.reasons])
            return SearchOutcome(request.id, Status.PENDING, decision, index)
        return self._execute(request, decision, index)

    def _check_agreement(
        self, agency: Agency, request: SearchRequest, decision: Decision
    ) -> Decision:
        try:
            self._sharing.require_agreement(self._owner.id, agency, request.purpose, request.now)
        except PolicyDenied as denied:
            reasons = tuple(_reason_of(text) for text in denied.reasons)
            # "permit: all rules passed" is no longer true of the request as a whole
            kept = tuple(r for r in decision.reasons if r.rule != "permit")
            return replace(decision, outcome=Outcome.DENY, reasons=kept + reasons)
        return decision

    # -- approving ------------------------------------------------------------------------------

    def pending(self, user: User) -> list[PendingSearch]:
        """Requests a supervisor of ``user``'s agency may decide."""
        return [
            p
            for p in self._approvals.pending(user.agency_id)
            if p.request.requester.user_id != user.id
        ]

    def decide_pending(
        self, approver: User, request_id: str, *, approve: bool, note: str = ""
    ) -> SearchOutcome:
        """A supervisor's decision; an approved request is judged again and, if allowed, run."""
        pending = self._approvals.get(request_id)
        request = pending.request
        require_approver(approver, request.requester.user_id, request.requester.agency_id)
        now = self._clock()
        outcome_code = "approved" if approve else "rejected"
        index = self._audit.append(
            AuditEvent(
                type=EventType.APPROVAL_DECIDED,
                at=now,
                agency_id=self._owner.id,
                public={
                    "outcome": outcome_code,
                    "purpose": request.purpose.value,
                    "search_type": request.query.type.value,
                    "requester_agency": request.requester.agency_id,
                    "request_id": request.id,
                },
                private={
                    "approver": approver.id,
                    "note": note,
                    "requester": request.requester.user_id,
                },
            )
        )
        self._approvals.remove(request_id)
        if not approve:
            rejected = Decision(
                Outcome.DENY,
                (Reason("approval.rejected", "a supervisor rejected the request"),),
                policy=getattr(self._judge, "name", ""),
            )
            return SearchOutcome(request.id, Status.REJECTED, rejected, index)
        decision = self._judge.decide(request, approved=True)
        if decision.outcome is not Outcome.ALLOW:
            return SearchOutcome(request.id, Status.DENIED, decision, index)
        return self._execute(request, decision, index)

    # -- running --------------------------------------------------------------------------------

    def _execute(self, request: SearchRequest, decision: Decision, index: int) -> SearchOutcome:
        results = run_query(self._store, request.query)
        done = self._audit.append(
            AuditEvent(
                type=EventType.SEARCH_EXECUTED,
                at=self._clock(),
                agency_id=self._owner.id,
                public={
                    "search_type": request.query.type.value,
                    "purpose": request.purpose.value,
                    "requester_agency": request.requester.agency_id,
                    "result_count": len(results),
                    "request_id": request.id,
                },
                private={"user_id": request.requester.user_id, "refs": [r.ref for r in results]},
            )
        )
        return SearchOutcome(request.id, Status.COMPLETED, decision, index, results, done)

    def _decided_event(self, request: SearchRequest, decision: Decision) -> AuditEvent:
        query = request.query
        return AuditEvent(
            type=EventType.SEARCH_DECIDED,
            at=request.now,
            agency_id=self._owner.id,
            public={
                "purpose": request.purpose.value,
                "decision": decision.outcome.value,
                "reasons": sorted({r.rule for r in decision.reasons}),
                "search_type": query.type.value,
                "requester_agency": request.requester.agency_id,
                "requester_state": request.requester.agency_state,
                "requester_type": request.requester.agency_type.value,
                "out_of_agency": request.requester.agency_id != self._owner.id,
                "request_id": request.id,
                "window_hours": max(
                    0, int((query.window_end - query.window_start).total_seconds() // 3600)
                ),
            },
            private={
                "user_id": request.requester.user_id,
                "role": request.requester.role.value,
                "plate": query.plate,
                "pattern": query.pattern,
                "cameras": list(query.cameras) if query.cameras else None,
                "window_start": iso(query.window_start),
                "window_end": iso(query.window_end),
                "case_number": request.case_number,
                "offense_code": request.offense_code,
                "legal_basis": request.legal_basis.value,
                "warrant_id": request.warrant_id,
                "reason": request.reason,
                "reason_texts": [str(r) for r in decision.reasons],
                "protected_plate": request.protected_plate,
            },
        )
