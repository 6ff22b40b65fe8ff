"""Protected plates: who the registry protects, and what a policy does with their reads.

An agency keeps a registry of plates whose owners the law (or the agency's safety) protects:
participants of a state address-confidentiality programme, survivors of domestic violence,
sexual assault or stalking, protected officials, undercover vehicles. The jurisdiction policy
says, per category, what happens to a read of such a plate (``ProtectedHandling``).
"""

from __future__ import annotations

from enum import StrEnum


class ProtectedCategory(StrEnum):
    ADDRESS_CONFIDENTIALITY = "address_confidentiality"
    SURVIVOR = "survivor"
    PROTECTED_OFFICIAL = "protected_official"
    UNDERCOVER = "undercover"


class ProtectedHandling(StrEnum):
    """``not_recorded``: a read is dropped at ingest, before the hot lists and the store (only
    counted). ``second_supervisor``: reads are kept, but a search that would return one waits
    for two supervisors, and they never reach another agency."""

    NOT_RECORDED = "not_recorded"
    SECOND_SUPERVISOR = "second_supervisor"
