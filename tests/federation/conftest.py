"""Fixtures of the federation tests: real nodes (each its own data directory and ``System``),
served by uvicorn on loopback, sharing one clock the tests move instead of sleeping."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.conftest import FakeClock
from tests.hotlist.servers import AppServer
from trustlpr.audit import parse_leaf
from trustlpr.core.identity import Role, User
from trustlpr.runtime import System, initialise
from trustlpr.settings import Settings
from trustlpr.web.app import create_app

PASSWORD = "correct horse battery staple"


@dataclass
class FedNode:
    """One agency's node: its writer ``System`` and its two set-up admins."""

    settings: Settings
    system: System
    alice: User
    bob: User

    @property
    def id(self) -> str:
        return self.system.owner.id

    def document(self):  # type: ignore[no-untyped-def]
        return self.system.federation.document(self.system.node_facts())

    def pin(self, other: FedNode, url: str = "http://127.0.0.1:1") -> None:
        """Pins ``other`` the two-admin way, from its document (handed over out of band)."""
        doc = other.document()
        peers = self.system.federation.peers
        peers.propose(doc, url, doc.key_pairs(), actor=self.alice)
        peers.approve(other.id, actor=self.bob)

    def events(self, kind: str) -> list[dict[str, object]]:
        """Public leaves of this node's log of one event type."""
        leaves = [parse_leaf(leaf) for _, leaf in self.system.audit.log.entries()]
        return [leaf for leaf in leaves if leaf["type"] == kind]

    def reopen(self, clock: FakeClock) -> None:
        self.system.close()
        self.system = System(self.settings, clock=clock)


@pytest.fixture
def fed_clock() -> FakeClock:
    return FakeClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
def make_node(tmp_path: Path, fed_clock: FakeClock) -> Iterator[Callable[..., FedNode]]:
    made: list[FedNode] = []

    def make(agency_id: str, state: str = "CT", policy: str = "ct-pa-26-14",
             agency_type: str = "local") -> FedNode:  # fmt: skip
        settings = Settings.load(
            tmp_path / agency_id,
            env={},
            policy=policy,
            agency_id=agency_id,
            agency_name=f"{agency_id} police",
            agency_state=state,
            agency_type=agency_type,
            # no test here is about the deadline: under load (two shared cores, a mutation
            # run at nice 19) a partner in the same process may take longer than the 2 s
            federation_deadline=30.0,
        )
        assert initialise(settings)
        system = System(settings, clock=fed_clock)
        ids = system.identity
        alice = ids.add_user("alice", agency_id, Role.ADMIN, "Alice", actor=None,
                             password=PASSWORD)  # fmt: skip
        bob = ids.add_user("bob", agency_id, Role.ADMIN, "Bob", actor=None)
        node = FedNode(settings, system, alice, bob)
        made.append(node)
        return node

    yield make
    for node in made:
        node.system.close()


@pytest.fixture
def serve() -> Iterator[Callable[[FedNode], AppServer]]:
    servers: list[AppServer] = []

    def start(node: FedNode) -> AppServer:
        server = AppServer(create_app(node.system, exposure=False)).__enter__()
        servers.append(server)
        return server

    yield start
    for server in reversed(servers):
        server.__exit__()
