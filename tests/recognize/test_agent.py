"""The camera agent: its spool survives a node outage and kill -9, and nothing is sent twice.

The node is a real ingest node (the FastAPI app under uvicorn, real store and audit log) in
its own process; the agent runs as ``trustlpr camera watch`` in its own process too.
"""

from __future__ import annotations

import logging
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.ingest.node import prepare
from trustlpr.recognize import Recognizer, encode_jpeg, load_image
from trustlpr.recognize.sender import Forwarder, NodeClient
from trustlpr.recognize.spool import Spool

from .conftest import Labelled
from .nodes import ROOT, Node, free_port


def _body(plate: str, minutes_ago: float = 1.0) -> dict:
    when = datetime.now(UTC) - timedelta(minutes=minutes_ago)
    return {"plate": plate, "confidence": 0.9, "observed_at": when.isoformat()}


def test_the_spool_keeps_order_across_reopening_and_refuses_when_full(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "spool.sqlite"
    with Spool(path, max_reads=3) as spool:
        assert spool.add([(f"u{i}", _body(f"AB{i}00"), None) for i in range(2)]) == 2
        with caplog.at_level(logging.WARNING, "trustlpr.recognize.spool"):
            assert spool.add([("u2", _body("AB200"), b"jpeg"), ("u3", _body("AB300"), None)]) == 1
        assert "is full" in caplog.text and "dropped" in caplog.text
        assert spool.refused == 1
    assert oct(path.stat().st_mode & 0o777) == "0o600"  # it holds plates
    with Spool(path, max_reads=3) as spool:
        waiting = spool.peek(10)
        assert [w.uuid for w in waiting] == ["u0", "u1", "u2"]
        assert waiting[2].image == b"jpeg" and waiting[0].body["plate"] == "AB000"
        spool.remove([waiting[0].id])
        spool.reject(waiting[1], "HTTP 422: bad plate")
        assert [w.uuid for w in spool.peek(10)] == ["u2"]
        assert spool.rejected() == [("u1", "HTTP 422: bad plate")]
        spool.add([("u4", _body("AB400"), None)], done_file="snap-1.jpg")
        assert spool.is_done("snap-1.jpg") and not spool.is_done("snap-2.jpg")
        assert [w.uuid for w in spool.peek(10)] == ["u2", "u4"]


@pytest.fixture
def node(tmp_path: Path) -> tuple[Node, str]:
    key = prepare(tmp_path / "node", camera_id="cam1")
    return Node(tmp_path / "node", free_port()), key


@pytest.mark.slow
def test_a_node_outage_and_a_lost_answer_lose_nothing_and_duplicate_nothing(
    tmp_path: Path, node: tuple[Node, str], us_photos: list[Labelled]
) -> None:
    server, key = node
    crop = encode_jpeg(load_image(us_photos[0].path)[:60, :120])
    spool = Spool(tmp_path / "agent.sqlite")
    client = NodeClient(server.url, key, timeout=5)
    forwarder = Forwarder(spool, client)
    plates = ["ABC1234", "XYZ987", "KLM456"]
    spool.add([(uuid.uuid4().hex, _body(p), crop) for p in plates])
    assert forwarder.deliver(spool.peek(50)) > 0  # the node is down: wait, keep everything
    assert len(spool) == 3
    server.start()
    try:
        assert forwarder.deliver(spool.peek(50)) == 0.0
        assert len(spool) == 0 and forwarder.sent == 3
        # the agent sends, the node stores, the agent dies before it hears back: on restart
        # the same read (same uuid) goes again, and the node's dedupe drops it
        spool.add([("lost-answer", _body("QRS321", minutes_ago=30), crop)])
        assert client.send(spool.peek(1)).status == 200
        assert Forwarder(spool, NodeClient(server.url, key)).deliver(spool.peek(50)) == 0.0
        assert len(spool) == 0
        # a batch the node takes in part (207): the bad read is set aside, the good one sent
        spool.add([("good", _body("GOOD123"), crop), ("bad", _body("BAD$12"), None)])
        assert forwarder.deliver(spool.peek(50)) == 0.0
        assert len(spool) == 0 and [u for u, _ in spool.rejected()] == ["bad"]
        assert "plate" in spool.rejected()[0][1]
    finally:
        server.stop()
        spool.close()
        client.close()
    stored = server.stored()
    assert Counter(r.read.plate for r, _ in stored) == Counter([*plates, "QRS321", "GOOD123"])
    assert all(image == crop for _, image in stored)  # each read kept its crop


def _agent(
    tmp_path: Path, folder: Path, url: str, key: str, models: Path, *extra: str
) -> subprocess.Popen[bytes]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRUSTLPR_")}
    return subprocess.Popen(
        [sys.executable, "-m", "trustlpr.cli", "--data-dir", str(tmp_path / "agent"),
         "camera", "watch", str(folder), "--camera", "cam1", "--url", url, "--key", key,
         "--models", str(models), *extra],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip


def _spooled(path: Path) -> int:
    if not path.exists():
        return 0
    try:
        with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as db:
            return int(db.execute("SELECT count(*) FROM reads").fetchone()[0])
    except sqlite3.OperationalError:  # not created yet
        return 0


@pytest.mark.slow
def test_kill_9_of_the_agent_loses_nothing_and_sends_nothing_twice(
    tmp_path: Path,
    node: tuple[Node, str],
    us_photos: list[Labelled],
    recognizer: Recognizer,
    models: Path,
) -> None:
    server, key = node
    folder = tmp_path / "snapshots"
    folder.mkdir()
    chosen = [s for s in us_photos if s.path.name.startswith("car")][:10]
    past = time.time() - 120
    for i, sample in enumerate(chosen):
        target = folder / sample.path.name
        shutil.copyfile(sample.path, target)
        os.utime(target, (past + i, past + i))
    expected = Counter(
        r.plate
        for s in chosen
        for r in recognizer.recognize(load_image(folder / s.path.name)).reads
        if r.confidence >= 0.3
    )
    assert sum(expected.values()) >= 8
    spool = tmp_path / "agent" / "spool-cam1.sqlite"

    # the node is away: the agent reads every snapshot into its spool, then is killed
    agent = _agent(tmp_path, folder, server.url, key, models)
    deadline = time.monotonic() + 120
    while _spooled(spool) < sum(expected.values()) and time.monotonic() < deadline:
        assert agent.poll() is None, agent.stderr.read().decode() if agent.stderr else ""
        time.sleep(0.2)
    agent.send_signal(signal.SIGKILL)
    agent.wait()
    assert _spooled(spool) == sum(expected.values())

    # the node is back; the agent is killed at random moments while it sends, then finishes
    server.start()
    try:
        rng = random.Random(16)
        for _ in range(3):
            agent = _agent(tmp_path, folder, server.url, key, models, "--once")
            time.sleep(rng.uniform(1.0, 4.0))
            agent.send_signal(signal.SIGKILL)
            agent.wait()
        agent = _agent(tmp_path, folder, server.url, key, models, "--once")
        _, err = agent.communicate(timeout=180)
        assert agent.returncode == 0, err.decode()[-2000:]
        assert _spooled(spool) == 0
    finally:
        server.stop()
    stored = server.stored()
    assert Counter(r.read.plate for r, _ in stored) == expected
    assert all(image is not None and image[:3] == b"\xff\xd8\xff" for _, image in stored)
    assert {r.read.camera_id for r, _ in stored} == {"cam1"}


@pytest.mark.slow
def test_the_agent_sends_one_read_per_pass_of_a_video(
    tmp_path: Path, node: tuple[Node, str], us_photos: list[Labelled], recognizer: Recognizer
) -> None:
    from trustlpr.recognize.agent import AgentConfig, CameraAgent

    from .videos import pass_video

    server, key = node
    chosen = [next(s for s in us_photos if s.path.name == n) for n in ("car12.jpg", "car6.jpg")]
    video = tmp_path / "drive.mkv"
    pass_video(video, [s.path for s in chosen])
    spool = Spool(tmp_path / "agent.sqlite")
    client = NodeClient(server.url, key)
    agent = CameraAgent(recognizer, spool, Forwarder(spool, client), AgentConfig("cam1"))
    server.start()
    try:
        report = agent.run(str(video), once=True)
    finally:
        server.stop()
        spool.close()
        client.close()
    assert report.reads == 2 and report.frames > 40
    stored = server.stored()
    assert sorted(r.read.plate for r, _ in stored) == sorted(s.plate for s in chosen)
    assert all(image is not None for _, image in stored)
