"""The alert queue on a phone, kept current by the alert stream (issue 18 item 2): a read of a
listed plate raised while the page is open appears as a card with its photo, the listing and
the camera's map; another officer's check takes a card away; the officer confirms from the
phone, then records what came of the stop."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import PHONE, Served, fresh_alert, shot, sign_in

pytestmark = pytest.mark.browser


def test_officer_verifies_a_live_alert_from_a_phone(page: Page, served: Served) -> None:
    page.set_viewport_size(PHONE)
    sign_in(page, "off1")
    page.goto("/console/alerts")
    expect(page.locator("#queue")).to_have_attribute("data-live", "on")  # the stream is open
    alert_id = fresh_alert(served, 7)  # raised after the page loaded
    card = page.locator(f"#card-{alert_id}")
    expect(card).to_be_visible()  # put there by the stream, no reload
    expect(page.locator("#live")).to_contain_text("New hot-list alert")
    photo = card.locator(".alert-photo img")
    expect(photo).to_be_visible()
    assert photo.evaluate("e => e.complete && e.naturalWidth") > 0
    alert = served.node.system.alerts.get(alert_id)  # type: ignore[attr-defined]
    listed = card.locator("dl.listed").inner_text()
    assert alert.entry["plate"] in listed and alert.entry["list_id"] in listed
    expect(card.locator("svg.map circle.here")).to_have_count(1)
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= PHONE["width"], "the alert queue must not scroll sideways on a phone"
    for name in ("Confirmed", "Misread plate", "Not the vehicle"):
        box = card.get_by_role("button", name=name).bounding_box()
        assert box is not None and box["height"] >= 44 and box["width"] >= 300  # thumb-sized
    card.scroll_into_view_if_needed()
    shot(page, "console-alert-phone", full_page=False)
    # another officer checks a second alert: it leaves this page by itself
    other = fresh_alert(served, 8)
    expect(page.locator(f"#card-{other}")).to_be_visible()
    served.node.system.alerts.verify(other, "misread", note="8 read as B", user="off2")  # type: ignore[attr-defined]
    expect(page.locator(f"#card-{other}")).to_have_count(0)
    expect(page.locator("#live")).to_contain_text("checked by off2: misread")
    # this officer confirms the first from the phone
    card.get_by_label("What you checked").fill("plate, state, make and colour match; NCIC hit")
    card.get_by_role("button", name="Confirmed").click()
    banner = page.locator("#confirmed")
    expect(banner).to_have_attribute("data-alert", alert_id)
    assert served.node.system.alerts.get(alert_id).status == "confirmed"  # type: ignore[attr-defined]
    shot(page, "console-alert-phone-confirmed", full_page=False)
    # then what came of the stop, from the same screen
    banner.get_by_label("Outcome").select_option("recovery")
    banner.get_by_label("Details (private; needed for “Other”)").fill("recovered at the lot")
    banner.get_by_role("button", name="Record the outcome").click()
    expect(page.locator(".flash")).to_contain_text("The outcome was recorded.")
    stored = served.node.system.alerts.get(alert_id)  # type: ignore[attr-defined]
    assert stored.stop_outcome is not None and stored.stop_outcome.value == "recovery"
