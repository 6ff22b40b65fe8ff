"""The governed search: no search runs without an allowed purpose, judged by the data owner's
policy and written durably to the transparency log first."""

from .approvals import ApprovalQueue, PendingSearch
from .queries import Sighting, compile_pattern, run_query
from .serial import outcome_json
from .service import SearchForm, SearchOutcome, SearchService, Status

__all__ = [
    "ApprovalQueue",
    "PendingSearch",
    "SearchForm",
    "SearchOutcome",
    "SearchService",
    "Sighting",
    "Status",
    "compile_pattern",
    "outcome_json",
    "run_query",
]
