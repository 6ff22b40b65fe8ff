"""Schemathesis against the own-vehicle request routes of a real node: never a 5xx."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from trustlpr.core import Role
from trustlpr.runtime import System, initialise
from trustlpr.settings import Settings
from trustlpr.web.app import create_app

# Built at import: schemathesis' lazy loaders do not work with pytest 9. A Connecticut node,
# where own-vehicle requests are permitted, so every step is reachable.
_DIR = Path(tempfile.mkdtemp(prefix="trustlpr-owner-fuzz-"))
_SETTINGS = Settings.load(
    _DIR / "node", env={}, agency_id="nhpd", agency_state="CT", policy="ct-pa-26-14"
)
initialise(_SETTINGS)
_SYSTEM = System(_SETTINGS)
_ADMIN = _SYSTEM.identity.add_user("adm", "nhpd", Role.ADMIN, "Admin", actor=None)
_SYSTEM.identity.add_user("sgt", "nhpd", Role.SUPERVISOR, "Sergeant", actor=_ADMIN)
TOKEN = _SYSTEM.identity.create_token("sgt", actor=_ADMIN).plaintext
schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(_SYSTEM))


@pytest.fixture(scope="module", autouse=True)
def _close() -> Iterator[None]:
    yield
    _SYSTEM.close()
    shutil.rmtree(_DIR, ignore_errors=True)


@schema.include(path_regex=r"^/api/v1/owner-requests").parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_owner_request_routes_never_answer_5xx(case: Any) -> None:
    case.call_and_validate(
        headers={"Authorization": f"Bearer {TOKEN}"}, checks=[not_a_server_error]
    )
