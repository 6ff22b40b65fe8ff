"""Schemathesis against the app's published OpenAPI schema for the ingest routes: whatever
it sends (valid or not, with a valid camera key), the answer is never a 5xx."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from types import SimpleNamespace

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from trustlpr.cameras import CameraRegistry
from trustlpr.ingest import IngestLimits, IngestPipeline, IngestService
from trustlpr.settings import Settings
from trustlpr.web.app import create_app

from .helpers import ListAudit, open_store

# Built at import: schemathesis' lazy ``from_fixture`` loader does not work with pytest 9.
_DIR = Path(tempfile.mkdtemp(prefix="trustlpr-schemathesis-"))
_AUDIT = ListAudit()
_STORE = open_store(_DIR)
_REGISTRY = CameraRegistry(_DIR, audit=_AUDIT)
_, KEY = _REGISTRY.add("Fuzz", 41.3, -72.9, agency_id="nhpd", camera_id="fuzz")
_PIPELINE = IngestPipeline(_STORE, audit=_AUDIT)
_LIMITS = IngestLimits(rate_per_s=1e6, burst=1e6, max_body_bytes=256 * 1024)
_SYSTEM = SimpleNamespace(
    ingest_service=IngestService(_REGISTRY, _PIPELINE, limits=_LIMITS), settings=Settings()
)
schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(_SYSTEM))


@pytest.fixture(scope="module", autouse=True)
def _close_components():
    yield
    _PIPELINE.close()
    _REGISTRY.close()
    _STORE.close()
    shutil.rmtree(_DIR, ignore_errors=True)


@schema.include(path_regex=r"^/api/v1/(reads|ingest/)").parametrize()
@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
def test_ingest_routes_never_answer_5xx(case) -> None:
    case.call_and_validate(headers={"Authorization": f"Bearer {KEY}"}, checks=[not_a_server_error])
