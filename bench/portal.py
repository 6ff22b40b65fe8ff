"""The public portal page under load: requests/s and p99 latency of ``/`` with 200 concurrent
clients on loopback, against a static file served by the same server in the same run.

A node is populated through its real components (camera registry, hot list, ingest pipeline,
governed search, snapshots; a simulated city's traffic), then served by uvicorn in its own
process while a writer keeps appending to the log (so the figures really are recomputed as
the log grows). The load generator is ``wrk`` (Debian's package; installed with apt-get when
missing and running as root), 2 threads, 200 connections.

The page and the static file are loaded in ``--rounds`` alternating runs of ``--seconds``
each, the order swapped every round (``_rounds.alternate``); ``ratio`` is the median of page /
static requests/s per round and ``p99_ratio`` that of the p99s; ``p50_ms``/``p99_ms`` are the
medians over the rounds, and so is ``cpu_us_per_request``: the server process's CPU time (all
its threads, the log writer's too) per request answered, which the load on the machine moves
far less than it moves the latencies. A 3-second warm-up load runs first (templates, figures
cache); fresh cached pages and static files are then answered by ``web/portal_fast.py``.

    python bench/portal.py --json
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from _common import cpu_s, emit
from _rounds import Rounds, alternate
from trustlpr.cameras import CameraRegistry
from trustlpr.core import LegalBasis, Purpose, Query, Role, SearchType
from trustlpr.core.reads import read_from_mapping
from trustlpr.hotlist import HotlistService
from trustlpr.ingest import IngestPipeline
from trustlpr.runtime import System, initialise
from trustlpr.search import SearchForm
from trustlpr.settings import Settings
from trustlpr.sim import CityConfig, Simulation
from trustlpr.sim.output import ReadFormatter
from trustlpr.transparency import record_policy_in_force, snapshot_retained_vehicles

AGENCY = "benchpd"
START = date(2026, 11, 2)


class Clock:
    def __init__(self, now: datetime) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now


def _open(data_dir: Path, clock: object) -> tuple[System, list[object]]:
    system = System(Settings.load(data_dir, env={}), clock=clock)  # type: ignore[arg-type]
    extra: list[object] = []
    if getattr(system, "cameras", None) is None:
        system.cameras = CameraRegistry(data_dir, audit=system.audit, clock=clock)  # type: ignore[attr-defined,arg-type]
        extra.append(system.cameras)
    if getattr(system, "hotlists", None) is None:
        system.hotlists = HotlistService.open(
            data_dir, audit=system.audit, agency_id=AGENCY, clock=clock
        )  # type: ignore[attr-defined,arg-type]
        extra.append(system.hotlists)
    if getattr(system, "pipeline", None) is None:
        system.pipeline = IngestPipeline(
            system.store, audit=system.audit, hot_lists=system.hotlists.judge, clock=clock
        )  # type: ignore[attr-defined,arg-type]
        extra.append(system.pipeline)
    return system, extra


def populate(data_dir: Path, days: int, cameras: int, vehicles: int) -> int:
    """A node with a simulated city's traffic, searches and snapshots; returns the log size."""
    settings = Settings.load(data_dir, env={}, policy="ct-pa-26-14", agency_id=AGENCY,
                             agency_name="Bench Town Police")  # fmt: skip
    initialise(settings)
    sim = Simulation(CityConfig(seed=5, cameras=cameras, vehicles=vehicles, agency_id=AGENCY,
                                start=START))  # fmt: skip
    clock = Clock(datetime.fromtimestamp(sim.midnight(0), UTC))
    system, extra = _open(data_dir, clock)
    try:
        record_policy_in_force(system.audit.log, system.audit, system.policy, clock=clock)
        admin = system.identity.add_user("adm", AGENCY, Role.ADMIN, "Admin", actor=None)
        officer = system.identity.add_user("off", AGENCY, Role.OFFICER, "Officer", actor=admin)
        for cam in sim.camera_records():
            system.cameras.add(str(cam["name"]), cam["lat"], cam["lon"], agency_id=AGENCY,  # type: ignore[attr-defined]
                               direction=cam["direction"], camera_id=str(cam["id"]))  # fmt: skip
        for rec in sim.stolen_records():
            entry = {**rec, "reason": "stolen", "case_number": "2026-1", "owner": "Det. B",
                     "expires_at": (clock.now + timedelta(days=90)).isoformat()}  # fmt: skip
            system.hotlists.add_entry(entry, list_id="stolen", actor="adm")  # type: ignore[attr-defined]
        fmt = ReadFormatter(sim)
        for batch in sim.batches(days):
            reads = [read_from_mapping(row) for row in fmt.dicts(batch)]
            for i in range(0, len(reads), 2000):
                chunk = reads[i : i + 2000]
                clock.now = max(clock.now, chunk[-1].observed_at)
                system.pipeline.ingest(chunk)  # type: ignore[attr-defined]
            clock.now += timedelta(minutes=1)
            plate = sim.stolen_records()[0]["plate"]
            query = Query(SearchType.EXACT, clock.now - timedelta(days=2), clock.now, plate=plate)
            for purpose, reason in ((Purpose.STOLEN_VEHICLE, "car stolen from the depot yard"),
                                    (Purpose.IMMIGRATION_ENFORCEMENT, "ICE request"),
                                    (Purpose.FELONY_INVESTIGATION, "investigation")):  # fmt: skip
                form = SearchForm(purpose, "2026-000123", LegalBasis.HOTLIST, reason, query,
                                  offense_code="burglary")  # fmt: skip
                system.search.request(officer, system.owner, form)
            system.purge()
            snapshot_retained_vehicles(system.store, system.retention, system.audit, clock)
        system.audit.maybe_checkpoint()
        return int(system.audit.log.size)
    finally:
        for thing in reversed(extra):
            thing.close()  # type: ignore[attr-defined]
        system.close()


