"""How long ``make demo`` takes from a fresh data directory until the portal answers.

Starts ``trustlpr demo`` on a fresh directory and times it until ``/figures.json`` answers
(cameras, users and hot list set up, the past month replayed, the service listening). The
baseline, measured in the same run and alternated with it (the order swapped every round,
``_rounds.alternate``), is the same start with one day of history (``--history 1``):
``ratio`` is the median over rounds of month seconds / day seconds (above 1: what the month
costs on top), ``up_s`` the median month start. The load average is printed too, since the
shared machine's load sets the absolute figures (issue 18 asks for the demo up within 60 s).

    python bench/demo_startup.py --json
    python bench/demo_startup.py --rounds 2
"""

from __future__ import annotations

import argparse
import os
import socket
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


def start_once(history: int, timeout: float = 900.0) -> float:
    """Seconds from launching a fresh demo until its portal's figures answer."""
    port = _free_port()
    shared = os.environ.get("TRUSTLPR_SHARED_DIR") or str(ROOT.parent / "shared")
    env = {**os.environ, "TRUSTLPR_SHARED_DIR": shared}
    with tempfile.TemporaryDirectory() as tmp:
        args = [sys.executable, "-m", "trustlpr.cli", "--data-dir", f"{tmp}/demo", "demo",
                "--port", str(port), "--history", str(history)]  # fmt: skip
        began = time.monotonic()
        proc = subprocess.Popen(args, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            while time.monotonic() - began < timeout:
                if proc.poll() is not None:
                    raise SystemExit(f"the demo exited: {proc.stderr.read().decode()[-500:]}")  # type: ignore[union-attr]
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/figures.json", timeout=2).is_success:
                        return time.monotonic() - began
                except httpx.HTTPError:
                    pass
                time.sleep(0.25)
            raise SystemExit("the demo did not come up")
        finally:
            proc.terminate()
            proc.wait(60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30, help="history of the measured start")
    parser.add_argument("--rounds", type=int, default=2, help="alternated pairs of starts")
    parser.add_argument("--json", action="store_true", help="print only the JSON line")
    args = parser.parse_args()
    rounds = alternate(lambda _k: start_once(args.days), lambda _k: start_once(1), args.rounds)
    month, day = rounds.medians()
    emit(
        {
            "history_days": args.days,
            "up_s": round(month, 1),
            "baseline_up_s": round(day, 1),
            **rounds.ratio(),
            "goal_up_s": 60,
        },
        args.json,
    )


if __name__ == "__main__":
    main()
