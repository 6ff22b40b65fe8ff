"""The acceptance run of scale-out ingest, all real processes on the real NATS server: two
front-ends (``serve --role ingest``), an active writer and its standby (``serve --role
writer``), a camera posting batches without pause over HTTP. kill -9 of the front-end in use
(the camera goes on at the other one), then kill -9 of the active writer (the standby takes
over), and messages that cannot be opened or parsed published straight to the stream: every
read the camera was answered 2xx for is stored exactly once, the bad messages are
dead-lettered and counted without holding anything up, and ``audit verify`` passes."""

from __future__ import annotations

import asyncio
import itertools
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest
from typer.testing import CliRunner

from trustlpr.bus import BusCipher
from trustlpr.bus.publisher import KEY_HEADER
from trustlpr.cli import app
from trustlpr.runtime import System
from trustlpr.store import RetentionClass

from .conftest import NATS_URL, BusNode, reads_payload
from .test_roles import _stored_plates
from .test_standby import Served

pytestmark = pytest.mark.slow

PER_BATCH = 5


class Camera(threading.Thread):
    """Posts batch after batch of fresh plates, each until some front-end answers 200 (the
    same payload to the other front-end when one fails: the same bus message id), and keeps
    the plates of every answered batch."""

    def __init__(self, key: str, fronts: list[str]) -> None:
        super().__init__(daemon=True)
        self.fronts = fronts
        self.headers = {"Authorization": f"Bearer {key}"}
        self.acked: list[str] = []
        self.failovers = 0
        self.answers: list[tuple[int, int]] = []  # (stored, duplicates) per acked batch
        self.error: str | None = None
        self.stop = threading.Event()

    def run(self) -> None:
        turn = itertools.cycle(range(len(self.fronts)))
        at = next(turn)
        try:
            for n in itertools.count():
                if self.stop.is_set():
                    return
                payload = reads_payload([f"KN{n:04d}{j}" for j in range(PER_BATCH)])
                for attempt in itertools.count():
                    if attempt > 100:
                        self.error = f"batch {n} was never acknowledged"
                        return
                    try:
                        answer = httpx.post(
                            f"{self.fronts[at]}/api/v1/reads",
                            json=payload,
                            headers=self.headers,
                            timeout=15,
                        )
                    except httpx.HTTPError:
                        answer = None
                    if answer is not None and answer.status_code == 200:
                        body = answer.json()
                        self.answers.append((body["stored"], body["duplicates"]))
                        self.acked.extend(str(r["plate"]) for r in payload["reads"])
                        break
                    if answer is not None and answer.status_code != 503:
                        self.error = f"front-end answered {answer.status_code}: {answer.text}"
                        return
                    self.failovers += 1
                    at = next(turn)
                    time.sleep(0.05)
        except Exception as exc:  # the test reads it; a thread's exception is otherwise lost
            self.error = f"{type(exc).__name__}: {exc}"