def serve(data_dir: Path, port: int, grow_every: float, loop: str) -> None:
    """The server process: the node's app under uvicorn, and a writer growing the log."""
    import gc

    import uvicorn

    from trustlpr.web.app import create_app

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    clock = Clock(datetime.now(UTC))
    system, extra = _open(data_dir, clock)
    stop = threading.Event()

    def grow() -> None:
        cams = [c.id for c in system.cameras.list()]  # type: ignore[attr-defined]
        n = 0
        while not stop.wait(grow_every):
            clock.now = datetime.now(UTC)
            raw = {"plate": f"GROW{n % 9999:04d}", "state": "CT",
                   "observed_at": clock.now.isoformat(), "camera_id": cams[n % len(cams)],
                   "agency_id": AGENCY, "confidence": 0.9, "lat": 41.55, "lon": -72.65}  # fmt: skip
            system.pipeline.ingest([read_from_mapping(raw)])  # type: ignore[attr-defined]
            system.audit.maybe_checkpoint()
            n += 1

    writer = threading.Thread(target=grow, daemon=True)
    if grow_every > 0:
        writer.start()
    app = create_app(system)
    gc.collect()
    gc.freeze()  # the long-lived heap (policy engine, templates) out of every full collection
    try:
        uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False,
                    loop=loop)  # fmt: skip
    finally:
        stop.set()
        for thing in reversed(extra):
            thing.close()  # type: ignore[attr-defined]
        system.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(url: str) -> tuple[int, str]:
    import httpx

    try:
        answer = httpx.get(url, timeout=30)
    except httpx.HTTPError:
        return 0, ""
    return answer.status_code, answer.text


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("installing wrk with apt-get", file=sys.stderr)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
                       stdout=subprocess.DEVNULL)  # fmt: skip
        found = shutil.which("wrk")
    if not found:
        sys.exit("bench/portal.py needs wrk: apt-get install wrk")
    return found


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


