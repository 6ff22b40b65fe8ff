"""Hot lists and alerts: import under policy, exact-only alerts, "possible" matches, hit-only mode.

A hit is a lead, not a fact: only plate *and* state equal to an active entry raise an alert;
confusion siblings and other states are "possible — verify". Officers' verdicts are counted.
"""

from .alerts import AlertService
from .buffer import BufferedRead, HitOnlyBuffer
from .delivery import SIGNATURE_HEADER, verify_signature
from .importer import ImportReport, agreement_check
from .matcher import Candidate, HotlistMatcher, Match, Why
from .records import AlertKind, AlertRecord, AlertStats, Verdict
from .service import HotlistService

__all__ = [
    "SIGNATURE_HEADER",
    "AlertKind",
    "AlertRecord",
    "AlertService",
    "AlertStats",
    "BufferedRead",
    "Candidate",
    "HitOnlyBuffer",
    "HotlistMatcher",
    "HotlistService",
    "ImportReport",
    "Match",
    "Verdict",
    "Why",
    "agreement_check",
    "verify_signature",
]
