"""Who is calling: the staff user behind the presented bearer token or console cookie."""

from __future__ import annotations

from fastapi import Request

from ..core.identity import Agency, User
from ..identity.presented import SESSION_COOKIE, presented_credential
from .deps import get_system

__all__ = ["SESSION_COOKIE", "staff"]


def staff(request: Request) -> tuple[User, Agency]:
    """FastAPI dependency: the authenticated staff user and their agency."""
    result: tuple[User, Agency] = get_system(request).identity.authenticate(
        presented_credential(request)
    )
    return result