def wrk(binary: str, url: str, seconds: int, connections: int, pid: int) -> dict[str, float]:
    """One load run; ``cpu_us`` is the server's CPU time per request answered (``pid``'s)."""
    cpu = cpu_s(pid)
    out = subprocess.run(
        [binary, "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "10s", url],
        check=True, capture_output=True, text=True,
    ).stdout  # fmt: skip
    cpu = cpu_s(pid) - cpu
    requests = int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    lat = {}
    for pct, value, unit in re.findall(r"^\s+(50|75|90|99)%\s+([\d.]+)(us|ms|s)\s*$", out, re.M):
        lat[pct] = float(value) * _UNITS[unit]
    errors = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", out)
    socket_errors = re.search(r"Socket errors: (.*)", out)
    if errors or socket_errors:
        print(out, file=sys.stderr)
    return {"rps": rps, "p50_ms": lat["50"], "p99_ms": lat["99"],
            "cpu_us": cpu / max(requests, 1) * 1e6,
            "non_2xx": float(errors.group(1)) if errors else 0.0}  # fmt: skip


def measure(
    binary: str, data_dir: Path, args: argparse.Namespace, loop: str, *, wait_exposure: bool
) -> dict[str, Any]:
    """Serves ``data_dir`` with ``loop`` in a fresh process and loads the page, then the file."""
    port = _free_port()
    command = [sys.executable, __file__, "--serve", str(data_dir), str(port),
               "--grow-every", str(args.grow_every), "--loop", loop]  # fmt: skip
    server = subprocess.Popen(command)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while _get(base + "/healthz")[0] != 200:
            if time.monotonic() > deadline or server.poll() is not None:
                sys.exit("the server did not start")
            time.sleep(0.2)
        first = time.perf_counter()
        _get(base + "/")
        first_ms = (time.perf_counter() - first) * 1000
        deadline = time.monotonic() + 300  # the exposure worker must not run during the load
        while wait_exposure and 'class="reveal"' not in _get(base + "/cameras")[1]:
            if time.monotonic() > deadline:
                sys.exit("the exposure figure was not computed in 5 minutes")
            time.sleep(1)
        wrk(binary, base + "/", 3, args.connections, server.pid)  # warm-up
        runs: dict[str, list[dict[str, float]]] = {"page": [], "static": []}

        def load(name: str, path: str) -> Callable[[int], float]:
            def run(_k: int) -> float:
                runs[name].append(wrk(binary, base + path, args.seconds, args.connections,
                                        server.pid))  # fmt: skip
                return runs[name][-1]["rps"]

            return run

        rps = alternate(load("page", "/"), load("static", "/static/portal.css"), args.rounds)
        p99 = Rounds([r["p99_ms"] for r in runs["page"]], [r["p99_ms"] for r in runs["static"]])
        page, static = (
            {key: statistics.median(r[key] for r in runs[name]) for key in runs[name][0]}
            for name in ("page", "static")
        )
        page["non_2xx"] = sum(r["non_2xx"] for r in runs["page"])
        static["non_2xx"] = sum(r["non_2xx"] for r in runs["static"])
        grown = int(json.loads(_get(base + "/figures.json")[1])["log"]["size"])
    finally:
        server.terminate()
        server.wait(30)
    return {"page": page, "static": static, "grown": grown, "first_ms": first_ms, "rps": rps,
            "p99": p99}  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="print only the JSON line at the end")
    parser.add_argument("--days", type=int, default=3, help="simulated days of traffic")
    parser.add_argument("--cameras", type=int, default=40)
    parser.add_argument("--vehicles", type=int, default=3000)
    parser.add_argument("--seconds", type=int, default=5, help="length of each load run")
    parser.add_argument("--rounds", type=int, default=3, help="alternated page/static runs")
    parser.add_argument("--connections", type=int, default=200)
    parser.add_argument("--grow-every", type=float, default=0.2,
                        help="seconds between log appends while serving (0: none)")  # fmt: skip
    parser.add_argument("--loop", default="asyncio", choices=("asyncio", "uvloop"),
                        help="event loop measured first (the other is measured too)")  # fmt: skip
    parser.add_argument("--serve", nargs=2, metavar=("DATA_DIR", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(Path(args.serve[0]), int(args.serve[1]), args.grow_every, args.loop)
        return
    binary = ensure_wrk()
    with tempfile.TemporaryDirectory(prefix="trustlpr-bench-portal-") as tmp:
        data_dir = Path(tmp) / "data"
        started = time.perf_counter()
        size = populate(data_dir, args.days, args.cameras, args.vehicles)
        populate_s = time.perf_counter() - started
        main_run = measure(binary, data_dir, args, args.loop, wait_exposure=True)
        other = "uvloop" if args.loop == "asyncio" else "asyncio"
        other_run = measure(binary, data_dir, args, other, wait_exposure=False)
    page, static = main_run["page"], main_run["static"]
    result = {
        "rps": round(page["rps"], 1),
        "p50_ms": round(page["p50_ms"], 2),
        "p99_ms": round(page["p99_ms"], 2),
        "static_rps": round(static["rps"], 1),
        "static_p50_ms": round(static["p50_ms"], 2),
        "static_p99_ms": round(static["p99_ms"], 2),
        "cpu_us_per_request": round(page["cpu_us"], 1),
        "static_cpu_us_per_request": round(static["cpu_us"], 1),
        **main_run["rps"].ratio(),
        "p99_ratio": main_run["p99"].ratio()["ratio"],
        "p99_ratio_min": main_run["p99"].ratio()["ratio_min"],
        "p99_ratio_max": main_run["p99"].ratio()["ratio_max"],
        "non_2xx": int(page["non_2xx"] + static["non_2xx"]),
        "connections": args.connections,
        "loop": args.loop,
        f"{other}_rps": round(other_run["page"]["rps"], 1),
        f"{other}_p99_ms": round(other_run["page"]["p99_ms"], 2),
        f"{other}_static_rps": round(other_run["static"]["rps"], 1),
        f"{other}_static_p99_ms": round(other_run["static"]["p99_ms"], 2),
        "log_size_at_start": size,
        "log_size_at_end": main_run["grown"],
        "first_render_ms": round(main_run["first_ms"], 1),
        "populate_s": round(populate_s, 1),
        "goal_p99_ms": 50,
    }
    emit(result, args.json)


if __name__ == "__main__":
    main()
