"""Who is calling: the staff user behind the presented bearer token or console cookie."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ..core.identity import Agency, User
from ..identity.presented import SESSION_COOKIE, presented_credential
from .deps import node

__all__ = ["SESSION_COOKIE", "Staff", "staff"]


def staff(request: Request) -> tuple[User, Agency]:
    """FastAPI dependency: the authenticated staff user and their agency."""
    return node(request).identity.authenticate(presented_credential(request))


Staff = Annotated[tuple[User, Agency], Depends(staff)]
