"""Streams simulated reads into a running service, as its cameras would.

``POST {url}/api/v1/reads`` with ``{"reads": [...]}`` and ``Authorization: Bearer <key>``;
a batch holds reads of one camera only, because a key speaks for one camera. The sender
paces itself to a target rate and backs off when the service says it is busy (503 or 429,
honouring ``Retry-After``). Delivery is at-least-once: a batch whose answer was lost in a
timeout is sent again.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from itertools import islice
from pathlib import Path
from typing import Any

import httpx

from ..core.clock import iso
from ..core.errors import (
    AuthError,
    ConfigError,
    ForbiddenError,
    FormatError,
    InputError,
    NotFoundError,
    OverloadedError,
    TooLargeError,
    TrustLPRError,
)

ENDPOINT = "/api/v1/reads"
TICK = 1.0  # seconds of reads gathered before they are grouped by camera and sent


@dataclass
class StreamStats:
    sent: int = 0
    batches: int = 0
    retries: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, float]:
        rate = self.sent / self.seconds if self.seconds else 0.0
        return {"sent": self.sent, "batches": self.batches, "retries": self.retries,
                "seconds": round(self.seconds, 3), "reads_per_s": round(rate, 1)}  # fmt: skip


def load_keys(path: Path) -> dict[str, str]:
    """A JSON object mapping camera id → camera key; ``FormatError``/``InputError`` if not."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}", field="keys") from exc
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FormatError(f"{path.name} is not JSON: {exc}", field="keys") from exc
    if not isinstance(data, dict) or not data:
        raise FormatError(
            f"{path.name} must be a non-empty object of camera id → key", field="keys"
        )
    for camera, key in data.items():
        if not isinstance(key, str) or not key.strip():
            raise InputError(f"the key of camera {camera[:40]!r} is not text", field="keys")
    return {str(k): str(v) for k, v in data.items()}


def retry_after(value: str | None, attempt: int) -> float:
    """Seconds to wait: the ``Retry-After`` header (seconds or HTTP date), else exponential."""
    if value:
        text = value.strip()
        try:
            return max(0.0, min(float(text), 300.0))
        except ValueError:
            pass
        try:
            when = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            when = None
        if when is not None:
            if when.tzinfo is None:
                when = when.replace(tzinfo=UTC)
            return max(0.0, min((when - datetime.now(UTC)).total_seconds(), 300.0))
    return float(min(30.0, 0.25 * 2**attempt))


