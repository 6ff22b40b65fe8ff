"""A resident's request for the reads of a vehicle registered in their name.

Where the law in force gives a person that right (the policy lists ``owner_request`` among
its purposes), the node handles it in three steps, each a logged ``owner_request`` entry:

1. **opened** — staff take the request: the plate and issuing state, and what the resident
   showed as proof of registration (e.g. "CT DMV registration no. …, name matches licence").
2. **verified** — an officer or supervisor of the agency checks that proof against the
   registration record and says what they checked.
3. **approved** — a supervisor or admin *independent of the verifier* (not them, not an
   account they created or credentialed, not a token they minted:
   ``trustlpr.identity.independence``) approves; the search then runs at once and its answer
   goes to the approver, who gives it to the resident. Or **refused**, at either step.

The search is fixed by the request, never by a form: the registered plate exactly, reads of
that state only, every camera (but those the policy protects), the non-hit retention window
ending now (``SearchCore.run_owner_request``). The policy judges it like any other search and
the decision is logged before it runs. Open requests lapse (logged ``expired``) after
``max_pending_age``, and never later than a non-hit read of their moment would be kept.
"""

from __future__ import annotations

import secrets
import unicodedata
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from ..core.clock import Clock, system_clock
from ..core.errors import ConflictError, ForbiddenError, InputError, PolicyDenied
from ..core.events import AuditEvent, AuditSink, EventType
from ..core.identity import Role, User
from ..core.plates import US_REGIONS, normalize_plate
from ..core.search import Purpose
from ..identity.roles import SEARCH_ROLES, require_approver, require_role, require_same_agency
from .owner_store import OPEN_STATUSES, OwnerRequest, OwnerRequestStore, OwnerStatus
from .service import DEFAULT_MAX_PENDING_AGE, OwnerAsk, People, SearchCore, SearchOutcome

_WHAT = "approving an own-vehicle request"
VERIFIER_ROLES = (Role.OFFICER, Role.SUPERVISOR)
"""Who checks proof of registration: the investigative roles (the search runs as theirs)."""
MAX_TEXT = 2000


@dataclass(frozen=True)
class OwnerAnswer:
    """A closed request and, if it was approved, the search that answered it."""

    request: OwnerRequest
    outcome: SearchOutcome | None = None


def _text(value: str, field: str, *, least: int = 3) -> str:
    """Free text an auditor will read: trimmed, ``least`` to ``MAX_TEXT`` characters, no
    control or invisible format characters (a hidden character could disguise a note)."""
    if not isinstance(value, str):
        raise InputError("must be text", field=field)
    text = value.strip()
    if len(text) < least or len(text) > MAX_TEXT:
        raise InputError(f"must have {least} to {MAX_TEXT} characters", field=field)
    if any(unicodedata.category(c) in ("Cc", "Cf", "Cs") for c in text):
        raise InputError("contains control or invisible characters", field=field)
    return text


def owner_event(
    request: OwnerRequest,
    action: str,
    at: datetime,
    *,
    agency_id: str,
    actor: str,
    details: Mapping[str, object],
) -> AuditEvent:
    """One step of a request: the public part names the step and the request only; who acted,
    the plate, the proof and notes are private."""
    return AuditEvent(
        type=EventType.OWNER_REQUEST,
        at=at,
        agency_id=agency_id,
        public={"action": action, "request_id": request.request_id},
        private={"actor": actor, **details},
    )


