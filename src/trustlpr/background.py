"""Periodic jobs of a running node (purge, checkpoint signing, …) on one daemon thread.

A failing job is logged and retried at its next tick; it never stops the others or the
service. ``stop()`` wakes the thread at once and waits for the job in progress.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from .core.errors import TrustLPRError

log = logging.getLogger("trustlpr.background")


@dataclass
class _Job:
    name: str
    interval: float
    run: Callable[[], object]
    due: float = 0.0


class Periodic:
    def __init__(self) -> None:
        self._jobs: list[_Job] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def every(self, seconds: float, name: str, run: Callable[[], object]) -> None:
        self._jobs.append(_Job(name, seconds, run, time.monotonic() + seconds))

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._loop, name="trustlpr-periodic", daemon=True
            )
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def close(self) -> None:
        """``stop``, under the name the composition root closes its components by."""
        self.stop()

    def _loop(self) -> None:
        while not self._stop.is_set():
            now = time.monotonic()
            for job in self._jobs:
                if now >= job.due:
                    job.due = now + job.interval
                    try:
                        job.run()
                    except TrustLPRError as exc:
                        log.error("%s failed: %s", job.name, exc.message)
                    except Exception:  # a background job must never take the service down
                        log.exception("%s failed unexpectedly", job.name)
            next_due = min((j.due for j in self._jobs), default=now + 1.0)
            self._stop.wait(max(0.05, next_due - time.monotonic()))
