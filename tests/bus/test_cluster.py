"""The three-server NATS cluster of docs/scale.md, run from the configuration printed there
(addresses, names and store directories put on this machine): streams with three replicas,
kill -9 of the server that leads the batch stream during ingest, and every batch a camera
was answered for is stored once, by a writer that kept its lease."""

from __future__ import annotations

import asyncio
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import nats
import pytest

from trustlpr.bus import BusConfig, WriterLease
from trustlpr.core.errors import BusUnavailableError
from trustlpr.runtime import FrontEnd, System

from .conftest import BusNode, reads_payload

pytestmark = pytest.mark.slow

DOC = Path(__file__).resolve().parents[2] / "docs" / "scale.md"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def documented_config() -> str:
    """The ``conf`` block of docs/scale.md."""
    found = re.search(r"^```conf\n(.*?)^```", DOC.read_text(encoding="utf-8"), re.M | re.S)
    assert found, "docs/scale.md shows no nats-server configuration"
    return found.group(1)


def local_config(doc: str, n: int, clients: list[int], routes: list[int], store: Path) -> str:
    """Server ``n`` (1-3) of the documented cluster, on this machine."""
    text = doc.replace("server_name: n1", f"server_name: n{n}")
    text = text.replace("0.0.0.0:4222", f"127.0.0.1:{clients[n - 1]}")
    text = text.replace("0.0.0.0:6222", f"127.0.0.1:{routes[n - 1]}")
    for k in (1, 2, 3):
        text = text.replace(f"nats{k}.example.internal:6222", f"127.0.0.1:{routes[k - 1]}")
    text = re.sub(r"store_dir: \S+", f"store_dir: {store}", text)
    text = re.sub(r"max_file_store: \S+", "max_file_store: 1G", text)
    assert "example.internal" not in text and "0.0.0.0" not in text, text
    return text


@contextmanager
def _cluster(
    tmp: Path, first: tuple[int, ...] = (1, 2, 3)
) -> Iterator[tuple[dict[str, subprocess.Popen[bytes]], str, Callable[[int], None]]]:
    """The three servers by name, the client URLs of all three (``host:port,…``), and how to
    start one later; ``first``: the servers started at once (waited for when all three)."""
    binary = shutil.which("nats-server") or "/usr/sbin/nats-server"
    assert Path(binary).exists(), "nats-server is not installed: this test needs it"
    clients = [_free_port() for _ in range(3)]
    routes = [_free_port() for _ in range(3)]
    doc = documented_config()
    with ExitStack() as stack:
        servers: dict[str, subprocess.Popen[bytes]] = {}

        def start(n: int) -> None:
            conf = tmp / f"n{n}.conf"
            conf.write_text(local_config(doc, n, clients, routes, tmp / f"js{n}"))
            log = (tmp / f"n{n}.log").open("wb")
            stack.callback(log.close)
            proc = subprocess.Popen([binary, "-c", str(conf)], stdout=log, stderr=log)
            stack.callback(_kill, proc)
            servers[f"n{n}"] = proc

        for n in first:
            start(n)
        url = ",".join(f"127.0.0.1:{p}" for p in clients)
        if len(first) == 3:
            _wait_for_jetstream(f"nats://{url}", tmp)
        yield servers, url, start


