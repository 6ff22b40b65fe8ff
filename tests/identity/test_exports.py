"""The public face of ``trustlpr.identity`` grows only on purpose."""

from __future__ import annotations

import trustlpr.identity as identity

EXPECTED = {
    "Attestation", "Commitment", "CreatedToken", "Grantee", "IdentityStore", "IssuedToken",
    "SharingAgreement", "SharingChange", "SharingRegistry", "Status", "TokenInfo",
    "TokenVerifier", "issue_token", "make_attestation", "require_admin", "require_approver",
    "require_auditor", "require_role", "require_same_agency", "require_searcher",
    "require_self_or_admin", "split_token",
}  # fmt: skip


def test_the_exported_names_are_exactly_the_intended_ones() -> None:
    assert set(identity.__all__) == EXPECTED
    for name in identity.__all__:
        assert getattr(identity, name) is not None
