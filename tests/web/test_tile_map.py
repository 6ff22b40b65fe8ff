"""Street maps where the node has tiles: the vendored Leaflet is the pinned release, the pages'
Content-Security-Policy allows images from exactly the tile host, and the map pages carry the
SVG map with the tile layer and cameras for ``tilemap.js`` — and without tiles, no script."""

from __future__ import annotations

import hashlib
import html
import json
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.conftest import FakeClock
from tests.web.portal_node import Node, build_node, city, register_city
from trustlpr.settings import Settings
from trustlpr.web.app import create_app
from trustlpr.web.tile_map import OSM_ATTRIBUTION, TileLayer, content_security_policy, tile_layer

STATIC = Path(__file__).resolve().parents[2] / "src" / "trustlpr" / "web" / "static"
# Leaflet 1.9.4 from the npm registry (tarball sha512-nxS1ynzJ…A74PA==); see THIRD_PARTY.md
LEAFLET = {
    "leaflet.js": "db49d009c841f5ca34a888c96511ae936fd9f5533e90d8b2c4d57596f4e5641a",
    "leaflet.css": "a7837102824184820dfa198d1ebcd109ff6d0ff9a2672a074b9a1b4d147d04c6",
    "LICENSE.leaflet": "53e8dc25862014e4324741ca18fbe3611e11d42ef69f59f86ea8c5389647d4cb",
}
TILES = TileLayer("https://tiles.example.org:8443/{z}/{x}/{y}.png", OSM_ATTRIBUTION)


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    clock = FakeClock(datetime(2026, 11, 2, 4, 0, tzinfo=UTC))
    built = build_node(tmp_path_factory.mktemp("tiles") / "data", clock)
    register_city(built, city(date(2026, 11, 2)))
    yield built
    built.close()


def _client(node: Node, tiles: TileLayer | None) -> TestClient:
    return TestClient(create_app(node.system, portal_ttl=0, exposure=False, tiles=tiles))


def test_vendored_leaflet_is_the_pinned_release() -> None:
    sums = dict(
        reversed(line.split("  ", 1)) for line in (STATIC / "SHA256SUMS").read_text().splitlines()
    )
    assert sums == LEAFLET
    for name, digest in LEAFLET.items():
        assert hashlib.sha256((STATIC / name).read_bytes()).hexdigest() == digest, name
    assert "Leaflet 1.9.4" in (STATIC / "leaflet.js").read_text()[:200]
    assert "BSD 2-Clause" in (STATIC / "LICENSE.leaflet").read_text()


def test_csp_allows_images_from_exactly_the_tile_host() -> None:
    assert "img-src 'self' data:;" in content_security_policy(None)
    policy = content_security_policy(TILES)
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["img-src"] == "'self' data: https://tiles.example.org:8443"
    assert directives["script-src"] == "'self'" and directives["default-src"] == "'self'"
    assert directives["style-src"] == "'self'"


def test_tile_layer_comes_from_the_settings_with_an_escaped_credit(tmp_path: Path) -> None:
    assert tile_layer(Settings.load(tmp_path, env={})) is None
    url = "http://127.0.0.1:8080/{z}/{x}/{y}.png"
    layer = tile_layer(Settings.load(tmp_path, env={}, map_tiles=url))
    assert layer is not None and layer.origin == "http://127.0.0.1:8080"
    assert "OpenStreetMap" in layer.attribution
    custom = tile_layer(
        Settings.load(tmp_path, env={}, map_tiles=url, map_attribution="<b>Town</b> & co")
    )
    assert custom is not None and custom.attribution == "&lt;b&gt;Town&lt;/b&gt; &amp; co"


def _frame(page: str) -> dict[str, object]:
    found = re.search(r'data-tilemap="([^"]*)"', page)
    assert found, "no street map on the page"
    data: dict[str, object] = json.loads(html.unescape(found.group(1)))
    return data


def test_camera_page_with_tiles_carries_leaflet_the_layer_and_every_camera(node: Node) -> None:
    client = _client(node, TILES)
    page = client.get("/cameras")
    assert "https://tiles.example.org:8443;" in page.headers["content-security-policy"]
    for asset in ("/static/leaflet.css", "/static/leaflet.js", "/static/tilemap.js"):
        assert f'"{asset}"' in page.text
    data = _frame(page.text)
    assert data["tiles"] == TILES.url and "OpenStreetMap" in str(data["attribution"])
    cameras = data["cameras"]
    assert isinstance(cameras, list)
    registered = node.system.cameras.list(include_disabled=True)
    assert {c["id"] for c in cameras} == {e.camera.id for e in registered}
    assert any(c["direction"] is not None for c in cameras)  # wedges to draw
    assert '<svg class="map"' in page.text  # the fallback is on the page too
    overview = client.get("/")
    assert "<script" not in overview.text  # only pages with a map load the map's code
    assert "tiles.example.org" in overview.headers["content-security-policy"]
    script = client.get("/static/tilemap.js")
    assert script.status_code == 200 and "tileload" in script.text
    assert client.get("/static/leaflet.js").headers["content-type"].startswith("text/javascript")
    assert client.get("/static/LICENSE.leaflet").status_code == 404  # only .js/.css/.svg


def test_without_tiles_the_pages_are_svg_only_and_run_no_script(node: Node) -> None:
    client = _client(node, None)
    page = client.get("/cameras")
    assert "img-src 'self' data:;" in page.headers["content-security-policy"]
    assert "<script" not in page.text and "data-tilemap" not in page.text
    assert "leaflet" not in page.text
    login = client.get("/console/login")
    assert "img-src 'self' data:;" in login.headers["content-security-policy"]
    assert login.headers["cache-control"] == "no-store"


def test_console_pages_carry_the_same_policy(node: Node) -> None:
    login = _client(node, TILES).get("/console/login")
    assert login.headers["cache-control"] == "no-store"
    assert login.headers["content-security-policy"] == content_security_policy(TILES)
    assert "leaflet" not in login.text  # no map on this page
