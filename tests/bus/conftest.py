"""A real NATS JetStream server (127.0.0.1:4222) and a fresh node per test.

Each test gets its own stream (``T<hex>``) so parallel sessions on the one server never see
each other's messages; the streams and the writer-lease bucket are deleted afterwards. No
server is a failure, not a skip.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import nats
import pytest

from trustlpr.bus import BusConfig
from trustlpr.runtime import System, initialise
from trustlpr.settings import Settings

NATS_URL = "nats://127.0.0.1:4222"


@dataclass
class BusNode:
    data: Path
    settings: Settings
    bus: BusConfig
    camera_key: str
    url: str


def _delete_streams(config: BusConfig) -> None:
    async def delete() -> None:
        nc = await nats.connect(NATS_URL, connect_timeout=10)
        js = nc.jetstream()
        for name in (config.stream, config.dead_stream, f"KV_{config.stream}_WRITER"):
            with contextlib.suppress(nats.js.errors.NotFoundError):
                await js.delete_stream(name)
        await nc.close()

    asyncio.run(delete())


@pytest.fixture
def bus_node(tmp_path: Path) -> Iterator[BusNode]:
    data = tmp_path / "node"
    settings = Settings.load(data, env={}, agency_id="nhpd", agency_state="CT")
    initialise(settings)
    with System(settings) as system:
        key = system.cameras.add("Elm St", 41.31, -72.93, agency_id="nhpd", camera_id="elm")[1]
    url = f"{NATS_URL}/T{secrets.token_hex(6)}?lease=2"
    config = BusConfig.parse(url, agency_id="nhpd")
    try:
        yield BusNode(data, settings, config, key, url)
    finally:
        _delete_streams(config)


def reads_payload(
    plates: list[str], at: datetime | None = None
) -> dict[str, list[dict[str, object]]]:
    moment = (at or datetime.now(UTC)).isoformat()
    return {"reads": [{"plate": p, "observed_at": moment, "confidence": 0.9} for p in plates]}
