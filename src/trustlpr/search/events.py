"""The audit events of a search: decided (before anything runs), executed, approval decided.

Public parts carry codes and counts only (purpose, decision, rule ids, search type, the
requesting agency, whether a partner node sent it, whether a warrant backs it, the offense's
class: ``violent_felony`` … ``none``, ``unknown``); who asked, the plate or pattern, the case,
the offense code, the warrant's number and scope and the reason are private,
committed in the public leaf for auditors to open.
"""

from __future__ import annotations

from datetime import datetime

from ..core.clock import iso
from ..core.events import AuditEvent, EventType
from ..core.search import Decision, LegalBasis, SearchRequest
from ..policy import warrant_scope_to_json
from ..policy.offenses import resolve_offense
from .approvals import PendingSearch

PEER_SEPARATOR = "@"
"""Joins a partner's pseudonym and its agency; never in a local account id (``validate_id``)."""


def peer_user_id(pseudonym: str, agency_id: str) -> str:
    """How a partner's user is named here: ``<pseudonym>@<agency>``."""
    return f"{pseudonym}{PEER_SEPARATOR}{agency_id}"


def is_peer_user(user_id: str) -> bool:
    """Whether the requester is a partner node's user (asked over the federation)."""
    return PEER_SEPARATOR in user_id


def decided_event(request: SearchRequest, decision: Decision, owner_id: str) -> AuditEvent:
    """The decision on a request, with its reasons; appended before anything runs."""
    query = request.query
    return AuditEvent(
        type=EventType.SEARCH_DECIDED,
        at=request.now,
        agency_id=owner_id,
        public={
            "purpose": request.purpose.value,
            "decision": decision.outcome.value,
            "reasons": sorted({r.rule for r in decision.reasons}),
            "search_type": query.type.value,
            "requester_agency": request.requester.agency_id,
            "requester_state": request.requester.agency_state,
            "requester_type": request.requester.agency_type.value,
            "out_of_agency": request.requester.agency_id != owner_id,
            "federated": is_peer_user(request.requester.user_id),
            "request_id": request.id,
            "window_hours": max(
                0, int((query.window_end - query.window_start).total_seconds() // 3600)
            ),
            "warrant": warrant_used(request),
            "offense_class": resolve_offense(request.offense_code).kind,
        },
        private={
            "user_id": request.requester.user_id,
            "role": request.requester.role.value,
            "plate": query.plate,
            "state": query.state,
            "pattern": query.pattern,
            "cameras": list(query.cameras) if query.cameras else None,
            "window_start": iso(query.window_start),
            "window_end": iso(query.window_end),
            "case_number": request.case_number,
            "offense_code": request.offense_code,
            "legal_basis": request.legal_basis.value,
            "warrant_id": request.warrant_id,
            "warrant_scope": warrant_scope_to_json(request.warrant_scope),
            "reason": request.reason,
            "reason_texts": [str(r) for r in decision.reasons],
            "protected_plate": request.protected_plate,
        },
    )


def warrant_used(request: SearchRequest) -> bool:
    """Whether a judicial warrant or court order backs the request: what the public log says
    of it (its number, court and scope stay private)."""
    judicial = request.legal_basis in (LegalBasis.WARRANT, LegalBasis.COURT_ORDER)
    return judicial and bool((request.warrant_id or "").strip())


def executed_event(
    request: SearchRequest,
    refs: list[str],
    owner_id: str,
    at: datetime,
    excluded: list[str],
    *,
    withheld: list[str] | None = None,
) -> AuditEvent:
    """One run of an allowed request: how many reads it returned (their refs are private, as
    are those of protected plates' reads it withheld)."""
    return AuditEvent(
        type=EventType.SEARCH_EXECUTED,
        at=at,
        agency_id=owner_id,
        public={
            "search_type": request.query.type.value,
            "purpose": request.purpose.value,
            "requester_agency": request.requester.agency_id,
            "result_count": len(refs),
            "request_id": request.id,
        },
        private={
            "user_id": request.requester.user_id,
            "refs": refs,
            "excluded_cameras": excluded,
            "withheld_protected": withheld or [],
        },
    )


def approval_event(
    held: PendingSearch,
    outcome: str,
    owner_id: str,
    at: datetime,
    *,
    approver: str | None,
    note: str = "",
) -> AuditEvent:
    """A supervisor's decision on a held request (``approved``/``rejected``), or ``expired``
    when nobody decided before it lapsed."""
    request = held.request
    public: dict[str, str] = {"outcome": outcome, "requester_agency": held.agency_id}
    if request is not None:
        public |= {"purpose": request.purpose.value, "search_type": request.query.type.value}
    return AuditEvent(
        type=EventType.APPROVAL_DECIDED,
        at=at,
        agency_id=owner_id,
        public={**public, "request_id": held.request_id},
        private={"approver": approver, "note": note, "requester": held.requester_id},
    )
