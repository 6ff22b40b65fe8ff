"""Sending spooled reads to a node's ingest API, in order, until each is durable there.

Reads go as the node's native JSON batch (``POST /api/v1/reads``, ``Authorization: Bearer
cam_…``), each with its ``uuid`` and its crop (``plate_crop_jpeg``). The node answers 200
only once the batch is durable; only then are the reads removed from the spool. What each
answer means here:

- 200: sent; removed from the spool.
- 207 (partly accepted): the accepted reads are durable and removed; each read the node
  rejected (``rejected[].path`` = ``reads[i]``) is set aside (``Spool.reject``).
- 429 / 503 / 5xx / no connection / timeout: the node is busy or away; wait (its
  ``Retry-After``, else backing off 1 s, 2 s, … 60 s) and send the same batch again.
- 413: the batch is too big; halve it.
- 422 (a bad read): halve the batch until the bad read is alone, then set it aside
  (``Spool.reject``) so the queue goes on.
- 401 / 403: the key or camera is wrong; an ``AuthError`` that stops the agent (nothing is
  lost; fix the key and start it again).
"""

from __future__ import annotations

import base64
import logging
import re
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import httpx

from ..core.errors import AuthError
from .spool import Spool, Spooled

log = logging.getLogger("trustlpr.recognize.sender")

MAX_BATCH = 50  # crops are ~10 kB each; well under the node's 8 MB body limit


@dataclass(frozen=True)
class Answer:
    """What the node said to one batch: ``status`` (0 = unreachable), a wait hint, and for a
    partial acceptance (207) the index and reason of each rejected read."""

    status: int
    detail: str = ""
    retry_after: float | None = None
    rejected: tuple[tuple[int, str], ...] = ()


class NodeClient:
    """The node's native ingest endpoint, with this camera's key."""

    def __init__(self, url: str, key: str, *, timeout: float = 30.0) -> None:
        self.endpoint = url.rstrip("/") + "/api/v1/reads"
        self._http = httpx.Client(
            timeout=timeout, headers={"Authorization": f"Bearer {key}"}, follow_redirects=False
        )

    def close(self) -> None:
        self._http.close()

    def send(self, reads: Sequence[Spooled]) -> Answer:
        body = {"reads": [_wire(r) for r in reads]}
        try:
            response = self._http.post(self.endpoint, json=body)
        except httpx.HTTPError as exc:
            return Answer(0, f"{type(exc).__name__}: {exc}"[:200])
        retry = response.headers.get("retry-after", "")
        return Answer(
            response.status_code,
            response.text[:300] if response.status_code != 200 else "",
            float(retry) if retry.replace(".", "", 1).isdigit() else None,
            _rejected(response) if response.status_code == 207 else (),
        )


def _rejected(response: httpx.Response) -> tuple[tuple[int, str], ...]:
    """``(index, reason)`` of each read a 207 answer lists as rejected (``reads[i]``)."""
    try:
        entries = response.json().get("rejected") or []
    except ValueError:
        return ()
    found: list[tuple[int, str]] = []
    for entry in entries:
        match = re.fullmatch(r"reads\[(\d+)\]", str(entry.get("path", "")))
        if match:
            found.append((int(match.group(1)), f"{entry.get('field')}: {entry.get('reason')}"))
    return tuple(found)


def _wire(read: Spooled) -> dict[str, object]:
    body: dict[str, object] = dict(read.body)
    body["uuid"] = read.uuid
    if read.image is not None:
        body["plate_crop_jpeg"] = base64.b64encode(read.image).decode("ascii")
    return body


class Forwarder:
    """Drains a spool into a node (see the module docstring). ``run`` until ``stop``."""

    def __init__(
        self,
        spool: Spool,
        client: NodeClient,
        *,
        batch: int = MAX_BATCH,
        max_wait: float = 60.0,
        sleep: Callable[[float], bool] | None = None,
    ) -> None:
        self.spool = spool
        self.client = client
        self.batch = batch
        self.max_wait = max_wait
        self.stopped = threading.Event()
        self._wake = threading.Event()
        self._sleep = sleep or self._wait
        self.sent = 0
        self._failures = 0

    def _wait(self, seconds: float) -> bool:
        """Sleeps until ``seconds`` pass, new reads arrive (``wake``) or ``stop``."""
        self._wake.wait(seconds)
        self._wake.clear()
        return self.stopped.is_set()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self.stopped.set()
        self._wake.set()

    def run(self, *, until_empty: bool = False) -> None:
        """Sends until stopped (or, with ``until_empty``, until the spool is empty)."""
        while not self.stopped.is_set():
            waiting = self.spool.peek(self.batch)
            if not waiting:
                if until_empty:
                    return
                self._sleep(1.0)
                continue
            pause = self.deliver(waiting)
            if pause and self._sleep(pause):
                return

    def deliver(self, reads: list[Spooled]) -> float:
        """Sends ``reads`` (splitting on 413/422); the seconds to wait before the next try."""
        answer = self.client.send(reads)
        if answer.status in (200, 207):
            refused = {i: why for i, why in answer.rejected if 0 <= i < len(reads)}
            for i, why in refused.items():
                self.spool.reject(reads[i], f"HTTP 207: {why}")
            self.spool.remove([r.id for i, r in enumerate(reads) if i not in refused])
            self.sent += len(reads) - len(refused)
            if self._failures:
                log.warning("node reachable again; %d read(s) still spooled", len(self.spool))
            self._failures = 0
            return 0.0
        if answer.status in (401, 403):
            raise AuthError(f"the node refused this camera ({answer.status}): {answer.detail}")
        if answer.status in (413, 422) and len(reads) > 1:
            half = len(reads) // 2
            for part in (reads[:half], reads[half:]):
                pause = self.deliver(part)
                if pause:
                    return pause
            return 0.0
        if answer.status == 422 or (400 <= answer.status < 500 and answer.status != 429):
            self.spool.reject(reads[0], f"HTTP {answer.status}: {answer.detail}")
            return 0.0
        self._failures += 1
        wait = answer.retry_after or min(self.max_wait, 2.0 ** (self._failures - 1))
        if self._failures == 1 or self._failures % 10 == 0:
            reason = f"HTTP {answer.status}" if answer.status else answer.detail
            log.warning(
                "node unreachable (%s); %d read(s) spooled, retrying in %.0f s",
                reason,
                len(self.spool),
                wait,
            )
        return wait
