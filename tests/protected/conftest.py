"""Fixtures of the protected-plates tests: the identity tests' seeded node, and its registry."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import FakeClock
from tests.identity.conftest import ListSink, Node, data_dir, node, sink, store  # noqa: F401
from trustlpr.core.protected import ProtectedCategory, ProtectedHandling
from trustlpr.keys import StandingKeys
from trustlpr.protected import ProtectedPlates

HANDLING = {
    ProtectedCategory.ADDRESS_CONFIDENTIALITY: ProtectedHandling.NOT_RECORDED,
    ProtectedCategory.SURVIVOR: ProtectedHandling.NOT_RECORDED,
    ProtectedCategory.PROTECTED_OFFICIAL: ProtectedHandling.SECOND_SUPERVISOR,
    ProtectedCategory.UNDERCOVER: ProtectedHandling.SECOND_SUPERVISOR,
}


@pytest.fixture
def root_key() -> bytes:
    return secrets.token_bytes(32)


@pytest.fixture
def registry(
    node: Node,  # noqa: F811
    sink: ListSink,  # noqa: F811
    clock: FakeClock,
    data_dir: Path,  # noqa: F811
    root_key: bytes,
) -> Iterator[ProtectedPlates]:
    keys = StandingKeys(data_dir / "keys", root_key, "protected")
    opened = ProtectedPlates(
        data_dir,
        keys,
        agency_id="hartford-pd",
        people=node.store,
        audit=sink,
        handling=HANDLING,
        clock=clock,
    )
    yield opened
    opened.close()
