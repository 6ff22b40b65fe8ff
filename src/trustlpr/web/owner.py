"""Own-vehicle requests API: staff open a resident's request, one checks the proof of
registration, a second (independent) approves and receives the answer to give the resident."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, ConfigDict, Field

from ..search import owner_json
from .auth import Staff
from .deps import OwnerDesk
from .json_body import JsonRoute

router = APIRouter(prefix="/api/v1/owner-requests", tags=["owner requests"], route_class=JsonRoute)


class OpenBody(BaseModel):
    """What the resident asks about and what they showed; nothing else can be asked."""

    model_config = ConfigDict(extra="forbid")
    plate: str = Field(..., max_length=20)
    state: str = Field(..., max_length=8)
    proof: str = Field(..., max_length=2000)


class StepBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str = Field(..., max_length=2000)


@router.post("", status_code=201, summary="Open a resident's own-vehicle request")
def open_request(body: OpenBody, who: Staff, desk: OwnerDesk) -> dict[str, Any]:
    return owner_json(desk.open(who[0], plate=body.plate, state=body.state, proof=body.proof))


@router.get("", summary="Open own-vehicle requests (the agency's staff)")
def waiting(who: Staff, desk: OwnerDesk) -> list[dict[str, Any]]:
    return [owner_json(r) for r in desk.waiting(who[0])]


@router.get("/{request_id}", summary="One own-vehicle request")
def one(request_id: str, who: Staff, desk: OwnerDesk) -> dict[str, Any]:
    return owner_json(desk.get(who[0], request_id))


@router.post("/{request_id}/verify", summary="The proof of registration was checked (officer)")
def verify(request_id: str, body: StepBody, who: Staff, desk: OwnerDesk) -> dict[str, Any]:
    return owner_json(desk.verify(who[0], request_id, note=body.note))


@router.post("/{request_id}/approve", summary="Approve (a second, independent person): runs it")
def approve(request_id: str, body: StepBody, who: Staff, desk: OwnerDesk) -> dict[str, Any]:
    answer = desk.approve(who[0], request_id, note=body.note)
    return owner_json(answer.request, answer)


@router.post("/{request_id}/refuse", summary="Refuse an open request; it never runs")
def refuse(request_id: str, body: StepBody, who: Staff, desk: OwnerDesk) -> dict[str, Any]:
    return owner_json(desk.refuse(who[0], request_id, note=body.note))
