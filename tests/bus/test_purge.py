"""The purge reaches the bus: a destroyed day's messages are erased from the JetStream stream
and the dead-letter stream, and a byte scan of the NATS server's store directory finds
neither the day's plates nor its ciphertext (today's message, scanned the same way, is found:
the scan sees what is on disk)."""

from __future__ import annotations

import asyncio
import itertools
import os
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import nats
import pytest

from trustlpr.bus import BusCipher, encode
from trustlpr.bus.connection import ensure_streams
from trustlpr.bus.envelope import Batch
from trustlpr.bus.publisher import KEY_HEADER
from trustlpr.core.reads import Read
from trustlpr.runtime import System
from trustlpr.store import RetentionClass

from .conftest import NATS_URL, BusNode

pytestmark = pytest.mark.slow

OLD_PLATE = "ZQ7X4K9"
DEAD_PLATE = "QX9J2W5"
NEW_PLATE = "KV3P8R1"


def nats_store_dir() -> Path:
    """The local nats-server's JetStream store directory: ``TRUSTLPR_NATS_STORE_DIR``, else
    the ``-sd``/``--store_dir`` of the running server's command line. Not found or not
    readable is a failure: the scan must not pass by seeing nothing."""
    named = os.environ.get("TRUSTLPR_NATS_STORE_DIR")
    if not named:
        for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
            try:
                args = cmdline.read_bytes().split(b"\0")
            except OSError:
                continue
            if not args or not args[0].endswith(b"nats-server"):
                continue
            for flag, value in itertools.pairwise(args):
                if flag in (b"-sd", b"--store_dir", b"-store_dir"):
                    named = value.decode()
        if not named:
            pytest.fail("no nats-server with -sd found; set TRUSTLPR_NATS_STORE_DIR")
    root = Path(named) / "jetstream"
    if not os.access(root, os.R_OK | os.X_OK):
        pytest.fail(f"the JetStream store directory {root} is not readable from this test")
    return root


def _stream_dirs(root: Path, *streams: str) -> list[Path]:
    found = [d for d in root.glob("*/streams/*") if d.name in streams]
    if len(found) != len(streams):
        pytest.fail(f"the streams {streams} have no directory under {root}")
    return found


def _scan(dirs: list[Path], needles: dict[str, bytes]) -> set[str]:
    """The names of the needles found in any file under ``dirs``."""
    hits: set[str] = set()
    for top in dirs:
        for path in top.rglob("*"):
            if path.is_file():
                data = path.read_bytes()
                hits |= {name for name, needle in needles.items() if needle in data}
    return hits


def _raw(action: Callable[[Any], Any]) -> Any:
    async def run() -> Any:
        nc = await nats.connect(NATS_URL, connect_timeout=10)
        try:
            return await action(nc.jetstream())
        finally:
            await nc.close()

    return asyncio.run(run())


def _read(plate: str, at: datetime) -> Read:
    return Read(
        plate=plate,
        state="CT",
        confidence=0.9,
        observed_at=at,
        camera_id="elm",
        agency_id="nhpd",
        latitude=41.3,
        longitude=-72.9,
    )


def test_purge_erases_the_destroyed_day_from_both_streams_and_the_disk(bus_node: BusNode) -> None:
    root = nats_store_dir()
    now = datetime.now(UTC)
    old = now - timedelta(days=40)  # past the 21-day non-hit retention
    with System(bus_node.settings) as system:
        ring = system.store.rings[RetentionClass.NONHIT]
        old_cipher = BusCipher(ring, bus_node.bus.stream, clock=lambda: old)
        new_cipher = BusCipher(ring, bus_node.bus.stream)
        sealed_old = old_cipher.seal(encode(Batch("elm", [_read(OLD_PLATE, old)])))
        sealed_dead = old_cipher.seal(encode(Batch("elm", [_read(DEAD_PLATE, old)])))
        sealed_new = new_cipher.seal(encode(Batch("elm", [_read(NEW_PLATE, now)])))
        config = bus_node.bus

        async def publish(js: Any) -> None:
            await ensure_streams(js, config, timedelta(days=21))
            for sealed, subject in (
                (sealed_old, config.day_subject(sealed_old.key_id)),
                (sealed_new, config.day_subject(sealed_new.key_id)),
                (sealed_dead, config.dead_day_subject(sealed_dead.key_id)),
            ):
                headers = {"Nats-Msg-Id": sealed.msg_id, KEY_HEADER: sealed.key_id}
                await js.publish(subject, sealed.data, headers=headers)

        _raw(publish)
        dirs = _stream_dirs(root, config.stream, config.dead_stream)
        needles = {"old": sealed_old.data, "dead": sealed_dead.data, "new": sealed_new.data}
        deadline = time.monotonic() + 60
        while _scan(dirs, needles) != set(needles):  # the server writes its blocks soon after
            if time.monotonic() > deadline:
                pytest.fail(f"the scan found only {_scan(dirs, needles)} before the purge")
            time.sleep(0.2)

        system.bus_writer(config)  # this process is the bus's writer (not consuming here)
        report = system.purge()
        assert (RetentionClass.NONHIT, old.date()) in report.days_dropped
        assert not ring.has(old.date())

        async def left(js: Any) -> tuple[int, int]:
            batches = await js.stream_info(config.stream)
            dead = await js.stream_info(config.dead_stream)
            return batches.state.messages, dead.state.messages

        assert _raw(left) == (1, 0)  # today's message stays for the writer
        plates = {p: p.encode() for p in (OLD_PLATE, DEAD_PLATE, NEW_PLATE)}
        assert _scan(dirs, needles) == {"new"}
        assert _scan(dirs, plates) == set()  # no plate in plaintext, ever
