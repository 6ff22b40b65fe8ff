"""Identity: agencies, users, roles, API tokens; sharing agreements between agencies."""

from .tokens import IssuedToken, TokenVerifier, issue_token, split_token

__all__ = ["IssuedToken", "TokenVerifier", "issue_token", "split_token"]
