"""The staff console: sign in, search (decision and reasons first), alerts, approvals, audit.

Server-rendered forms over the same services the JSON API uses (``system.search``, the alert
service, ``system.audit``); the console adds no rule of its own. Errors are shown on the page
with the status the error tree gives them; a missing or expired session leads to sign-in.
Every form post passes ``console_security.check_post`` (double-submit token and origin).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from ..audit import parse_leaf
from ..core.errors import (
    AuditError,
    AuthError,
    ForbiddenError,
    InputError,
    NotFoundError,
    TrustLPRError,
)
from ..core.hotlist import STOP_OUTCOME_LABELS
from ..core.identity import Agency, Role, User
from ..core.search import LegalBasis, Purpose, SearchRequest, SearchType
from ..core.vehicle import ACCEPTED
from ..hotlist import AlertService, Verdict
from ..identity import require_auditor, require_role, require_same_agency
from ..policy.offenses import offense_choices
from ..runtime import System
from ..search import SearchForm, SearchOutcome, Status
from ..transparency import reason_texts
from .alert_cards import alert_cards
from .console_forms import (
    SearchFields,
    approval_fields,
    blank_fields,
    parse_search,
    verification_fields,
)
from .console_security import (
    CSRF_FIELD,
    check_post,
    csrf_token,
    end_session,
    remember_csrf,
    signed_in,
    start_session,
)
from .deps import node
from .portal_views import TEMPLATES
from .sightings import asked_rows, case_file, case_file_href, result_view

router = APIRouter(prefix="/console", tags=["staff console"], include_in_schema=False)

AUDIT_PAGE = 50
_VERIFY_ROLES = (Role.OFFICER, Role.SUPERVISOR)


def _page(
    request: Request,
    template: str,
    who: tuple[User, Agency] | None,
    status: int = 200,
    **context: Any,
) -> HTMLResponse:
    system = node(request)
    body = TEMPLATES.get_template(template).render(
        owner=system.owner,
        user=who[0] if who else None,
        agency=who[1] if who else None,
        csrf_field=CSRF_FIELD,
        csrf=csrf_token(request),
        Role=Role,
        tiles=request.app.state.tiles,
        **context,
    )
    response = HTMLResponse(body, status_code=status, headers=_no_store(request))
    remember_csrf(request, response)
    return response


def _no_store(request: Request) -> dict[str, str]:
    """The pages' headers (``web/tile_map.py``), never cached: they show what one user may see."""
    return {**request.app.state.page_headers, "Cache-Control": "no-store"}


def _to(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303, headers={"Cache-Control": "no-store"})


def _guard(request: Request, action: Callable[[tuple[User, Agency]], Response]) -> Response:
    """Runs ``action`` for the signed-in user; sign-in page if none, error page on refusal."""
    try:
        who = signed_in(request)
    except AuthError:
        return _to(f"/console/login?next={quote(request.url.path)}")
    try:
        return action(who)
    except ForbiddenError as exc:
        return _page(request, "console/error.html", who, exc.http_status, error=exc.message)
    except AuthError:
        return _to("/console/login")
    except TrustLPRError as exc:
        return _page(request, "console/error.html", who, exc.http_status, error=exc.message)


def alert_service(system: System) -> AlertService:
    """The node's alert service."""
    return system.alerts


# -- signing in -------------------------------------------------------------------------------


@router.get("/login")
def login_form(request: Request, next: str = "/console") -> Response:
    return _page(request, "console/login.html", None, next=_safe_next(next))


@router.post("/login")
async def login(request: Request) -> Response:
    form = await request.form()
    target = _safe_next(str(form.get("next") or "/console"))
    try:
        check_post(request, form)
        user_id, password = str(form.get("user_id") or ""), str(form.get("password") or "")
        if not user_id or not password:
            raise InputError("enter your user id and password", field="user_id")
        token = node(request).identity.login(user_id.strip(), password)
    except TrustLPRError as exc:
        status = 401 if isinstance(exc, AuthError) and not isinstance(exc, ForbiddenError) else 0
        return _page(
            request,
            "console/login.html",
            None,
            status or exc.http_status,
            error=exc.message,
            next=target,
            user_id=str(form.get("user_id") or "")[:64],
        )
    response = _to(target)
    start_session(request, response, token)
    return response


