"""``trustlpr search``: ask for a governed search, decide held ones, fetch approved results.

Locally (the default) the command opens the node itself: ``run``, ``approve``, ``reject`` and
``fetch`` write the audit log, so they need the service stopped (one process writes it);
``pending`` and ``mine`` only read and run at any time. With ``--url`` it asks a running
service over HTTP with the same token. Either way the policy decides first and the request is
logged before it runs. A supervisor's approval shows the decision only; the requester fetches
the results.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer

from ..core.area import Area
from ..core.clock import parse_utc
from ..core.errors import (
    AuthError,
    ConflictError,
    ForbiddenError,
    InputError,
    NotFoundError,
    PolicyDenied,
    TooLargeError,
    TrustLPRError,
)
from ..core.search import LegalBasis, Purpose, Query, SearchType, search_vehicle
from ..federation.outbound import parse_partners
from ..geo import parse_area
from ..policy import warrant_scope_from_json
from ..search import SearchForm, held_json, outcome_json
from .common import Json, Token, console, err_console, new_table, print_json, reader, writer

search_app = typer.Typer(
    help="Governed searches: ask (the policy decides first), decide held requests, fetch results.",
    no_args_is_help=True,
)

Url = Annotated[
    str | None,
    typer.Option("--url", help="Ask a running service at this URL instead of opening the node."),
]


def _need(token: str | None) -> str:
    if not token:
        raise AuthError("sign in with --token (or TRUSTLPR_TOKEN); searches are never anonymous")
    return token


def _http(method: str, url: str, token: str, body: dict[str, Any] | None = None) -> Any:
    try:
        answer = httpx.request(
            method, url, json=body, headers={"Authorization": f"Bearer {token}"}, timeout=60
        )
    except httpx.HTTPError as exc:
        raise TrustLPRError(f"cannot reach {url}: {exc}") from exc
    data = (
        answer.json()
        if answer.headers.get("content-type", "").startswith("application/json")
        else {}
    )
    if answer.status_code >= 400 and not (isinstance(data, dict) and "status" in data):
        detail = data.get("detail", answer.text[:200]) if isinstance(data, dict) else ""
        error = _HTTP_ERRORS.get(answer.status_code, TrustLPRError)
        raise error(f"HTTP {answer.status_code}: {detail}")
    return data


_HTTP_ERRORS: dict[int, type[TrustLPRError]] = {
    401: AuthError, 403: ForbiddenError, 404: NotFoundError, 409: ConflictError, 422: InputError,
}  # fmt: skip
"""A refusal of the service as the same error (and exit code) the local command raises."""


EXIT_REFUSED = PolicyDenied.exit_code
"""``search run``/``fetch``: denied, rejected by a supervisor, or expired; nothing ran."""
EXIT_HELD = 4
"""``search run``/``fetch``: held for a supervisor; fetch the results once it is approved."""
_EXIT = {
    "denied": EXIT_REFUSED, "rejected": EXIT_REFUSED, "expired": EXIT_REFUSED,
    "pending_approval": EXIT_HELD,
}  # fmt: skip


def _answer(answer: dict[str, Any], json_out: bool) -> None:
    """The requester's answer, printed, then the command's exit code: 0 when the search ran
    (with or without sightings), ``EXIT_REFUSED`` or ``EXIT_HELD`` otherwise, so a script
    can tell them apart without parsing the output."""
    _render(answer, json_out)
    code = _EXIT.get(answer["status"], 0)
    if code:
        raise typer.Exit(code)


def _render(answer: dict[str, Any], json_out: bool) -> None:
    if json_out:
        print_json(answer)
        return
    colour = {"completed": "green", "approved": "green", "pending_approval": "yellow"}.get(
        answer["status"], "red"
    )
    console.print(
        f"[bold {colour}]{answer['status']}[/] (decision {answer['decision']}, "
        f"log entry {answer['audit_index']}, request {answer['request_id']})"
    )
    for reason in answer["reasons"]:
        console.print(f"  • [{reason['rule']}] {reason['text']}", highlight=False, markup=False)
    if answer["status"] in ("pending_approval", "approved") and answer.get("expires_at"):
        err_console.print(
            f"the requester fetches the results with `trustlpr search fetch "
            f"{answer['request_id']}` (until {answer['expires_at']})",
            highlight=False,
            markup=False,
        )
    _sightings(answer["results"], "")
    for partner in answer.get("partners", []):
        _render_partner(partner)


_COLUMNS = ("observed_at", "plate", "state", "camera_id", "confidence")


def _sightings(rows: list[dict[str, Any]], owner: str) -> None:
    if rows:
        title = f"{len(rows)} sighting(s)" + (f" of {owner}" if owner else "")
        table = new_table(title, _COLUMNS)
        for row in rows:
            table.add_row(*(str(row.get(c)) for c in _COLUMNS))
        console.print(table)


def _render_partner(partner: dict[str, Any]) -> None:
    """One partner's part, beside the local answer: its decision and reasons, then its rows."""
    if not partner["answered"]:
        state = "[red]no answer[/]"
    elif not partner["sent"]:
        state = "[yellow]not asked[/]"
    else:
        state = f"{partner['status']} (decision {partner['decision']})"
    console.print(f"partner [bold]{partner['agency']}[/]: {state}")
    if partner["note"]:
        console.print(f"  {partner['note']}", highlight=False, markup=False)
    if partner.get("request_id"):
        console.print(f"  their request {partner['request_id']}", highlight=False, markup=False)
    for reason in partner["reasons"]:
        console.print(f"  • [{reason['rule']}] {reason['text']}", highlight=False, markup=False)
    _sightings(partner["results"], partner["agency"])