class ReadStreamer:
    """Sends reads to one service; ``send`` delivers one camera's batch or raises."""

    def __init__(
        self,
        url: str,
        keys: Mapping[str, str],
        *,
        client: httpx.Client | None = None,
        max_batch: int = 500,
        max_retries: int = 8,
        workers: int = 4,
        sleep: Callable[[float], None] = time.sleep,
        monotonic: Callable[[], float] = time.monotonic,
        now: Callable[[], datetime] | None = None,
    ) -> None:
        if not url.startswith(("http://", "https://")):
            raise InputError(f"{url[:60]!r} is not an http(s) URL", field="stream")
        self.url = url.rstrip("/") + ENDPOINT
        self.keys = dict(keys)
        self.client = client or httpx.Client(timeout=30.0)
        self.max_batch = max(1, max_batch)
        self.max_retries = max_retries
        self.workers = max(1, workers)
        self._lock = threading.Lock()
        self.sleep = sleep
        self.monotonic = monotonic
        self.now = now  # when set, observed_at is rewritten to this clock at sending time
        self.stats = StreamStats()

    def send(self, camera_id: str, reads: list[dict[str, Any]]) -> None:
        """Posts ``reads`` (all of ``camera_id``), splitting on 413, retrying when busy."""
        key = self.keys.get(camera_id)
        if key is None:
            raise InputError(f"no key for camera {camera_id[:40]!r} in the keys file", field="keys")
        headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
        body = json.dumps({"reads": reads}).encode()
        for attempt in range(self.max_retries + 1):
            try:
                answer = self.client.post(self.url, content=body, headers=headers)
            except httpx.TransportError as exc:
                if attempt == self.max_retries:
                    raise ConfigError(f"cannot reach {self.url}: {exc}") from exc
                self._count_retry()
                self.sleep(retry_after(None, attempt))
                continue
            status = answer.status_code
            if status < 300:
                with self._lock:
                    self.stats.sent += len(reads)
                    self.stats.batches += 1
                return
            if status == 413 and len(reads) > 1:
                half = len(reads) // 2
                self.send(camera_id, reads[:half])
                self.send(camera_id, reads[half:])
                return
            if status in (429, 503) or status >= 500:
                if attempt == self.max_retries:
                    break
                self._count_retry()
                self.sleep(retry_after(answer.headers.get("Retry-After"), attempt))
                continue
            raise _refusal(status, camera_id, _detail(answer))
        wait = retry_after(answer.headers.get("Retry-After"), self.max_retries)
        if status in (429, 503):
            raise OverloadedError(
                f"the service stayed busy through {self.max_retries} retries", retry_after=wait
            )
        raise TrustLPRError(f"the service kept failing (HTTP {status}): {_detail(answer)}")

    def _count_retry(self) -> None:
        with self._lock:
            self.stats.retries += 1

    def run(
        self,
        reads: Iterable[dict[str, Any]],
        *,
        rate: float = 0.0,
        on_sent: Callable[[int], None] | None = None,
    ) -> StreamStats:
        """Sends every read, ``rate`` reads per second on average (0 = as fast as possible).

        Paced: each second's reads go out within that second, grouped by camera. Unpaced:
        a camera's reads go out when ``max_batch`` of them are waiting (and the rest at the
        end), so that requests stay full. ``workers`` requests are in flight at once.
        """
        if rate < 0:
            raise InputError(f"{rate} must be ≥ 0", field="rate")
        start = self.monotonic()
        per_tick = max(1, round(rate * TICK)) if rate else 10_000
        waiting: dict[str, list[dict[str, Any]]] = {}
        done = 0
        with ThreadPoolExecutor(self.workers) as pool:
            for chunk in _chunks(iter(reads), per_tick):
                if self.now is not None:
                    stamp = iso(self.now())
                    chunk = [{**r, "observed_at": stamp} for r in chunk]
                ready: list[tuple[str, list[dict[str, Any]]]] = []
                for read in chunk:
                    camera_id = str(read.get("camera_id", ""))
                    group = waiting.setdefault(camera_id, [])
                    group.append(read)
                    if len(group) >= self.max_batch:
                        ready.append((camera_id, waiting.pop(camera_id)))
                if rate:
                    ready.extend(waiting.items())
                    waiting = {}
                self._send_all(pool, ready)
                done += len(chunk)
                if on_sent is not None:
                    on_sent(len(chunk))
                if rate:
                    ahead = start + done / rate - self.monotonic()
                    if ahead > 0:
                        self.sleep(ahead)
            self._send_all(pool, list(waiting.items()))
        self.stats.seconds = self.monotonic() - start
        return self.stats

    def _send_all(
        self, pool: ThreadPoolExecutor, batches: list[tuple[str, list[dict[str, Any]]]]
    ) -> None:
        if self.workers == 1 or len(batches) <= 1:
            for camera_id, group in batches:
                self.send(camera_id, group)
            return
        for future in [pool.submit(self.send, c, g) for c, g in batches]:
            future.result()  # re-raises the first failure

    def close(self) -> None:
        self.client.close()


def _chunks(source: Iterator[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    while chunk := list(islice(source, size)):
        yield chunk


def _detail(answer: httpx.Response) -> str:
    try:
        body = answer.json()
    except ValueError:
        return answer.text[:200]
    if isinstance(body, dict):
        return str(body.get("detail") or body.get("error") or body)[:200]
    return str(body)[:200]


def _refusal(status: int, camera_id: str, detail: str) -> TrustLPRError:
    if status == 401:
        return AuthError(f"the service refused the key of camera {camera_id[:40]!r}: {detail}")
    if status == 403:
        return ForbiddenError(f"camera {camera_id[:40]!r} may not send reads: {detail}")
    if status == 404:
        return NotFoundError(f"no ingest endpoint at {ENDPOINT}: {detail}")
    if status == 413:
        return TooLargeError(f"a single read is over the service's size limit: {detail}")
    return InputError(f"the service refused a batch (HTTP {status}): {detail}")
