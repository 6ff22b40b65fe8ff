"""A real ingest node for the agent tests: ``tests.ingest.node`` under uvicorn, in its own
process, that a test can stop and start again on the same port."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from trustlpr.keys import load_root_key
from trustlpr.store import StoredRead
from trustlpr.store.factory import open_read_store

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Node:
    def __init__(self, data_dir: Path, port: int) -> None:
        self.data_dir, self.port = data_dir, port
        self.url = f"http://127.0.0.1:{port}"
        self._proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self._proc = subprocess.Popen(
            [sys.executable, "-m", "tests.ingest.node", str(self.data_dir), str(self.port)],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{self.url}/healthz", timeout=0.5).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
            if self._proc.poll() is not None:
                err = self._proc.stderr.read().decode() if self._proc.stderr else ""
                raise AssertionError(f"the node died: {err[-2000:]}")
        raise AssertionError("the node did not start")

    def stop(self) -> None:
        """SIGTERM: the node drains its pipeline and exits."""
        if self._proc is not None:
            self._proc.terminate()
            self._proc.wait(timeout=60)
            self._proc = None

    def stored(self) -> list[tuple[StoredRead, bytes | None]]:
        """Every stored read and its image (the node must be stopped)."""
        assert self._proc is None, "stop the node before reading its store"
        store = open_read_store(self.data_dir, load_root_key(self.data_dir))
        try:
            now = datetime.now(UTC)
            reads = list(store.scan(now - timedelta(days=2), now + timedelta(days=1)))
            return [(r, store.image(r.ref)) for r in reads]
        finally:
            store.close()