def _safe_next(target: str) -> str:
    """Only console paths of this site (no ``//host`` or scheme tricks)."""
    if target.startswith("/console") and "//" not in target and "\\" not in target:
        return target
    return "/console"


@router.post("/logout")
async def logout(request: Request) -> Response:
    form = await request.form()
    check_post(request, form)
    token = request.cookies.get("trustlpr_session")
    if token:
        with contextlib.suppress(AuthError):  # already expired or revoked: signed out anyway
            node(request).identity.logout(token)
    response = _to("/console/login")
    end_session(response)
    return response


@router.get("/password")
def password_form(request: Request) -> Response:
    return _guard(request, lambda who: _page(request, "console/password.html", who))


@router.post("/password")
async def change_password(request: Request) -> Response:
    """Sets one's own password, confirmed with the current one. A password an admin set names
    that admin until its holder replaces it this way (the two-person rules' hand-over)."""
    form = await request.form()

    def run(who: tuple[User, Agency]) -> Response:
        check_post(request, form)
        identity = node(request).identity
        new, again = str(form.get("new_password") or ""), str(form.get("again") or "")
        try:
            if new != again:
                raise InputError("the two new passwords differ", field="again")
            signed, _ = identity.verify_password(who[0].id, str(form.get("current") or ""))
            identity.set_password(signed.id, new, actor=signed)
        except (InputError, AuthError) as exc:
            if isinstance(exc, ForbiddenError):
                raise
            status = 422 if isinstance(exc, InputError) else 401
            return _page(request, "console/password.html", who, status, error=exc.message)
        response = _to("/console/login?next=/console")  # every session of the user ended
        end_session(response)
        return response

    return _guard(request, run)


@router.get("")
def home(request: Request) -> Response:
    def show(who: tuple[User, Agency]) -> Response:
        return _page(request, "console/home.html", who)

    return _guard(request, show)


# -- searching --------------------------------------------------------------------------------


def _search_page(
    request: Request, who: tuple[User, Agency], fields: SearchFields, **extra: Any
) -> dict[str, Any]:
    system = node(request)
    cameras = [c.camera for c in system.cameras.list(include_disabled=False)]
    return {
        "fields": fields,
        # an own-vehicle request has its own procedure (trustlpr.search.owner), not this form
        "purposes": [p for p in Purpose if p is not Purpose.OWNER_REQUEST],
        "permitted": {p.value for p in system.policy.permitted_purposes},
        "legal_bases": list(LegalBasis),
        "search_types": list(SearchType),
        "vehicle_words": ACCEPTED,
        "cameras": cameras,
        "offenses": offense_choices(),
        "mine": system.search.mine(who[0]),
        **extra,
    }


@router.get("/search")
def search_form(request: Request) -> Response:
    def show(who: tuple[User, Agency]) -> Response:
        fields = blank_fields(node(request).clock())
        return _page(request, "console/search.html", who, **_search_page(request, who, fields))

    return _guard(request, show)


@router.post("/search")
async def search(request: Request) -> Response:
    form = await request.form()

    def run(who: tuple[User, Agency]) -> Response:
        check_post(request, form)
        system = node(request)
        try:
            asked, fields = parse_search(form)
        except InputError as exc:
            fields = SearchFields({k: v for k, v in form.items() if isinstance(v, str)})
            context = _search_page(request, who, fields, error=exc.reason, field=exc.field)
            return _page(request, "console/search.html", who, 422, **context)
        outcome = system.search.request(who[0], who[1], asked)
        return _outcome_page(request, who, fields, outcome, asked)

    return _guard(request, run)


