"""Finding the credential a caller presented: ``Authorization: Bearer`` or the console cookie.

Duck-typed on anything with ``headers`` and ``cookies`` mappings (a Starlette request), so
the identity layer needs no web framework.
"""

from __future__ import annotations

from typing import Any

from ..core.errors import AuthError

SESSION_COOKIE = "trustlpr_session"


def presented_credential(request: Any) -> str:
    """The presented token; ``AuthError`` when there is none or it is malformed."""
    header = request.headers.get("authorization", "")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise AuthError("Authorization must be 'Bearer <token>'")
        return str(token.strip())
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        return str(cookie)
    raise AuthError("sign in, or send 'Authorization: Bearer <token>'")
