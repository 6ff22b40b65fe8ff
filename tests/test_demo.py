"""`make demo` runs `trustlpr demo`: within a minute the portal must show a living system."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
def test_demo_shows_reads_hits_searches_and_denials(tmp_path: Path, shared_dir: Path) -> None:
    port = _free_port()
    env = {**os.environ, "TRUSTLPR_SHARED_DIR": str(shared_dir)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "trustlpr.cli", "--data-dir", str(tmp_path / "demo"), "demo",
         "--port", str(port), "--rate", "200", "--history", "2"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )  # fmt: skip
    figures: dict = {}
    live: httpx.Response | None = None
    try:
        # Not a timing check (bench/ measures start-up): a loaded CI machine gets room.
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            time.sleep(2)
            try:
                figures = httpx.get(f"http://127.0.0.1:{port}/figures.json", timeout=5).json()
                # the console opens once the past is replayed and the node runs live
                live = httpx.get(f"http://127.0.0.1:{port}/console/login", timeout=5)
            except (httpx.HTTPError, json.JSONDecodeError):
                continue
            if (
                live.status_code == 200
                and figures["reads"]["total"] > 0
                and figures["hotlist"]["hits"] > 0
                and figures["searches"]["total"] > 0
                and figures["searches"]["denied"] > 0
            ):
                break
        page = httpx.get(f"http://127.0.0.1:{port}/", timeout=5)
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, output[-2000:]
    assert f"http://127.0.0.1:{port}/" in output
    assert figures["reads"]["total"] > 0, figures.get("reads")
    assert figures["hotlist"]["hits"] > 0
    assert figures["searches"]["total"] > 0 and figures["searches"]["denied"] > 0
    assert page.status_code == 200
    assert live is not None and live.status_code == 200
    # a fresh directory replayed its past first and the first screen says what is simulated
    assert "everything in it is simulated" in page.text
    assert "The 2 days from" in " ".join(output.split())  # whatever the terminal width
    assert figures["window"]["dates"][-2:] and all(figures["reads"]["daily"][-2:])
    # the town's patrol cars are mobile cameras, and their replayed reads are each stored at
    # the position they were taken
    from datetime import UTC, datetime, timedelta

    from trustlpr.demo import PATROL_CARS, demo_settings
    from trustlpr.runtime import open_readonly

    with open_readonly(demo_settings(tmp_path / "demo")) as node:
        units = [c for c in node.cameras.list() if c.camera.mobile]
        assert sorted(c.id for c in units) == [f"patrol-{i + 1}" for i in range(PATROL_CARS)]
        now = datetime.now(UTC)
        found = node.store.scan(now - timedelta(days=4), now + timedelta(hours=1))
        spots = {(s.read.latitude, s.read.longitude) for s in found
                 if s.read.camera_id.startswith("patrol-")}  # fmt: skip
        assert len(spots) > 10, len(spots)
    # and the portal's figures count them and show where they read, as cells of the replayed days
    mobile = figures["mobile"]
    assert mobile["units"] == PATROL_CARS, mobile
    assert mobile["reads"] > 0 and mobile["cells"], mobile
