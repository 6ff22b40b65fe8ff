"""The governed search: no search runs without an allowed purpose, judged by the data owner's
policy and written durably to the transparency log first. A resident's own-vehicle request
(``owner``) is one such search, reached only through its two-person procedure."""

from .approvals import ApprovalQueue, HeldStatus, PendingSearch
from .held import SearchService
from .owner import OwnerAnswer, OwnerRequests
from .owner_store import OwnerRequest, OwnerRequestStore, OwnerStatus
from .queries import Sighting, compile_pattern, run_query
from .serial import held_json, outcome_json, owner_json
from .service import DEFAULT_MAX_PENDING_AGE, SearchForm, SearchOutcome, Status

__all__ = [
    "DEFAULT_MAX_PENDING_AGE",
    "ApprovalQueue",
    "HeldStatus",
    "OwnerAnswer",
    "OwnerRequest",
    "OwnerRequestStore",
    "OwnerRequests",
    "OwnerStatus",
    "PendingSearch",
    "SearchForm",
    "SearchOutcome",
    "SearchService",
    "Sighting",
    "Status",
    "compile_pattern",
    "held_json",
    "outcome_json",
    "owner_json",
    "run_query",
]
