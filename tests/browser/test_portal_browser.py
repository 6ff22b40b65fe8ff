"""The portal and the console in Debian's Chromium: figures checked against recompute-stats,
an allowed and a forbidden search, an alert confirmed, a held search approved, keyboard and
labels. Screenshots of every page land in artifacts/screenshots/."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from typer.testing import CliRunner

from tests.browser.conftest import Served, ask, shot, sign_in
from tests.web.portal_node import lookup
from trustlpr.cli.main import app as cli

pytestmark = pytest.mark.browser

PORTAL_PAGES = {"/": "portal-overview", "/policy": "portal-policy", "/cameras": "portal-cameras",
                "/sharing": "portal-sharing", "/verify": "portal-verify"}  # fmt: skip


def shown_figures(page: Page) -> list[tuple[list[str], Any]]:
    raw = page.eval_on_selector_all(
        "data[data-figure]", "els => els.map(e => [e.dataset.figure, e.getAttribute('value')])"
    )
    return [(json.loads(path), json.loads(value)) for path, value in raw]


def recompute(served: Served, size: int) -> dict[str, Any]:
    data_dir = served.node.data_dir
    result = CliRunner().invoke(
        cli,
        ["--data-dir", str(data_dir), "audit", "recompute-stats", "--size", str(size), "--json"],
    )
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.stdout.strip().splitlines()[-1]))


def test_portal_figures_equal_recompute_stats(page: Page, served: Served) -> None:
    for path, name in PORTAL_PAGES.items():
        page.goto(path)
        expect(page.locator("h1")).to_be_visible()
        figures = shown_figures(page)
        assert figures, f"{path} shows no figures"
        size = next(v for p, v in figures if p == ["log", "size"])
        recomputed = recompute(served, size)
        wrong = [(p, v, lookup(recomputed, p)) for p, v in figures if lookup(recomputed, p) != v]
        assert not wrong, (path, wrong[:5])
        shot(page, name)
    page.goto("/")
    assert page.locator("svg.chart").count() >= 5
    assert "reads stored" in page.locator(".cards").inner_text()
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "the overview must not scroll sideways on a phone"
    shot(page, "portal-overview-phone")


def test_exposure_figure_is_shown_once_computed(page: Page, served: Served) -> None:
    page.goto("/cameras")  # starts the computation, unless an earlier page did
    expect(page.locator("svg.map circle").first).to_be_visible()
    assert served.portal.exposure.wait(timeout=600), "the exposure worker never finished"
    # Another address of the same page: the browser may keep the first answer for its
    # max-age (5 s), and the computation may have finished well within that.
    page.goto("/cameras?after=exposure")
    expect(page.locator(".reveal")).to_contain_text("could infer the home area")
    shot(page, "portal-cameras-exposure")


def test_allowed_search_shows_sightings_with_images_on_a_map_and_timeline(
    page: Page, served: Served
) -> None:
    assert served.node.sim is not None
    plate = served.node.sim.stolen_records()[0]["plate"]
    sign_in(page, "off1")
    page.get_by_role("link", name="Search", exact=True).click()
    ask(page, plate)
    decision = page.locator("#decision")
    expect(decision).to_contain_text("Decision: allowed")
    results = page.locator("#results")
    expect(results).to_contain_text("Results:")
    assert decision.bounding_box()["y"] < results.bounding_box()["y"]  # type: ignore[index]
    sightings = page.locator("#sightings li.sighting")
    count = sightings.count()
    assert count > 0
    expect(results).to_contain_text(plate)
    # each sighting: its image (decoded by the browser), time, camera and direction
    images = page.locator("#sightings img")
    assert images.count() == count, "every sighting of the stolen car has its plate crop"
    widths = images.evaluate_all("els => els.map(e => e.complete ? e.naturalWidth : 0)")
    assert all(w > 0 for w in widths), widths
    first = sightings.first.inner_text()
    assert "Seen (UTC)" in first and "Camera" in first and "Direction" in first
    # the map: one stop per camera that saw it, numbered; the timeline: a dot per (day, camera)
    cameras = set(sightings.evaluate_all("els => els.map(e => e.dataset.camera)"))
    stops = page.locator("#sightings-map g.stop").evaluate_all(
        "els => els.map(e => e.dataset.camera)"
    )
    assert set(stops) == cameras and len(stops) == len(cameras)
    dots = page.locator("#timeline circle.seen").evaluate_all(
        "els => els.map(e => [e.dataset.day, e.dataset.camera])"
    )
    pairs = set(
        sightings.evaluate_all("els => els.map(e => e.dataset.day + '|' + e.dataset.camera)")
    )
    assert {f"{d}|{c}" for d, c in dots} == pairs
    shot(page, "console-search-allowed")
    # filtering by camera, in the page
    camera = sorted(cameras)[0]
    page.get_by_label("Show camera").select_option(camera)
    visible = page.locator("#sightings li.sighting:visible")
    expected = sightings.evaluate_all(f"els => els.filter(e => e.dataset.camera == '{camera}')")
    expect(visible).to_have_count(len(expected))
    page.get_by_label("Show camera").select_option("")
    expect(visible).to_have_count(count)
    # the case file: self-contained, the decision, its reasons, the audit entries, the sightings
    with page.expect_download() as info:
        page.locator("#case-file").click()
    html = Path(info.value.path()).read_text(encoding="utf-8")
    index = decision.inner_text().split("audit log entry ")[1].split(" ")[0]
    assert f'id="decision-entry">{index}<' in html
    assert "Decision: allowed" in html and 'data-rule="' in html
    assert html.count('class="sighting"') == count
    assert html.count("data:image/jpeg;base64,") == count
    assert set(re.findall(r'class="plate">([^<]+)<', html)) == {plate}  # nothing else
    assert not re.search(r'(src|href)="(https?:|/)', html), "the case file fetches nothing"
    page.set_viewport_size({"width": 390, "height": 844})
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, "the sightings must not scroll sideways on a phone"
    shot(page, "console-search-allowed-phone")


def test_forbidden_search_shows_only_the_decision(page: Page, served: Served) -> None:
    assert served.node.sim is not None
    plate = served.node.sim.stolen_records()[0]["plate"]  # a plate with sightings
    sign_in(page, "off2")
    ask(page, plate, purpose="immigration_enforcement",
         reason="HSI agent asked for this plate, per agent request")  # fmt: skip
    decision = page.locator("#decision")
    expect(decision).to_contain_text("Decision: denied")
    rules = decision.locator("li[data-rule]").evaluate_all("els => els.map(e => e.dataset.rule)")
    assert "purpose.prohibited" in rules, rules
    expect(decision).to_contain_text("immigration")
    for nothing in ("#results", "#sightings", "#sightings-map", "#timeline", "#case-file", "img"):
        assert page.locator(nothing).count() == 0, nothing
    shot(page, "console-search-denied")


def test_officer_confirms_an_alert_and_the_portal_counts_it(page: Page, served: Served) -> None:
    page.goto("/figures.json")
    before = json.loads(page.locator("body").inner_text())["hotlist"]["confirmed"]
    sign_in(page, "off1")
    page.get_by_role("link", name="Alerts", exact=True).click()
    card = page.locator("article.alert-card").first
    expect(card).to_be_visible()
    shot(page, "console-alerts", full_page=False)
    card.get_by_label("What you checked").fill("photo matches; NCIC confirms the stolen report")
    card.get_by_role("button", name="Confirmed").click()
    expect(page.locator(".flash")).to_contain_text("The check was recorded.")
    page.goto("/")
    after = page.locator('data[data-figure=\'["hotlist", "confirmed"]\']').first
    expect(after).to_have_attribute("value", str(before + 1))


def test_supervisor_approves_a_held_search(page: Page, served: Served) -> None:
    sign_in(page, "off2")
    page.goto("/console/search")
    page.get_by_label("Purpose").select_option("stolen_vehicle")
    page.get_by_label("Case number").fill("2026-000779")
    page.get_by_label("Reason").fill("partial plate of the car taken from the depot yard")
    page.get_by_label("Kind of search").select_option("partial")
    assert served.node.sim is not None
    plate = served.node.sim.stolen_records()[1]["plate"]
    page.get_by_label("Pattern (partial)").fill(plate[:3] + "*")
    page.get_by_role("button", name="Ask the policy, then search").click()
    expect(page.locator("#decision")).to_contain_text("held for a supervisor")
    page.get_by_role("button", name="Sign out off2").click()
    sign_in(page, "sup1")
    page.get_by_role("link", name="Approvals", exact=True).click()
    held = page.locator("article", has_text="2026-000779")
    expect(held).to_be_visible()
    held.get_by_label("Note").fill("pattern is narrow; depot theft case 779")
    held.get_by_role("button", name="Approve").click()
    expect(page.locator("#decided")).to_contain_text("approved")
    shot(page, "console-approvals")
    page.get_by_role("button", name="Sign out sup1").click()
    sign_in(page, "off2")  # the results go to the officer who asked
    page.goto("/console/search")
    page.locator("#mine").get_by_role("button", name="Run it and show the results").last.click()
    expect(page.locator("#results")).to_contain_text(plate)


def test_keyboard_and_labels(page: Page, served: Served) -> None:
    page.goto("/")
    page.keyboard.press("Tab")
    focused = page.evaluate("document.activeElement.textContent")
    assert focused == "Skip to content"
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "main"
    sign_in(page, "off1")
    page.goto("/console/search")
    unlabelled = page.evaluate(
        """() => [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
              .filter(el => el.labels.length === 0).map(el => el.name)"""
    )
    assert unlabelled == []
    # the whole form can be filled and sent with the keyboard alone
    page.get_by_label("Purpose").focus()
    page.keyboard.press("ArrowDown")
    # every field on the way (warrant scope and vehicle blocks included) is one tab stop, a
    # date-time field one per part and its picker (seven in Chromium)
    fields = page.evaluate(
        """() => [...document.querySelectorAll(
              'form input:not([type=hidden]), form select, form textarea')]
              .reduce((n, el) => n + (el.type === 'datetime-local' ? 8 : 2), 0)"""
    )
    tabs = 0
    while page.evaluate("document.activeElement.tagName") != "BUTTON" and tabs <= fields:
        page.keyboard.press("Tab")
        tabs += 1
    assert page.evaluate("document.activeElement.textContent") == "Ask the policy, then search"
    ratio = page.evaluate(
        """() => {
          const lum = c => { const [r, g, b] = c.match(/\\d+/g).slice(0, 3).map(v => {
              v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; });
            return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
          const s = getComputedStyle(document.body);
          const a = lum(s.color), b = lum(s.backgroundColor);
          return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
        }"""
    )
    assert ratio >= 7, ratio
    shot(page, "console-search-form")