@search_app.command("run")
def run(
    ctx: typer.Context,
    purpose: Purpose = typer.Option(..., help="Why: one of the enumerated purpose codes."),
    case_number: str = typer.Option(None, "--case", help="Case or incident number."),
    legal_basis: LegalBasis = typer.Option(LegalBasis.NONE, "--basis", help="Legal basis."),
    reason: str = typer.Option(..., help="What this search is for, in words an auditor reads."),
    kind: SearchType = typer.Option(
        SearchType.EXACT, "--type", help="exact, partial, area, convoy, attribute."
    ),
    plate: str = typer.Option(None, help="The plate (exact and convoy searches)."),
    pattern: str = typer.Option(
        None, help="Partial plate: '*' any run, '?' one character (narrows attribute searches)."
    ),
    cameras: str = typer.Option(None, help="Comma-separated camera ids (area searches)."),
    polygon: Path = typer.Option(
        None, help="Area/attribute searches: a GeoJSON Polygon (or Feature) file to search in."
    ),
    near: str = typer.Option(None, help="Area/attribute searches: a circle's centre, LAT,LON."),
    radius_m: float = typer.Option(None, help="The circle's radius in metres (with --near)."),
    days: float = typer.Option(7.0, help="Window: the last N days (ignored with --from)."),
    start: str = typer.Option(None, "--from", help="Window start (ISO 8601)."),
    end: str = typer.Option(None, "--to", help="Window end (ISO 8601; default now)."),
    variants: bool = typer.Option(False, help="Also OCR-confusion variants of the plate."),
    make: str = typer.Option(None, help="Attribute searches: the make (e.g. chevrolet, chevy)."),
    colour: str = typer.Option(None, help="Attribute searches: the colour (e.g. blue, navy)."),
    vehicle_type: str = typer.Option(
        None, help="Attribute searches: the body type (sedan, suv, pickup, van, ...)."
    ),
    offense: str = typer.Option(
        None, help="Offense: TrustLPR or FBI NIBRS code (240, 13A) or statute name."
    ),
    warrant: str = typer.Option(None, help="Warrant id, when the legal basis is a warrant."),
    court: str = typer.Option(
        None, help="Court that issued the warrant; stating it states the warrant's scope."
    ),
    warrant_from: str = typer.Option(None, help="Start of the window the warrant authorises."),
    warrant_to: str = typer.Option(None, help="End of the window the warrant authorises."),
    warrant_cameras: str = typer.Option(
        None, help="Comma-separated cameras the warrant names (its area); default: not limited."
    ),
    warrant_plates: str = typer.Option(
        None, help="Comma-separated plates the warrant names; default: not limited."
    ),
    partners: str = typer.Option(
        "none",
        help="Also ask partner nodes: none, all, or AGENCY[,AGENCY...]; only those whose "
        "agreements cover the purpose, once this node's policy allowed the search.",
    ),
    token: Token = None,
    url: Url = None,
    json_out: Json = False,
) -> None:
    """Ask for a search. The decision and its reasons are printed before any result. Exits 0
    when it ran, 3 when denied, 4 when held for a supervisor (then `search fetch ID`). With
    --partners, each partner's decision and reasons are printed beside its results."""
    chosen = parse_partners(partners)
    stop = parse_utc(end, field="--to") if end else datetime.now(UTC)
    begin = parse_utc(start, field="--from") if start else stop - timedelta(days=days)
    cams = _split(cameras)
    area = _area(polygon, near, radius_m)
    scope = _warrant_scope(court, warrant_from, warrant_to, warrant_cameras, warrant_plates)
    words = {"make": make, "colour": colour, "vehicle_type": vehicle_type}
    try:  # refused before anything is sent, naming the option
        vehicle = search_vehicle(kind, **words)
    except InputError as exc:
        raise InputError(exc.reason, field=f"--{(exc.field or 'make').replace('_', '-')}") from exc
    body = {
        "purpose": purpose.value, "case_number": case_number, "legal_basis": legal_basis.value,
        "reason": reason, "offense_code": offense, "warrant_id": warrant, "warrant_scope": scope,
        "query": {"type": kind.value, "plate": plate, "pattern": pattern,
                  "cameras": list(cams) if cams else None, "window_start": begin.isoformat(),
                  "window_end": stop.isoformat(), "include_variants": variants,
                  **({"area": area.to_geojson()} if area else {}),
                  **{k: v for k, v in words.items() if v}},  # only when given: older nodes
    }  # fmt: skip
    if chosen != []:
        body["partners"] = partners
    if url:
        _answer(_http("POST", url.rstrip("/") + "/api/v1/searches", _need(token), body), json_out)
        return
    form = SearchForm(
        purpose=purpose, case_number=case_number, legal_basis=legal_basis, reason=reason,
        offense_code=offense, warrant_id=warrant, warrant_scope=warrant_scope_from_json(scope),
        query=Query(kind, begin, stop, plate=plate, pattern=pattern, cameras=cams,
                    include_variants=variants, vehicle=vehicle, area=area),
    )  # fmt: skip
    with writer(ctx) as system:
        user, agency = system.identity.authenticate(_need(token))
        if chosen == []:
            answer = outcome_json(system.search.request(user, agency, form))
        else:
            answer = system.federated.run(user, agency, form, chosen).json(agency.id)
    _answer(answer, json_out)


