"""Scale-out ingest: reads/s end to end through two front-ends (``serve --role ingest``),
NATS JetStream (127.0.0.1:4222) and the writer (``serve --role writer``), against the same
node's pipeline called in-process, in the same run; and the acknowledgment latency at a fixed
offered rate through the front-ends.

Both sides parse the native batch, check the camera, dedupe, match hot lists, encrypt, store
durably and append to the audit log. A bus round is timed from the first POST until the
writer's durable consumer has nothing pending or unacknowledged (the writer acknowledges a
message only after its commit), so it measures reads *stored*, not just accepted. Rounds
alternate, the order swapped every round (``_rounds.alternate``); ``ratio`` is the median of
bus / in-process reads/s per round. Batches go round-robin over ``CAMERAS`` cameras (the
per-camera request limit is the node's own, not the bench's). The latency run is open-loop:
a batch every BATCH/rate seconds, alternating the front-ends.

    python bench/bus.py --json          # last line: one JSON object
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from _common import emit, free_port, native_batches, peak_rss_mb, percentile
from _rounds import alternate
from trustlpr.runtime import System, initialise
from trustlpr.settings import Settings

NATS_URL = "nats://127.0.0.1:4222"
BATCH = 100
CAMERAS = 32
FRONT_ENDS = 2


# -- the nodes ----------------------------------------------------------------------------------


def prepare(data_dir: Path) -> tuple[Settings, list[tuple[str, str]]]:
    """An initialised node with CAMERAS cameras; their (id, key)."""
    settings = Settings.load(data_dir, env={}, agency_id="bench", agency_state="CT")
    initialise(settings)
    keys = []
    with System(settings) as system:
        for i in range(CAMERAS):
            cam_id = f"cam{i:02d}"
            keys.append((cam_id, system.cameras.add(cam_id, 41.3, -72.9, agency_id="bench",
                                                    camera_id=cam_id)[1]))  # fmt: skip
    return settings, keys


def batches(total: int, seed: int) -> list[dict[str, Any]]:
    """Native batches of fresh plates (no duplicates), observed within the last hour."""
    return native_batches(total, seed, BATCH, datetime.now(UTC), (-3600, -60))


def in_process(system: System, bodies: list[dict[str, Any]], clients: int) -> float:
    """The same work without HTTP or the bus: camera checks + pipeline, ``clients`` threads."""
    service = system.ingest_service
    cameras = [service.cameras.get(f"cam{i:02d}") for i in range(CAMERAS)]
    queue = list(reversed(list(enumerate(bodies))))
    lock = threading.Lock()

    def worker() -> None:
        while True:
            with lock:
                if not queue:
                    return
                i, body = queue.pop()
            future = service.accept("native", body, cameras[i % CAMERAS]).future
            assert future is not None
            future.result(120)

    threads = [threading.Thread(target=worker) for _ in range(clients)]
    start = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(len(b["reads"]) for b in bodies) / (time.perf_counter() - start)


# -- the bus processes --------------------------------------------------------------------------


@dataclass(frozen=True)
class Served:
    url: str
    pid: int

    def cpu_seconds(self) -> float:
        """User + system CPU time of the process so far (all its threads)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rpartition(")")[2].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def serving(data_dir: Path, role: str, bus: str) -> Iterator[Served]:
    """``trustlpr serve --role <role>`` as its own process, once healthy."""
    import httpx

    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TRUSTLPR_")}
    proc = subprocess.Popen(
        [sys.executable, "-m", "trustlpr.cli", "--data-dir", str(data_dir), "serve",
         "--role", role, "--bus", bus, "--port", str(port), "--log-level", "warning"],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            if proc.poll() is not None:
                err = proc.stderr.read().decode()[-800:] if proc.stderr else ""
                raise SystemExit(f"serve --role {role} exited: {err}")
            try:
                if httpx.get(f"{url}/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise SystemExit(f"serve --role {role} did not come up within 180 s")
            time.sleep(0.1)
        yield Served(url, proc.pid)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(120)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)


async def _drained(js: Any, stream: str) -> bool:
    """The writer's consumer has delivered and committed everything on the stream."""
    info = await js.consumer_info(stream, "writer")
    return bool(info.num_pending == 0 and info.num_ack_pending == 0)


async def _post_all(
    fronts: list[str], keys: list[tuple[str, str]], bodies: list[bytes], clients: int
) -> None:
    import httpx

    queue = list(reversed(list(enumerate(bodies))))
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    http = [httpx.AsyncClient(base_url=f, limits=limits, timeout=120) for f in fronts]
    try:

        async def worker() -> None:
            while queue:
                i, body = queue.pop()
                headers = {"Authorization": f"Bearer {keys[i % CAMERAS][1]}",
                           "Content-Type": "application/json"}  # fmt: skip
                answer = await http[i % len(http)].post("/api/v1/reads", content=body,
                                                        headers=headers)  # fmt: skip
                answer.raise_for_status()

        await asyncio.gather(*(worker() for _ in range(clients)))
    finally:
        for client in http:
            await client.aclose()


def bus_throughput(
    fronts: list[str], keys: list[tuple[str, str]], stream: str, bodies: list[bytes], clients: int
) -> float:
    return asyncio.run(_bus_round(fronts, keys, stream, bodies, clients))


async def _bus_round(
    fronts: list[str], keys: list[tuple[str, str]], stream: str, bodies: list[bytes], clients: int
) -> float:
    """Posts every batch, then asks every 20 ms (on one connection, opened before the clock
    starts: the check must cost the node nothing) until the writer committed them all."""
    import nats

    nc = await nats.connect(NATS_URL, connect_timeout=10)
    try:
        js = nc.jetstream()
        start = time.perf_counter()
        await _post_all(fronts, keys, bodies, clients)
        deadline = time.monotonic() + 600
        while not await _drained(js, stream):
            if time.monotonic() > deadline:
                raise SystemExit("the writer did not commit the round within 600 s")
            await asyncio.sleep(0.02)
        return len(bodies) * BATCH / (time.perf_counter() - start)
    finally:
        await nc.close()


async def ack_latency(
    fronts: list[str], keys: list[tuple[str, str]], bodies: list[bytes], rate: float
) -> tuple[list[float], int]:
    """Open-loop load at ``rate`` reads/s over the front-ends; each batch's ack time in ms, and
    how many sends were retried."""
    import httpx

    interval = BATCH / rate
    latencies: list[float] = []
    retries: list[int] = []
    limits = httpx.Limits(max_connections=200, max_keepalive_connections=200)
    http = [httpx.AsyncClient(base_url=f, limits=limits, timeout=120) for f in fronts]
    try:

        async def one(i: int, body: bytes) -> None:
            headers = {"Authorization": f"Bearer {keys[i % CAMERAS][1]}",
                       "Content-Type": "application/json"}  # fmt: skip
            sent = time.perf_counter()
            for attempt in range(3):
                try:
                    answer = await http[i % len(http)].post("/api/v1/reads", content=body,
                                                            headers=headers)  # fmt: skip
                    break
                except (httpx.ReadError, httpx.RemoteProtocolError):
                    # a keep-alive connection the server closed as it was reused: the camera
                    # sends again (the same message id), and its wait counts from the first send
                    retries.append(i)
                    if attempt == 2:
                        raise
            answer.raise_for_status()
            latencies.append((time.perf_counter() - sent) * 1000)

        tasks = []
        start = time.perf_counter()
        for i, body in enumerate(bodies):
            delay = start + i * interval - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            tasks.append(asyncio.create_task(one(i, body)))
        await asyncio.gather(*tasks)
    finally:
        for client in http:
            await client.aclose()
    return latencies, len(retries)


def _delete_streams(stream: str) -> None:
    import nats

    async def delete() -> None:
        nc = await nats.connect(NATS_URL, connect_timeout=10)
        js = nc.jetstream()
        for name in (stream, f"{stream}_DEAD"):
            with suppress(nats.js.errors.NotFoundError):
                await js.delete_stream(name)
        await nc.close()

    asyncio.run(delete())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reads", type=int, default=20_000, help="reads per round and path")
    parser.add_argument("--rounds", type=int, default=4, help="alternated throughput rounds")
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients")
    parser.add_argument("--rate", type=float, default=5000.0, help="reads/s for the latency run")
    parser.add_argument("--seconds", type=float, default=10.0, help="length of the latency run")
    parser.add_argument("--json", action="store_true", help="print only the JSON line")
    args = parser.parse_args()
    say = (lambda *_: None) if args.json else print

    load_at_start = os.getloadavg()[0]
    stream = f"BENCH{secrets.token_hex(4)}"
    bus = f"{NATS_URL}/{stream}"
    with tempfile.TemporaryDirectory(prefix="trustlpr-bench-") as tmp, ExitStack() as stack:
        root = Path(tmp)
        inproc_settings, _ = prepare(root / "inproc")
        _, keys = prepare(root / "bus")
        stack.callback(_delete_streams, stream)
        writer = stack.enter_context(serving(root / "bus", "writer", bus))
        served = [stack.enter_context(serving(root / "bus", "ingest", bus))
                  for _ in range(FRONT_ENDS)]  # fmt: skip
        fronts = [s.url for s in served]
        system = stack.enter_context(System(inproc_settings))
        seeds = itertools.count(100)
        # CPU seconds of the recorded rounds (not the warm-up): in-process, writer, front-ends
        cpu = {"inprocess": 0.0, "writer": 0.0, "front_ends": 0.0}

        def inproc(k: int) -> float:
            say(f"round {k + 1} in-process: {args.reads} reads, {args.clients} threads ...")
            bodies = batches(args.reads, next(seeds))
            before = time.process_time()
            rate = in_process(system, bodies, args.clients)
            if k >= 0:
                cpu["inprocess"] += time.process_time() - before
            return rate

        def through_bus(k: int) -> float:
            say(f"round {k + 1} bus: {args.reads} reads, {FRONT_ENDS} front-ends ...")
            encoded = [json.dumps(b).encode() for b in batches(args.reads, next(seeds))]
            before = writer.cpu_seconds(), sum(s.cpu_seconds() for s in served)
            rate = bus_throughput(fronts, keys, stream, encoded, args.clients)
            if k >= 0:
                cpu["writer"] += writer.cpu_seconds() - before[0]
                cpu["front_ends"] += sum(s.cpu_seconds() for s in served) - before[1]
            return rate

        rounds = alternate(through_bus, inproc, args.rounds, warmup=True)
        steady = int(args.rate * args.seconds / BATCH)
        paced = [json.dumps(b).encode() for b in batches(steady * BATCH, seed=13)]
        say(f"latency: {args.rate:g} reads/s for {args.seconds:g} s ...")
        latencies, retried = asyncio.run(ack_latency(fronts, keys, paced, args.rate))
    bus_rate, inproc_rate = rounds.medians()
    emit(
        {
            "bus_reads_per_s": round(bus_rate),
            "inprocess_reads_per_s": round(inproc_rate),
            **rounds.ratio(),
            "ack_p50_ms": round(percentile(latencies, 0.50), 2),
            "ack_p99_ms": round(percentile(latencies, 0.99), 2),
            "ack_rate_reads_per_s": args.rate,
            **{
                f"cpu_us_per_read_{side}": round(seconds / (args.reads * args.rounds) * 1e6, 1)
                for side, seconds in cpu.items()
            },
            "load_1min_start": round(load_at_start, 2),
            "ack_retried": retried,
            "front_ends": FRONT_ENDS,
            "batch": BATCH,
            "clients": args.clients,
            "reads": args.reads,
            "bench_peak_rss_mb": round(peak_rss_mb(), 1),
        },
        args.json,
    )


if __name__ == "__main__":
    main()
