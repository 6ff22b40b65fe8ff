"""The ingest use case: who is sending, may they, what did they send, and is it durable.

Every face (HTTP routes, the MQTT subscriber) goes through ``IngestService`` so the checks
live in one place: the camera key, the per-camera rate limit, the adapter's parse, that the
payload speaks only for the sending camera (and its agency), the camera's clock, and finally
the pipeline. OpenALPR heartbeats teach the registry which numeric camera id is which camera.
"""

from __future__ import annotations

import hashlib
import threading
import time
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from ..cameras import CameraRegistry, RegisteredCamera
from ..core.clock import Clock, system_clock
from ..core.errors import AuthError, ForbiddenError, InputError, RateLimitedError
from .adapters import ADAPTERS
from .parsing import Adapter, Parsed
from .pipeline import IngestPipeline, IngestResult


@dataclass(frozen=True)
class IngestLimits:
    """Limits per request and per camera. ``max_age``: reads observed longer ago than this
    are dropped as expired (they would be purged at once); None keeps every age."""

    max_body_bytes: int = 8 * 1024 * 1024
    rate_per_s: float = 50.0
    burst: float = 100.0
    future_skew: timedelta = timedelta(minutes=5)
    max_age: timedelta | None = None

    def ahead(self, observed_at: datetime, now: datetime) -> bool:
        """Dated further ahead of ``now`` than a camera clock may be off."""
        return observed_at > now + self.future_skew

    def expired(self, observed_at: datetime, now: datetime) -> bool:
        """Older than ``max_age``: it would be purged at once."""
        return self.max_age is not None and observed_at < now - self.max_age


@dataclass
class Submission:
    """A parsed, checked payload on its way to the store; ``future`` is None when there was
    nothing to store (a test ping, a heartbeat, only expired reads)."""

    kind: str
    camera_id: str
    accepted: int
    expired: int = 0
    future: Future[IngestResult] | None = field(default=None, repr=False)

    def receipt(self, result: IngestResult | None) -> dict[str, Any]:
        """The JSON answer to the sender: counts only (never which reads were hits)."""
        return {
            "status": "ok",
            "kind": self.kind,
            "camera_id": self.camera_id,
            "accepted": self.accepted,
            "stored": result.kept if result else 0,
            "duplicates": result.duplicates if result else 0,
            "expired": self.expired,
        }


_RECENT_TTL = 30.0


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode("utf-8", "surrogatepass")).digest()


class _Buckets:
    """A token bucket per camera: ``rate`` requests/s, up to ``burst`` at once."""

    def __init__(self, rate: float, burst: float) -> None:
        self._rate, self._burst = rate, burst
        self._state: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str) -> None:
        now = time.monotonic()
        with self._lock:
            tokens, last = self._state.get(key, (self._burst, now))
            tokens = min(self._burst, tokens + (now - last) * self._rate)
            if tokens < 1.0:
                self._state[key] = (tokens, now)
                wait = (1.0 - tokens) / self._rate if self._rate > 0 else 60.0
                raise RateLimitedError(
                    f"camera {key!r} is over its limit of {self._rate:g} requests/s",
                    retry_after=wait,
                )
            self._state[key] = (tokens - 1.0, now)


