from __future__ import annotations

import threading

from trustlpr.background import Periodic
from trustlpr.core import StoreError


def test_periodic_jobs_run_and_survive_failures() -> None:
    ran = threading.Event()
    failures = []

    def failing() -> None:
        failures.append(1)
        raise StoreError("disk full")

    jobs = Periodic()
    jobs.every(0.05, "failing", failing)
    jobs.every(0.05, "ok", ran.set)
    jobs.start()
    assert ran.wait(2.0)
    ran.clear()
    assert ran.wait(2.0), "the good job kept running after the failing one raised"
    jobs.stop()
    assert len(failures) >= 2
