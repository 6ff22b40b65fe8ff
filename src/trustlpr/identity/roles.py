"""Role checks: each raises ``ForbiddenError`` or returns nothing, so a check cannot fail open.

Callers write ``require_admin(user, agency_id)`` and carry on; there is no boolean to forget to
test. A disabled user fails every check. What each role may do:

========== ==============================================================================
officer    search (within policy), read own requests, manage own API tokens
supervisor what an officer may, plus decide held requests for the agency's data
auditor    read the detailed audit log and oversight reports; never search
admin      manage the agency's users and tokens, agencies, and sharing agreements
========== ==============================================================================

These checks say *who may*; whether a second signature comes from a second person (the
two-person rules) is decided by ``independence`` with what the identity store recorded.
"""

from __future__ import annotations

from ..core.errors import ForbiddenError
from ..core.identity import Role, User

APPROVER_ROLES = frozenset({Role.SUPERVISOR, Role.ADMIN})
"""Roles that may decide a request held for approval (for their own agency's data)."""

SEARCH_ROLES = frozenset({Role.OFFICER, Role.SUPERVISOR, Role.ADMIN})
"""Roles that may ask for a search at all; auditors read the log instead."""


def require_active(user: User) -> None:
    """Refuses a disabled account."""
    if not user.active:
        raise ForbiddenError(f"user {user.id!r} is disabled")


def require_role(user: User, *roles: Role) -> None:
    """Refuses unless ``user`` is active and holds one of ``roles`` (none given: refuse)."""
    require_active(user)
    if user.role not in roles:
        allowed = " or ".join(r.value for r in roles) or "nobody"
        raise ForbiddenError(f"this needs the {allowed} role; user has {user.role.value}")


def require_same_agency(user: User, agency_id: str) -> None:
    """Refuses a user acting on another agency's users, tokens or requests."""
    require_active(user)
    if user.agency_id != agency_id:
        # name who acts: "user belongs to X" read as if the subject did (issue 25 item 7)
        raise ForbiddenError(
            f"{user.id!r} is of agency {user.agency_id!r} and may not act for {agency_id!r}"
        )


def require_admin(user: User, agency_id: str | None = None) -> None:
    """Refuses unless ``user`` is an active admin (of ``agency_id`` when one is given)."""
    require_role(user, Role.ADMIN)
    if agency_id is not None:
        require_same_agency(user, agency_id)


def require_auditor(user: User) -> None:
    """Refuses unless ``user`` may read the detailed (private) audit records."""
    require_role(user, Role.AUDITOR, Role.ADMIN)


def require_searcher(user: User) -> None:
    """Refuses auditors and disabled users: they may not run searches."""
    require_role(user, *SEARCH_ROLES)


def require_second_person(first_user_id: str, second: User) -> None:
    """Refuses when the second signature comes from the first signer (two-person rule)."""
    require_active(second)
    if first_user_id == second.id:
        raise ForbiddenError(
            "two-person rule: the approver must be someone other than the proposer"
        )


def require_approver(approver: User, requester_id: str, owner_agency_id: str) -> None:
    """Refuses unless ``approver`` is a supervisor or admin of the agency that owns the data
    (also for another agency's request: the owner decides who reaches its data) and is not the
    requester: nobody approves their own search."""
    require_role(approver, *APPROVER_ROLES)
    require_same_agency(approver, owner_agency_id)
    require_second_person(requester_id, approver)


def require_self_or_admin(actor: User, subject_id: str, subject_agency_id: str) -> None:
    """Refuses unless ``actor`` is the subject or an admin of the subject's agency."""
    require_active(actor)
    if actor.id == subject_id:
        return
    if actor.role is not Role.ADMIN or actor.agency_id != subject_agency_id:
        raise ForbiddenError(
            f"only {subject_id!r} or an admin of {subject_agency_id!r} may do this; "
            f"{actor.id!r} is {'an admin' if actor.role is Role.ADMIN else 'a user'} of "
            f"{actor.agency_id!r}"
        )
