"""Sign-in, session cookie and cross-site request protection for the staff console.

The session is the identity store's console token in an ``HttpOnly; SameSite=Strict`` cookie
(``trustlpr_session``), so scripts cannot read it and other sites cannot send it. Every form
post is also checked twice against cross-site forgery: a double-submit token (a random value
in its own cookie, repeated in a hidden form field, compared in constant time) and the
``Origin`` / ``Sec-Fetch-Site`` headers browsers attach, which must name this site.
"""

from __future__ import annotations

import hmac
import secrets

from fastapi import Request, Response
from starlette.datastructures import FormData

from ..core.errors import AuthError, ForbiddenError
from ..core.identity import Agency, User
from ..identity.presented import SESSION_COOKIE
from .deps import node

CSRF_COOKIE = "trustlpr_csrf"
CSRF_FIELD = "csrf"
_CSRF_BYTES = 24


def signed_in(request: Request) -> tuple[User, Agency]:
    """The console user and agency; ``AuthError`` when there is no valid session."""
    token = request.cookies.get(SESSION_COOKIE)
    if not token:
        raise AuthError("not signed in")
    return node(request).identity.authenticate(token)


def csrf_token(request: Request) -> str:
    """This browser's token (the cookie's value, or a new one ``remember_csrf`` will set)."""
    token = request.cookies.get(CSRF_COOKIE, "")
    if len(token) < 16 or not token.isascii():
        token = getattr(request.state, "new_csrf", "") or secrets.token_urlsafe(_CSRF_BYTES)
        request.state.new_csrf = token
    return token


def remember_csrf(request: Request, response: Response) -> None:
    """Sets the token cookie when ``csrf_token`` had to make a new one."""
    token = getattr(request.state, "new_csrf", None)
    if token:
        _set_csrf(request, response, token)


def _set_csrf(request: Request, response: Response, token: str) -> None:
    _set_cookie(request, response, CSRF_COOKIE, token, path="/console")


def _set_cookie(request: Request, response: Response, name: str, value: str, *, path: str) -> None:
    """``HttpOnly; SameSite=Strict`` (``Secure`` over HTTPS): what every console cookie is."""
    secure = request.url.scheme == "https"
    response.set_cookie(name, value, httponly=True, samesite="strict", secure=secure, path=path)


def check_origin(request: Request) -> None:
    """Refuses a request the browser says came from another site (``Sec-Fetch-Site``,
    ``Origin``); checked by the gate before the body is read."""
    site = request.headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        raise ForbiddenError("cross-site form posts are refused")
    origin = request.headers.get("origin")
    if origin is not None and origin != _own_origin(request):
        raise ForbiddenError("form posted from another site; refused")


def check_post(request: Request, form: FormData | None) -> None:
    """Refuses a form post that did not come from a console page of this site."""
    check_origin(request)
    cookie = request.cookies.get(CSRF_COOKIE, "")
    sent = form.get(CSRF_FIELD) if form is not None else None
    if not cookie or not isinstance(sent, str) or not hmac.compare_digest(cookie, sent):
        raise ForbiddenError(
            "the form's security token is missing or stale; reload the page and try again"
        )


def _own_origin(request: Request) -> str:
    host = request.headers.get("host") or request.url.netloc
    return f"{request.url.scheme}://{host}"


def start_session(request: Request, response: Response, token: str) -> None:
    """Sets the session cookie, and a new form token: a token known before sign-in (one an
    attacker planted, say) is worthless after it."""
    _set_csrf(request, response, secrets.token_urlsafe(_CSRF_BYTES))
    _set_cookie(request, response, SESSION_COOKIE, token, path="/")


def end_session(response: Response) -> None:
    response.delete_cookie(SESSION_COOKIE, path="/", httponly=True, samesite="strict")
