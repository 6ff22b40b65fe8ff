"""``trustlpr serve --role writer`` started twice for one node, as real processes on the real
NATS server: one says it is the active writer and serves, the other says it stands by and
opens nothing; kill -9 of the active one and the standby takes over, storing what a front-end
published meanwhile, once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from trustlpr.bus.lease import KEY, Holder
from trustlpr.runtime import FrontEnd

from .conftest import BusNode, reads_payload
from .test_lease import _kv
from .test_roles import _free_port, _stored_plates

pytestmark = pytest.mark.slow


class Served:
    """``trustlpr serve --role ROLE`` for the node, its output in ``log``."""

    def __init__(self, node: BusNode, log: Path, role: str = "writer") -> None:
        self.port = _free_port()
        self.log = log
        env = {k: v for k, v in os.environ.items() if not k.startswith("TRUSTLPR_")}
        with log.open("wb") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "trustlpr.cli", "--data-dir", str(node.data), "serve",
                 "--role", role, "--bus", node.url, "--port", str(self.port),
                 "--log-level", "warning"],
                env=env, stdout=out, stderr=subprocess.STDOUT,
            )  # fmt: skip

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def serving(self) -> bool:
        try:
            return httpx.get(f"{self.url}/healthz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)


@contextmanager
def _writers(node: BusNode, logs: Path, count: int) -> Iterator[list[Served]]:
    with ExitStack() as stack:
        writers = []
        for i in range(count):
            writer = Served(node, logs / f"writer{i}.log")
            stack.callback(writer.stop)
            writers.append(writer)
        yield writers


def _wait(what: Callable[[], bool], message: str, writers: list[Served], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not what():
        if time.monotonic() > deadline:
            logs = "\n".join(w.text()[-600:] for w in writers)
            pytest.fail(f"{message}\n{logs}")
        time.sleep(0.1)


def test_two_writers_one_active_one_standby_that_takes_over_after_kill_9(
    bus_node: BusNode, tmp_path: Path
) -> None:
    with _writers(bus_node, tmp_path, 2) as writers:
        _wait(lambda: any(w.serving() for w in writers), "no writer came up", writers, 90)
        active, standby = writers if writers[0].serving() else writers[::-1]
        _wait(lambda: "STANDBY writer" in standby.text(), "no standby", writers, 30)
        assert "ACTIVE writer" in active.text() and "STANDBY writer" not in active.text()
        assert "ACTIVE writer" not in standby.text() and not standby.serving()
        assert standby.proc.poll() is None  # it waits, holding nothing of the node

        with FrontEnd(bus_node.settings, bus_node.bus) as front:
            camera = front.ingest_service.authenticate(bus_node.camera_key)
            first = front.ingest_service.ingest("native", reads_payload(["NP100"]), camera)
            _wait(lambda: _stored_plates(bus_node) == ["NP100"], "not stored", writers, 60)
            active.proc.send_signal(signal.SIGKILL)
            active.proc.wait(10)
            during = front.ingest_service.ingest("native", reads_payload(["NP200"]), camera)
            _wait(standby.serving, "the standby did not take over", writers, 60)
            _wait(
                lambda: _stored_plates(bus_node) == ["NP100", "NP200"],
                "the standby did not store what came while no writer ran",
                writers,
                60,
            )
        assert first["stored"] == during["stored"] == 1
        assert "ACTIVE writer" in standby.text()
        assert standby.proc.poll() is None
    assert _stored_plates(bus_node) == ["NP100", "NP200"]


def test_a_writer_whose_lease_is_taken_stops_and_exits_75(
    bus_node: BusNode, tmp_path: Path
) -> None:
    with _writers(bus_node, tmp_path, 1) as writers:
        _wait(writers[0].serving, "the writer did not come up", writers, 90)

        async def steal(kv: Any) -> None:
            await kv.delete(KEY)
            await kv.create(KEY, Holder("thief", "elsewhere", 1).encode())

        _kv(bus_node, steal)
        assert writers[0].proc.wait(60) == 75
        text = " ".join(writers[0].text().split())
        assert "FENCED writer" in text and "lost the writer lease" in text
        assert "start it again to stand by" in text
