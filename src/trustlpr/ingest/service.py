"""The ingest use case: who is sending, may they, what did they send, and is it durable.

Every face (HTTP routes, the MQTT subscriber) goes through ``IngestService`` so the checks
live in one place: the camera key, the per-camera rate limit, the adapter's parse, that the
payload speaks only for the sending camera (and its agency), the camera's clock, the
sensitive-places rule (``collection``: reads taken too near such a place are dropped here,
before anything is queued), and finally the pipeline. OpenALPR heartbeats teach the
registry which numeric camera id is which camera.
"""

from __future__ import annotations

import hashlib
import logging
import math
import threading
import time
from collections.abc import Collection, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Protocol

from ..cameras import CameraRegistry, RegisteredCamera
from ..core.clock import Clock, system_clock
from ..core.errors import AuthError, ForbiddenError, InputError, RateLimitedError
from ..core.reads import Read
from .adapters import ADAPTERS
from .claims import disabled, other_agency
from .collection import CollectionRule, NotCollected
from .health import IngestHealth
from .parsing import Adapter, Parsed, Rejection
from .pipeline import IngestResult

log = logging.getLogger(__name__)
POSITION_TOLERANCE_M = 500.0
"""How far a fixed camera's reported GPS may be from its registered place before ingest
reports the disagreement (GPS fixes and hand-entered positions differ by tens of metres)."""


