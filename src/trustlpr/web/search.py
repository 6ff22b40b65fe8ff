"""Search API: ask (judged, logged, run); decide held requests (supervisors of the data owner
see the queue and the decision, never the sightings); the requester fetches an approved
request's results (judged and run at that moment)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from ..federation.outbound import parse_partners
from ..search import SearchOutcome, Status, held_json, outcome_json
from ..search.body import SearchBody
from .auth import Staff
from .deps import Federated, Searches
from .json_body import JsonRoute

router = APIRouter(prefix="/api/v1/searches", tags=["search"], route_class=JsonRoute)


class DecisionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str = Field("", max_length=2000)


_STATUS_CODE = {
    Status.COMPLETED: 200,
    Status.APPROVED: 200,
    Status.PENDING: 202,
    Status.DENIED: 403,
    Status.REJECTED: 403,
    Status.EXPIRED: 410,
}


def _answer(outcome: SearchOutcome) -> JSONResponse:
    return JSONResponse(outcome_json(outcome), status_code=_STATUS_CODE[outcome.status])


class AskBody(SearchBody):
    """A search request; ``partners`` (``none``, ``all`` or ``AGENCY,...``) also asks the
    partner nodes whose agreements cover the purpose, once this node's policy allowed it."""

    partners: str | None = Field(None, max_length=2000)


@router.post("", summary="Ask for a search; the decision and its reasons come first")
def ask(body: AskBody, who: Staff, searches: Searches, federated: Federated) -> JSONResponse:
    user, agency = who
    partners = parse_partners(body.partners)
    if partners == []:
        return _answer(searches.request(user, agency, body.form()))
    outcome = federated.run(user, agency, body.form(), partners)
    code = _STATUS_CODE[outcome.local.status]
    return JSONResponse(outcome.json(agency.id), status_code=code)


@router.get("/pending", summary="Held requests I may decide (supervisors of the data owner)")
def pending(who: Staff, searches: Searches) -> list[dict[str, Any]]:
    return [held_json(p) for p in searches.pending(who[0])]


@router.get("/mine", summary="My own held requests: waiting, approved or rejected")
def mine(who: Staff, searches: Searches) -> list[dict[str, Any]]:
    return [held_json(p) for p in searches.mine(who[0])]


@router.get("/partner/{agency_id}/{request_id}", summary="My request held at a partner node")
def fetch_partner(
    agency_id: str, request_id: str, who: Staff, federated: Federated
) -> dict[str, Any]:
    return federated.poll(who[0], agency_id[:64], request_id[:64]).json()


@router.get("/{request_id}", summary="My held request; once approved, judged again and run")
def fetch(request_id: str, who: Staff, searches: Searches) -> JSONResponse:
    return _answer(searches.fetch(who[0], request_id[:64]))


@router.post("/{request_id}/approve", summary="Approve a held request (supervisor)")
def approve(
    request_id: str,
    body: DecisionBody,
    who: Staff,
    searches: Searches,
) -> JSONResponse:
    outcome = searches.decide_pending(who[0], request_id, approve=True, note=body.note)
    return JSONResponse(outcome_json(outcome))  # the decision took effect: 200, no sightings


@router.post("/{request_id}/reject", summary="Reject a held request (supervisor)")
def reject(
    request_id: str,
    body: DecisionBody,
    who: Staff,
    searches: Searches,
) -> JSONResponse:
    outcome = searches.decide_pending(who[0], request_id, approve=False, note=body.note)
    return JSONResponse(outcome_json(outcome))
