"""Fresh cached pages answered from the ASGI layer (web/portal_fast.py): the same bytes and
headers as the routes give, no re-render within the TTL, and the gate and opening hours still
judging every request they judged before."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime

import pytest
from fastapi.testclient import TestClient

from tests.conftest import FakeClock
from tests.web.portal_node import Node, build_node, city, register_city, simulate
from tests.web.test_portal import FakeTicks
from trustlpr.transparency import snapshot_retained_vehicles
from trustlpr.web.app import create_app
from trustlpr.web.opening import Opening
from trustlpr.web.portal_cache import Page

PATHS = ("/", "/policy", "/cameras", "/sharing", "/verify", "/reports", "/figures.json",
         "/policy.toml", "/cameras.geojson", "/static/portal.css")  # fmt: skip


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    clock = FakeClock(datetime(2026, 11, 2, 4, 0, tzinfo=UTC))
    built = build_node(tmp_path_factory.mktemp("portal-fast") / "data", clock)
    register_city(built, city(date(2026, 11, 2)))
    simulate(built, 1)
    yield built
    built.close()


class Counted:
    """The page cache's ``build``, counting the renders it is asked for."""

    def __init__(self, build: Callable[..., Page]) -> None:
        self.build = build
        self.names: list[str] = []

    def __call__(self, name: str, *args: object) -> Page:
        self.names.append(name)
        return self.build(name, *args)


def test_a_fresh_page_is_answered_as_the_route_answered_it(node: Node) -> None:
    ticks = FakeTicks()
    app = create_app(node.system, portal_ttl=5.0, exposure=False, monotonic=ticks)
    cache, fast = app.state.portal, app.state.fast_pages
    counted = cache.build = Counted(cache.build)
    client = TestClient(app)
    for path in PATHS:
        assert fast.answer(path) is None, path  # not answered yet: the route renders it
        routed = client.get(path)
        assert routed.status_code == 200, path
        assert fast.answer(path) is not None, path  # from now on the fast layer answers
        again = client.get(path)
        assert again.status_code == 200 and again.content == routed.content, path
        assert again.headers.items() == routed.headers.items(), path
        cached = client.get(path, headers={"If-None-Match": routed.headers["etag"]})
        assert cached.status_code == 304 and cached.content == b"", path
        assert cached.headers["etag"] == routed.headers["etag"], path
        assert "default-src 'self'" in cached.headers["content-security-policy"], path
        other = client.get(path, headers={"If-None-Match": '"not-this-one"'})
        assert other.status_code == 200 and other.content == routed.content, path
    renders = counted.names
    assert sorted(renders) == sorted(set(renders))  # each page rendered once within the TTL
    assert len(renders) == len(PATHS) - 1  # every page but the static file
    app.state.portal.close()


def test_a_stale_page_is_rendered_again_and_the_new_one_served(node: Node) -> None:
    ticks = FakeTicks()
    app = create_app(node.system, portal_ttl=5.0, exposure=False, monotonic=ticks)
    counted = app.state.portal.build = Counted(app.state.portal.build)
    client = TestClient(app)
    first = client.get("/figures.json")
    size = first.json()["log"]["size"]
    node.clock.advance(minutes=1)
    snapshot_retained_vehicles(
        node.system.store, node.system.retention, node.system.audit, node.clock
    )
    ticks.now += 4.9
    assert client.get("/figures.json").json()["log"]["size"] == size  # fresh: the old bytes
    assert counted.names == ["figures.json"]
    ticks.now += 0.2
    grown = client.get("/figures.json")
    assert grown.json()["log"]["size"] == size + 1  # stale: rendered again
    assert grown.headers["etag"] != first.headers["etag"]
    assert counted.names == ["figures.json", "figures.json"]
    again = client.get("/figures.json", headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 200 and again.headers["etag"] == grown.headers["etag"]
    app.state.portal.close()


def test_the_gate_and_the_opening_hours_still_judge_a_fresh_page(node: Node) -> None:
    opening = Opening()
    app = create_app(node.system, portal_ttl=60.0, exposure=False, opening=opening)
    client = TestClient(app)
    for path in ("/", "/reports"):
        assert client.get(path).status_code == 200
        assert app.state.fast_pages.answer(path) is not None
    too_big = client.request("GET", "/", content=b"x" * (64 * 1024 + 1))
    assert too_big.status_code == 413  # a GET with a body goes through the gate
    opening.hold("Replaying day 3 of 30.")
    assert client.get("/reports").status_code == 503  # held back, fresh copy or not
    assert client.get("/").status_code == 200  # the public page stays open
    opening.open(None)
    assert client.get("/reports").status_code == 200
    app.state.portal.close()
