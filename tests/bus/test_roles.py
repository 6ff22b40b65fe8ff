"""``trustlpr serve --role ingest`` and ``--role writer`` as real processes on the real NATS
server: every read a camera got a 2xx for is stored exactly once by the writer, the front-end
answers only what it checked (bad key 401, bad read 422), and ``audit verify`` passes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from typer.testing import CliRunner

from trustlpr.cli import app
from trustlpr.runtime import open_readonly

from .conftest import BusNode, reads_payload

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def _serving(node: BusNode, role: str) -> Iterator[str]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRUSTLPR_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "trustlpr.cli", "--data-dir", str(node.data), "serve",
         "--role", role, "--bus", node.url, "--port", str(port), "--log-level", "warning"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    try:
        while True:
            if proc.poll() is not None:
                assert proc.stderr is not None
                pytest.fail(f"serve --role {role} exited: {proc.stderr.read().decode()[-800:]}")
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"serve --role {role} did not come up within 120 s")
            time.sleep(0.1)
        yield url
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(90)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)


def _stored_plates(node: BusNode) -> list[str]:
    now = datetime.now(UTC)
    with open_readonly(node.settings) as readonly:
        found = readonly.store.scan(now - timedelta(days=2), now + timedelta(hours=1))
        return sorted(s.read.plate for s in found)


def test_front_end_and_writer_processes_store_every_acknowledged_read_once(
    bus_node: BusNode,
) -> None:
    acked: list[str] = []
    with _serving(bus_node, "writer"), _serving(bus_node, "ingest") as front:
        headers = {"Authorization": f"Bearer {bus_node.camera_key}"}
        with httpx.Client(base_url=front, headers=headers, timeout=60) as client:
            payloads = [reads_payload([f"RL{i:02d}{j}" for j in range(4)]) for i in range(30)]
            for payload in payloads:
                answer = client.post("/api/v1/reads", json=payload)
                assert answer.status_code == 200, answer.text
                assert answer.json()["stored"] == 4
                acked.extend(str(r["plate"]) for r in payload["reads"])
            # a camera's retry of a batch it got no answer for: JetStream drops the copy
            retry = client.post("/api/v1/reads", json=payloads[0])
            assert retry.status_code == 200
            assert (retry.json()["stored"], retry.json()["duplicates"]) == (0, 4)
            bad = client.post("/api/v1/reads", json={"reads": [{"plate": "$", "confidence": 1}]})
            assert bad.status_code == 422
            stranger = httpx.post(
                f"{front}/api/v1/reads",
                json=reads_payload(["XX111"]),
                headers={"Authorization": "Bearer cam_nope_nope"},
                timeout=60,
            )
            assert stranger.status_code == 401
            assert client.get("/api/v1/search").status_code == 404  # a front-end only ingests
        deadline = time.monotonic() + 120
        while len(_stored_plates(bus_node)) < len(acked):
            assert time.monotonic() < deadline, "the writer did not store every acked read"
            time.sleep(0.2)
    assert _stored_plates(bus_node) == sorted(acked)
    verify = CliRunner().invoke(app, ["--data-dir", str(bus_node.data), "audit", "verify"])
    assert verify.exit_code == 0, verify.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--bus", "nats://127.0.0.1:4222"], "--bus needs --role ingest or --role writer"),
        (["--role", "ingest"], "--role ingest needs --bus"),
        (["--role", "writer", "--bus", "http://127.0.0.1:4222"], "nats://"),
        (["--role", "writer", "--bus", "nats://127.0.0.1:4222/a.b"], "stream name"),
        (["--role", "writer", "--bus", "nats://127.0.0.1:4222?replicas=2"], "1, 3 or 5"),
    ],
)
def test_role_and_bus_are_checked_before_anything_starts(
    bus_node: BusNode, args: list[str], message: str
) -> None:
    result = CliRunner().invoke(app, ["--data-dir", str(bus_node.data), "serve", *args])
    assert result.exit_code == 78, result.output
    assert message in " ".join(result.output.split())


def test_a_front_end_without_nats_refuses_to_start(bus_node: BusNode) -> None:
    port = _free_port()  # nothing listens there
    result = CliRunner().invoke(
        app,
        ["--data-dir", str(bus_node.data), "serve", "--role", "ingest", "--bus",
         f"nats://127.0.0.1:{port}/X1", "--port", str(_free_port())],
    )  # fmt: skip
    assert result.exit_code == 75, result.output
    assert "cannot be reached" in " ".join(result.output.split())