def _area(polygon: Path | None, near: str | None, radius_m: float | None) -> Area | None:
    """The area the options name, checked by the parser the API uses; refused naming the
    option before anything is sent."""
    if polygon is not None and near is not None:
        raise InputError("give --polygon or --near, not both", field="--polygon")
    if radius_m is not None and near is None:
        raise InputError("--radius-m goes with --near LAT,LON", field="--radius-m")
    if polygon is not None:
        try:
            data = json.loads(polygon.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read {polygon}: {exc}", field="--polygon") from exc
        except json.JSONDecodeError as exc:
            raise InputError(f"{polygon} is not JSON: {exc}", field="--polygon") from exc
        return _checked(data, "--polygon")
    if near is None:
        return None
    parts = near.split(",")
    try:
        lat, lon = (float(p) for p in parts) if len(parts) == 2 else (None, None)
    except ValueError:
        lat = lon = None
    if lat is None or lon is None:
        raise InputError(f"{near[:40]!r} is not LAT,LON", field="--near")
    if radius_m is None:
        raise InputError("a circle needs --radius-m", field="--radius-m")
    return _checked({"type": "Point", "coordinates": [lon, lat], "radius_m": radius_m}, "--near")


def _checked(data: object, option: str) -> Area:
    try:
        return parse_area(data)
    except (InputError, TooLargeError) as exc:
        raise InputError(exc.reason, field=option) from exc


def _split(text: str | None) -> tuple[str, ...] | None:
    return tuple(c.strip() for c in text.split(",") if c.strip()) if text else None


def _warrant_scope(
    court: str | None, start: str | None, end: str | None, cameras: str | None, plates: str | None
) -> dict[str, Any] | None:
    """The ``warrant_scope`` body of the options (``None`` when no court is given); checked
    by the one parser the API and ``policy evaluate`` use."""
    if court is None:
        if any(v is not None for v in (start, end, cameras, plates)):
            raise InputError("a warrant's scope needs the issuing court", field="--court")
        return None
    if start is None or end is None:
        raise InputError("a warrant's scope needs its window", field="--warrant-from/--warrant-to")
    named_cameras, named_plates = _split(cameras), _split(plates)
    scope = {
        "court": court,
        "window_start": parse_utc(start, field="--warrant-from").isoformat(),
        "window_end": parse_utc(end, field="--warrant-to").isoformat(),
        "cameras": list(named_cameras) if named_cameras else None,
        "plates": list(named_plates) if named_plates else None,
    }
    warrant_scope_from_json(scope)  # refuses a bad scope before anything is sent
    return scope


def _held(ctx: typer.Context, token: str | None, url: str | None, which: str) -> Any:
    """Held requests as JSON rows: ``pending`` (those one may decide) or ``mine``."""
    if url:
        return _http("GET", f"{url.rstrip('/')}/api/v1/searches/{which}", _need(token))
    with reader(ctx) as node:  # read-only: runs while `trustlpr serve` holds the log
        user, _ = node.identity.authenticate(_need(token))
        listing = node.search.pending if which == "pending" else node.search.mine
        return [held_json(p) for p in listing(user)]


@search_app.command("pending")
def pending(
    ctx: typer.Context, token: Token = None, url: Url = None, json_out: Json = False
) -> None:
    """Held requests you may decide (supervisors and admins of the agency that owns the data)."""
    rows = _held(ctx, token, url, "pending")
    if json_out:
        print_json(rows)
        return
    for row in rows:
        console.print(
            f"{row['request_id']}  {row['user_id']}  {row.get('purpose')}  "
            f"case {row.get('case_number')}: {row.get('reason')}",
            highlight=False,
            markup=False,
        )
        for why in row["why_held"]:
            err_console.print(f"    held: {why}", highlight=False, markup=False)


@search_app.command("mine")
def mine(ctx: typer.Context, token: Token = None, url: Url = None, json_out: Json = False) -> None:
    """Your own held requests: waiting, approved (fetch them) or rejected."""
    rows = _held(ctx, token, url, "mine")
    if json_out:
        print_json(rows)
        return
    for row in rows:
        console.print(
            f"{row['request_id']}  {row['status']}  {row.get('purpose', '')}  "
            f"until {row['expires_at']}",
            highlight=False,
            markup=False,
        )


@search_app.command("fetch")
def fetch(
    ctx: typer.Context,
    request_id: str = typer.Argument(..., help="Your held request's id."),
    partner: str = typer.Option(
        None, help="The request is held at this partner node (its id, from `search run`)."
    ),
    token: Token = None,
    url: Url = None,
    json_out: Json = False,
) -> None:
    """The results of your approved request: judged again now and run (each fetch is logged).
    Exits 0 when it ran, 3 when denied, rejected or expired, 4 while still held."""
    if partner:
        _fetch_partner(ctx, request_id, partner, token, url, json_out)
        return
    if url:
        target = f"{url.rstrip('/')}/api/v1/searches/{request_id}"
        _answer(_http("GET", target, _need(token)), json_out)
        return
    with writer(ctx) as system:  # each fetch is judged again and logged
        user, _ = system.identity.authenticate(_need(token))
        outcome = system.search.fetch(user, request_id)
    _answer(outcome_json(outcome), json_out)


def _fetch_partner(ctx: typer.Context, request_id: str, partner: str, token: str | None,
                   url: str | None, json_out: bool) -> None:  # fmt: skip
    """Polls a request held at a partner, signed by this node (its log records the answer)."""
    if url:
        target = f"{url.rstrip('/')}/api/v1/searches/partner/{partner}/{request_id}"
        answer = _http("GET", target, _need(token))
    else:
        with writer(ctx) as system:
            user, _ = system.identity.authenticate(_need(token))
            answer = system.federated.poll(user, partner, request_id).json()
    if json_out:
        print_json(answer)
    else:
        _render_partner(answer)
    code = {"completed": 0, "approved": 0, "pending_approval": EXIT_HELD}.get(
        answer["status"], EXIT_REFUSED
    )
    if code:
        raise typer.Exit(code)


def _decide(ctx: typer.Context, request_id: str, approve: bool, note: str, token: str | None,
            url: str | None, json_out: bool) -> None:  # fmt: skip
    if not note.strip():
        raise InputError("say why in --note; it goes to the auditors' record", field="--note")
    if url:
        verb = "approve" if approve else "reject"
        target = f"{url.rstrip('/')}/api/v1/searches/{request_id}/{verb}"
        _render(_http("POST", target, _need(token), {"note": note}), json_out)
        return
    with writer(ctx) as system:
        user, _ = system.identity.authenticate(_need(token))
        outcome = system.search.decide_pending(user, request_id, approve=approve, note=note)
    _render(outcome_json(outcome), json_out)


@search_app.command("approve")
def approve(
    ctx: typer.Context,
    request_id: str = typer.Argument(..., help="The held request's id."),
    note: str = typer.Option(..., help="Why it is approved."),
    token: Token = None,
    url: Url = None,
    json_out: Json = False,
) -> None:
    """Approve a held request (a supervisor of the data owner, independent of the requester).
    Prints the decision; the requester fetches the results with `search fetch`."""
    _decide(ctx, request_id, True, note, token, url, json_out)


@search_app.command("reject")
def reject(
    ctx: typer.Context,
    request_id: str = typer.Argument(..., help="The held request's id."),
    note: str = typer.Option(..., help="Why it is rejected."),
    token: Token = None,
    url: Url = None,
    json_out: Json = False,
) -> None:
    """Reject a held request; it never runs."""
    _decide(ctx, request_id, False, note, token, url, json_out)


def register(app: typer.Typer) -> None:
    app.add_typer(search_app, name="search")
