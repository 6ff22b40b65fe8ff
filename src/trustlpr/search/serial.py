"""A search outcome as plain JSON: the one shape the API, the console and the CLI show."""

from __future__ import annotations

from typing import Any

from ..core.clock import iso
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
