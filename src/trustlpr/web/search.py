"""Search API: ask (judged, logged, run); decide held requests (supervisors of the data owner
see the queue and the decision, never the sightings); the requester fetches an approved
request's results (judged and run at that moment)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from ..core.clock import as_utc
from ..core.errors import InputError
from ..core.search import LegalBasis, Purpose, Query, SearchType
from ..policy import warrant_scope_from_json
from ..search import SearchForm, SearchOutcome, Status, held_json, outcome_json
from .auth import Staff
from .deps import Searches
from .json_body import JsonRoute

router = APIRouter(prefix="/api/v1/searches", tags=["search"], route_class=JsonRoute)


class QueryBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    type: SearchType
    plate: str | None = Field(None, max_length=20)
    pattern: str | None = Field(None, max_length=24)
    cameras: list[str] | None = Field(None, max_length=200)
    window_start: AwareDatetime
    window_end: AwareDatetime
    include_variants: bool = False

    @field_validator("window_start", "window_end")
    @classmethod
    def _in_range(cls, moment: datetime, info: ValidationInfo) -> datetime:
        try:
            return as_utc(moment, field=str(info.field_name))
        except InputError as exc:  # pydantic reports a ValueError as this field's 422
            raise ValueError(exc.reason) from None


class WarrantScopeBody(BaseModel):
    """What the warrant or court order authorises (docs/policy.md, "Warrants as legal
    authority"); read by the same parser as ``policy evaluate``'s ``warrant_scope``."""

    model_config = ConfigDict(extra="forbid")
    court: str = Field(min_length=1, max_length=200)
    window_start: AwareDatetime
    window_end: AwareDatetime
    cameras: list[str] | None = Field(None, max_length=200)
    plates: list[str] | None = Field(None, min_length=1, max_length=100)


class SearchBody(BaseModel):
    """A search request. Who asks comes from the credential, never from the body."""

    model_config = ConfigDict(extra="forbid")
    purpose: Purpose
    case_number: str | None = Field(None, max_length=64)
    legal_basis: LegalBasis
    reason: str  # capped by SearchForm (policy.screening.check_reason_length), as everywhere
    offense_code: str | None = Field(None, max_length=64)
    warrant_id: str | None = Field(None, max_length=128)
    protected_plate: bool = False
    warrant_scope: WarrantScopeBody | None = None
    query: QueryBody

    def form(self) -> SearchForm:
        q = self.query
        return SearchForm(
            purpose=self.purpose,
            case_number=self.case_number,
            legal_basis=self.legal_basis,
            reason=self.reason,
            offense_code=self.offense_code,
            warrant_id=self.warrant_id,
            protected_plate=self.protected_plate,
            warrant_scope=warrant_scope_from_json(
                None if self.warrant_scope is None else self.warrant_scope.model_dump(mode="json")
            ),
            query=Query(
                type=q.type,
                plate=q.plate,
                pattern=q.pattern,
                cameras=tuple(q.cameras) if q.cameras is not None else None,
                window_start=q.window_start,
                window_end=q.window_end,
                include_variants=q.include_variants,
            ),
        )


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


@router.post("", summary="Ask for a search; the decision and its reasons come first")
def ask(
    body: SearchBody,
    who: Staff,
    searches: Searches,
) -> JSONResponse:
    user, agency = who
    return _answer(searches.request(user, agency, body.form()))


@router.get("/pending", summary="Held requests I may decide (supervisors of the data owner)")
def pending(who: Staff, searches: Searches) -> list[dict[str, Any]]:
    return [held_json(p) for p in searches.pending(who[0])]


@router.get("/mine", summary="My own held requests: waiting, approved or rejected")
def mine(who: Staff, searches: Searches) -> list[dict[str, Any]]:
    return [held_json(p) for p in searches.mine(who[0])]


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
