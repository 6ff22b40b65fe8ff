"""The street maps in Debian's Chromium: with a tile server (a local one, serving a PNG) the
portal's camera map, an alert's map and a search's sightings map are Leaflet maps on those
tiles with the OpenStreetMap credit and camera wedges; without tiles, or with a tile server
that does not answer, the SVG map is what shows. axe-core checks the street-map pages."""

from __future__ import annotations

import io
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from PIL import Image, ImageDraw
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import (
    DESKTOP,
    PHONE,
    Served,
    ask,
    free_port,
    fresh_alert,
    serious_violations,
    serving,
    shot,
    sign_in,
)
from trustlpr.web.app import create_app
from trustlpr.web.tile_map import OSM_ATTRIBUTION, TileLayer

pytestmark = pytest.mark.browser
_TILE_PATH = re.compile(r"^/(\d+)/(\d+)/(\d+)\.png$")


def _tile_png() -> bytes:
    image = Image.new("RGB", (256, 256), (236, 232, 224))
    draw = ImageDraw.Draw(image)
    draw.line((0, 128, 256, 128), fill=(255, 255, 255), width=10)  # a street across
    draw.line((128, 0, 128, 256), fill=(255, 255, 255), width=6)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


class TileServer:
    """A tile server on 127.0.0.1: one PNG for every ``/z/x/y.png``; counts what it served."""

    def __init__(self) -> None:
        png, served = _tile_png(), [0]

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if not _TILE_PATH.match(self.path):
                    self.send_error(404)
                    return
                served[0] += 1
                self.send_response(200)
                self.send_header("Content-Type", "image/png")
                self.send_header("Content-Length", str(len(png)))
                self.end_headers()
                self.wfile.write(png)

            def log_message(self, *_: object) -> None:
                pass

        self._served = served
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = int(self.httpd.server_address[1])
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    @property
    def served(self) -> int:
        return self._served[0]

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture(scope="module")
def tile_server() -> Iterator[TileServer]:
    server = TileServer()
    yield server
    server.close()


@pytest.fixture(scope="module")
def tiled(served: Served, tile_server: TileServer) -> Iterator[str]:
    """The same node served again, with the local tile server as its ``map_tiles``."""
    url = f"http://127.0.0.1:{tile_server.port}/{{z}}/{{x}}/{{y}}.png"
    app = create_app(served.node.system, portal_ttl=0, exposure=False,
                     tiles=TileLayer(url, OSM_ATTRIBUTION))  # fmt: skip
    with serving(app) as base:
        yield base


def _tab(browser: Browser, base: str, viewport: dict[str, int] = DESKTOP) -> Page:
    context = browser.new_context(base_url=base, viewport=viewport)  # type: ignore[arg-type]
    context.set_default_timeout(15_000)
    tab = context.new_page()
    blocked: list[str] = []
    tab.on("console", lambda m: blocked.append(m.text) if "Content Security" in m.text else None)
    tab.blocked = blocked  # type: ignore[attr-defined]
    return tab


def _shows_street_map(tab: Page, frame: str) -> None:
    box = tab.locator(frame)
    box.scroll_into_view_if_needed()  # maps are drawn as they come near the screen
    expect(box).to_have_attribute("data-map", "tiles")
    assert box.locator("img.leaflet-tile-loaded").count() > 0
    expect(box.locator(".leaflet-control-attribution")).to_contain_text("OpenStreetMap")
    expect(box.locator("svg").first).to_be_hidden()  # the SVG map, under the street map
    assert not tab.blocked, tab.blocked  # type: ignore[attr-defined]


def test_portal_camera_map_on_tiles_with_credit_and_wedges(
    browser: Browser, tiled: str, tile_server: TileServer
) -> None:
    tab = _tab(browser, tiled)
    before = tile_server.served
    tab.goto("/cameras")
    _shows_street_map(tab, "figure.mapbox .mapframe")
    assert tile_server.served > before
    assert tab.locator(".tilemap path.wedge").count() > 0, "camera wedges on the street map"
    assert tab.locator(".tilemap path.cam").count() > 0
    expect(tab.locator(".tilemap[role=region]")).to_have_attribute(
        "aria-label", re.compile("camera")
    )
    shot(tab, "portal-cameras-tiles")
    assert serious_violations(tab) == []
    tab.set_viewport_size(PHONE)
    tab.goto("/cameras?phone")
    _shows_street_map(tab, "figure.mapbox .mapframe")
    assert tab.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(tab, "portal-cameras-tiles-phone")
    assert serious_violations(tab) == []
    tab.context.close()


def test_without_tiles_the_portal_shows_the_svg_map_and_loads_no_script(
    browser: Browser, served: Served
) -> None:
    tab = _tab(browser, served.base)
    scripts: list[str] = []
    tab.on("request", lambda r: scripts.append(r.url) if r.resource_type == "script" else None)
    tab.goto("/cameras")
    expect(tab.locator("svg.map")).to_be_visible()
    assert tab.locator(".mapframe, .leaflet-container").count() == 0
    assert scripts == []
    shot(tab, "portal-cameras-svg")
    tab.context.close()


def test_unreachable_tiles_fall_back_to_the_svg_map(browser: Browser, served: Served) -> None:
    nowhere = f"http://127.0.0.1:{free_port()}/{{z}}/{{x}}/{{y}}.png"  # nothing listens there
    app = create_app(served.node.system, portal_ttl=0, exposure=False,
                     tiles=TileLayer(nowhere, OSM_ATTRIBUTION))  # fmt: skip
    with serving(app) as base:
        tab = _tab(browser, base)
        tab.goto("/cameras")
        frame = tab.locator("figure.mapbox .mapframe")
        frame.scroll_into_view_if_needed()
        expect(frame).to_have_attribute("data-fallback", re.compile("no tile"))
        expect(frame).to_have_attribute("data-map", "svg")
        expect(frame.locator("svg.map")).to_be_visible()
        assert frame.locator(".leaflet-container").count() == 0
        shot(tab, "portal-cameras-tiles-unreachable")
        assert serious_violations(tab) == []
        tab.context.close()


def test_alert_and_sightings_maps_on_tiles(browser: Browser, served: Served, tiled: str) -> None:
    assert served.node.sim is not None
    fresh_alert(served, 11)
    tab = _tab(browser, tiled, PHONE)
    sign_in(tab, "off1")
    tab.goto("/console/alerts")
    _shows_street_map(tab, "article.alert-card .mapframe >> nth=0")
    card = tab.locator("article.alert-card").first
    cards = tab.locator("article.alert-card")
    assert cards.count() > 8  # two simulated days of hits
    # a card far down the queue asks for no tile until scrolled to
    expect(cards.last.locator(".mapframe")).to_have_attribute("data-map", "svg")
    assert cards.last.locator(".leaflet-container").count() == 0
    assert (
        card.locator(".tilemap path.cam.here:not(.wedge)").count() == 1
    )  # the camera that read it
    shot(tab, "console-alerts-tiles-phone")
    assert serious_violations(tab) == []
    tab.set_viewport_size(DESKTOP)
    ask(tab, served.node.sim.stolen_records()[0]["plate"])
    expect(tab.locator("#decision")).to_contain_text("Decision: allowed")
    _shows_street_map(tab, "#sightings-map .mapframe")
    stops = tab.locator("#sightings-map g.stop").count()
    assert tab.locator("#sightings-map .tilemap path.seen:not(.wedge)").count() == stops
    assert tab.locator("#sightings-map .leaflet-tooltip.stop-label").count() == stops
    shot(tab, "console-search-tiles")
    assert serious_violations(tab) == []
    tab.context.close()
