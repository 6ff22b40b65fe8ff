"""Search outcomes and held requests as plain JSON: the one shape the API and the CLI show."""

from __future__ import annotations

from typing import Any

from ..core.clock import iso
from ..core.search import WarrantScope
from ..policy import warrant_scope_to_json
from .approvals import PendingSearch
from .owner import OwnerAnswer
from .owner_store import OwnerRequest
from .service import SearchOutcome


def outcome_json(outcome: SearchOutcome) -> dict[str, Any]:
    return {
        "request_id": outcome.request_id,
        "status": outcome.status.value,
        "decision": outcome.decision.outcome.value,
        "policy": outcome.decision.policy,
        "reasons": [{"rule": r.rule, "text": r.text} for r in outcome.decision.reasons],
        "audit_index": outcome.audit_index,
        "result_audit_index": outcome.result_audit_index,
        "expires_at": iso(outcome.expires_at) if outcome.expires_at else None,
        "results": [
            {
                "ref": s.ref,
                "plate": s.plate,
                "state": s.state,
                "observed_at": iso(s.observed_at),
                "camera_id": s.camera_id,
                "lat": s.latitude,
                "lon": s.longitude,
                "direction": s.direction,
                "confidence": s.confidence,
                "make": s.make,
                "colour": s.colour,
                "vehicle_type": s.vehicle_type,
                "hit": s.hit,
            }
            for s in outcome.results
        ],
    }


def held_json(held: PendingSearch) -> dict[str, Any]:
    """A held request as the queue shows it (to those who may decide it, or its requester)."""
    out: dict[str, Any] = {
        "request_id": held.request_id,
        "status": held.status.value,
        "requested_at": iso(held.created_at),
        "expires_at": iso(held.expires_at),
        "user_id": held.requester_id,
        "agency_id": held.agency_id,
        "why_held": held.reasons,
        "audit_index": held.audit_index,
    }
    request = held.request
    if request is not None:
        query = request.query
        out |= {
            "purpose": request.purpose.value,
            "case_number": request.case_number,
            "reason": request.reason,
            "search_type": query.type.value,
            "plate": query.plate,
            "pattern": query.pattern,
            "cameras": list(query.cameras) if query.cameras is not None else None,
            "window_start": iso(query.window_start),
            "window_end": iso(query.window_end),
            "legal_basis": request.legal_basis.value,
            "warrant_id": request.warrant_id,
            "warrant_scope": warrant_scope_json(request.warrant_scope),
        }
    return out


def warrant_scope_json(scope: WarrantScope | None) -> dict[str, Any] | None:
    """What the order behind a held request authorises, for the supervisor judging it: the
    court, window and cameras, and only how many plates it names (the plates it names beyond
    the one searched are not the supervisor's to read)."""
    out = warrant_scope_to_json(scope)
    if out is None:
        return None
    plates = out.pop("plates")
    return out | {"plates_count": None if plates is None else len(plates)}


def owner_json(request: OwnerRequest, answer: OwnerAnswer | None = None) -> dict[str, Any]:
    """An own-vehicle request as staff see it; with the answer once approved (the sightings
    go to the approver, who gives them to the resident)."""
    out: dict[str, Any] = {
        "request_id": request.request_id,
        "status": request.status.value,
        "opened_at": iso(request.created_at),
        "expires_at": iso(request.expires_at),
        "opened_by": request.opened_by,
        "plate": request.plate,
        "state": request.state,
        "proof": request.proof,
        "verifier": request.verifier,
        "verified_at": iso(request.verified_at) if request.verified_at else None,
        "decided_by": request.decided_by,
        "decided_at": iso(request.decided_at) if request.decided_at else None,
        "search_id": request.search_id,
        "result_count": request.result_count,
    }
    if answer is not None and answer.outcome is not None:
        out["answer"] = outcome_json(answer.outcome)
    return out
