"""The public portal over HTTP: pages, headers and caching, the policy file and its logged
digest, the camera inventory, sharing from the agreements, and no personal data anywhere."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.conftest import FakeClock
from tests.web.portal_node import Node, build_node, city, register_city, simulate
from trustlpr.web.app import create_app
from trustlpr.web.portal_cache import PortalCache

PAGES = ("/", "/policy", "/cameras", "/sharing", "/verify")


class FakeTicks:
    """A monotonic clock for the page cache that tests move instead of sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    clock = FakeClock(datetime(2026, 11, 2, 4, 0, tzinfo=UTC))
    built = build_node(tmp_path_factory.mktemp("portal") / "data", clock)
    register_city(built, city(date(2026, 11, 2)))
    simulate(built, 1)
    yield built
    built.close()


@pytest.fixture
def client(node: Node) -> Iterator[TestClient]:
    app = create_app(node.system, portal_ttl=0, exposure=False)
    yield TestClient(app)
    app.state.portal.close()


def test_pages_render_with_safe_headers_and_etags(client: TestClient) -> None:
    for path in PAGES:
        page = client.get(path)
        assert page.status_code == 200, path
        assert page.headers["content-type"].startswith("text/html")
        assert "default-src 'self'" in page.headers["content-security-policy"]
        assert page.headers["x-content-type-options"] == "nosniff"
        assert '<main id="main"' in page.text and 'lang="en"' in page.text
        # nothing is fetched from elsewhere: no script, styles and images from this site only
        assert "<script" not in page.text
        assert all(
            u.startswith("/")
            for u in re.findall(r'(?:src|rel="stylesheet" href)="([^"]*)"', page.text)
        )
        again = client.get(path, headers={"If-None-Match": page.headers["etag"]})
        assert again.status_code == 304
    css = client.get("/static/portal.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert client.get("/static/../portal.py").status_code == 404
    missing = client.get("/static/nope.js")
    assert missing.status_code == 404 and missing.json()["error"] == "NotFoundError"


def test_policy_file_is_served_and_its_digest_is_in_the_log(client: TestClient, node: Node) -> None:
    toml = client.get("/policy.toml")
    assert toml.status_code == 200 and 'name = "ct-pa-26-14"' in toml.text
    digest = hashlib.sha256(toml.content).hexdigest()
    assert digest in client.get("/policy").text
    history = client.get("/figures.json").json()["changes"]["policy"]
    assert history[-1]["digest"] == digest and history[-1]["action"] == "adopted"
    page = client.get("/policy").text
    for purpose in ("immigration enforcement", "reproductive health"):
        assert purpose in page.split("Prohibited purposes")[1].split("</ul>")[0]
    assert "3 days" in page and "90 days" in page  # retention of this node, in words


def test_policy_page_shows_each_parameter_with_its_source(client: TestClient) -> None:
    """Issue 21 item 3: each parameter with its citation, status and the date it was checked."""
    page = client.get("/policy").text
    section = page.split('id="h-sources"')[1].split("</section>")[0]
    row = section.split("<code>retention.nonhit</code>")[1].split("</tr>")[0]
    assert "21d" in row and "unconfirmed" in row and "PA 26-14" in row and "2026-12-02" in row
    row = section.split("<code>retention.hit</code>")[1].split("</tr>")[0]
    assert "default" in row
    assert "keepinglawsimple.org" in section  # what was checked is listed


def test_cameras_page_map_and_geojson(client: TestClient, node: Node) -> None:
    registry = node.system.cameras  # type: ignore[attr-defined]
    cameras = registry.list()
    registry.set_enabled(cameras[0].id, False)
    try:
        geo = client.get("/cameras.geojson")
        assert geo.headers["content-type"].startswith("application/geo+json")
        features = geo.json()["features"]
        assert len(features) == len(cameras) - 1
        tags = features[0]["properties"]
        assert tags["man_made"] == "surveillance" and tags["surveillance:type"] == "ALPR"
        assert tags["operator"] == "Capitol Town Police"
        page = client.get("/cameras").text
        assert page.count('<circle class="cam off"') == 1
        assert page.count("<circle class=") == len(cameras)
        assert f"{len(cameras) - 1} cameras in service" in page
    finally:
        registry.set_enabled(cameras[0].id, True)


def test_sharing_lists_agreements_in_force_with_their_terms(client: TestClient, node: Node) -> None:
    page = client.get("/sharing").text
    assert "New York City Police" in page and "NY-ATT-2026-07" in page
    assert "missing person, stolen vehicle" in page
    assert "Texas County Sheriff" not in page.split("Changes (from the log)")[0]
    sharing = node.system.identity.sharing
    agreement = sharing.listing("ctpd")[0]
    node.clock.advance(minutes=1)
    sharing.revoke(agreement.id, actor=node.users["adm1"])
    page = client.get("/sharing").text
    assert "No other agency has access." in page
    assert "revoked" in page.split("Changes (from the log)")[1]


def test_no_plate_or_person_appears_on_public_pages(client: TestClient, node: Node) -> None:
    assert node.sim is not None
    plates = {r["plate"] for r in node.sim.stolen_records()}
    names = {u.name for u in node.users.values()} | {"Chief Example", "Det. Example"}
    for path in (*PAGES, "/figures.json", "/cameras.geojson"):
        text = client.get(path).text
        for secret in plates | names:
            assert secret not in text, (path, "a plate or a name leaked")


def test_cached_pages_follow_the_log_after_the_ttl(node: Node, tmp_path: Path) -> None:
    ticks = FakeTicks()
    app = create_app(node.system, portal_ttl=5.0, exposure=False, monotonic=ticks)
    client = TestClient(app)
    first = client.get("/figures.json").json()["log"]["size"]
    node.clock.advance(minutes=1)
    node.system.purge()  # nothing to purge, no entry; a snapshot is one entry
    from trustlpr.transparency import snapshot_retained_vehicles

    snapshot_retained_vehicles(
        node.system.store, node.system.retention, node.system.audit, node.clock
    )
    ticks.now += 4.9
    assert client.get("/figures.json").json()["log"]["size"] == first  # still cached
    ticks.now += 0.2
    assert client.get("/figures.json").json()["log"]["size"] == first + 1
    app.state.portal.close()


def test_a_stale_page_is_served_while_another_request_renders(node: Node) -> None:
    cache = PortalCache(node.system, ttl=0, exposure=False)
    assert cache.stale_unless_claimed("x") is None  # no copy: the caller renders
    page = cache.build("x", lambda: "one")
    assert page.body == b"one"
    assert cache.stale_unless_claimed("x") is None  # stale, unclaimed: this caller renders
    assert cache.stale_unless_claimed("x") is page  # claimed: others get the stale copy
    assert cache.build("x", lambda: "two").body == b"two"
    assert cache.stale_unless_claimed("x") is None
    cache.close()


def test_overview_reads_like_a_summary(client: TestClient, node: Node) -> None:
    page = client.get("/").text
    figures = client.get("/figures.json").json()
    assert f"{figures['reads']['total']:,}" in page
    assert "Why searches were denied" in page and "purpose.prohibited" in page
    assert "the declared purpose is prohibited" in page  # rule id explained in words
    assert page.count('<svg class="chart"') == 5
    assert figures["window"]["end"] == (node.clock.now - timedelta(0)).date().isoformat()


def test_overview_counts_searches_by_offense_class(client: TestClient) -> None:
    page = client.get("/").text
    classes = client.get("/figures.json").json()["searches"]["by_offense_class"]
    assert sum(sum(row.values()) for row in classes.values()) > 0  # the simulation searched
    table = page.split('id="offense-classes"')[1].split("</table>")[0]
    for kind, row in classes.items():
        cells = re.search(rf'<th scope="row">{kind.replace("_", " ")}</th>(.*?)</tr>', table, re.S)
        assert cells, kind
        shown = [int(n.replace(",", "")) for n in re.findall(r">([\d,]+)<", cells.group(1))]
        assert shown == [row["allow"], row["needs_approval"], row["deny"]], kind


def test_verify_page_says_how_to_get_the_verifier(client: TestClient) -> None:
    """The verifier is not on PyPI: the page must not send the public there (issue 25 item 7)."""
    page = " ".join(client.get("/verify").text.split())
    assert "not published on PyPI, so do not <code>pip install trustlpr</code>" in page
    assert "venv/bin/pip install .</code>" in page and "source code" in page
