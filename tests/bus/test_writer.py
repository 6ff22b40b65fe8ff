"""The writer against the real NATS server, in one process: batches a front-end published are
stored once; a redelivery — after a finished batch, after a crash between the audit entry and
the ledger, after a crash between the store and the audit — changes nothing; a message that
cannot be opened or parsed is dead-lettered and counted while the stream goes on."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import nats
import pytest
from nats.js.api import ConsumerConfig, StreamConfig

from trustlpr.bus import BusCipher, BusLedger, decode, encode
from trustlpr.bus.envelope import Batch, Sealed
from trustlpr.bus.publisher import KEY_HEADER
from trustlpr.core.events import EventType
from trustlpr.runtime import FrontEnd, System
from trustlpr.store import RetentionClass

from .conftest import NATS_URL, BusNode, reads_payload
from .format1 import encode_v1

pytestmark = pytest.mark.slow


def _wait(what: Callable[[], bool], message: str, timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while not what():
        if time.monotonic() > deadline:
            pytest.fail(message)
        time.sleep(0.05)


@contextmanager
def _running(node: BusNode) -> Iterator[tuple[System, FrontEnd]]:
    with System(node.settings) as system:
        system.bus_writer(node.bus).start()
        with FrontEnd(node.settings, node.bus) as front:
            yield system, front


def _stored(system: System) -> list[str]:
    now = datetime.now(UTC)
    return sorted(
        s.read.plate for s in system.store.scan(now - timedelta(days=2), now + timedelta(hours=1))
    )


def _ingested(system: System) -> int:
    total = 0
    for _, leaf in system.audit.log.entries():
        entry = json_leaf(leaf)
        if entry["type"] == EventType.READS_INGESTED.value:
            total += int(entry["public"]["count"])
    return total


def json_leaf(leaf: bytes) -> dict[str, Any]:
    from trustlpr.audit import parse_leaf

    parsed = parse_leaf(leaf)
    return {"type": parsed["type"], "public": parsed["public"]}


def _bus_counts(system: System) -> dict[str, int]:
    counts: dict[str, int] = system.ingest_service.health.snapshot()["subsystems"]["bus"]["counts"]
    return counts


def _raw(node: BusNode, action: Callable[[Any], Any]) -> Any:
    async def run() -> Any:
        nc = await nats.connect(NATS_URL, connect_timeout=10)
        try:
            return await action(nc.jetstream())
        finally:
            await nc.close()

    return asyncio.run(run())


def _republish(node: BusNode, msg_id: str, key_id: str, data: bytes) -> None:
    """The same message once more, as JetStream redelivers it: past the dedupe window."""

    async def act(js: Any) -> None:
        info = await js.stream_info(node.bus.stream)
        config: StreamConfig = info.config
        config.duplicate_window = 0.1
        await js.update_stream(config)
        await asyncio.sleep(0.5)
        await js.publish(
            node.bus.day_subject(key_id), data, headers={"Nats-Msg-Id": msg_id, KEY_HEADER: key_id}
        )

    _raw(node, act)


def _drained(node: BusNode) -> bool:
    async def act(js: Any) -> bool:
        info = await js.consumer_info(node.bus.stream, node.bus.durable)
        return bool(info.num_pending == 0 and info.num_ack_pending == 0)

    return bool(_raw(node, act))


def _sealed_batch(system: System, node: BusNode, plates: list[str]) -> tuple[str, str, bytes]:
    camera = system.ingest_service.authenticate(node.camera_key).camera
    parsed = system.ingest_service.adapters["native"].parse(reads_payload(plates), camera)
    cipher = BusCipher(system.store.rings[RetentionClass.NONHIT], node.bus.stream)
    sealed = cipher.seal(encode(Batch("elm", parsed.reads)))
    return sealed.msg_id, sealed.key_id, sealed.data


def test_published_batches_are_stored_once_and_answered_after_the_ack(bus_node: BusNode) -> None:
    with _running(bus_node) as (system, front):
        camera = front.ingest_service.authenticate(bus_node.camera_key)
        receipts = [
            front.ingest_service.ingest(
                "native", reads_payload([f"AB{i:03d}{j}" for j in range(5)]), camera
            )
            for i in range(20)
        ]
        assert all(r["stored"] == 5 and r["duplicates"] == 0 for r in receipts)
        again = front.ingest_service.ingest("native", reads_payload(["ZZ9999"]), camera)
        _wait(lambda: len(_stored(system)) >= 101, "the writer did not store every batch")
        _wait(lambda: _drained(bus_node), "the consumer did not finish")
        assert _stored(system) == sorted(
            {f"AB{i:03d}{j}" for i in range(20) for j in range(5)} | {"ZZ9999"}
        )
        assert again["stored"] == 1
        assert _ingested(system) == 101
        assert _bus_counts(system)["stored"] == 21


def _ledger_state(node: BusNode, msg_id: str) -> str | None:
    import sqlite3

    with sqlite3.connect(node.data / "bus.db") as conn:
        row = conn.execute("SELECT state FROM batches WHERE msg_id = ?", (msg_id,)).fetchone()
    return None if row is None else str(row[0])


def _publish(node: BusNode, msg_id: str, key_id: str, data: bytes) -> None:
    async def act(js: Any) -> None:
        await js.publish(
            node.bus.day_subject(key_id), data, headers={"Nats-Msg-Id": msg_id, KEY_HEADER: key_id}
        )

    _raw(node, act)


def test_a_finished_batch_delivered_again_changes_nothing(bus_node: BusNode) -> None:
    with _running(bus_node) as (system, _):
        msg_id, key_id, data = _sealed_batch(system, bus_node, ["CD111", "CD222"])
        _publish(bus_node, msg_id, key_id, data)
        _wait(lambda: _ledger_state(bus_node, msg_id) == "finished", "not stored")
        before = (_stored(system), _ingested(system), system.audit.log.size)
        _republish(bus_node, msg_id, key_id, data)
        _wait(lambda: _bus_counts(system).get("redelivered") == 1, "not seen again")
        _wait(lambda: _drained(bus_node), "not acknowledged")
        assert (_stored(system), _ingested(system), system.audit.log.size) == before
        assert before[0] == ["CD111", "CD222"] and before[1] == 2


def test_a_batch_audited_before_a_crash_is_only_finished(bus_node: BusNode) -> None:
    """The writer died after the audit entry, before the ledger said finished."""
    with _running(bus_node) as (system, _):
        msg_id, key_id, data = _sealed_batch(system, bus_node, ["EF333"])
        _publish(bus_node, msg_id, key_id, data)
        _wait(lambda: _ledger_state(bus_node, msg_id) == "finished", "not stored")
        import sqlite3

        with sqlite3.connect(bus_node.data / "bus.db") as conn:
            conn.execute("UPDATE batches SET state = 'begun' WHERE msg_id = ?", (msg_id,))
        before = (_stored(system), _ingested(system), system.audit.log.size)
        _republish(bus_node, msg_id, key_id, data)
        _wait(lambda: _ledger_state(bus_node, msg_id) == "finished", "not finished")
        _wait(lambda: _drained(bus_node), "not acknowledged")
        assert (_stored(system), _ingested(system), system.audit.log.size) == before


def test_a_batch_stored_but_not_audited_before_a_crash_is_not_stored_twice(
    bus_node: BusNode,
) -> None:
    """The writer died between the store's commit and the audit entry: the redelivered batch
    is counted once in the log and its reads are not stored a second time."""
    with _running(bus_node) as (system, _):
        msg_id, key_id, data = _sealed_batch(system, bus_node, ["GH444", "GH555"])
        batch = decode(
            BusCipher(system.store.rings[RetentionClass.NONHIT], bus_node.bus.stream).open(
                Sealed(msg_id, key_id, data)
            )
        )
        system.store.append(batch.reads[:1])  # one partition committed, then the crash
        BusLedger(bus_node.data / "bus.db").begin([msg_id], system.audit.log.size)
        counted = _ingested(system)
        _publish(bus_node, msg_id, key_id, data)
        _wait(lambda: _ledger_state(bus_node, msg_id) == "finished", "not recovered")
        _wait(lambda: _drained(bus_node), "not acknowledged")
        assert _stored(system) == ["GH444", "GH555"]
        assert _ingested(system) == counted + 2
        assert system.pipeline.stats["recovered_already_stored"] == 1


def test_a_format_1_and_a_format_2_message_are_stored_alike(bus_node: BusNode) -> None:
    """A rolling upgrade: the writer stores a batch of an older front-end (format 1, JSON)
    exactly as the same reads in format 2: the reads the front-end parsed, field for field."""
    with _running(bus_node) as (system, _):
        camera = system.ingest_service.authenticate(bus_node.camera_key).camera
        cipher = BusCipher(system.store.rings[RetentionClass.NONHIT], bus_node.bus.stream)
        parsed = {}
        for prefix, encoder in (("MN", encode_v1), ("PQ", encode)):
            payload = reads_payload([f"{prefix}111", f"{prefix}222"])
            for i, row in enumerate(payload["reads"]):
                row.update(make="Honda", colour="blue", speed=52.5 + i, direction=90 + i,
                           char_confidences=[0.5, 0.75, 1.0, 0.25, 0.125],
                           country="US")  # fmt: skip
            reads = system.ingest_service.adapters["native"].parse(payload, camera).reads
            sealed = cipher.seal(encoder(Batch("elm", reads)))
            _publish(bus_node, sealed.msg_id, sealed.key_id, sealed.data)
            # the store keeps no per-character confidences: they serve the hot-list matcher
            parsed.update({r.plate: replace(r, char_confidences=None) for r in reads})
        _wait(lambda: len(_stored(system)) == 4, "the writer did not store both formats")
        _wait(lambda: _drained(bus_node), "not acknowledged")
        now = datetime.now(UTC)
        stored = {
            s.read.plate: s.read
            for s in system.store.scan(now - timedelta(days=2), now + timedelta(hours=1))
        }
        assert stored == parsed
        _wait(lambda: _bus_counts(system).get("stored") == 2, "not counted as two batches")


def test_bad_messages_are_dead_lettered_counted_and_do_not_block(bus_node: BusNode) -> None:
    with _running(bus_node) as (system, _):
        msg_id, key_id, data = _sealed_batch(system, bus_node, ["JK666"])
        tampered = bytearray(data)
        tampered[-1] ^= 0x55
        cipher = BusCipher(system.store.rings[RetentionClass.NONHIT], bus_node.bus.stream)
        nonsense = cipher.seal(b'{"v": 1, "reads": "none"}')
        _publish(bus_node, "m-tampered", key_id, bytes(tampered))
        _publish(bus_node, nonsense.msg_id, nonsense.key_id, nonsense.data)
        _publish(bus_node, "m-nokey", "", b"plain text on the bus")
        _publish(bus_node, msg_id, key_id, data)  # after them: still stored
        _wait(lambda: _ledger_state(bus_node, msg_id) == "finished", "blocked by bad messages")
        _wait(lambda: _drained(bus_node), "bad messages left pending")
        assert _stored(system) == ["JK666"]
        counts = _bus_counts(system)
        assert counts["dead_letter_undecryptable"] == 2
        assert counts["dead_letter_unparseable"] == 1

        async def dead(js: Any) -> list[str]:
            sub = await js.pull_subscribe(
                bus_node.bus.dead_subject, stream=bus_node.bus.dead_stream
            )
            msgs = await sub.fetch(10, timeout=5)
            return sorted(m.headers["TrustLPR-Reason"] for m in msgs)

        assert _raw(bus_node, dead) == ["undecryptable", "undecryptable", "unparseable"]


def test_a_writer_whose_consumer_cannot_be_set_up_keeps_trying_and_then_stores(
    bus_node: BusNode,
) -> None:
    # a work queue takes one consumer per subject: while another holds it, JetStream refuses
    # the writer's (as it times out while a cluster elects a leader): the writer must wait
    async def intrude(js: Any) -> None:
        await js.add_consumer(
            bus_node.bus.stream,
            ConsumerConfig(durable_name="intruder", filter_subject=bus_node.bus.subject),
        )

    with FrontEnd(bus_node.settings, bus_node.bus) as front:  # makes the streams
        _raw(bus_node, intrude)
        camera = front.ingest_service.authenticate(bus_node.camera_key)
        assert front.ingest_service.ingest("native", reads_payload(["SU777"]), camera)["stored"]
        with System(bus_node.settings) as system:
            system.bus_writer(bus_node.bus).start()
            health = system.ingest_service.health

            def state() -> str:
                return str(health.snapshot()["subsystems"]["bus"]["state"])

            _wait(lambda: state() == "subscribing", "the writer did not say it is waiting", 30)
            assert health.snapshot()["healthy"] is False
            _raw(bus_node, lambda js: js.delete_consumer(bus_node.bus.stream, "intruder"))
            _wait(lambda: _stored(system) == ["SU777"], "the writer gave up on its consumer", 30)
            assert state() == "consuming"
