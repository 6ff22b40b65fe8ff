"""Ingest over HTTP: reads/s through ``POST /api/v1/reads`` (uvicorn on loopback, real httpx
clients in another process, batches of 100, several concurrent clients) against the same
pipeline called in-process in the same run, and the acknowledgment latency at a steady
5,000 reads/s. Both paths parse the native batch, dedupe, encrypt, store durably (SQLite,
synchronous=FULL) and append to the real audit log before acknowledging.

Throughput is measured in ``--rounds`` rounds of ``--reads`` fresh reads on each path, the
two alternated with the order swapped every round (``_rounds.alternate``); ``ratio`` is the
median of HTTP / in-process reads/s per round. The latency run has no baseline (information).

    python bench/http_ingest.py --json          # last line: one JSON object
    python bench/http_ingest.py --serve DIR PORT  # (internal) the server process
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import Future
from pathlib import Path
from types import FrameType
from typing import Any

from _common import T0, emit, free_port, native_batches, peak_rss_mb, percentile
from _rounds import alternate
from trustlpr.audit import open_audit
from trustlpr.cameras import CameraRegistry
from trustlpr.ingest import IngestLimits, IngestPipeline, IngestService
from trustlpr.keys import create_root_key, load_root_key
from trustlpr.store.factory import open_read_store

BATCH = 100
CAMERA = "bench"


# -- the node -----------------------------------------------------------------------------------


def prepare(data_dir: Path) -> str:
    data_dir.mkdir(parents=True, exist_ok=True)
    create_root_key(data_dir)
    with open_audit(data_dir, agency_id="bench") as audit:
        registry = CameraRegistry(data_dir, audit=audit)
        try:
            return registry.add("Bench", 41.3, -72.9, agency_id="bench", camera_id=CAMERA)[1]
        finally:
            registry.close()


class Node:
    """Registry, audit log, store and pipeline of one data directory."""

    def __init__(self, data_dir: Path) -> None:
        self.audit = open_audit(data_dir, agency_id="bench")
        self.store = open_read_store(data_dir, load_root_key(data_dir))
        self.cameras = CameraRegistry(data_dir, audit=self.audit)
        self.pipeline = IngestPipeline(self.store, audit=self.audit)
        limits = IngestLimits(rate_per_s=1e9, burst=1e9)
        self.ingest_service = IngestService(self.cameras, self.pipeline, limits=limits)

    def close(self) -> None:
        self.pipeline.close()
        self.cameras.close()
        self.store.close()
        self.audit.close()


def serve(data_dir: Path, port: int) -> None:
    import uvicorn

    from trustlpr.web.app import create_app

    def _exit(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, _exit)
    node = Node(data_dir)
    try:
        uvicorn.run(create_app(node), host="127.0.0.1", port=port, log_level="warning")
    finally:
        node.close()


# -- load ---------------------------------------------------------------------------------------


def batches(total: int, seed: int) -> list[dict[str, Any]]:
    """Native batches of fresh plates (no duplicates), dated within one day."""
    return native_batches(total, seed, BATCH, T0, (0, 86000))


def in_process(data_dir: Path, bodies: list[dict[str, Any]], clients: int) -> float:
    """The same work without HTTP: parse + checks + pipeline, ``clients`` threads waiting."""
    node = Node(data_dir)
    service = node.ingest_service
    camera = service.cameras.get(CAMERA)
    queue = list(reversed(bodies))
    lock = threading.Lock()

    def worker() -> None:
        while True:
            with lock:
                if not queue:
                    return
                body = queue.pop()
            future: Future[Any] | None = service.accept("native", body, camera).future
            assert future is not None
            future.result(60)

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start
    node.close()
    return sum(len(b["reads"]) for b in bodies) / elapsed


def start_server(data_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, __file__, "--serve", str(data_dir), str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    import httpx

    url = f"http://127.0.0.1:{port}"
    for _ in range(600):
        try:
            if httpx.get(f"{url}/healthz", timeout=0.5).status_code == 200:
                return proc, url
        except httpx.TransportError:
            time.sleep(0.05)
        if proc.poll() is not None:
            raise SystemExit(proc.stderr.read().decode() if proc.stderr else "server died")
    raise SystemExit("server did not start")


async def http_throughput(url: str, key: str, bodies: list[bytes], clients: int) -> float:
    import httpx

    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    queue = list(reversed(bodies))
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=60) as http:

        async def worker() -> None:
            while queue:
                response = await http.post("/api/v1/reads", content=queue.pop())
                response.raise_for_status()

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(clients)))
        elapsed = time.perf_counter() - start
    return len(bodies) * BATCH / elapsed


async def ack_latency(url: str, key: str, bodies: list[bytes], rate: float) -> list[float]:
    """Open-loop load at ``rate`` reads/s: a request every BATCH/rate seconds, whatever the
    previous ones do; returns each request's time to acknowledgment in ms."""
    import httpx

    headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
    interval = BATCH / rate
    latencies: list[float] = []
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    async with httpx.AsyncClient(base_url=url, headers=headers, limits=limits, timeout=60) as http:

        async def one(body: bytes) -> None:
            sent = time.perf_counter()
            response = await http.post("/api/v1/reads", content=body)
            response.raise_for_status()
            latencies.append((time.perf_counter() - sent) * 1000)

        tasks = []
        start = time.perf_counter()
        for i, body in enumerate(bodies):
            delay = start + i * interval - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(body)))
        await asyncio.gather(*tasks)
    return latencies


