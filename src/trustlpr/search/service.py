"""The governed search: authenticate → decide → audit (durable) → run → minimise → audit.

Nothing reaches the read store before the decision, with its reasons, is durably in the
transparency log; the result count follows once the query ran. The data owner's policy
judges every request, including other agencies'; those also need a sharing agreement in
force that covers the purpose. Every run is judged when it runs: a held request is judged
again — with the agreements, attestations, policy, camera marks and time of that moment, and
the requester's current account — when a supervisor decides it and when its requester fetches
the results (``held``). A search that names no cameras reaches every camera but those at
places the policy protects; naming one of those puts the search under the sensitive-place rule.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Protocol

from ..core.clock import Clock, system_clock
from ..core.errors import ConfigError, ForbiddenError, PolicyDenied
from ..core.events import AuditSink
from ..core.identity import Agency, Role, User
from ..core.plates import mask_plate
from ..core.protected import ProtectedHandling
from ..core.search import (
    Decision,
    LegalBasis,
    Outcome,
    Purpose,
    Query,
    Reason,
    Requester,
    SearchRequest,
    SearchType,
    WarrantScope,
)
from ..identity.roles import SEARCH_ROLES, require_searcher
from ..policy.screening import check_reason_length
from ..store import ReadStore
from .approvals import ApprovalQueue, PendingSearch
from .events import decided_event, executed_event, peer_user_id
from .queries import Sighting, checked_query, run_query

DEFAULT_MAX_PENDING_AGE = timedelta(days=3)
"""How long a held request may wait to be decided and fetched (``approval_max_age``)."""


class Judge(Protocol):
    """What the search needs of the policy engine (``trustlpr.policy.PolicyEngine``)."""

    @property
    def name(self) -> str: ...

    def decide(self, request: SearchRequest, *, approved: bool = False) -> Decision: ...

    def protected_cameras(self) -> Mapping[str, str]: ...


class Sharing(Protocol):
    """What the search needs of the sharing registry (``trustlpr.identity``)."""

    def attestation_on_file(self, owner_agency_id: str, grantee: Agency, at: datetime) -> bool: ...

    def require_agreement(
        self, owner_agency_id: str, grantee: Agency, purpose: Purpose, at: datetime
    ) -> object: ...


class People(Protocol):
    """What the search needs of the identity store: accounts as they are now, and the
    two-person check (``trustlpr.identity.IdentityStore``)."""

    def user(self, user_id: str) -> User: ...

    def agency(self, agency_id: str) -> Agency: ...

    def signers(self, user: User) -> frozenset[str]: ...

    def require_independent(
        self, first_user_id: str, first_signers: frozenset[str], second: User, *, what: str
    ) -> None: ...


class Protected(Protocol):
    """What the search needs of the protected-plates registry (``trustlpr.protected``)."""

    def handling_of(self, plate: str, at: datetime | None = None) -> ProtectedHandling | None: ...


class _Unprotected:
    """No registry: nothing is protected (library use and tests of other parts)."""

    def handling_of(self, plate: str, at: datetime | None = None) -> ProtectedHandling | None:
        return None


PROTECTED_APPROVALS = 2
"""Supervisors who must approve a search that would return a protected plate."""
PROTECTED_RULE = "approval.protected-plate"
_PROTECTED_TEXT = (
    "the search would return a plate the agency protects; two supervisors must approve it"
)


def reason_of(text: str, fallback: str) -> Reason:
    """A ``Reason`` back from its ``"[rule] text"`` form (``fallback`` rule if it has none)."""
    if text.startswith("[") and "] " in text:
        rule, _, rest = text[1:].partition("] ")
        return Reason(rule, rest)
    return Reason(fallback, text)


class Status(StrEnum):
    COMPLETED = "completed"
    DENIED = "denied"
    PENDING = "pending_approval"
    APPROVED = "approved"
    REJECTED = "rejected"
    EXPIRED = "expired"


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
    warrant_scope: WarrantScope | None = None

    def __post_init__(self) -> None:
        check_reason_length(self.reason)  # the one cap, whichever face built the form


OWNER_REASON = (
    "registered owner asks for the reads of their own vehicle; proof of registration checked "
    "by one staff member, request approved by a second"
)


@dataclass(frozen=True)
class OwnerAsk:
    """An approved own-vehicle request as the search needs it: the request's id (its case
    number), the registered plate and state, who verified the proof and who approved."""

    case_number: str
    plate: str
    state: str
    verifier_id: str
    approver_id: str

    def __repr__(self) -> str:
        return f"OwnerAsk({self.case_number!r}, plate={mask_plate(self.plate)!r})"


@dataclass(frozen=True)
class SearchOutcome:
    request_id: str
    status: Status
    decision: Decision
    audit_index: int
    results: list[Sighting] = field(default_factory=list)
    result_audit_index: int | None = None
    expires_at: datetime | None = None


class SearchCore:
    """Asking and running; ``SearchService`` adds the held requests' life cycle."""

    def __init__(
        self,
        *,
        owner: Agency,
        store: ReadStore,
        judge: Judge,
        audit: AuditSink,
        sharing: Sharing,
        people: People,
        approvals: ApprovalQueue,
        clock: Clock = system_clock,
        nonhit_retention: timedelta | None = None,
        max_pending_age: timedelta = DEFAULT_MAX_PENDING_AGE,
        protected: Protected | None = None,
    ) -> None:
        self._owner = owner
        self._store = store
        self._judge = judge
        self._audit = audit
        self._sharing = sharing
        self._people = people
        self._approvals = approvals
        self._clock = clock
        self._nonhit_retention = nonhit_retention
        self._max_pending_age = max_pending_age
        self._protected: Protected = protected or _Unprotected()

    # -- asking ---------------------------------------------------------------------------------

    def request(self, user: User, agency: Agency, form: SearchForm) -> SearchOutcome:
        """Judges, logs and (if allowed) runs one search. Denials are outcomes, not errors."""
        require_searcher(user)
        now = self._clock()
        requester = self._requester(user, agency, now)
        return self._ask(requester, form, now, lambda: self._people.signers(user), user)

    def request_for_peer(
        self, agency: Agency, user_id: str, role: Role, form: SearchForm
    ) -> SearchOutcome:
        """A partner node's request, judged exactly as a local one (the same policy, agreement
        check, log entries and minimised results). ``agency`` is the signing peer as this
        node registered it; ``user_id`` is the partner's pseudonym for its user, kept as
        ``<pseudonym>@<agency>`` so it can never be mistaken for one of our accounts."""
        if role not in SEARCH_ROLES:
            raise ForbiddenError(f"a {role.value} may not ask for searches")
        now = self._clock()
        requester = self._requester_of(agency, peer_user_id(user_id, agency.id), role, now)
        return self._ask(requester, form, now, frozenset, None)

    def judge_for_peer(
        self, agency: Agency, user_id: str, role: Role, form: SearchForm
    ) -> Decision:
        """How this node would judge ``form`` asked by partner ``agency`` — its policy and
        its agreements, as for ``request_for_peer`` — without logging or running anything:
        the check before this node tells a partner something unasked (a hit on the partner's
        shared hot list, ``federation.hotlist_subscribe``; the caller logs what it does)."""
        now = self._clock()
        requester = self._requester_of(agency, peer_user_id(user_id, agency.id), role, now)
        request = SearchRequest(
            id=f"d-{secrets.token_hex(8)}", requester=requester, purpose=form.purpose,
            offense_code=form.offense_code, case_number=form.case_number,
            legal_basis=form.legal_basis, warrant_id=form.warrant_id,
            warrant_scope=form.warrant_scope, reason=form.reason,
            query=checked_query(form.query), now=now, owner_agency_id=self._owner.id,
        )  # fmt: skip
        return self._decide(request)

    def _ask(
        self,
        requester: Requester,
        form: SearchForm,
        now: datetime,
        signers: Callable[[], frozenset[str]],
        asker: User | None,
    ) -> SearchOutcome:
        """Judges, logs and runs a request; ``signers`` (who could be behind it) is asked
        only when the request is held; ``asker`` is the signed-in local user, if any."""
        query = checked_query(form.query)
        # The registry, not the officer, says whether the plate asked for is protected: only
        # the owner's own people learn it (through the hold); others never reach its reads.
        registered = (
            requester.agency_id == self._owner.id
            and query.plate is not None
            and self._protected.handling_of(query.plate, now) is not None
        )
        request = SearchRequest(
            id=f"s-{secrets.token_hex(8)}",
            requester=requester,
            purpose=form.purpose,
            offense_code=form.offense_code,
            case_number=form.case_number,
            legal_basis=form.legal_basis,
            warrant_id=form.warrant_id,
            warrant_scope=form.warrant_scope,
            reason=form.reason,
            query=query,
            now=now,
            protected_plate=form.protected_plate or registered,
            owner_agency_id=self._owner.id,
        )
        decision = self._decide(request)
        index = self._audit.append(decided_event(request, decision, self._owner.id))
        if decision.outcome is Outcome.DENY:
            return SearchOutcome(request.id, Status.DENIED, decision, index)
        if decision.outcome is Outcome.NEEDS_APPROVAL:
            if registered and not any(r.rule == PROTECTED_RULE for r in decision.reasons):
                decision = replace(
                    decision, reasons=(*decision.reasons, Reason(PROTECTED_RULE, _PROTECTED_TEXT))
                )
            held = self._approvals.add(
                request,
                index,
                [str(r) for r in decision.reasons],
                signers=signers(),
                expires_at=self._expiry(request),
                needed=PROTECTED_APPROVALS if registered else 1,
            )
            return SearchOutcome(
                request.id, Status.PENDING, decision, index, expires_at=held.expires_at
            )
        return self._execute(request, decision, index, asker=asker)

    def _requester(self, user: User, agency: Agency, now: datetime) -> Requester:
        return self._requester_of(agency, user.id, user.role, now)

    def _requester_of(self, agency: Agency, user_id: str, role: Role, now: datetime) -> Requester:
        outside = agency.id != self._owner.id
        return Requester(
            agency_id=agency.id,
            agency_state=agency.state,
            agency_type=agency.type,
            user_id=user_id,
            role=role,
            attestation_on_file=outside
            and self._sharing.attestation_on_file(self._owner.id, agency, now),
        )

    def _decide(self, request: SearchRequest, *, approved: bool = False) -> Decision:
        """The owner's policy, then (for another agency) the sharing agreement, as of
        ``request.now``; an allowed or held search over all cameras says which it leaves out."""
        decision = self._judge.decide(request, approved=approved)
        if request.requester.agency_id != self._owner.id:
            try:
                self._sharing.require_agreement(
                    self._owner.id, self._people.agency(request.requester.agency_id),
                    request.purpose, request.now,
                )  # fmt: skip
            except PolicyDenied as denied:
                # a denial names every ground: the policy's and the missing agreement
                reasons = tuple(reason_of(text, "sharing.agreement") for text in denied.reasons)
                # "permit: all rules passed" is no longer true of the request as a whole
                kept = tuple(r for r in decision.reasons if r.rule != "permit")
                return replace(decision, outcome=Outcome.DENY, reasons=kept + reasons)
        if decision.outcome is Outcome.DENY:
            return decision
        left_out = self._left_out(request.query)
        if left_out:
            kinds = ", ".join(sorted(set(left_out.values())))
            note = Reason(
                "sensitive.excluded",
                f"{len(left_out)} camera(s) at places the policy protects ({kinds}) are left "
                "out; name them to search them under the sensitive-place rule",
            )
            decision = replace(decision, reasons=(*decision.reasons, note))
        return decision

    def _left_out(self, query: Query) -> Mapping[str, str]:
        """The cameras a search over all cameras does not reach (none if it names cameras)."""
        return self._judge.protected_cameras() if query.cameras is None else {}

    def _expiry(self, request: SearchRequest) -> datetime:
        """When a held request lapses: ``max_pending_age`` after it was made, and never later
        than a non-hit read of its moment would be kept (the plate it names is no less
        private than a read)."""
        age = self._max_pending_age
        if self._nonhit_retention is not None:
            age = min(age, self._nonhit_retention)
        return request.now + age

    # -- own-vehicle requests -------------------------------------------------------------------

    def run_owner_request(self, verifier: User, agency: Agency, ask: OwnerAsk) -> SearchOutcome:
        """The search of an own-vehicle request a second person approved (only
        ``trustlpr.search.owner`` calls this, after its proof and independence checks): the
        registered plate and state exactly, every camera, the non-hit retention window ending
        now. The policy judges it like any other search (``owner_request`` must be one of its
        purposes) and it is logged before it runs; nothing of the form can widen it."""
        require_searcher(verifier)
        if verifier.id != ask.verifier_id or ask.approver_id == ask.verifier_id:
            raise ForbiddenError("an own-vehicle request needs its verifier and a second person")
        if self._nonhit_retention is None:
            raise ConfigError("own-vehicle requests need the node's non-hit retention window")
        now = self._clock()
        query = checked_query(
            Query(
                SearchType.EXACT, now - self._nonhit_retention, now, plate=ask.plate,
                state=ask.state,
            )
        )  # fmt: skip
        request = SearchRequest(
            id=f"s-{secrets.token_hex(8)}",
            requester=self._requester(verifier, agency, now),
            purpose=Purpose.OWNER_REQUEST,
            offense_code=None,
            case_number=ask.case_number,
            legal_basis=LegalBasis.CONSENT,
            warrant_id=None,
            reason=OWNER_REASON,
            query=query,
            now=now,
            owner_agency_id=self._owner.id,
            owner_verified=True,
        )
        decision = self._decide(request, approved=True)
        index = self._audit.append(decided_event(request, decision, self._owner.id))
        if decision.outcome is not Outcome.ALLOW:
            return SearchOutcome(request.id, Status.DENIED, decision, index)
        return self._execute(request, decision, index)

    # -- running --------------------------------------------------------------------------------

    def _execute(
        self,
        request: SearchRequest,
        decision: Decision,
        index: int,
        *,
        held: PendingSearch | None = None,
        asker: User | None = None,
    ) -> SearchOutcome:
        """Runs an allowed request (``asker``: who asked, signed in, for a fresh one).

        Sightings of protected plates leave only to the owner's own people and only once two
        supervisors approved (``held.cleared_by_two``); another agency never gets them
        (silently: it cannot tell them from reads that do not exist), and an own request that
        found them waits for its supervisors instead."""
        left_out = self._left_out(request.query)
        results = run_query(self._store, request.query, excluded=left_out.keys())
        now = self._clock()
        outside = request.requester.agency_id != self._owner.id
        cleared = held is not None and held.cleared_by_two and not outside
        withheld = [] if cleared else [r for r in results if self._is_protected(r.plate, now)]
        if withheld:
            results = [r for r in results if r not in withheld]
        delivered = [] if withheld and not outside else results
        done = self._audit.append(
            executed_event(
                request, [r.ref for r in delivered], self._owner.id, now, sorted(left_out),
                withheld=[r.ref for r in withheld],
            )
        )  # fmt: skip
        if withheld and not outside:
            return self._hold_protected(request, decision, index, held, asker)
        return SearchOutcome(request.id, Status.COMPLETED, decision, index, delivered, done)

    def _is_protected(self, plate: str, now: datetime) -> bool:
        return self._protected.handling_of(plate, now) is not None

    def _hold_protected(
        self,
        request: SearchRequest,
        decision: Decision,
        index: int,
        held: PendingSearch | None,
        asker: User | None,
    ) -> SearchOutcome:
        """An own request whose results hold a protected plate: held for two supervisors (a
        supervisor who already approved it counts as the first)."""
        reason = Reason(PROTECTED_RULE, _PROTECTED_TEXT)
        reasons = (*(r for r in decision.reasons if r.rule != "permit"), reason)
        waiting = Decision(Outcome.NEEDS_APPROVAL, reasons, decision.policy)
        if held is not None:
            again = self._approvals.escalate(request.id, needed=PROTECTED_APPROVALS)
        else:
            again = self._approvals.add(
                request, index, [str(r) for r in reasons],
                signers=self._people.signers(asker) if asker else frozenset(),
                expires_at=self._expiry(request), needed=PROTECTED_APPROVALS,
            )  # fmt: skip
        return SearchOutcome(
            request.id, Status.PENDING, waiting, index, expires_at=again.expires_at
        )