class Submitter(Protocol):
    """Where checked reads go: the node's ``IngestPipeline`` (``--role all`` and ``writer``),
    or an ingest front-end's bus publisher (``--role ingest``, ``trustlpr.bus``). The future
    resolves once the reads are durable (in the store, or acknowledged by JetStream)."""

    def submit(
        self,
        reads: Sequence[Read],
        *,
        images: Mapping[int, bytes] | None = None,
        links: Mapping[int, Sequence[str]] | None = None,
        consensus: Collection[int] = (),
        not_collected: NotCollected | None = None,
    ) -> Future[IngestResult]:
        """Queues the reads; ``not_collected`` counts the submission's reads dropped near
        sensitive places (``collection``), tallied where the submission commits. Called
        with no reads when all of them were dropped."""
        ...

    def close(self) -> None:
        """Stops taking submissions and finishes what was taken."""
        ...


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
    nothing to store (a test ping, a heartbeat, only expired reads). ``rejected``: results
    refused while the others were accepted (the answer is then "partial")."""

    kind: str
    camera_id: str
    accepted: int
    expired: int = 0
    rejected: list[Rejection] = field(default_factory=list)
    future: Future[IngestResult] | None = field(default=None, repr=False)

    @property
    def partial(self) -> bool:
        return bool(self.rejected)

    def receipt(self, result: IngestResult | None) -> dict[str, Any]:
        """The JSON answer to the sender: counts and the rejected results' paths and reasons
        (never which reads were hits)."""
        return {
            "status": "partial" if self.rejected else "ok",
            "kind": self.kind,
            "camera_id": self.camera_id,
            "accepted": self.accepted,
            "stored": result.kept if result else 0,
            "duplicates": result.duplicates if result else 0,
            "expired": self.expired,
            "rejected": [r.as_dict() for r in self.rejected],
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
        pipeline: Submitter,
        *,
        adapters: dict[str, Adapter] | None = None,
        limits: IngestLimits | None = None,
        clock: Clock = system_clock,
        health: IngestHealth | None = None,
        collection: CollectionRule | None = None,
    ) -> None:
        self.cameras = cameras
        self.collection = collection
        """The sensitive-places rule: reads taken too near such a place are not collected."""
        self.pipeline = pipeline
        self.adapters = adapters if adapters is not None else ADAPTERS
        self.limits = limits or IngestLimits()
        self.clock = clock
        self._buckets = _Buckets(self.limits.rate_per_s, self.limits.burst)
        self._recent: dict[bytes, tuple[str, float]] = {}
        self._recent_lock = threading.Lock()
        self.health = health or IngestHealth()
        """States and counters of the ingest subsystems (HTTP, MQTT, bus) for ``/healthz``."""

    def authenticate(self, key: str | None) -> RegisteredCamera:
        """The camera whose key was presented, counted against its rate limit. Reads the
        camera database and, for a key stored before SHA-256 hashes, verifies argon2 (tens of
        ms): call it off the event loop."""
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
        the stored hash's check (cheap enough for the event loop); None means "call
        ``authenticate``". The camera row is read again, so a rotated key or a disabled camera is
        refused at once."""
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
            raise ForbiddenError(disabled(camera.id))
        self._buckets.take(camera.id)
        return camera

    def accept(self, adapter_name: str, payload: Any, camera: RegisteredCamera) -> Submission:
        """Parses ``payload`` with the named adapter for ``camera`` and queues its reads."""
        adapter = self.adapters.get(adapter_name)
        if adapter is None:
            raise InputError(f"no adapter {adapter_name[:40]!r}", field="adapter")
        try:
            parsed = adapter.parse(payload, camera.camera)
        except InputError as exc:
            self.health.count(adapter_name, f"refused_{type(exc).__name__}")
            raise
        self._check_claims(adapter_name, parsed, camera)
        if parsed.aliases:
            self._learn_aliases(adapter_name, parsed.aliases, camera)
        expired = self._check_times(parsed)
        self._check_positions(parsed, camera)
        submission = Submission(
            parsed.kind, camera.id, len(parsed.reads) + expired, expired, parsed.rejected
        )
        dropped: dict[str, dict[str, int]] = {}
        if self.collection is not None and parsed.reads:
            # not collected: gone before anything is queued (only counted, where the
            # submission commits); the sender sees them accepted
            keep, dropped = self.collection.split(parsed.reads)
            if dropped:
                parsed.keep_only(keep)
        if parsed.rejected:
            self.health.count(adapter_name, "rejected_results", len(parsed.rejected))
        if parsed.reads or dropped:
            submission.future = self.pipeline.submit(
                parsed.reads,
                images=parsed.images,
                links=parsed.links,
                consensus=parsed.consensus,
                not_collected=dropped or None,
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
        labelled = bool(parsed.labels & names)  # e.g. Scout's camera_label is the camera's name
        for claim in parsed.claims:
            if claim in names:
                continue
            if claim in parsed.aliases and parsed.aliases[claim] in names:
                continue
            found = self.cameras.resolve(adapter, claim)
            if found is None and labelled:  # an id not yet known, vouched for by the label
                self.cameras.bind_alias(camera.id, adapter, claim)
                continue
            if found is None or found.id != camera.id:
                raise ForbiddenError(
                    f"the payload speaks for camera {claim[:64]!r}, but the key is camera "
                    f"{camera.id!r}'s (map it with --external-id or an OpenALPR heartbeat)"
                )
        for agency in parsed.agencies:
            if agency != camera.camera.agency_id:
                raise ForbiddenError(other_agency(camera.id, camera.camera.agency_id, agency))

    def _learn_aliases(
        self, adapter: str, aliases: dict[str, str], camera: RegisteredCamera
    ) -> None:
        names = camera.names()
        for source_id, source_name in aliases.items():
            if source_name in names and source_id not in names:
                self.cameras.bind_alias(camera.id, adapter, source_id)

    def _check_times(self, parsed: Parsed) -> int:
        """Rejects reads from the future (a wrong camera clock), each alone; drops expired
        ones. Returns how many expired."""
        now = self.clock()
        keep: list[int] = []
        expired = 0
        for i, read in enumerate(parsed.reads):
            if self.limits.ahead(read.observed_at, now):
                ahead = read.observed_at - now
                path = parsed.paths.get(i, f"read {i}")
                parsed.rejected.append(
                    Rejection(
                        path,
                        "observed_at",
                        f"is {ahead} ahead of this server's clock; check the camera clock",
                    )
                )
            elif self.limits.expired(read.observed_at, now):
                expired += 1
            else:
                keep.append(i)
        if len(keep) < len(parsed.reads):
            parsed.keep_only(keep)
            if not parsed.reads and not expired:
                parsed.settle()  # every read was refused: refuse the payload
        return expired

    def _check_positions(self, parsed: Parsed, camera: RegisteredCamera) -> None:
        """A fixed camera's reads stay at its registered place (the adapters put them there);
        a reported GPS position far from it is counted and logged once per camera, so the
        registration or the agent's configuration can be fixed."""
        if camera.camera.mobile or not parsed.positions:
            return
        cam = camera.camera
        for position in parsed.positions.values():
            metres = _distance_m(cam.latitude, cam.longitude, position.latitude, position.longitude)
            if metres > POSITION_TOLERANCE_M:
                self.health.reject(
                    "positions",
                    "fixed_camera_moved",
                    f"camera {camera.id!r} is registered as fixed but its payload "
                    f"({position.field}) puts it {metres / 1000:.1f} km away; its reads are "
                    "stored at the registered place (mark it --mobile if it moves)",
                    key=camera.id,
                    logger=log,
                )
                return


def _distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres (haversine; ample for "is this the same place")."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6_371_000.0 * math.asin(min(1.0, math.sqrt(a)))
