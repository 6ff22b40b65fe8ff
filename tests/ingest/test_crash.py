"""Kill -9 during sustained ingest, ten times: every read that got a 2xx is in the store after
restart. Also: SIGTERM shuts down gracefully (in-flight requests finish, the pipeline drains)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from trustlpr.keys import load_root_key
from trustlpr.store.factory import open_read_store

from .node import prepare

pytestmark = pytest.mark.slow
ROOT = Path(__file__).parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.ingest.node", str(data_dir), str(port)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=0.5).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.05)
        if proc.poll() is not None:
            raise AssertionError(proc.stderr.read().decode() if proc.stderr else "node died")
    proc.kill()
    raise AssertionError("the node did not start")


class Load:
    """Several clients posting batches of fresh plates; remembers what was acknowledged."""

    def __init__(self, url: str, key: str, cycle: int, clients: int = 4, batch: int = 50) -> None:
        self.url, self.key, self.cycle = url, key, cycle
        self.acked: set[str] = set()
        self.errors = 0
        self.stop = threading.Event()
        self._lock = threading.Lock()
        self._threads = [
            threading.Thread(target=self._run, args=(i, batch), daemon=True) for i in range(clients)
        ]

    def _run(self, client: int, batch: int) -> None:
        headers = {"Authorization": f"Bearer {self.key}"}
        n = 0
        with httpx.Client(timeout=10) as http:
            while not self.stop.is_set():
                plates = [f"K{self.cycle:02d}{client}{n + i:05d}" for i in range(batch)]
                n += batch
                now = datetime.now(UTC).isoformat()
                body = {
                    "reads": [{"plate": p, "observed_at": now, "confidence": 0.9} for p in plates]
                }
                try:
                    response = http.post(self.url, json=body, headers=headers)
                except httpx.TransportError:
                    with self._lock:
                        self.errors += 1
                    time.sleep(0.05)
                    continue
                if 200 <= response.status_code < 300:
                    with self._lock:
                        self.acked.update(plates)

    def __enter__(self) -> Load:
        for thread in self._threads:
            thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self._threads:
            thread.join(15)


def _stored_plates(data_dir: Path) -> set[str]:
    store = open_read_store(data_dir, load_root_key(data_dir))
    try:
        now = datetime.now(UTC)
        return {s.read.plate for s in store.scan(now - timedelta(days=2), now + timedelta(days=1))}
    finally:
        store.close()


def test_every_acknowledged_read_survives_kill_9(tmp_path: Path) -> None:
    data_dir = tmp_path / "node"
    key = prepare(data_dir)
    acked: set[str] = set()
    for cycle in range(10):
        port = _free_port()
        proc = _start(data_dir, port)
        with Load(f"http://127.0.0.1:{port}/api/v1/reads", key, cycle) as load:
            deadline = time.monotonic() + 0.6 + 0.1 * (cycle % 4)
            while time.monotonic() < deadline or not load.acked:
                time.sleep(0.05)
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait(10)
        acked |= load.acked
        assert load.acked, f"cycle {cycle}: nothing was acknowledged before the kill"
    missing = acked - _stored_plates(data_dir)
    assert not missing, f"{len(missing)} of {len(acked)} acknowledged reads were lost"


def test_sigterm_stops_cleanly_and_keeps_every_acknowledged_read(tmp_path: Path) -> None:
    data_dir = tmp_path / "node"
    key = prepare(data_dir)
    port = _free_port()
    proc = _start(data_dir, port)
    with Load(f"http://127.0.0.1:{port}/api/v1/reads", key, 0, clients=2) as load:
        while len(load.acked) < 500:
            time.sleep(0.05)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(30) == 0
    assert proc.stderr is not None and b"Traceback" not in proc.stderr.read()
    assert load.acked <= _stored_plates(data_dir)