class IngestService:
    """Checks and submits camera payloads; see the module docstring."""

    def __init__(
        self,
        cameras: CameraRegistry,
        pipeline: IngestPipeline,
        *,
        adapters: dict[str, Adapter] | None = None,
        limits: IngestLimits | None = None,
        clock: Clock = system_clock,
    ) -> None:
        self.cameras = cameras
        self.pipeline = pipeline
        self.adapters = adapters if adapters is not None else ADAPTERS
        self.limits = limits or IngestLimits()
        self.clock = clock
        self._buckets = _Buckets(self.limits.rate_per_s, self.limits.burst)
        self._recent: dict[bytes, tuple[str, float]] = {}
        self._recent_lock = threading.Lock()

    def authenticate(self, key: str | None) -> RegisteredCamera:
        """The camera whose key was presented, counted against its rate limit. May take an
        argon2 verification (tens of ms): call it off the event loop."""
        if not key:
            raise AuthError("a camera key is required (Authorization: Bearer cam_...)")
        camera = self.cameras.authenticate(key)
        with self._recent_lock:
            if len(self._recent) > 10_000:
                self._recent.clear()
            self._recent[_digest(key)] = (camera.key_id, time.monotonic() + _RECENT_TTL)
        self._buckets.take(camera.id)
        return camera

    def authenticate_recent(self, key: str | None) -> RegisteredCamera | None:
        """Like ``authenticate`` but only for a key verified in the last few seconds, without
        argon2 (cheap enough for the event loop); None means "call ``authenticate``". The
        camera row is read again, so a rotated key or a disabled camera is refused at once."""
        if not key:
            return None
        with self._recent_lock:
            found = self._recent.get(_digest(key))
        if found is None or found[1] < time.monotonic():
            return None
        camera = self.cameras.by_key_id(found[0])
        if camera is None:
            return None
        if not camera.camera.enabled:
            raise ForbiddenError(f"camera {camera.id!r} is disabled")
        self._buckets.take(camera.id)
        return camera

    def accept(self, adapter_name: str, payload: Any, camera: RegisteredCamera) -> Submission:
        """Parses ``payload`` with the named adapter for ``camera`` and queues its reads."""
        adapter = self.adapters.get(adapter_name)
        if adapter is None:
            raise InputError(f"no adapter {adapter_name[:40]!r}", field="adapter")
        parsed = adapter.parse(payload, camera.camera)
        self._check_claims(adapter_name, parsed, camera)
        if parsed.aliases:
            self._learn_aliases(adapter_name, parsed.aliases, camera)
        expired = self._check_times(parsed)
        submission = Submission(parsed.kind, camera.id, len(parsed.reads) + expired, expired)
        if parsed.reads:
            submission.future = self.pipeline.submit(
                parsed.reads, images=parsed.images, links=parsed.links
            )
        return submission

    def ingest(
        self, adapter_name: str, payload: Any, camera: RegisteredCamera, timeout: float = 60.0
    ) -> dict[str, Any]:
        """``accept`` and wait until durable; the receipt as a dict (for sync callers)."""
        submission = self.accept(adapter_name, payload, camera)
        result = submission.future.result(timeout) if submission.future else None
        return submission.receipt(result)

    # -- checks -------------------------------------------------------------------------------

    def _check_claims(self, adapter: str, parsed: Parsed, camera: RegisteredCamera) -> None:
        """A camera writes only as itself: every camera name and agency in the payload must
        be the sender's (or an alias the sender's heartbeat taught us)."""
        names = camera.names()
        for claim in parsed.claims:
            if claim in names:
                continue
            if claim in parsed.aliases and parsed.aliases[claim] in names:
                continue
            found = self.cameras.resolve(adapter, claim)
            if found is None or found.id != camera.id:
                raise ForbiddenError(
                    f"the payload speaks for camera {claim[:64]!r}, but the key is camera "
                    f"{camera.id!r}'s (map it with --external-id or an OpenALPR heartbeat)"
                )
        for agency in parsed.agencies:
            if agency != camera.camera.agency_id:
                raise ForbiddenError(
                    f"camera {camera.id!r} belongs to agency {camera.camera.agency_id!r}, "
                    f"not {agency[:64]!r}"
                )

    def _learn_aliases(
        self, adapter: str, aliases: dict[str, str], camera: RegisteredCamera
    ) -> None:
        names = camera.names()
        for source_id, source_name in aliases.items():
            if source_name in names and source_id not in names:
                self.cameras.bind_alias(camera.id, adapter, source_id)

    def _check_times(self, parsed: Parsed) -> int:
        """Refuses reads from the future (a wrong camera clock); drops expired ones."""
        now = self.clock()
        for i, read in enumerate(parsed.reads):
            if self.limits.ahead(read.observed_at, now):
                ahead = read.observed_at - now
                raise InputError(
                    f"read {i} is {ahead} ahead of this server's clock; check the camera clock",
                    field="observed_at",
                )
        if self.limits.max_age is None:
            return 0
        keep = [
            i
            for i, read in enumerate(parsed.reads)
            if not self.limits.expired(read.observed_at, now)
        ]
        expired = len(parsed.reads) - len(keep)
        if expired:
            parsed.images = {j: parsed.images[i] for j, i in enumerate(keep) if i in parsed.images}
            parsed.links = {j: parsed.links[i] for j, i in enumerate(keep) if i in parsed.links}
            parsed.reads = [parsed.reads[i] for i in keep]
        return expired
