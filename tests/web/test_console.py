"""The staff console over HTTP: sessions, forgery protection, searches judged before they run,
roles, alert checks, approvals and the auditors' view of the detailed log."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient

from tests.conftest import FakeClock
from tests.web.portal_node import PASSWORD, Node, build_node, city, register_city, simulate
from trustlpr.core.vehicle import VehicleAttributes
from trustlpr.web.app import create_app


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    clock = FakeClock(datetime(2026, 11, 2, 4, 0, tzinfo=UTC))
    built = build_node(tmp_path_factory.mktemp("console") / "data", clock)
    register_city(built, city(date(2026, 11, 2)))
    simulate(built, 1, searches=False)
    yield built
    built.close()


@pytest.fixture
def app(node: Node) -> Iterator[object]:
    application = create_app(node.system, portal_ttl=0, exposure=False)
    yield application
    application.state.portal.close()


def browser(app: object) -> TestClient:
    return TestClient(app, follow_redirects=False)  # type: ignore[arg-type]


def token(client: TestClient, path: str = "/console/login") -> str:
    page = client.get(path)
    found = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert found, f"{path} has no CSRF field"
    return found.group(1)


def sign_in(client: TestClient, user_id: str) -> None:
    answer = client.post(
        "/console/login",
        data={"csrf": token(client), "user_id": user_id, "password": PASSWORD, "next": "/console"},
    )
    assert answer.status_code == 303, answer.text
    client.cookies.set("trustlpr_session", answer.cookies["trustlpr_session"])


def search(client: TestClient, **fields: str) -> tuple[int, str]:
    data = {
        "csrf": token(client, "/console/search"),
        "legal_basis": "none",
        "search_type": "exact",
        "window_start": "2026-11-02T00:00",
        "window_end": "2026-11-03T04:00",
        "case_number": "2026-000555",
        **fields,
    }
    answer = client.post("/console/search", data=data)
    return answer.status_code, answer.text


def test_sign_in_sets_a_strict_http_only_cookie_and_sign_out_ends_it(app: object) -> None:
    client = browser(app)
    assert (
        client.get("/console/search").headers["location"] == "/console/login?next=/console/search"
    )
    csrf = token(client)
    wrong = client.post("/console/login", data={"csrf": csrf, "user_id": "off1", "password": "x"})
    assert wrong.status_code == 401 and "invalid user or password" in wrong.text
    assert "trustlpr_session" not in wrong.headers.get("set-cookie", "")
    answer = client.post(
        "/console/login",
        data={"csrf": csrf, "user_id": "off1", "password": PASSWORD, "next": "//evil.example"},
    )
    assert answer.status_code == 303 and answer.headers["location"] == "/console"
    cookie = answer.headers["set-cookie"]
    assert "trustlpr_session=" in cookie and "HttpOnly" in cookie and "SameSite=strict" in cookie
    client.cookies.set("trustlpr_session", answer.cookies["trustlpr_session"])
    assert client.get("/console").status_code == 200
    out = client.post("/console/logout", data={"csrf": token(client, "/console")})
    assert out.status_code == 303
    assert client.get("/console").status_code == 303  # the old session token is revoked


def test_form_posts_without_the_token_or_from_another_site_are_refused(app: object) -> None:
    client = browser(app)
    sign_in(client, "off1")
    csrf = token(client, "/console/search")
    form = {
        "purpose": "stolen_vehicle",
        "reason": "car stolen from the depot yard",
        "plate": "ABC1234",
        "legal_basis": "none",
        "search_type": "exact",
        "window_start": "2026-11-02T00:00",
        "window_end": "2026-11-03T00:00",
    }
    assert client.post("/console/search", data=form).status_code == 403
    assert client.post("/console/search", data={**form, "csrf": "x" * 32}).status_code == 403
    other = client.post(
        "/console/search", data={**form, "csrf": csrf}, headers={"Origin": "https://evil.example"}
    )
    assert other.status_code == 403 and "another site" in other.text
    cross = client.post(
        "/console/search", data={**form, "csrf": csrf}, headers={"Sec-Fetch-Site": "cross-site"}
    )
    assert cross.status_code == 403
    same = client.post(
        "/console/search",
        data={**form, "csrf": csrf},
        headers={"Origin": "http://testserver", "Sec-Fetch-Site": "same-origin"},
    )
    assert same.status_code in (200, 202, 403) and "Decision:" in same.text


def test_allowed_search_shows_decision_then_results(app: object, node: Node) -> None:
    assert node.sim is not None
    plate = node.sim.stolen_records()[0]["plate"]
    client = browser(app)
    sign_in(client, "off1")
    size = node.system.audit.log.size
    status, page = search(
        client,
        purpose="stolen_vehicle",
        legal_basis="hotlist",
        plate=plate,
        reason="car reported stolen from the depot yard",
    )
    assert status == 200, page
    assert page.index("Decision: allowed") < page.index("Results:")
    assert plate in page.split("Results:")[1]
    assert f"recorded as audit log entry {size}" in page  # logged before it ran
    assert node.system.audit.log.entry(size)["type"] == "search_decided"


def test_forbidden_search_is_denied_with_reasons_and_nothing_runs(app: object, node: Node) -> None:
    client = browser(app)
    sign_in(client, "off2")
    size = node.system.audit.log.size
    status, page = search(
        client,
        purpose="immigration_enforcement",
        plate="ABC1234",
        reason="ICE asked for the car's movements",
    )
    assert status == 403
    assert "Decision: denied" in page and 'data-rule="purpose.prohibited"' in page
    assert "Results:" not in page
    kinds = [
        node.system.audit.log.entry(i)["type"] for i in range(size, node.system.audit.log.size)
    ]
    assert kinds == ["search_decided"]


def test_bad_fields_are_named_and_nothing_is_logged(app: object, node: Node) -> None:
    client = browser(app)
    sign_in(client, "off1")
    size = node.system.audit.log.size
    cases = {
        "plate": {"purpose": "stolen_vehicle", "plate": "AB$12", "reason": "x"},
        "window_end": {
            "purpose": "stolen_vehicle",
            "plate": "ABC123",
            "reason": "x",
            "window_end": "2026-11-01T00:00",
        },
        "purpose": {"purpose": "revenge", "plate": "ABC123", "reason": "x"},
        "pattern": {
            "purpose": "stolen_vehicle",
            "search_type": "partial",
            "pattern": "A*",
            "reason": "x",
        },
    }
    for field, data in cases.items():
        status, page = search(client, **data)
        assert status == 422, field
        assert f'id="{field}" name="{field}"' in page
        assert re.search(rf'id="{field}"[^>]*aria-invalid="true"', page), field
    assert node.system.audit.log.size == size


def test_roles_decide_what_each_page_allows(app: object, node: Node) -> None:
    officer = browser(app)
    sign_in(officer, "off1")
    assert officer.get("/console/approvals").status_code == 403
    assert officer.get("/console/audit").status_code == 403
    auditor = browser(app)
    sign_in(auditor, "aud1")
    status, page = search(
        auditor, purpose="stolen_vehicle", plate="ABC123", reason="car stolen from the depot yard"
    )
    assert status == 403 and "officer" in page
    audit_page = auditor.get("/console/audit")
    assert audit_page.status_code == 200
    assert "ICE asked" in audit_page.text or "search_decided" in audit_page.text
    older = auditor.get("/console/audit", params={"start": 0})
    assert 'id="entry-0"' in older.text
    assert auditor.get("/console/alerts").status_code == 200
    assert 'value="confirmed"' not in auditor.get("/console/alerts").text  # auditors only look


def test_alert_check_needs_a_note_and_is_recorded_once(app: object, node: Node) -> None:
    alerts = node.system.hotlists.alerts  # type: ignore[attr-defined]
    waiting = alerts.list_alerts(status="unverified", limit=10)
    assert waiting, "the simulated day raised no alert"
    target = waiting[0].id
    client = browser(app)
    sign_in(client, "off1")
    page = client.get("/console/alerts").text
    assert f'action="/console/alerts/{target}/verify"' in page
    csrf = token(client, "/console/alerts")
    empty = client.post(
        f"/console/alerts/{target}/verify", data={"csrf": csrf, "outcome": "confirmed", "note": ""}
    )
    assert empty.status_code == 422 and "note" in empty.text
    done = client.post(
        f"/console/alerts/{target}/verify",
        data={"csrf": csrf, "outcome": "misread", "note": "8 read as B"},
    )
    assert done.status_code == 303
    assert done.headers["location"] == f"/console/alerts?done=verified&alert={target}"
    assert alerts.get(target).status == "misread"
    after = client.get(done.headers["location"]).text
    assert "The check was recorded." in after and 'id="confirmed"' not in after  # a misread
    again = client.post(
        f"/console/alerts/{target}/verify",
        data={"csrf": csrf, "outcome": "confirmed", "note": "second look"},
    )
    assert again.status_code == 409


def _card(page: str, alert_id: str) -> str:
    return page[page.index(f'id="card-{alert_id}"') :].split("</article>", 1)[0]


def test_an_alert_card_puts_the_listing_beside_the_read_and_the_camera_on_a_map(
    app: object, node: Node
) -> None:
    alert = node.system.alerts.list_alerts(status="unverified", limit=1)[0]
    entry = node.system.hotlists.store.entry(alert.entry["entry_id"])  # type: ignore[attr-defined]
    camera = node.system.cameras.get(alert.camera_id).camera  # type: ignore[attr-defined]
    client = browser(app)
    sign_in(client, "off1")
    card = _card(client.get("/console/alerts").text, alert.id)
    listed = card.split('class="pairs compact listed"')[1].split("</dl>")[0]
    listing = entry.entry
    assert f"<dd>{listing.plate} ({listing.state})</dd>" in listed
    assert f"{entry.details['colour']} {entry.details['make']}" in listed
    assert f"<dd>{listing.list_id}</dd>" in listed
    assert f"<dd>{listing.category} — " in listed
    assert listing.added_at is not None and listing.added_at.date().isoformat() in listed
    seen = card.split('class="pairs compact seen"')[1].split("</dl>")[0]
    assert f"<dd>{html.escape(camera.name)} ({camera.id})</dd>" in seen
    assert f'src="/api/v1/alerts/{alert.id}/image"' in card
    # the map: this camera drawn as the one that matters, among its nearest neighbours
    assert f'aria-labelledby="amap-{alert.id}-t amap-{alert.id}-d"' in card
    here = re.findall(r'<circle class="cam here" [^>]*><title>([^<]+)</title>', card)
    assert len(here) == 1 and f"({camera.id})" in here[0]
    assert card.count("<circle") == 1 + min(5, len(node.system.cameras.list()) - 1)  # type: ignore[attr-defined]
    for outcome in ("confirmed", "misread", "not_the_vehicle"):
        assert f'value="{outcome}"' in card
    # the live-update fragment is the same card; an auditor's has no buttons
    fragment = client.get(f"/console/alerts/{alert.id}/card")
    assert fragment.status_code == 200 and fragment.headers["cache-control"] == "no-store"
    assert _card(fragment.text, alert.id) == card
    auditor = browser(app)
    sign_in(auditor, "aud1")
    assert 'value="confirmed"' not in auditor.get(f"/console/alerts/{alert.id}/card").text
    assert client.get("/console/alerts/nosuchalert/card").status_code == 404
    assert browser(app).get(f"/console/alerts/{alert.id}/card").status_code == 303  # sign in


def test_a_confirmed_alert_stays_on_the_page_with_its_outcome_form(app: object, node: Node) -> None:
    alert = node.system.alerts.list_alerts(status="unverified", limit=1)[0]
    client = browser(app)
    sign_in(client, "off2")
    done = client.post(
        f"/console/alerts/{alert.id}/verify",
        data={"csrf": token(client, "/console/alerts"), "outcome": "confirmed",
              "note": "photo and NCIC both match"},
    )  # fmt: skip
    assert done.status_code == 303
    page = client.get(done.headers["location"]).text
    banner = page[page.index('id="confirmed"') :].split("</section>")[0]
    assert f'data-alert="{alert.id}"' in banner and alert.read["plate"] in banner
    assert f'id="card-{alert.id}"' not in page  # out of the queue
    # its stop outcome, from the banner; the form is there once, not again in the list below
    assert page.count(f'action="/console/alerts/{alert.id}/outcome"') == 1
    assert f'action="/console/alerts/{alert.id}/outcome"' in banner
    recorded = client.post(
        f"/console/alerts/{alert.id}/outcome",
        data={"csrf": token(client, "/console/alerts"), "outcome": "recovery",
              "note": "car recovered, owner told"},
    )  # fmt: skip
    assert recorded.status_code == 303
    assert node.system.alerts.get(alert.id).stop_outcome.value == "recovery"  # type: ignore[attr-defined]
    assert "The outcome was recorded." in client.get(recorded.headers["location"]).text


def test_supervisor_approves_a_held_search_but_not_their_own(app: object, node: Node) -> None:
    assert node.sim is not None
    pattern = node.sim.stolen_records()[1]["plate"][:3] + "*"
    officer = browser(app)
    sign_in(officer, "off2")
    status, page = search(
        officer,
        purpose="stolen_vehicle",
        search_type="partial",
        pattern=pattern,
        reason="partial plate of a car taken from the yard",
    )
    assert status == 202 and "held for a supervisor" in page
    request_id = re.search(r"request <code>(s-[0-9a-f]+)</code>", page).group(1)  # type: ignore[union-attr]
    supervisor = browser(app)
    sign_in(supervisor, "sup1")
    queue = supervisor.get("/console/approvals").text
    assert request_id in queue and "partial plate of a car taken" in queue
    csrf = token(supervisor, "/console/approvals")
    bad = supervisor.post(f"/console/approvals/{request_id}", data={"csrf": csrf, "decision": "x"})
    assert bad.status_code == 422
    done = supervisor.post(
        f"/console/approvals/{request_id}",
        data={"csrf": csrf, "decision": "approve", "note": "narrow enough"},
    )
    assert done.status_code == 200 and 'data-status="approved"' in done.text
    assert "<table" not in done.text  # the supervisor sees the decision, not the sightings
    assert f'action="/console/approvals/{request_id}"' not in done.text  # left the queue
    results = f"/console/searches/{request_id}/results"
    assert supervisor.post(results, data={"csrf": csrf}).status_code == 403
    mine = officer.get("/console/search").text
    assert f'action="{results}"' in mine
    got = officer.post(results, data={"csrf": token(officer, "/console/search")})
    assert got.status_code == 200 and 'id="results"' in got.text
    assert node.sim.stolen_records()[1]["plate"] in got.text
    status, page = search(
        supervisor,
        purpose="stolen_vehicle",
        search_type="partial",
        pattern=pattern,
        reason="partial plate of a car taken from the yard",
    )
    own = re.search(r"request <code>(s-[0-9a-f]+)</code>", page).group(1)  # type: ignore[union-attr]
    assert status == 202 and own not in supervisor.get("/console/approvals").text
    refused = supervisor.post(
        f"/console/approvals/{own}", data={"csrf": csrf, "decision": "approve", "note": "mine"}
    )
    assert refused.status_code == 403 and "two-person rule" in refused.text


def test_a_user_takes_over_the_password_an_admin_set(app: object, node: Node) -> None:
    identity = node.system.identity
    identity.add_user(
        "ofc9", "ctpd", "officer", "Officer Nine", actor=node.users["adm1"], password=PASSWORD
    )
    before = identity.verify_password("ofc9", PASSWORD)[0]
    assert identity.signers(before) == {"ofc9", "adm1"}  # the admin could be behind it
    client = browser(app)
    sign_in(client, "ofc9")
    assert client.get("/console").status_code == 200
    csrf = token(client, "/console/password")
    new = "ofc9's very own passphrase"
    wrong = client.post(
        "/console/password",
        data={"csrf": csrf, "current": "not it at all", "new_password": new, "again": new},
    )
    assert wrong.status_code == 401
    differ = client.post(
        "/console/password",
        data={"csrf": csrf, "current": PASSWORD, "new_password": new, "again": new + "x"},
    )
    assert differ.status_code == 422 and "differ" in differ.text
    done = client.post(
        "/console/password",
        data={"csrf": csrf, "current": PASSWORD, "new_password": new, "again": new},
    )
    assert done.status_code == 303 and done.headers["location"].startswith("/console/login")
    assert client.get("/console").status_code == 303  # signed out everywhere
    after = identity.verify_password("ofc9", new)[0]
    assert identity.signers(after) == {"ofc9"}


def test_an_alert_on_the_plate_text_alone_says_the_state_was_not_read(
    app: object, node: Node
) -> None:
    from trustlpr.core import Read

    assert node.sim is not None
    listed = node.sim.stolen_records()[0]["plate"]
    camera = node.system.cameras.list()[0].id  # type: ignore[attr-defined]
    frigate = Read(listed, None, 0.9, node.clock.now, camera, "ctpd", 41.76, -72.67)
    node.system.ingest([frigate])
    alert = node.system.alerts.list_alerts(status="unverified", limit=1)[0]
    assert alert.read["plate"] == listed and alert.state_not_read  # ct-pa-26-14 says "alert"
    client = browser(app)
    sign_in(client, "off1")
    page = client.get("/console/alerts").text
    card = page[page.index(f'id="card-{alert.id}"') :].split("</article>", 1)[0]
    assert "state not read, verify it on the photo" in card


def test_an_attribute_search_from_the_form_is_allowed_with_a_warrant(
    app: object, node: Node
) -> None:
    assert node.sim is not None
    stolen = node.sim.stolen_records()[0]
    cameras = [c.camera.id for c in node.system.cameras.list(include_disabled=False)]
    start, end = datetime(2026, 11, 2, 4, tzinfo=UTC), datetime(2026, 11, 3, tzinfo=UTC)
    wanted = VehicleAttributes.parse(make=stolen["make"], colour=stolen["colour"])
    expected = [
        s.read.plate for s in node.system.store.find_vehicles(wanted, start, end, cameras=cameras)
    ]
    assert expected  # the simulated city has such vehicles
    client = browser(app)
    sign_in(client, "off1")
    asked = {
        "purpose": "violent_felony", "offense_code": "homicide", "search_type": "attribute",
        "make": stolen["make"], "colour": stolen["colour"], "cameras": ",".join(cameras),
        "window_start": "2026-11-02T04:00", "window_end": "2026-11-03T00:00",
        "reason": f"homicide on Elm St, a witness saw a {stolen['colour']} car leave",
    }  # fmt: skip
    status, page = search(client, **asked)
    assert status == 403 and 'data-rule="legal-basis.insufficient"' in page
    assert "Results:" not in page
    status, page = search(client, **asked, legal_basis="warrant", warrant_id="SW-2026-0413")
    assert status == 200, page
    results = page.split("Results:")[1]
    assert results.startswith(f" {len(expected)} read")
    assert all(plate in results for plate in expected)
    assert re.search(r'<option value="[^"]+" selected>' + re.escape(wanted.make or ""), page)
    status, page = search(client, **asked, legal_basis="exigent")
    assert status == 202 and "Results:" not in page  # exigency waits for a supervisor here
    supervisor = browser(app)
    sign_in(supervisor, "sup1")
    assert (
        f"{wanted.make} {wanted.colour}, 2026-11-02 04:00"
        in supervisor.get("/console/approvals").text
    )  # what the supervisor decides on
    size = node.system.audit.log.size
    for field, bad in (("colour", {"colour": "plaid"}), ("make", {"make": "", "colour": ""})):
        status, page = search(client, **{**asked, **bad})
        assert status == 422 and re.search(rf'id="{field}"[^>]*aria-invalid="true"', page), field
    assert node.system.audit.log.size == size


def test_the_form_sends_a_warrants_scope_that_opens_a_window_a_warrantless_search_may_not(
    app: object, node: Node
) -> None:
    assert node.sim is not None
    plate = node.sim.stolen_records()[0]["plate"]
    officer = browser(app)
    sign_in(officer, "off1")
    asked = {
        "purpose": "stolen_vehicle",
        "plate": plate,
        "reason": "car stolen from the depot yard in September",
        "window_start": "2026-09-20T00:00",  # 44 days: ct-pa-26-14 allows 30 without a warrant
    }
    status, page = search(officer, **asked)
    assert status == 403 and 'data-rule="window.too-long"' in page
    order = {"legal_basis": "warrant", "warrant_id": "SW-2026-0877"}
    status, page = search(officer, **asked, **order)  # an order's number alone: the same limits
    assert status == 403 and 'data-rule="window.too-long"' in page
    scope = {
        "warrant_court": "Superior Court, Judicial District of Hartford",
        "warrant_window_start": "2026-09-01T00:00",
        "warrant_window_end": "2026-11-03T05:00",
        "warrant_plates": plate.lower(),
    }
    status, page = search(officer, **asked, **order, **scope)
    assert status == 202 and 'data-rule="approval.warrant-scope"' in page, page
    request_id = re.search(r"request <code>(s-[0-9a-f]+)</code>", page).group(1)  # type: ignore[union-attr]
    queue = node.system.search.pending(node.users["sup1"])
    (held,) = [h for h in queue if h.request_id == request_id]
    assert held.request is not None and held.request.warrant_scope is not None
    assert held.request.warrant_scope.plates == (plate,)
    assert held.request.warrant_scope.court == scope["warrant_court"]
    supervisor = browser(app)
    sign_in(supervisor, "sup1")
    queue = supervisor.get("/console/approvals").text
    shown = re.search(r'<dd class="warrant-scope">([^<]*)</dd>', queue)
    assert shown, queue  # what the order authorises, for the second person to judge
    assert shown.group(1) == (
        "Superior Court, Judicial District of Hartford; 2026-09-01 00:00 to 2026-11-03 05:00 UTC;"
        " any camera; 1 plate"
    )
    node.system.search.decide_pending(node.users["sup1"], request_id, approve=True)
    got = officer.post(
        f"/console/searches/{request_id}/results", data={"csrf": token(officer, "/console/search")}
    )
    assert got.status_code == 200 and 'id="results"' in got.text and plate in got.text
    outside = {**scope, "warrant_plates": "ZZZ9999"}  # the order names another plate
    status, page = search(officer, **asked, **order, **outside)
    assert status == 403 and 'data-rule="warrant.outside-plate"' in page
    size = node.system.audit.log.size
    for field, bad in (
        ("warrant_window_end", {**scope, "warrant_window_end": "2026-08-01T00:00"}),
        ("warrant_court", {**scope, "warrant_court": ""}),
        ("warrant_window_start", {**scope, "warrant_window_start": "yesterday"}),
        ("warrant_plates", {**scope, "warrant_plates": "AB$12"}),
    ):
        status, page = search(officer, **asked, **order, **bad)
        assert status == 422, field
        assert re.search(rf'id="{field}"[^>]*aria-invalid="true"', page), field
        assert 'value="Superior Court' in page or field == "warrant_court"  # kept to correct
    assert node.system.audit.log.size == size  # nothing logged for a form with a bad field
