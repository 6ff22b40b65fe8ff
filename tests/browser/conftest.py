"""Browser fixtures: a real node served by uvicorn on a free port, and Debian's Chromium.

Chromium is launched from ``/usr/bin/chromium`` (``apt-get install chromium``; see
scripts/setup-system.sh) and never downloaded; without it these tests fail, they do not skip.
Screenshots go to ``artifacts/screenshots/`` (git-ignored). axe-core comes from the npm
registry into a cache outside the repository (scripts/setup-system.sh); without it the
accessibility tests fail, they do not skip.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
import uvicorn
from fastapi import FastAPI
from playwright.sync_api import Browser, Page, sync_playwright

from tests.conftest import FakeClock
from tests.web.portal_node import PASSWORD, Node, build_node, city, register_city, simulate
from trustlpr.core import Read
from trustlpr.sim.images import plate_crop
from trustlpr.web.app import create_app
from trustlpr.web.portal_cache import PortalCache

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
_CACHE = os.environ.get("TRUSTLPR_CACHE") or str(
    Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "trustlpr"
)
AXE_JS = Path(_CACHE) / "axe-core" / "node_modules" / "axe-core" / "axe.min.js"
DESKTOP, PHONE = {"width": 1100, "height": 900}, {"width": 390, "height": 844}
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


@dataclass
class Served:
    node: Node
    base: str
    portal: PortalCache


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="package")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    clock = FakeClock(datetime(2026, 11, 2, 4, 0, tzinfo=UTC))
    node = build_node(tmp_path_factory.mktemp("browser") / "data", clock)
    register_city(node, city(date(2026, 11, 2)))
    simulate(node, 2)
    app = create_app(node.system, portal_ttl=0, exposure=True)
    try:
        with serving(app) as base:
            yield Served(node, base, app.state.portal)
    finally:
        node.close()


@contextmanager
def serving(app: FastAPI) -> Iterator[str]:
    """``app`` served by uvicorn on a free port of 127.0.0.1 while the block runs; its base URL.
    The app's portal cache is closed after."""
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("the TrustLPR service did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)
        app.state.portal.close()


@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.is_file():
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's chromium (apt-get install -y chromium, "
            "or scripts/setup-system.sh); browser tests never download a browser"
        )
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Browser, served: Served) -> Iterator[Page]:
    context = browser.new_context(base_url=served.base, viewport=DESKTOP)
    context.set_default_timeout(15_000)
    tab = context.new_page()
    try:
        yield tab
    finally:
        context.close()


def shot(page: Page, name: str, *, full_page: bool = True) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def sign_in(page: Page, user_id: str) -> None:
    page.goto("/console/login")
    page.get_by_label("User id").fill(user_id)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/console")


def serious_violations(page: Page) -> list[dict[str, object]]:
    """What axe-core finds serious or critical on the page as it is now: ``[{id, impact,
    help, targets}]``. Evaluated through the debugging protocol, so the page's own
    Content-Security-Policy (``script-src 'self'``) stays as it is served."""
    if not AXE_JS.is_file():
        pytest.fail(
            f"{AXE_JS} is missing: scripts/setup-system.sh installs axe-core from the npm "
            "registry (make system)"
        )
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(AXE_JS.read_text(encoding="utf-8") + "\n;undefined")
    found = page.evaluate(
        """async tags => {
            const r = await axe.run(document, {runOnly: {type: "tag", values: tags},
                                               resultTypes: ["violations"]});
            return r.violations.filter(v => v.impact === "serious" || v.impact === "critical")
              .map(v => ({id: v.id, impact: v.impact, help: v.help,
                          targets: v.nodes.slice(0, 5).map(n => n.target.join(" "))}));
        }""",
        AXE_TAGS,
    )
    return list(found)


def fresh_alert(served: Served, minutes: int) -> str:
    """A read of a listed plate, now, with its crop: a new alert in the queue; its id."""
    node = served.node
    assert node.sim is not None
    record = node.sim.stolen_records()[0]
    camera = node.system.cameras.list()[0].camera  # type: ignore[attr-defined]
    read = Read(record["plate"], record["state"], 0.93,
                node.clock.now - timedelta(minutes=minutes), camera.id, camera.agency_id,
                camera.latitude, camera.longitude, direction=camera.direction)  # fmt: skip
    node.system.ingest([read], images={0: plate_crop(record["plate"], record["state"])})
    waiting = node.system.alerts.list_alerts(status="unverified", limit=1000)  # type: ignore[attr-defined]
    return next(a.id for a in waiting if a.read["observed_at"].startswith(
        read.observed_at.isoformat()[:19]) and a.read["plate"] == record["plate"])  # fmt: skip


def ask(page: Page, plate: str, *, purpose: str = "stolen_vehicle", reason: str = "") -> None:
    """Fills the console's search form for ``plate`` (the last 7 days) and asks."""
    page.goto("/console/search")
    page.get_by_label("Purpose").select_option(purpose)
    if purpose == "stolen_vehicle":
        page.get_by_label("Offense").select_option("larceny_motor_vehicle")
        page.get_by_label("Legal basis").select_option("hotlist")
    page.get_by_label("Case number").fill("2026-000777")
    page.get_by_label("Reason").fill(
        reason or "car reported stolen from the Elm Street garage last night"
    )
    page.get_by_label("Plate (exact and convoy)").fill(plate)  # the window: the last 7 days
    page.get_by_role("button", name="Ask the policy, then search").click()
