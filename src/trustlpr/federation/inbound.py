"""The owner's side of the federated search: a partner's signed request, judged by this node.

The signature (``Federation.verify_request``) says which pinned peer asks; the declarations
must name that peer's agency with the state and type this node pinned (a node asks for itself
only: nothing is forwarded on another's behalf). Then the request goes to this node's governed
search as it is — the same policy, sharing-agreement check, durable log entry before anything
runs, supervisor queue and minimised results as a local search (``request_for_peer``): there
is no second decision path.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from ..core.errors import ForbiddenError
from ..core.identity import Agency
from ..core.search import Purpose
from ..identity.agreement import SharingAgreement
from ..search import SearchOutcome, SearchService
from .peers import Peer
from .wire import Declared, FederatedAsk, FederatedPoll


class Agreements(Protocol):
    """What the desk needs of the sharing registry (``trustlpr.identity``)."""

    def agreements(
        self, owner_agency_id: str, at: datetime | None = None
    ) -> list[SharingAgreement]: ...


class People(Protocol):
    def agency(self, agency_id: str) -> Agency: ...


class SearchDesk:
    """Answers partners' searches for this node's data; built once in ``runtime``."""

    def __init__(
        self, *, owner: Agency, search: SearchService, people: People, agreements: Agreements
    ) -> None:
        self._owner = owner
        self._search = search
        self._people = people
        self._agreements = agreements

    def ask(self, peer: Peer, body: FederatedAsk) -> SearchOutcome:
        agency = self._agency(peer, body.requester)
        who = body.requester
        return self._search.request_for_peer(agency, who.user, who.role, body.form())

    def poll(self, peer: Peer, body: FederatedPoll) -> SearchOutcome:
        return self._search.fetch_for_peer(peer.agency_id, body.user, body.request_id)

    def terms(self, peer: Peer, now: datetime) -> list[str]:
        """The purposes this node's agreements in force grant ``peer`` (its own terms only)."""
        agency = self._people.agency(peer.agency_id)
        granted: set[Purpose] = set()
        for agreement in self._agreements.agreements(self._owner.id, now):
            if agreement.covers(agency):
                granted |= agreement.purposes
        return sorted(p.value for p in granted)

    def _agency(self, peer: Peer, declared: Declared) -> Agency:
        if declared.agency_id != peer.agency_id:
            raise ForbiddenError(
                "the requesting agency must be the node that signed: a node asks for itself only"
            )
        if (declared.state, declared.type) != (peer.state, peer.type):
            raise ForbiddenError(
                "the declared state or agency type is not the one this node pinned for the peer"
            )
        return self._people.agency(peer.agency_id)
