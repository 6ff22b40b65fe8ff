"""Real components for the ingest tests: a SQLite read store with real keys, a camera
registry, a pipeline, and the service over them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from trustlpr.cameras import CameraRegistry
from trustlpr.ingest import IngestLimits, IngestPipeline, IngestService
from trustlpr.store import SQLiteReadStore

from .helpers import ListAudit, open_store


@pytest.fixture
def audit() -> ListAudit:
    return ListAudit()


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SQLiteReadStore]:
    opened = open_store(tmp_path)
    yield opened
    opened.close()


@pytest.fixture
def registry(tmp_path: Path, audit: ListAudit, clock) -> Iterator[CameraRegistry]:
    opened = CameraRegistry(tmp_path, audit=audit, clock=clock)
    yield opened
    opened.close()


@pytest.fixture
def pipeline(store, audit, clock) -> Iterator[IngestPipeline]:
    running = IngestPipeline(store, audit=audit, clock=clock)
    yield running
    running.close()


@pytest.fixture
def service(registry, pipeline, clock) -> IngestService:
    return IngestService(registry, pipeline, clock=clock, limits=IngestLimits())
