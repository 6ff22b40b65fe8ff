"""What each ingest subsystem is doing, for ``/healthz`` and the logs.

Every subsystem (``http``, ``mqtt``) has a state, counters by cause, and its last error. A
cause is logged once per key (``unknown_camera:driveway``, ``not_json``), then only counted:
a camera that sends a thousand bad messages a minute must not flood the log, and one that
sends one must not go unseen. Nothing here holds message contents or plates.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

_MAX_LOGGED_KEYS = 10_000


@dataclass
class _Subsystem:
    state: str = "running"
    healthy: bool = True
    counts: Counter[str] = field(default_factory=Counter)
    last_error: str | None = None
    last_error_at: float | None = None
    details: dict[str, Any] = field(default_factory=dict)


class IngestHealth:
    """Thread-safe states and counters of the ingest subsystems; see the module docstring."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._subsystems: dict[str, _Subsystem] = {}
        self._logged: set[str] = set()

    def _get(self, name: str) -> _Subsystem:
        found = self._subsystems.get(name)
        if found is None:
            found = self._subsystems[name] = _Subsystem()
        return found

    def set_state(self, name: str, state: str, *, healthy: bool, **details: Any) -> None:
        """Records a subsystem's state (``connected``, ``subscribed``, ``disconnected``…)."""
        with self._lock:
            sub = self._get(name)
            sub.state, sub.healthy = state, healthy
            sub.details.update(details)

    def count(self, name: str, cause: str, amount: int = 1) -> None:
        with self._lock:
            self._get(name).counts[cause] += amount

    def reject(
        self,
        name: str,
        cause: str,
        message: str,
        *,
        key: str | None = None,
        logger: logging.Logger,
        level: int = logging.WARNING,
    ) -> None:
        """Counts a rejection under ``cause``, keeps it as the last error, and logs it the
        first time its ``key`` (default: the cause) is seen."""
        once = f"{name}:{key or cause}"
        with self._lock:
            sub = self._get(name)
            sub.counts[cause] += 1
            sub.last_error, sub.last_error_at = message, time.time()
            first = once not in self._logged
            if first:
                if len(self._logged) >= _MAX_LOGGED_KEYS:
                    self._logged.clear()
                self._logged.add(once)
        if first:
            logger.log(level, "%s (logged once; further ones are counted)", message)

    def snapshot(self) -> dict[str, Any]:
        """``{"healthy": bool, "subsystems": {name: {state, healthy, counts, last_error…}}}``."""
        with self._lock:
            subsystems = {
                name: {
                    "state": sub.state,
                    "healthy": sub.healthy,
                    "counts": dict(sub.counts),
                    "last_error": sub.last_error,
                    "last_error_at": sub.last_error_at,
                    **sub.details,
                }
                for name, sub in sorted(self._subsystems.items())
            }
        return {
            "healthy": all(s["healthy"] for s in subsystems.values()),
            "subsystems": subsystems,
        }