class OwnerRequests:
    """The own-vehicle requests of one node (see the module docstring)."""

    def __init__(
        self,
        *,
        search: SearchCore,
        store: OwnerRequestStore,
        people: People,
        audit: AuditSink,
        owner_agency_id: str,
        permitted: Collection[Purpose],
        policy_name: str,
        retention: timedelta,
        clock: Clock = system_clock,
        max_pending_age: timedelta = DEFAULT_MAX_PENDING_AGE,
    ) -> None:
        self._search = search
        self._store = store
        self._people = people
        self._audit = audit
        self._owner = owner_agency_id
        self._permitted = Purpose.OWNER_REQUEST in permitted
        self._policy = policy_name
        self._clock = clock
        self._lifetime = min(max_pending_age, retention)

    def _log(self, request: OwnerRequest, action: str, actor: str, **details: object) -> int:
        event = owner_event(
            request, action, self._clock(), agency_id=self._owner, actor=actor, details=details
        )
        return self._audit.append(event)

    def _staff(self, user: User, *roles: Role) -> None:
        require_role(user, *roles)
        require_same_agency(user, self._owner)

    # -- the steps ------------------------------------------------------------------------------

    def open(self, staff: User, *, plate: str, state: str, proof: str) -> OwnerRequest:
        """Takes a resident's request (logged ``opened``); nothing is searched yet."""
        self._staff(staff, *SEARCH_ROLES)
        if not self._permitted:
            raise PolicyDenied(
                f"the policy in force ({self._policy}) gives no right to ask for one's own "
                "vehicle's reads",
                reasons=["[owner-request.not-permitted] owner_request is not a permitted purpose"],
            )
        region = state.strip().upper() if isinstance(state, str) else ""
        if region not in US_REGIONS:
            raise InputError(f"{region[:12]!r} is not a US state code", field="state")
        now = self._clock()
        request = OwnerRequest(
            request_id=f"OR-{now:%Y%m%d}-{secrets.randbelow(10**6):06d}",
            status=OwnerStatus.OPENED,
            created_at=now,
            expires_at=now + self._lifetime,
            opened_by=staff.id,
            plate=normalize_plate(plate),
            state=region,
            proof=_text(proof, "proof", least=8),
        )

        def record(opened: OwnerRequest) -> int:
            return self._log(
                opened, "opened", staff.id, plate=opened.plate, state=opened.state,
                proof=opened.proof,
            )  # fmt: skip

        return self._store.add(request, record)

    def verify(self, staff: User, request_id: str, *, note: str) -> OwnerRequest:
        """An officer or supervisor checked the proof of registration (``note``: what they
        checked it against); logged ``verified``."""
        self._staff(staff, *VERIFIER_ROLES)
        checked = _text(note, "note")
        signers = self._people.signers(staff)
        now = self._clock()

        def step(current: OwnerRequest) -> dict[str, object]:
            self._log(current, "verified", staff.id, note=checked)
            return {
                "status": OwnerStatus.VERIFIED,
                "verifier": staff.id,
                "verifier_signers": signers | {staff.id},
                "verified_at": now,
            }

        return self._store.change(
            request_id[:64], expect=frozenset({OwnerStatus.OPENED}), now=now, step=step
        )

    def approve(self, approver: User, request_id: str, *, note: str) -> OwnerAnswer:
        """A second person approves a verified request; its search runs now and the answer
        goes to them. Refused unless the proof was verified and the approver is independent
        of the verifier (the two-person rule)."""
        said = _text(note, "note")
        current = self._store.get(request_id[:64])
        if current.status not in OPEN_STATUSES:
            raise ConflictError(f"own-vehicle request {current.request_id!r} is {current.status}")
        if current.status is OwnerStatus.OPENED or current.verifier is None:
            raise ForbiddenError(
                f"own-vehicle request {current.request_id!r}: the proof of registration has "
                "not been verified; an officer or supervisor checks it first"
            )
        require_approver(approver, current.verifier, self._owner)
        self._people.require_independent(
            current.verifier, current.verifier_signers, approver, what=_WHAT
        )
        verifier = self._people.user(current.verifier)
        agency = self._people.agency(verifier.agency_id)
        answers: list[SearchOutcome] = []

        def step(verified: OwnerRequest) -> dict[str, object]:
            assert verified.plate is not None and verified.state is not None
            self._log(verified, "approved", approver.id, note=said)
            ask = OwnerAsk(
                verified.request_id, verified.plate, verified.state, verifier.id, approver.id
            )
            outcome = self._search.run_owner_request(verifier, agency, ask)
            answers.append(outcome)
            answered = outcome.result_audit_index is not None
            return {
                "status": OwnerStatus.ANSWERED if answered else OwnerStatus.REFUSED,
                "decided_by": approver.id,
                "decided_at": self._clock(),
                "search_id": outcome.request_id,
                "result_count": len(outcome.results),
            }

        closed = self._store.change(
            current.request_id,
            expect=frozenset({OwnerStatus.VERIFIED}),
            now=self._clock(),
            step=step,
        )
        return OwnerAnswer(closed, answers[0])

    def refuse(self, staff: User, request_id: str, *, note: str) -> OwnerRequest:
        """Closes an open request without a search (the proof did not hold, or the approver
        declined); logged ``refused``."""
        self._staff(staff, *SEARCH_ROLES)
        said = _text(note, "note")
        now = self._clock()

        def step(current: OwnerRequest) -> dict[str, object]:
            self._log(current, "refused", staff.id, note=said, stage=current.status.value)
            return {"status": OwnerStatus.REFUSED, "decided_by": staff.id, "decided_at": now}

        return self._store.change(
            request_id[:64],
            expect=frozenset({OwnerStatus.OPENED, OwnerStatus.VERIFIED}),
            now=now,
            step=step,
        )

    # -- reading and lapsing --------------------------------------------------------------------

    def waiting(self, staff: User) -> list[OwnerRequest]:
        """Open requests, for the agency's staff who take the next step."""
        self._staff(staff, *SEARCH_ROLES)
        return self._store.open_requests(self._clock())

    def get(self, staff: User, request_id: str) -> OwnerRequest:
        self._staff(staff, *SEARCH_ROLES)
        return self._store.get(request_id[:64])

    def expire(self, now: datetime | None = None) -> list[OwnerRequest]:
        """Deletes requests past their lifetime, logging ``expired`` for each left open."""
        moment = now or self._clock()

        def record(request: OwnerRequest) -> int:
            return self._log(request, "expired", "", stage=request.status.value)

        return self._store.expire(moment, record)