def _kill(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is None:
        proc.kill()
        proc.wait(10)


def _wait_for_jetstream(url: str, tmp: Path) -> None:
    async def ready() -> bool:
        try:
            nc = await nats.connect(url.split(","), connect_timeout=2, allow_reconnect=False)
        except (nats.errors.Error, OSError):
            return False
        js = nc.jetstream()
        try:
            # account_info answers once a meta leader exists, before every peer has joined;
            # only a stream placed on three replicas shows the cluster is whole.
            await js.add_stream(name="READY_PROBE", subjects=["ready.probe"], num_replicas=3)
            await js.delete_stream("READY_PROBE")
            return True
        except (nats.errors.Error, OSError):
            return False
        finally:
            await nc.close()

    deadline = time.monotonic() + 60
    while not asyncio.run(ready()):
        if time.monotonic() > deadline:
            logs = "\n".join(p.read_text()[-400:] for p in sorted(tmp.glob("n*.log")))
            pytest.fail(f"the cluster could not place a three-replica stream within 60 s\n{logs}")
        time.sleep(0.5)


def _stream_leader(config: BusConfig) -> str:
    async def leader() -> str:
        nc = await nats.connect(list(config.servers), connect_timeout=5)
        try:
            info = await nc.jetstream().stream_info(config.stream)
            assert info.config.num_replicas == 3
            assert info.cluster is not None and len(info.cluster.replicas or []) == 2
            return str(info.cluster.leader)
        finally:
            await nc.close()

    return asyncio.run(leader())


def _stored(system: System) -> list[str]:
    now = datetime.now(UTC)
    found = system.store.scan(now - timedelta(days=2), now + timedelta(hours=1))
    return sorted(s.read.plate for s in found)


def test_the_documented_cluster_loses_its_stream_leader_and_no_read(
    bus_node: BusNode, tmp_path: Path
) -> None:
    with _cluster(tmp_path) as (servers, url, _):
        config = BusConfig.parse(
            f"nats://{url}/{bus_node.bus.stream}?replicas=3&lease=20",
            agency_id="nhpd",
        )
        assert len(config.servers) == 3
        lost: list[str] = []
        lease = WriterLease(config, on_lost=lost.append)
        try:
            assert lease.acquire()
            with System(bus_node.settings) as system:
                system.bus_writer(config, lease).start()
                with FrontEnd(bus_node.settings, config) as front:
                    camera = front.ingest_service.authenticate(bus_node.camera_key)
                    service = front.ingest_service
                    assert service.ingest("native", reads_payload(["CL000"]), camera)["stored"]
                    leader = _stream_leader(config)
                    servers[leader].send_signal(signal.SIGKILL)
                    servers[leader].wait(10)
                    answered, refused = ["CL000"], 0
                    for i in range(1, 11):
                        payload = reads_payload([f"CL{i:03d}"])
                        for _ in range(30):  # a camera's retries: the same payload, same id
                            try:
                                service.ingest("native", payload, camera)
                                answered.append(f"CL{i:03d}")
                                break
                            except BusUnavailableError as exc:  # 503: wait Retry-After
                                refused += 1
                                time.sleep(min(exc.retry_after, 1.0))
                    assert len(answered) == 11, f"{refused} refusals"
                    deadline = time.monotonic() + 60
                    while _stored(system) != answered:
                        assert time.monotonic() < deadline, _stored(system)
                        time.sleep(0.2)
                assert lost == [], lost
        finally:
            lease.close()


def _wait_for_meta_leader(url: str) -> None:
    async def ready() -> bool:
        try:
            nc = await nats.connect(url.split(","), connect_timeout=2, allow_reconnect=False)
        except (nats.errors.Error, OSError):
            return False
        try:
            await nc.jetstream().account_info()
            return True
        except (nats.errors.Error, OSError):
            return False
        finally:
            await nc.close()

    deadline = time.monotonic() + 60
    while not asyncio.run(ready()):
        assert time.monotonic() < deadline, "two of the three servers elected no meta leader"
        time.sleep(0.5)


def test_a_writer_started_while_the_cluster_forms_waits_for_placement(
    bus_node: BusNode, tmp_path: Path
) -> None:
    """Two of three servers up: JetStream answers "no suitable peers for placement" (err_code
    10005) for the three-replica lease bucket. That is no "another writer made it": the writer
    asks again, and takes the lease once the third server joined (or says why it gave up)."""
    with _cluster(tmp_path, first=(1, 2)) as (_, url, start):
        _wait_for_meta_leader(f"nats://{url}")
        config = BusConfig.parse(f"nats://{url}/{bus_node.bus.stream}?replicas=3", agency_id="nhpd")
        impatient = WriterLease(config, placement_wait=1.0)
        try:
            with pytest.raises(BusUnavailableError, match="no suitable peers"):
                impatient.acquire()
        finally:
            impatient.close()
        lease = WriterLease(config)
        try:
            threading.Timer(2.0, start, (3,)).start()
            assert lease.acquire()
            assert lease.confirm().result(10)
        finally:
            lease.close()
