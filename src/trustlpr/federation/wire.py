"""The federated search on the wire: what a requesting node declares, and how an owner node
answers (docs/federation.md, "The federated search"). Both bodies are JSON, signed (RFC 9421).

An answer is the owner's local search outcome (``search.outcome_json``) with the owner agency
named and each sighting without its ``ref`` (the owner's internal row reference): the same
minimised fields a local searcher sees, nothing more.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..core.identity import AgencyType, Role
from ..search import SearchOutcome, outcome_json
from ..search.body import SearchBody

WIRE_VERSION = 1
SEARCH_PATH = "/federation/v1/search"
POLL_PATH = "/federation/v1/search/poll"
TERMS_PATH = "/federation/v1/terms"

_ID = r"^[a-z0-9][a-z0-9._-]{0,63}$"
_PSEUDONYM = r"^[a-z0-9]{8,64}$"


class Declared(BaseModel):
    """Who asks, as the requesting node declares it: the agency must be the signing peer,
    its state and type those the owner pinned; the user is a pseudonym of the requester's."""

    model_config = ConfigDict(extra="forbid")
    agency_id: str = Field(pattern=_ID)
    state: str = Field(min_length=2, max_length=2)
    type: AgencyType
    user: str = Field(pattern=_PSEUDONYM)
    role: Role


class FederatedAsk(SearchBody):
    """``POST /federation/v1/search``: the requester's declarations and the query."""

    trustlpr_federation: Literal[1]
    request_id: str = Field(pattern=_ID)  # the requester's own id of the search
    requester: Declared


class FederatedPoll(BaseModel):
    """``POST /federation/v1/search/poll``: a held request's state, asked by its requester."""

    model_config = ConfigDict(extra="forbid")
    trustlpr_federation: Literal[1]
    request_id: str = Field(pattern=_ID)  # the owner's id, from its first answer
    user: str = Field(pattern=_PSEUDONYM)


class TermsAsk(BaseModel):
    """``POST /federation/v1/terms``: which purposes the owner's agreements grant the asker."""

    model_config = ConfigDict(extra="forbid")
    trustlpr_federation: Literal[1]


_RULE = r"^[A-Za-z0-9][A-Za-z0-9._:/-]{0,79}$"
"""A policy rule id. A partner's decision, status, rule ids and request id go into this node's
public log, so each must be a code, never free text a partner could fill with a plate or name."""


class Reasoned(BaseModel):
    model_config = ConfigDict(extra="ignore")
    rule: str = Field(pattern=_RULE)
    text: str = Field(max_length=2000)


class SearchAnswer(BaseModel):
    """An owner's answer as the requester reads it (unknown fields ignored)."""

    model_config = ConfigDict(extra="ignore")
    agency: str = Field(pattern=_ID)
    request_id: str = Field(pattern=_ID)
    status: Literal["completed", "denied", "pending_approval", "approved", "rejected", "expired"]
    decision: Literal["allow", "deny", "needs_approval"]
    policy: str = Field("", max_length=80)
    reasons: list[Reasoned] = Field(default_factory=list, max_length=64)
    expires_at: str | None = Field(None, max_length=40)
    results: list[dict[str, Any]] = Field(default_factory=list, max_length=10_000)


class Terms(BaseModel):
    model_config = ConfigDict(extra="ignore")
    agency: str = Field(pattern=_ID)
    purposes: list[str] = Field(default_factory=list, max_length=64)


def answer_json(outcome: SearchOutcome, owner_agency_id: str) -> dict[str, Any]:
    """The owner's answer to a partner (see the module docstring)."""
    body = outcome_json(outcome)
    body["results"] = [{k: v for k, v in row.items() if k != "ref"} for row in body["results"]]
    body["agency"] = owner_agency_id
    body["trustlpr_federation"] = WIRE_VERSION
    return body
