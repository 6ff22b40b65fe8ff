"""Held requests: a supervisor of the data owner decides; the requester alone gets the results.

A request the policy holds waits in the approval queue. A supervisor (or admin) of the agency
that owns the data decides it — also for another agency's request — and must be independent of
the requester (``trustlpr.identity.independence``: not the requester, not someone who created
or credentialed them, no shared credential). Deciding is atomic (``ApprovalQueue.decide``):
of two decisions at once exactly one takes effect and is logged.

The supervisor sees the decision, never the sightings. The requester fetches the results of an
approved request (``fetch``), as often as needed until it expires; each fetch is judged again
as of that moment and, if still allowed, run and logged as a ``search_executed`` entry. Results
are never stored. Requests nobody decided expire (``expire_pending``, from the node's purge),
each with an ``approval_decided`` entry of outcome ``expired``.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from ..core.errors import ForbiddenError
from ..core.identity import Role, User
from ..core.search import Decision, Outcome, Reason, SearchRequest
from ..identity.roles import SEARCH_ROLES, require_approver, require_role, require_same_agency
from .approvals import HeldStatus, PendingSearch
from .events import approval_event, is_peer_user, peer_user_id
from .service import SearchCore, SearchOutcome, Status, reason_of

_WHAT = "approving a held search"
_WHAT_SECOND = "a second supervisor's approval of a search returning protected plates"


class SearchService(SearchCore):
    """The governed search of one node (``SearchCore``) with its approval queue."""

    def pending(self, user: User) -> list[PendingSearch]:
        """Requests ``user`` may decide: only supervisors and admins of the data owner see the
        queue, and only requests they are independent of."""
        require_role(user, Role.SUPERVISOR, Role.ADMIN)
        require_same_agency(user, self._owner.id)
        return [p for p in self._approvals.pending(self._clock()) if self._may_decide(user, p)]

    def mine(self, user: User) -> list[PendingSearch]:
        """``user``'s own held requests (waiting, approved or rejected, until they expire)."""
        return self._approvals.of_user(user.id, self._clock())

    def decide_pending(
        self, approver: User, request_id: str, *, approve: bool, note: str = ""
    ) -> SearchOutcome:
        """A supervisor's decision. Approving judges the request as of now and shows that
        decision; the results go to the requester alone (``fetch``)."""
        held = self._approvals.get(request_id)
        self._require_decider(approver, held)
        now = self._clock()
        first_of_two = approve and len(held.approvers) + 1 < held.needed
        outcome = "approved_first" if first_of_two else "approved" if approve else "rejected"

        def record(current: PendingSearch) -> int:
            event = approval_event(
                current, outcome, self._owner.id, now, approver=approver.id, note=note
            )
            return self._audit.append(event)

        decided = self._approvals.decide(
            request_id, approve=approve, now=now, record=record,
            approver=(approver.id, self._people.signers(approver)),
            seen_approvals=len(held.approvers),
        )  # fmt: skip
        index = decided.decision_index if decided.decision_index is not None else -1
        if not approve:
            rejected = self._rejection()
            return SearchOutcome(request_id, Status.REJECTED, rejected, index)
        if first_of_two:
            return SearchOutcome(
                request_id, Status.PENDING, self._held_decision(decided), index,
                expires_at=decided.expires_at,
            )  # fmt: skip
        _, decision = self._judge_again(decided)
        status = Status.APPROVED if decision.outcome is Outcome.ALLOW else Status.DENIED
        return SearchOutcome(request_id, status, decision, index, expires_at=decided.expires_at)

    def fetch(self, user: User, request_id: str) -> SearchOutcome:
        """The requester's view of their held request; an approved one is judged as of now
        and, if still allowed, run — its results go to the requester and nobody else."""
        held = self._approvals.get(request_id)
        if held.requester_id != user.id:
            raise ForbiddenError("only the person who asked may see a search's results")
        require_role(user, *SEARCH_ROLES)
        return self._fetch(held)

    def fetch_for_peer(self, agency_id: str, user_id: str, request_id: str) -> SearchOutcome:
        """A partner's poll of its user's held request (the partner's signature vouches for
        its user): the same judging again and running as ``fetch``."""
        held = self._approvals.get(request_id)
        if held.requester_id != peer_user_id(user_id, agency_id):
            raise ForbiddenError("only the person who asked may see a search's results")
        return self._fetch(held)

    def _fetch(self, held: PendingSearch) -> SearchOutcome:
        request_id = held.request_id
        now = self._clock()
        decision = self._held_decision(held)
        if held.expired(now):
            expired = Decision(
                Outcome.DENY,
                (Reason("approval.expired", "the held request expired before it ran"),),
                self._judge.name,
            )
            return SearchOutcome(request_id, Status.EXPIRED, expired, held.audit_index)
        if held.status is HeldStatus.PENDING:
            return SearchOutcome(
                request_id, Status.PENDING, decision, held.audit_index, expires_at=held.expires_at
            )
        if held.status is HeldStatus.REJECTED or held.request is None:
            return SearchOutcome(request_id, Status.REJECTED, self._rejection(), held.audit_index)
        request, decision = self._judge_again(held)
        if request is None or decision.outcome is not Outcome.ALLOW:
            return SearchOutcome(request_id, Status.DENIED, decision, held.audit_index)
        return self._execute(request, decision, held.audit_index, held=held)

    def expire_pending(self, now: datetime | None = None) -> list[PendingSearch]:
        """Deletes held requests past their expiry as of ``now`` (default: the clock),
        logging each one nobody decided."""
        now = now or self._clock()

        def record(held: PendingSearch) -> int:
            return self._audit.append(
                approval_event(held, "expired", self._owner.id, now, approver=None)
            )

        return self._approvals.expire(now, record)

    # -- internals ------------------------------------------------------------------------------

    def _may_decide(self, user: User, held: PendingSearch) -> bool:
        try:
            self._require_decider(user, held)
        except ForbiddenError:
            return False
        return True

    def _require_decider(self, user: User, held: PendingSearch) -> None:
        """A supervisor of the owner independent of the requester and of every supervisor who
        already approved (the second of two must be a second person too)."""
        require_approver(user, held.requester_id, self._owner.id)
        self._people.require_independent(held.requester_id, held.signers, user, what=_WHAT)
        if held.status is not HeldStatus.PENDING:
            return  # decided already: ``decide`` says so (ConflictError), not a check here
        for approver_id, signers in held.approvers:
            self._people.require_independent(approver_id, signers, user, what=_WHAT_SECOND)

    def _judge_again(self, held: PendingSearch) -> tuple[SearchRequest | None, Decision]:
        """An approved request as of now and the decision on it: current policy, agreements,
        attestations, camera marks, and the requester's account as it is now."""
        if held.request is None:
            return None, self._rejection()
        if is_peer_user(held.requester_id):
            return self._judge_peer_again(held, held.request)
        user = self._people.user(held.requester_id)
        if not user.active or user.role not in SEARCH_ROLES:
            text = "the requester's account may no longer search (disabled or role changed)"
            reason = Reason("requester.inactive", text)
            return None, Decision(Outcome.DENY, (reason,), self._judge.name)
        now = self._clock()
        agency = self._people.agency(user.agency_id)
        request = replace(held.request, now=now, requester=self._requester(user, agency, now))
        return request, self._decide(request, approved=True)

    def _judge_peer_again(
        self, held: PendingSearch, asked: SearchRequest
    ) -> tuple[SearchRequest, Decision]:
        """A partner's request as of now: the partner agency as registered now (its peer
        approval is what the poll's signature proved), its user as the partner declared."""
        now = self._clock()
        agency = self._people.agency(held.agency_id)
        was = asked.requester
        requester = self._requester_of(agency, was.user_id, was.role, now)
        request = replace(asked, now=now, requester=requester)
        return request, self._decide(request, approved=True)

    def _held_decision(self, held: PendingSearch) -> Decision:
        reasons = tuple(reason_of(text, "approval.held") for text in held.reasons)
        return Decision(Outcome.NEEDS_APPROVAL, reasons, self._judge.name)

    def _rejection(self) -> Decision:
        reason = Reason("approval.rejected", "a supervisor rejected the request")
        return Decision(Outcome.DENY, (reason,), self._judge.name)
