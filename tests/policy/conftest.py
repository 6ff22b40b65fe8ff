"""Fixtures of the policy tests: engines for every shipped policy, built once."""

from __future__ import annotations

import pytest

from trustlpr.policy import PolicyEngine, list_policies

from .corpus import OWNER_STATE


@pytest.fixture(scope="session")
def engines() -> dict[str, PolicyEngine]:
    return {name: PolicyEngine(name, owner_state=OWNER_STATE[name]) for name in list_policies()}
