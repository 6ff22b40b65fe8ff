"""How long ``make demo`` takes from a fresh data directory until the portal answers.

Starts ``trustlpr demo`` on a fresh directory and times it until ``/figures.json`` answers
(``portal_s``: cameras, users and hot list set up, the service listening, the portal showing
the month as it is replayed) and until ``/console/login`` answers 200 (``up_s``: the past
month replayed, the node live, staff let in). The baseline, measured in the same run and
alternated with it (the order swapped every round, ``_rounds.alternate``), is the same start
with one day of history (``--history 1``): ``ratio`` is the median over rounds of month
seconds / day seconds until live (above 1: what the month costs on top); ``up_s`` and
``portal_s`` are medians over the rounds. The load average is printed too, since the shared
machine's load sets the absolute figures (issue 18 asks for the demo up within 60 s).

    python bench/demo_startup.py --json
    python bench/demo_startup.py --rounds 2
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from _common import emit
from _rounds import alternate

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_once(history: int, timeout: float = 900.0) -> tuple[float, float]:
    """Seconds from launching a fresh demo until its portal's figures answer, and until its
    console does (the node live)."""
    port = _free_port()
    shared = os.environ.get("TRUSTLPR_SHARED_DIR") or str(ROOT.parent / "shared")
    env = {**os.environ, "TRUSTLPR_SHARED_DIR": shared}
    with tempfile.TemporaryDirectory() as tmp:
        args = [sys.executable, "-m", "trustlpr.cli", "--data-dir", f"{tmp}/demo", "demo",
                "--port", str(port), "--history", str(history)]  # fmt: skip
        errors = Path(tmp) / "stderr.txt"
        began = time.monotonic()
        with errors.open("wb") as sink:  # a file, not a pipe nobody reads while it runs
            proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=sink)
        portal: float | None = None
        try:
            while time.monotonic() - began < timeout:
                if proc.poll() is not None:
                    raise SystemExit(f"the demo exited: {errors.read_text()[-500:]}")
                path = "/figures.json" if portal is None else "/console/login"
                try:
                    if httpx.get(f"http://127.0.0.1:{port}{path}", timeout=2).is_success:
                        if portal is not None:
                            return portal, time.monotonic() - began
                        portal = time.monotonic() - began
                        continue
                except httpx.HTTPError:
                    pass
                time.sleep(0.25)
            raise SystemExit("the demo did not come up")
        finally:
            proc.terminate()
            try:
                proc.wait(120)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                print(f"the demo ignored SIGTERM for 120 s: {errors.read_text()[-800:]}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30, help="history of the measured start")
    parser.add_argument("--rounds", type=int, default=2, help="alternated pairs of starts")
    parser.add_argument("--json", action="store_true", help="print only the JSON line")
    args = parser.parse_args()
    portal: list[float] = []

    def month(_k: int) -> float:
        at_portal, live = start_once(args.days)
        portal.append(at_portal)
        return live

    rounds = alternate(month, lambda _k: start_once(1)[1], args.rounds)
    up, day = rounds.medians()
    emit(
        {
            "history_days": args.days,
            "portal_s": round(statistics.median(portal), 1),
            "up_s": round(up, 1),
            "baseline_up_s": round(day, 1),
            **rounds.ratio(),
            "goal_up_s": 60,
        },
        args.json,
    )


if __name__ == "__main__":
    main()