def stop_server(proc: subprocess.Popen[bytes]) -> None:
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(60)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reads", type=int, default=20_000, help="reads per round and path")
    parser.add_argument("--rounds", type=int, default=4, help="alternated throughput rounds")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients")
    parser.add_argument("--rate", type=float, default=5000.0, help="reads/s for the latency run")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the latency run")
    parser.add_argument("--json", action="store_true", help="print only the JSON line")
    parser.add_argument("--serve", nargs=2, metavar=("DIR", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(Path(args.serve[0]), int(args.serve[1]))
        return

    with tempfile.TemporaryDirectory(prefix="trustlpr-bench-") as tmp:
        root = Path(tmp)
        say = (lambda *_: None) if args.json else print
        prepare(root / "inproc")
        key = prepare(root / "http")
        proc, url = start_server(root / "http")
        try:

            def inproc(k: int) -> float:
                say(f"round {k + 1} in-process: {args.reads} reads, {args.clients} threads ...")
                bodies = batches(args.reads, seed=100 + k)
                return in_process(root / "inproc", bodies, args.clients)

            def http(k: int) -> float:
                say(f"round {k + 1} HTTP: {args.reads} reads, {args.clients} clients ...")
                encoded = [json.dumps(b).encode() for b in batches(args.reads, seed=200 + k)]
                return asyncio.run(http_throughput(url, key, encoded, args.clients))

            rounds = alternate(http, inproc, args.rounds)
            steady = int(args.rate * args.seconds / BATCH)
            paced = [json.dumps(b).encode() for b in batches(steady * BATCH, seed=13)]
            say(f"latency: {args.rate:g} reads/s for {args.seconds:g} s ...")
            latencies = asyncio.run(ack_latency(url, key, paced, args.rate))
        finally:
            stop_server(proc)
    http_rate, inproc_rate = rounds.medians()

    emit(
        {
            "http_reads_per_s": round(http_rate),
            "inprocess_reads_per_s": round(inproc_rate),
            **rounds.ratio(),
            "ack_p50_ms": round(percentile(latencies, 0.50), 2),
            "ack_p99_ms": round(percentile(latencies, 0.99), 2),
            "ack_rate_reads_per_s": args.rate,
            "batch": BATCH,
            "clients": args.clients,
            "reads": args.reads,
            "bench_peak_rss_mb": round(peak_rss_mb(), 1),
        },
        args.json,
    )


if __name__ == "__main__":
    main()