def _outcome_page(
    request: Request,
    who: tuple[User, Agency],
    fields: SearchFields,
    outcome: SearchOutcome,
    asked: SearchForm | SearchRequest | None,
) -> HTMLResponse:
    """The search page with a decision (and results) on it, with the matching status. A
    completed search shows its sightings with their images, map and timeline, and offers
    its case file (``web/sightings.py``); any other outcome, the decision alone."""
    system = node(request)
    status = {"completed": 200, "pending_approval": 202}.get(outcome.status.value, 403)
    texts = reason_texts(system.policy)
    extra: dict[str, Any] = {}
    if outcome.status is Status.COMPLETED and outcome.results:
        view = result_view(system, outcome.results, request.app.state.tiles)
        rows = asked_rows(asked) if asked is not None else []
        html = case_file(system, who, outcome, view, rows, now=system.clock())
        extra = {"view": view, "case_file_href": case_file_href(html)}
    context = _search_page(request, who, fields, outcome=outcome, texts=texts, **extra)
    return _page(request, "console/search.html", who, status, **context)


@router.post("/searches/{request_id}/results")
async def held_results(request_id: str, request: Request) -> Response:
    """The requester runs their approved request (judged again now); only they may."""
    form = await request.form()

    def run(who: tuple[User, Agency]) -> Response:
        check_post(request, form)
        system = node(request)
        held = {h.request_id: h.request for h in system.search.mine(who[0])}
        outcome = system.search.fetch(who[0], request_id[:64])
        asked = held.get(outcome.request_id)
        return _outcome_page(request, who, blank_fields(system.clock()), outcome, asked)

    return _guard(request, run)


# -- alerts -----------------------------------------------------------------------------------


@router.get("/alerts")
def alerts(request: Request, done: str = "", alert: str = "") -> Response:
    """The queue of unverified alerts; after a check, what was recorded (and, for a
    confirmed hit, the alert again, where its stop outcome is to be recorded)."""

    def show(who: tuple[User, Agency]) -> Response:
        system = node(request)
        service = alert_service(system)
        require_same_agency(who[0], system.owner.id)
        confirmed = None
        if done == "verified" and alert:
            with contextlib.suppress(NotFoundError):
                checked = service.get(alert[:64])
                if checked.status == Verdict.CONFIRMED.value:
                    confirmed = alert_cards(system, [checked], request.app.state.tiles)[0]
        flash = {"verified": "The check was recorded.", "outcome": "The outcome was recorded."}
        return _queue(request, who, flash=flash.get(done, ""), confirmed=confirmed)

    return _guard(request, show)


def _queue(
    request: Request, who: tuple[User, Agency], status: int = 200, **extra: Any
) -> HTMLResponse:
    system = node(request)
    queue = alert_service(system).list_alerts(status="unverified", limit=100)
    may_verify = who[0].role in _VERIFY_ROLES
    cards = alert_cards(system, queue, request.app.state.tiles)
    shown = extra.get("confirmed")
    return _page(
        request, "console/alerts.html", who, status, cards=cards, may_verify=may_verify,
        **_awaiting(alert_service(system), shown.alert.id if shown else None), **extra,
    )  # fmt: skip


@router.get("/alerts/{alert_id}/card")
def alert_card(alert_id: str, request: Request) -> Response:
    """One alert's card, for the queue page's script to insert when the stream raises it."""

    def show(who: tuple[User, Agency]) -> Response:
        system = node(request)
        require_same_agency(who[0], system.owner.id)
        card = alert_cards(
            system, [alert_service(system).get(alert_id[:64])], request.app.state.tiles
        )[0]
        may_verify = who[0].role in _VERIFY_ROLES and card.alert.status == "unverified"
        return _page(request, "console/alert_card.html", who, c=card, may_verify=may_verify)

    return _guard(request, show)


