"""``/docs`` renders in Chromium with every request to elsewhere refused: Swagger UI comes
from the node and reads its OpenAPI 3.1 schema (issue 25 item 7)."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Page, Route, expect

from tests.browser.conftest import Served, shot

pytestmark = pytest.mark.browser


def test_api_docs_render_offline(page: Page, served: Served) -> None:
    ours = urlsplit(served.base).netloc
    elsewhere: list[str] = []

    def offline(route: Route) -> None:
        if urlsplit(route.request.url).netloc == ours:
            route.continue_()
        else:
            elsewhere.append(route.request.url)
            route.abort()

    page.route("**/*", offline)
    page.goto("/docs")
    expect(page.locator(".swagger-ui .info .title")).to_contain_text("TrustLPR")
    expect(page.locator(".opblock-summary-path").first).to_be_visible()
    assert page.locator(".opblock-summary-path", has_text="/api/v1/searches").count() > 0
    shot(page, "api-docs")
    assert elsewhere == []
