"""axe-core on every portal and console page, and the officer's two jobs done with the keyboard
alone: a search and an alert check (issue 18 item 5).

axe-core (npm registry, installed by scripts/setup-system.sh outside the repository) runs in
Debian's Chromium on each page as a person reaches it; no serious or critical violation may be
left. The page list is checked against the app's routes, so a new page cannot be missed.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import (
    DESKTOP,
    PHONE,
    Served,
    ask,
    fresh_alert,
    serious_violations,
    shot,
    sign_in,
)
from trustlpr.web.console import router as console_router
from trustlpr.web.portal import router as portal_router

pytestmark = pytest.mark.browser

PORTAL = ["/", "/policy", "/cameras", "/sharing", "/reports", "/verify"]
YEAR_PAGE = "/reports/{year}"  # visited as the current year's report
# the console's pages by who sees them; a card fragment is checked inside the alerts page
CONSOLE = {
    None: ["/console/login"],
    "off1": ["/console", "/console/password", "/console/search", "/console/alerts"],
    "sup1": ["/console/approvals"],
    "aud1": ["/console/audit"],
}
NOT_PAGES = {"/static/{name}", "/console/alerts/{alert_id}/card"}


def _page_routes() -> set[str]:
    routes = [*portal_router.routes, *console_router.routes]
    return {
        r.path  # type: ignore[attr-defined]
        for r in routes
        if "GET" in getattr(r, "methods", set())
        and r.path not in NOT_PAGES  # type: ignore[attr-defined]
        and "." not in r.path.rsplit("/", 1)[-1]  # type: ignore[attr-defined]  # data files
    }


def _check(page: Page, where: str, found: dict[str, list[dict[str, object]]]) -> None:
    """axe-core on the page at a desktop's width and then a phone's."""
    expect(page.locator("h1").first).to_be_visible()
    for name, size in (("desktop", DESKTOP), ("phone", PHONE)):
        page.set_viewport_size(size)
        page.evaluate("new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)))")  # resized
        problems = serious_violations(page)
        if problems:
            found[f"{where} ({name})"] = problems
    page.set_viewport_size(DESKTOP)


def test_no_serious_axe_violation_on_any_page(page: Page, served: Served) -> None:
    listed = set(PORTAL) | {YEAR_PAGE} | {p for pages in CONSOLE.values() for p in pages}
    assert _page_routes() <= listed, (
        "a page the accessibility check does not visit",
        sorted(_page_routes() - listed),
    )
    found: dict[str, list[dict[str, object]]] = {}
    for path in [*PORTAL, YEAR_PAGE.format(year=datetime.now(UTC).year)]:
        page.goto(path)
        _check(page, path, found)
    for user, paths in CONSOLE.items():
        if user is not None:
            sign_in(page, user)
        for path in paths:
            page.goto(path)
            _check(page, path, found)
        if user == "off1":  # the search's three outcomes and an error page, as reached
            assert served.node.sim is not None
            plate = served.node.sim.stolen_records()[0]["plate"]
            for purpose, reason, what in (
                ("stolen_vehicle", "", "allowed"),
                ("immigration_enforcement", "HSI agent asked for this plate", "denied"),
            ):
                ask(page, plate, purpose=purpose, reason=reason)
                expect(page.locator("#decision")).to_contain_text(f"Decision: {what}")
                _check(page, f"search {what}", found)
            page.goto("/console/audit")  # an officer: refused, on the error page
            _check(page, "error page", found)
            fresh_alert(served, 3)  # so the queue has a card with its photo and map
            page.goto("/console/alerts")
            _check(page, "alerts", found)
        page.context.clear_cookies()
    assert not found, found


def _tab_to(page: Page, test: str, limit: int = 80) -> None:
    """Presses Tab until ``test`` (a JS expression on ``el``, the focused element) holds."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(f"(() => {{ const el = document.activeElement; return {test}; }})()"):
            return
    pytest.fail(f"Tab never reached an element where {test}")


def test_search_and_alert_check_with_the_keyboard_alone(page: Page, served: Served) -> None:
    assert served.node.sim is not None
    plate = served.node.sim.stolen_records()[0]["plate"]
    page.goto("/console/login")
    _tab_to(page, "el.name === 'user_id'")
    page.keyboard.type("off2")
    page.keyboard.press("Tab")
    page.keyboard.type("correct horse battery staple")
    page.keyboard.press("Enter")
    page.wait_for_url("**/console")
    # the search: every field reached by Tab, choices made with the arrow keys
    page.goto("/console/search")
    _tab_to(page, "el.name === 'purpose'")
    page.keyboard.type("stolen v")  # a select's type-ahead picks the option
    for name, text in (("case_number", "2026-000782"),
                       ("reason", "car reported stolen from the Oak Street lot last night"),
                       ("plate", plate)):  # fmt: skip
        _tab_to(page, f"el.name === '{name}'")
        page.keyboard.type(text)
    _tab_to(page, "el.name === 'offense_code'")
    page.keyboard.type("larceny motor")
    _tab_to(page, "el.name === 'legal_basis'")
    page.keyboard.type("hot")
    _tab_to(page, "el.type === 'submit' && el.form.action.endsWith('/console/search')")
    page.keyboard.press("Enter")
    expect(page.locator("#decision")).to_contain_text("Decision: allowed")
    expect(page.locator("#results")).to_contain_text(plate)
    # the alert check: note typed, "Confirmed" pressed, all by keyboard
    alert_id = fresh_alert(served, 5)
    page.goto("/console/alerts")
    _tab_to(page, f"el.id === 'note-{alert_id}'")
    page.keyboard.type("photo matches the listed plate; NCIC confirms the theft report")
    _tab_to(page, "el.tagName === 'BUTTON' && el.value === 'confirmed'")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").first).to_contain_text("The check was recorded.")
    expect(page.locator("#confirmed")).to_have_attribute("data-alert", alert_id)
    assert served.node.system.alerts.get(alert_id).status == "confirmed"  # type: ignore[attr-defined]
    shot(page, "console-alert-confirmed-keyboard", full_page=False)
