"""Schemathesis against the published OpenAPI schema of the alerts and hot-list routes: whatever
it sends, signed in as a supervisor, the answer is never a 5xx (the SSE stream is left out: it
never ends by design and is tested over real HTTP in test_delivery)."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from tests.hotlist.conftest import ENTRY, ListAudit, make_read
from trustlpr.core.clock import iso, system_clock
from trustlpr.core.identity import Role, User
from trustlpr.hotlist import HotlistService
from trustlpr.settings import Settings
from trustlpr.web.app import create_app


class _System:
    """The node the app reads on every request. Its hot-list service is opened by the module
    fixture, not at import: a runner that calls pytest twice in one process (mutmut's clean and
    stats passes) imports this module once, and a service opened at import would be the one the
    first run's teardown closed."""

    hotlists: HotlistService
    settings = Settings()

    def authenticate(self, request: Any) -> User:
        return User("sup-1", "ctpd", Role.SUPERVISOR)


_NODE = _System()
schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(_NODE))


@pytest.fixture(scope="module", autouse=True)
def _seeded() -> Iterator[None]:
    directory = Path(tempfile.mkdtemp(prefix="trustlpr-hotlist-fuzz-"))
    service = HotlistService.open(directory, audit=ListAudit(), agency_id="ctpd")
    soon = iso(system_clock() + timedelta(days=1))
    service.add_entry({**ENTRY, "expires_at": soon}, list_id="ncic", actor="s")
    service.on_reads([make_read("ABC1234", "CT", system_clock())], {0: b"jpeg"})
    _NODE.hotlists = service
    yield
    service.close()
    shutil.rmtree(directory, ignore_errors=True)


@(
    schema.include(path_regex=r"^/api/v1/(alerts|hotlists)")
    .exclude(path="/api/v1/alerts/stream")
    .parametrize()
)
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
def test_alert_and_hotlist_routes_never_answer_5xx(case: Any) -> None:
    case.call_and_validate(checks=[not_a_server_error])
