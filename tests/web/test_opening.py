"""While a node is held (a fresh demo replaying its past), the public portal answers with the
notice and everything staff use answers 503 with Retry-After; once open, all of it works."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from tests.conftest import FakeClock
from tests.web.portal_node import PASSWORD, Node, build_node
from trustlpr.web.app import create_app
from trustlpr.web.opening import Opening, is_public

HELD = "Replaying day 3 of 30."


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    built = build_node(
        tmp_path_factory.mktemp("opening") / "data",
        FakeClock(datetime(2026, 11, 2, 4, 0, tzinfo=UTC)),
    )
    yield built
    built.close()


def test_held_node_serves_the_portal_only(node: Node) -> None:
    opening = Opening()
    opening.hold(HELD)
    app = create_app(node.system, portal_ttl=0, exposure=False, opening=opening)
    try:
        client = TestClient(app)
        for path in ("/", "/policy", "/cameras", "/sharing", "/verify"):
            page = client.get(path)
            assert page.status_code == 200, path
            assert HELD in page.text, path
        assert client.get("/figures.json").status_code == 200
        assert client.get("/log/checkpoint").status_code == 200
        assert client.get("/static/portal.css").status_code == 200
        console = client.get("/console/login")
        assert console.status_code == 503
        assert console.headers["retry-after"].isdigit()
        assert console.headers["content-type"].startswith("text/html")
        assert HELD in console.text and 'href="/"' in console.text
        api = client.post("/api/v1/search", json={})
        assert api.status_code == 503
        assert api.json()["error"] == "Starting" and HELD in api.json()["detail"]
        post = client.post(
            "/console/login", data={"user_id": "off1", "password": PASSWORD}
        )  # not even a sign-in gets through while held
        assert post.status_code == 503
        for sneaky in ("/console", "/console/", "/cameras/../console", "//console/search"):
            assert client.get(sneaky, follow_redirects=False).status_code in (404, 503), sneaky

        opening.open("Everything here is simulated.")
        assert client.get("/console/login").status_code == 200
        page = client.get("/").text
        assert "Everything here is simulated." in page and HELD not in page
    finally:
        app.state.portal.close()


def test_only_portal_paths_are_public() -> None:
    assert is_public("/") and is_public("/static/portal.css") and is_public("/log/entries")
    for path in ("/console", "/console/login", "/api/v1/reads", "/ingest/native", "/status",
                 "/staticx", "/log", "/admin"):  # fmt: skip
        assert not is_public(path), path
