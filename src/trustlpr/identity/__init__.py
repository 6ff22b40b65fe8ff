"""Identity: agencies, users, roles, API tokens; sharing agreements between agencies."""

from .agreement import (
    Attestation,
    Commitment,
    Grantee,
    SharingAgreement,
    SharingChange,
    Status,
    make_attestation,
)
from .credentials import CreatedToken, TokenInfo
from .roles import (
    require_admin,
    require_approver,
    require_auditor,
    require_role,
    require_same_agency,
    require_searcher,
    require_self_or_admin,
)
from .sharing import SharingRegistry
from .store import IdentityStore
from .tokens import IssuedToken, TokenVerifier, issue_token, split_token

__all__ = [
    "Attestation",
    "Commitment",
    "CreatedToken",
    "Grantee",
    "IdentityStore",
    "IssuedToken",
    "SharingAgreement",
    "SharingChange",
    "SharingRegistry",
    "Status",
    "TokenInfo",
    "TokenVerifier",
    "issue_token",
    "make_attestation",
    "require_admin",
    "require_approver",
    "require_auditor",
    "require_role",
    "require_same_agency",
    "require_searcher",
    "require_self_or_admin",
    "split_token",
]
