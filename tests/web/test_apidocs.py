"""``/docs`` works on an offline node: Swagger UI's assets come from the node, not a CDN
(issue 25 item 7)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from trustlpr.cli import app
from trustlpr.runtime import System
from trustlpr.settings import Settings
from trustlpr.web.app import create_app


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TestClient]:
    data = tmp_path_factory.mktemp("apidocs") / "node"
    result = CliRunner().invoke(app, ["--data-dir", str(data), "init"])
    assert result.exit_code == 0, result.output
    with System(Settings.load(data, env={})) as system:
        web = create_app(system, portal_ttl=0, exposure=False)
        yield TestClient(web)
        web.state.portal.close()


def test_swagger_ui_loads_only_from_the_node(client: TestClient) -> None:
    page = client.get("/docs")
    assert page.status_code == 200 and "SwaggerUIBundle" in page.text
    urls = re.findall(r'(?:src|href)=["\']([^"\']+)["\']', page.text)
    assert urls and all(u.startswith("/") for u in urls), urls
    assert "cdn" not in page.text.lower()
    assert "/openapi.json" in page.text
    for url in urls:
        asset = client.get(url)
        assert asset.status_code == 200, url
        assert len(asset.content) > 500, url
    js = client.get("/docs/assets/swagger-ui-bundle.js")
    assert js.headers["content-type"].startswith("text/javascript")
    assert client.get("/docs/assets/swagger-ui.css").headers["content-type"].startswith("text/css")
    again = client.get("/docs/assets/swagger-ui.css", headers={"If-None-Match": js.headers["etag"]})
    assert again.status_code == 200  # another file's tag is not this file's
    etag = client.get("/docs/assets/swagger-ui.css").headers["etag"]
    assert (
        client.get("/docs/assets/swagger-ui.css", headers={"If-None-Match": etag}).status_code
        == 304
    )


def test_only_the_named_assets_are_served(client: TestClient) -> None:
    for name in ("index.html", "..%2F__init__.py", "swagger-initializer.js"):
        assert client.get(f"/docs/assets/{name}").status_code == 404
    assert client.get("/redoc").status_code == 404  # ReDoc exists only on a CDN
    assert client.get("/openapi.json").json()["openapi"].startswith("3.1")


def test_the_bundled_swagger_ui_reads_openapi_3_1() -> None:
    """FastAPI writes OpenAPI 3.1, which Swagger UI reads from version 5 on."""
    import swagger_ui_bundle

    assert re.search(r"swagger-ui-5(\.\d+)+$", Path(str(swagger_ui_bundle.swagger_ui_path)).name)