@router.post("/alerts/{alert_id}/verify")
async def verify_alert(alert_id: str, request: Request) -> Response:
    form = await request.form()

    def run(who: tuple[User, Agency]) -> Response:
        check_post(request, form)
        system = node(request)
        service = alert_service(system)
        require_role(who[0], *_VERIFY_ROLES)
        require_same_agency(who[0], system.owner.id)
        outcome, note = verification_fields(form)
        record = service.verify(alert_id[:64], outcome, note=note, user=who[0].id)
        return _to(f"/console/alerts?done=verified&alert={quote(record.id)}")

    def page(who: tuple[User, Agency]) -> Response:
        try:
            return run(who)
        except InputError as exc:
            return _queue(request, who, 422, error=exc.message, failed=alert_id)

    return _guard(request, page)


def _awaiting(service: AlertService, shown: str | None = None) -> dict[str, Any]:
    """Confirmed alerts still without a stop outcome (but ``shown``, the one just confirmed,
    whose form is at the top of the page), and the outcomes to choose from."""
    confirmed = service.list_alerts(status="confirmed", limit=100)
    return {
        "awaiting": [a for a in confirmed if a.stop_outcome is None and a.id != shown],
        "stop_outcomes": STOP_OUTCOME_LABELS,
    }


@router.post("/alerts/{alert_id}/outcome")
async def alert_outcome(alert_id: str, request: Request) -> Response:
    """What came of a confirmed alert, once (officers and supervisors); the note is private."""
    form = await request.form()

    def run(who: tuple[User, Agency]) -> Response:
        check_post(request, form)
        system = node(request)
        service = alert_service(system)
        require_role(who[0], *_VERIFY_ROLES)
        require_same_agency(who[0], system.owner.id)
        outcome, note = verification_fields(form)
        service.record_outcome(alert_id[:64], outcome, note=note, user=who[0].id)
        return _to("/console/alerts?done=outcome")

    def page(who: tuple[User, Agency]) -> Response:
        try:
            return run(who)
        except InputError as exc:
            return _queue(request, who, 422, error=exc.message, failed=alert_id)

    return _guard(request, page)


# -- approvals --------------------------------------------------------------------------------


@router.get("/approvals")
def approvals(request: Request) -> Response:
    def show(who: tuple[User, Agency]) -> Response:
        require_role(who[0], Role.SUPERVISOR, Role.ADMIN)
        pending = node(request).search.pending(who[0])
        return _page(request, "console/approvals.html", who, pending=pending)

    return _guard(request, show)


@router.post("/approvals/{request_id}")
async def decide(request_id: str, request: Request) -> Response:
    form = await request.form()

    def run(who: tuple[User, Agency]) -> Response:
        check_post(request, form)
        system = node(request)
        approve, note = approval_fields(form)
        outcome = system.search.decide_pending(who[0], request_id[:64], approve=approve, note=note)
        texts = reason_texts(system.policy)
        pending = system.search.pending(who[0])
        return _page(
            request, "console/approvals.html", who, pending=pending, decided=outcome, texts=texts
        )

    return _guard(request, run)


# -- the detailed audit log -------------------------------------------------------------------


@router.get("/audit")
def audit(request: Request, start: int | None = None) -> Response:
    def show(who: tuple[User, Agency]) -> Response:
        system = node(request)
        require_auditor(who[0])
        require_same_agency(who[0], system.owner.id)
        log = system.audit.log
        size = log.size
        first = max(0, size - AUDIT_PAGE) if start is None else min(max(start, 0), size)
        rows = []
        for index, leaf in log.entries(first, first + AUDIT_PAGE):
            row: dict[str, Any] = {"index": index, "leaf": parse_leaf(leaf)}
            try:
                detail = log.detail(index)
            except (AuditError, NotFoundError) as exc:  # shown on the row: a finding
                row["problem"] = exc.message
            else:
                row["at"] = detail.at
                row["private"] = (
                    f"destroyed with its day key {detail.sealed_with} (the read expired)"
                    if detail.destroyed
                    else json.dumps(detail.private, indent=1, sort_keys=True)
                )
            rows.append(row)
        return _page(
            request, "console/audit.html", who, rows=list(reversed(rows)), size=size,
            first=first, page=AUDIT_PAGE,
        )  # fmt: skip

    return _guard(request, show)
