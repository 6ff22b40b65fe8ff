"""The writer lease on the real NATS server: one holder at a time, a standby takes over when
the holder hands over or stops renewing, and a writer whose lease was taken (a stalled
process, a thief) commits nothing more; its batch is stored once, by the next writer."""

from __future__ import annotations

import asyncio
import dataclasses
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import nats
import pytest

from trustlpr.bus.lease import KEY, Holder, WriterLease
from trustlpr.core.errors import BusUnavailableError
from trustlpr.runtime import System

from .conftest import NATS_URL, BusNode
from .test_writer import _bus_counts, _drained, _publish, _sealed_batch, _stored, _wait

pytestmark = pytest.mark.slow


@contextmanager
def _lease(node: BusNode, lost: list[str] | None = None) -> Iterator[WriterLease]:
    lease = WriterLease(node.bus, on_lost=(lost if lost is not None else []).append)
    try:
        yield lease
    finally:
        lease.close()


def _standing_by(lease: WriterLease) -> tuple[threading.Thread, threading.Event, list[bool]]:
    stop, result = threading.Event(), []
    thread = threading.Thread(target=lambda: result.append(lease.acquire(stop)), daemon=True)
    thread.start()
    return thread, stop, result


def _kv(node: BusNode, action: Callable[[Any], Any]) -> Any:
    async def run() -> Any:
        nc = await nats.connect(NATS_URL, connect_timeout=10)
        try:
            return await action(await nc.jetstream().key_value(f"{node.bus.stream}_WRITER"))
        finally:
            await nc.close()

    return asyncio.run(run())


def _holder(node: BusNode) -> Holder:
    async def get(kv: Any) -> Holder:
        return Holder.decode((await kv.get(KEY)).value)

    return _kv(node, get)  # type: ignore[no-any-return]


def _stall(lease: WriterLease, seconds: float) -> None:
    """Freezes the lease's loop thread, as a paused or swapped-out process would be."""

    async def freeze() -> None:
        time.sleep(seconds)

    lease._bus.run(freeze())


def test_one_holder_and_a_standby_that_takes_over_on_hand_over(
    bus_node: BusNode, caplog: pytest.LogCaptureFixture
) -> None:
    with _lease(bus_node) as first, _lease(bus_node) as second:
        assert first.acquire()
        thread, stop, result = _standing_by(second)
        time.sleep(3 * bus_node.bus.lease)  # well past the TTL: the renewals keep it
        assert result == [] and _holder(bus_node).token == first.me.token
        assert first.confirm().result(10)
        first.close()  # hands over: deletes the key
        thread.join(2 * bus_node.bus.lease)
        stop.set()
        assert result == [True]
        assert _holder(bus_node).token == second.me.token
        assert second.confirm().result(10)
        assert first.lost is None  # a clean hand-over is not a loss
    messages = [r.getMessage() for r in caplog.records]
    assert any(m.startswith("STANDBY writer") and str(first.me) in m for m in messages)
    assert sum(m.startswith("ACTIVE writer") for m in messages) == 2


def test_a_stalled_holder_is_taken_over_and_fenced(bus_node: BusNode) -> None:
    lost: list[str] = []
    with _lease(bus_node, lost) as first, _lease(bus_node) as second:
        assert first.acquire()
        thread, stop, result = _standing_by(second)
        _stall(first, 3 * bus_node.bus.lease)
        thread.join(4 * bus_node.bus.lease)
        stop.set()
        assert result == [True], "the standby did not take over from a stalled holder"
        _wait(lambda: bool(lost), "the stalled holder did not notice it lost the lease", 30)
        assert first.lost is not None and not first.confirm().result(10)
        assert _holder(bus_node).token == second.me.token  # the old holder wrote nothing
        assert second.confirm().result(10)


def test_a_writer_that_lost_its_lease_commits_nothing_and_the_next_one_stores_it_once(
    bus_node: BusNode,
) -> None:
    lost: list[str] = []
    with System(bus_node.settings) as system, _lease(bus_node, lost) as lease:
        assert lease.acquire()
        system.bus_writer(bus_node.bus, lease).start()

        async def steal(kv: Any) -> None:  # another writer took the key
            await kv.delete(KEY)
            await kv.create(KEY, Holder("thief", "elsewhere", 1).encode())

        _kv(bus_node, steal)
        msg_id, key_id, data = _sealed_batch(system, bus_node, ["LM777", "LM888"])
        _publish(bus_node, msg_id, key_id, data)
        _wait(lambda: bool(lost), "the writer did not notice it lost the lease", 30)
        time.sleep(2.0)  # time enough to store it, had the fence not held
        assert _stored(system) == []
        assert len(lost) == 1  # one loss, one stop
        assert _bus_counts(system).get("stored", 0) == 0
        assert not _drained(bus_node)  # not acknowledged either
    # the next writer: takes the lease once the thief's lapses, gets the batch at once
    with System(bus_node.settings) as system, _lease(bus_node) as lease:
        assert lease.acquire()
        started = time.monotonic()
        system.bus_writer(bus_node.bus, lease).start()
        _wait(lambda: _stored(system) == ["LM777", "LM888"], "the next writer did not store it")
        _wait(lambda: _drained(bus_node), "not acknowledged")
        assert time.monotonic() - started < 30  # the consumer reset: no 60 s ack wait
        assert _stored(system) == ["LM777", "LM888"]


def test_replicas_the_one_server_cannot_have_are_a_precise_bus_error(bus_node: BusNode) -> None:
    """Three replicas on the one local server: JetStream answers err_code 10074; acquire says
    so at once (it is no cluster forming, nothing to wait for)."""
    lease = WriterLease(dataclasses.replace(bus_node.bus, replicas=3))
    try:
        with pytest.raises(BusUnavailableError, match="non-clustered"):
            lease.acquire()
    finally:
        lease.close()
