"""Web-wide hardening: the console's cookie cannot make changes through the API, the form
token is new after sign-in, outsiders are turned away before their body is read, and no bad
input on any JSON route is answered with a 5xx."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from tests.conftest import FakeClock
from tests.web.portal_node import PASSWORD, Node, build_node
from trustlpr.web.app import create_app
from trustlpr.web.json_body import JsonRoute

ENTRY = {
    "plate": "ABC1234",
    "state": "CT",
    "category": "V",
    "reason": "stolen sedan",
    "case_number": "26-000777",
    "owner": "Det. Example",
    "expires_at": "2026-12-01",
}
NCIC_CSV = (
    "plate,state,category,reason,case_number,owner,expires_at\n"
    "XYZ9876,CT,V,stolen van,26-000778,Det. Example,2026-12-01\n"
)


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    built = build_node(tmp_path_factory.mktemp("gate") / "data", FakeClock(
        datetime(2026, 11, 2, 4, 0, tzinfo=UTC)))  # fmt: skip
    yield built
    built.close()


@pytest.fixture
def client(node: Node) -> TestClient:
    app = create_app(node.system, portal_ttl=0, exposure=False)
    return TestClient(app, follow_redirects=False, raise_server_exceptions=False)


def bearer(node: Node, user: str) -> dict[str, str]:
    admin = node.users["adm1"]
    token = node.system.identity.create_token(user, actor=admin).plaintext
    return {"Authorization": f"Bearer {token}"}


def form_token(client: TestClient, path: str = "/console/login") -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', client.get(path).text)
    assert found, path
    return found.group(1)


def sign_in(client: TestClient, user: str) -> str:
    """Signs in through the console form; returns the form token used to sign in."""
    before = form_token(client)
    form = {"csrf": before, "user_id": user, "password": PASSWORD, "next": "/console"}
    answer = client.post("/console/login", data=form)
    assert answer.status_code == 303, answer.text
    return before


# -- the console's cookie and the API (issue 12 item 14) ---------------------------------------


def test_a_cross_site_import_with_only_the_session_cookie_changes_nothing(
    client: TestClient, node: Node
) -> None:
    sign_in(client, "sup1")
    assert "trustlpr_session" in client.cookies
    files = {"file": ("list.csv", NCIC_CSV.encode(), "text/csv")}
    answer = client.post("/api/v1/hotlists/forged/import?format=csv", files=files,
                         headers={"Origin": "https://evil.example",
                                  "Sec-Fetch-Site": "cross-site"})  # fmt: skip
    assert answer.status_code == 403 and "Bearer" in answer.json()["detail"]
    same_site = client.post("/api/v1/hotlists/forged/entries", json=ENTRY)
    assert same_site.status_code == 403  # not even from this site: changes need a bearer token
    assert "forged" not in {i.list_id for i in node.system.hotlists.lists()}
    # reading with the session still works (the console shows alert images this way)
    assert client.get("/api/v1/alerts").status_code == 200
    # and a bearer token still changes things
    added = client.post("/api/v1/hotlists/local/entries", json=ENTRY,
                        headers=bearer(node, "sup1"))  # fmt: skip
    assert added.status_code == 201, added.text


def test_the_form_token_is_new_after_sign_in(client: TestClient) -> None:
    planted = sign_in(client, "off1")
    fresh = client.cookies.get("trustlpr_csrf")
    assert fresh and fresh != planted
    stale = client.post("/console/logout", data={"csrf": planted})
    assert stale.status_code == 403  # the token known before sign-in is worthless
    assert client.post("/console/logout", data={"csrf": fresh}).status_code == 303


def test_console_changes_need_a_session_and_this_site_before_the_form_is_read(
    client: TestClient,
) -> None:
    unsigned = client.post("/console/search", data={"csrf": "x" * 32})
    assert unsigned.status_code == 303 and unsigned.headers["location"] == "/console/login"
    sign_in(client, "off1")
    forged = client.post("/console/search", data={"csrf": client.cookies["trustlpr_csrf"]},
                         headers={"Sec-Fetch-Site": "cross-site"})  # fmt: skip
    assert forged.status_code == 403


# -- no 5xx on bad input (issue 12 item 11) ----------------------------------------------------


def _search(window_start: str, window_end: str, **changes: object) -> dict[str, object]:
    body: dict[str, object] = {
        "purpose": "stolen_vehicle", "case_number": "26-000123", "legal_basis": "hotlist",
        "reason": "stolen white Honda reported by owner",
        "query": {"type": "exact", "plate": "ABC1234", "window_start": window_start,
                  "window_end": window_end},
    }  # fmt: skip
    return body | changes


@pytest.mark.parametrize(
    ("start", "end", "field"),
    [
        ("0001-01-01T00:00:00Z", "0001-01-02T00:00:00Z", "query.window_start"),
        ("0001-01-01T00:00:00+14:00", "0001-01-01T01:00:00+14:00", "query.window_start"),
        ("9999-12-31T23:00:00-12:00", "9999-12-31T23:59:00-12:00", "query.window_start"),
        ("2026-11-01T00:00:00Z", "9999-12-31T23:59:59.999999Z", "query.window_end"),
    ],
)
def test_search_windows_at_the_edges_of_the_date_range_are_422(
    client: TestClient, node: Node, start: str, end: str, field: str
) -> None:
    answer = client.post("/api/v1/searches", json=_search(start, end),
                         headers=bearer(node, "off1"))  # fmt: skip
    assert answer.status_code == 422, answer.text
    assert answer.json()["field"] == field


def test_lone_surrogates_are_422_naming_the_field(client: TestClient, node: Node) -> None:
    headers = {**bearer(node, "off1"), "Content-Type": "application/json"}
    raw = (
        '{"purpose": "stolen_vehicle", "case_number": "26-1", "legal_basis": "hotlist", '
        '"reason": "stolen car \\udc80 reported", "query": {"type": "exact", "plate": '
        '"ABC1234", "window_start": "2026-11-01T00:00:00Z", '
        '"window_end": "2026-11-02T00:00:00Z"}}'
    )
    answer = client.post("/api/v1/searches", content=raw, headers=headers)
    assert answer.status_code == 422 and answer.json()["field"] == "reason", answer.text
    entry = '{"plate": "ABC1234", "reason": "stolen \\ud800", "state": "CT"}'
    headers = {**bearer(node, "sup1"), "Content-Type": "application/json"}
    answer = client.post("/api/v1/hotlists/local/entries", content=entry, headers=headers)
    assert answer.status_code == 422 and answer.json()["field"] == "reason", answer.text
    paired = raw.replace("\\udc80", "\\ud83d\\ude97")  # a car emoji: a valid pair is text
    assert client.post("/api/v1/searches", content=paired, headers=headers).status_code < 500


def test_a_hot_list_entry_expiring_on_the_last_representable_day_is_422(
    client: TestClient, node: Node
) -> None:
    entry = ENTRY | {"expires_at": "9999-12-31"}
    answer = client.post("/api/v1/hotlists/local/entries", json=entry, headers=bearer(node, "sup1"))
    assert answer.status_code == 422 and answer.json()["field"] == "expires_at"


JSON_ROUTES = [
    ("/api/v1/searches", "off1"),
    ("/api/v1/searches/s-x/approve", "sup1"),
    ("/api/v1/searches/s-x/reject", "sup1"),
    ("/api/v1/alerts/a-x/verify", "off1"),
    ("/api/v1/hotlists/local/entries", "sup1"),
    ("/api/v1/reads", None),
    ("/api/v1/ingest/openalpr", None),
    ("/api/v1/ingest/platerecognizer", None),
]


@pytest.mark.parametrize(("path", "user"), JSON_ROUTES)
@pytest.mark.parametrize(
    "body",
    ['{"x": ' + "1" * 5000 + "}", '{"x": "\\ud800"}', "[" * 50_000, '{"x": 1e999999}', "\xff"],
    ids=["5000-digit integer", "lone surrogate", "deep nesting", "huge float", "bad utf-8"],
)
def test_no_json_route_answers_bad_json_with_a_5xx(
    client: TestClient, node: Node, path: str, user: str | None, body: str
) -> None:
    if user is None:
        _, key = node.system.cameras.add("Gate St", 41.3, -72.9, agency_id=node.owner.id)
        headers = {"Authorization": f"Bearer {key}"}
    else:
        headers = bearer(node, user)
    content = body.encode("utf-8", "surrogateescape") if body != "\xff" else b"\xff"
    answer = client.post(path, content=content,
                         headers={**headers, "Content-Type": "application/json"})  # fmt: skip
    assert 400 <= answer.status_code < 500, (path, answer.status_code, answer.text[:200])
    assert answer.json()["error"] == "InputError"


def test_every_route_taking_a_json_body_decodes_it_with_parse_json(client: TestClient) -> None:
    for route in client.app.routes:  # type: ignore[attr-defined]
        if isinstance(route, APIRoute) and route.body_field is not None:
            assert isinstance(route, JsonRoute), route.path
