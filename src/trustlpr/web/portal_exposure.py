""" "What this network can reveal": the exposure figure for the live cameras, computed off-line.

``trustlpr.sim.network_exposure`` simulates a city around the registered cameras for the
retention in force and takes seconds to a minute, so it never runs in a request: a separate
process computes it whenever the camera inventory or the retention changes, and the result is
kept in ``<data_dir>/portal/exposure.json`` with the key of what it was computed for. Pages
show the latest result, or say it is being computed.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Sequence
from dataclasses import asdict
from datetime import timedelta
from pathlib import Path
from typing import Any

from ..core.clock import format_duration, iso, system_clock
from ..core.errors import TrustLPRError
from ..core.identity import Camera

log = logging.getLogger(__name__)
CACHE_FILE = "exposure.json"
WORKER_TIMEOUT = 1800.0


def exposure_key(cameras: Sequence[Camera], nonhit: timedelta, hit: timedelta) -> str:
    """What the figure depends on: the enabled cameras' positions and kinds (a mobile one is
    a patrol car), and the retention."""
    items = sorted(
        (c.id, round(c.latitude, 6), round(c.longitude, 6), c.direction, c.mobile)
        for c in cameras
        if c.enabled
    )
    text = json.dumps([items, nonhit.total_seconds(), hit.total_seconds()])
    return hashlib.sha256(text.encode()).hexdigest()


def measure(cameras: list[Camera], nonhit_s: float, hit_s: float) -> dict[str, Any]:
    """The figures as JSON, or the reason there are none (runs in the worker process)."""
    from ..sim import network_exposure  # heavy imports stay in the worker

    try:
        figures = network_exposure(
            cameras, timedelta(seconds=nonhit_s), hit_retention=timedelta(seconds=hit_s)
        )
    except TrustLPRError as exc:
        return {"error": exc.message}
    return {"figures": figures.as_dict(), "headline": figures.headline()}


def _worker_main() -> None:
    """``python -m trustlpr.web.portal_exposure``: JSON job on stdin, JSON result on stdout.

    A separate interpreter (not ``multiprocessing``): it cannot re-run the parent's main
    module, shares no lock or GIL with the web server, and runs at a lower priority.
    """
    os.nice(10)
    job = json.load(sys.stdin)
    cameras = [Camera(**c) for c in job["cameras"]]
    json.dump(measure(cameras, float(job["nonhit"]), float(job["hit"])), sys.stdout)


class ExposureCache:
    """The latest exposure result and, when it is out of date, a worker computing the next."""

    def __init__(self, directory: Path, *, enabled: bool = True) -> None:
        self.path = directory / CACHE_FILE
        self.enabled = enabled
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._process: subprocess.Popen[str] | None = None
        self._closed = False
        self._finished = threading.Event()
        self._result: dict[str, Any] | None = self._load()

    def _load(self) -> dict[str, Any] | None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            log.warning("ignoring unreadable exposure cache %s: %s", self.path, exc)
            return None
        return data if isinstance(data, dict) else None

    def current(self, key: str) -> dict[str, Any]:
        """``{"state": "ready"|"computing"|"unavailable"|"off", ...}`` for pages."""
        with self._lock:
            result = self._result
            if result is not None and result.get("key") == key:
                state = "unavailable" if "error" in result else "ready"
                return {"state": state, **result}
            if not self.enabled:
                return {"state": "off"}
            return {"state": "computing", "previous": result}

    def ensure(
        self, key: str, cameras: Sequence[Camera], nonhit: timedelta, hit: timedelta
    ) -> None:
        """Starts a computation for ``key`` unless the cache has it or one is running."""
        with self._lock:
            if not self.enabled or self._closed or (self._result or {}).get("key") == key:
                return
            if self._thread is not None and self._thread.is_alive():
                return
            enabled = [c for c in cameras if c.enabled]
            job = {
                "cameras": [asdict(c) for c in enabled],
                "nonhit": nonhit.total_seconds(),
                "hit": hit.total_seconds(),
            }
            meta = {"key": key, "cameras": len(enabled), "retention": format_duration(nonhit)}
            self._finished.clear()
            self._thread = threading.Thread(
                target=self._run, args=(job, meta), name="portal-exposure", daemon=True
            )
            self._thread.start()

    def _run(self, job: dict[str, Any], meta: dict[str, Any]) -> None:
        try:
            outcome = self._compute(job)
        except (OSError, ValueError, subprocess.SubprocessError) as exc:
            log.error("exposure computation failed: %s: %s", type(exc).__name__, exc)
            outcome = {"error": f"the computation failed ({type(exc).__name__})"}
        result = {**meta, **outcome, "computed_at": iso(system_clock())}
        with self._lock:
            self._result = result
        self._finished.set()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            tmp.write_text(json.dumps(result, sort_keys=True), encoding="utf-8")
            os.replace(tmp, self.path)
        except OSError as exc:
            log.warning("cannot keep the exposure result in %s: %s", self.path, exc)

    def _compute(self, job: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            if self._closed:
                return {"error": "the portal was shut down"}
            self._process = subprocess.Popen(
                [sys.executable, "-m", "trustlpr.web.portal_exposure"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            process = self._process
        out, err = process.communicate(json.dumps(job), timeout=WORKER_TIMEOUT)
        if process.returncode != 0:
            tail = err.strip().splitlines()[-1:] or [""]
            log.error("exposure worker exited with %s: %s", process.returncode, tail[0][:300])
            return {"error": f"the computation failed (exit status {process.returncode})"}
        result = json.loads(out)
        if not isinstance(result, dict):
            raise ValueError("the exposure worker did not answer with an object")
        return result

    def wait(self, timeout: float | None = None) -> bool:
        """Blocks until a started computation's result is in (tests and benchmarks)."""
        with self._lock:
            started = self._thread is not None
        return not started or self._finished.wait(timeout)

    def close(self) -> None:
        """Stops a running worker; nothing new starts afterwards."""
        with self._lock:
            self._closed = True
            process = self._process
        if process is not None and process.poll() is None:
            process.kill()


if __name__ == "__main__":
    _worker_main()