def _wait(what: Callable[[], bool], message: str, procs: list[Served], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not what():
        if time.monotonic() > deadline:
            logs = "\n".join(f"-- {p.log.name}\n{p.text()[-600:]}" for p in procs)
            pytest.fail(f"{message}\n{logs}")
        time.sleep(0.1)


def _publish_raw(node: BusNode, messages: list[tuple[str, str, bytes]]) -> None:
    """Straight onto the stream, past every front-end: (message id, key id, data)."""

    async def publish() -> None:
        nc = await nats.connect(NATS_URL, connect_timeout=10)
        try:
            js = nc.jetstream()
            for msg_id, key_id, data in messages:
                headers = {"Nats-Msg-Id": msg_id, **({KEY_HEADER: key_id} if key_id else {})}
                await js.publish(node.bus.day_subject(key_id), data, headers=headers)
        finally:
            await nc.close()

    asyncio.run(publish())


def _dead_reasons(node: BusNode) -> list[str]:
    async def read() -> list[str]:
        nc = await nats.connect(NATS_URL, connect_timeout=10)
        try:
            info = await nc.jetstream().stream_info(node.bus.dead_stream)
            js = nc.jetstream()
            reasons = []
            for seq in range(info.state.first_seq, info.state.last_seq + 1):
                msg = await js.get_msg(node.bus.dead_stream, seq)
                reasons.append((msg.headers or {}).get("TrustLPR-Reason", ""))
            return sorted(reasons)
        finally:
            await nc.close()

    return asyncio.run(read())


def _bad_messages(node: BusNode) -> list[tuple[str, str, bytes]]:
    """A tampered batch, a sealed one that does not parse, and plain text naming no key."""
    with System(node.settings) as system:
        cipher = BusCipher(system.store.rings[RetentionClass.NONHIT], node.bus.stream)
        good = cipher.seal(b'{"v": 1, "reads": []}')
        nonsense = cipher.seal(b'{"v": 1, "reads": "none"}')
    tampered = bytearray(good.data)
    tampered[-1] ^= 0x55
    return [
        ("kn-tampered", good.key_id, bytes(tampered)),
        (nonsense.msg_id, nonsense.key_id, nonsense.data),
        ("kn-plain", "", b"plain text on the bus"),
    ]


def _bus_counts(proc: Served) -> dict[str, Any]:
    snapshot = httpx.get(f"{proc.url}/healthz", timeout=5).json()
    counts: dict[str, Any] = snapshot["ingest"]["bus"]["counts"]
    return counts


@contextmanager
def _started(node: BusNode, logs: Path) -> Iterator[tuple[list[Served], list[Served]]]:
    with ExitStack() as stack:
        procs = {}
        for name, role in [("front0", "ingest"), ("front1", "ingest"),
                           ("writer0", "writer"), ("writer1", "writer")]:  # fmt: skip
            procs[name] = Served(node, logs / f"{name}.log", role)
            stack.callback(procs[name].stop)
        yield [procs["front0"], procs["front1"]], [procs["writer0"], procs["writer1"]]


def test_kill_9_of_a_front_end_then_the_writer_loses_and_repeats_no_acknowledged_read(
    bus_node: BusNode, tmp_path: Path
) -> None:
    bad = _bad_messages(bus_node)
    with _started(bus_node, tmp_path) as (fronts, writers):
        procs = [*fronts, *writers]
        _wait(lambda: all(f.serving() for f in fronts), "the front-ends did not come up", procs, 90)
        _wait(lambda: any(w.serving() for w in writers), "no writer came up", procs, 90)
        active, standby = writers if writers[0].serving() else writers[::-1]
        _wait(lambda: "STANDBY writer" in standby.text(), "no standby", procs, 30)

        camera = Camera(bus_node.camera_key, [f.url for f in fronts])
        camera.start()
        try:
            _wait(lambda: len(camera.acked) >= 20 * PER_BATCH, "no ingest", procs, 30)
            fronts[0].proc.send_signal(signal.SIGKILL)  # mid-ingest: the camera is posting
            fronts[0].proc.wait(10)
            after_front = len(camera.acked)
            _wait(lambda: camera.failovers > 0, "the camera never had to fail over", procs, 30)
            _wait(
                lambda: len(camera.acked) >= after_front + 20 * PER_BATCH,
                "ingest did not go on at the other front-end",
                procs,
                30,
            )
            _wait(lambda: len(_stored_plates(bus_node)) > after_front, "nothing stored", procs, 30)
            active.proc.send_signal(signal.SIGKILL)  # mid-ingest, mid-fetch most likely
            active.proc.wait(10)
            after_writer = len(camera.acked)
            _publish_raw(bus_node, bad)  # behind them, the camera's batches go on
            _wait(standby.serving, "the standby did not take over", procs, 60)
            _wait(
                lambda: len(camera.acked) >= after_writer + 20 * PER_BATCH,
                "ingest did not go on while the writer changed",
                procs,
                30,
            )
        finally:
            camera.stop.set()
            camera.join(60)
        assert camera.error is None, camera.error
        acked = sorted(camera.acked)
        _wait(
            lambda: len(_stored_plates(bus_node)) >= len(acked),
            f"the standby did not store every acknowledged read ({len(acked)})",
            procs,
            90,
        )
        counts = _bus_counts(standby)
        assert counts.get("dead_letter_undecryptable") == 2, counts
        assert counts.get("dead_letter_unparseable") == 1, counts
        assert _dead_reasons(bus_node) == ["undecryptable", "undecryptable", "unparseable"]
        assert "ACTIVE writer" in standby.text()
        standby.stop()
        fronts[1].stop()
        assert standby.proc.returncode == 0, standby.text()[-800:]

    stored = _stored_plates(bus_node)
    assert len(stored) == len(set(stored)), "a read was stored twice"
    assert stored == acked
    assert all(s + d == PER_BATCH for s, d in camera.answers)
    verify = CliRunner().invoke(app, ["--data-dir", str(bus_node.data), "audit", "verify"])
    assert verify.exit_code == 0, verify.output
