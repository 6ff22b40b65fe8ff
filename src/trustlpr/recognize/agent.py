"""The camera-site agent behind ``trustlpr camera watch``: recognise, spool, send.

It watches one source — a live stream (``rtsp://``, ``http://``), a video file, or a folder
where a camera drops snapshots — and turns it into reads: one per vehicle pass for video
(the tracker's vote, with the best frame's crop), one per plate for a snapshot (observed at
the file's modification time). Every read goes into the on-disk spool first and is sent to
the node's native ingest API by a second thread (``sender.Forwarder``), so the node being
away costs nothing but delay. Reads enter the node the way every camera's do: through its
ingest pipeline (hot lists, encryption, retention, audit), never into its store directly.

Given a ``position`` (``gps``: an NMEA receiver on a patrol car, or a pole's fixed place), each
read carries where it was taken (and the receiver's speed and course); a read for which the
receiver has no fresh fix is refused here — logged and counted, never sent with a stale
position.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..core.clock import iso
from ..core.errors import InputError, TrustLPRError
from .gps import PositionSource
from .images import encode_jpeg, is_image_path, load_image
from .pipeline import Recognizer
from .sender import Forwarder
from .spool import Spool
from .tracker import PlatePass, read_passes
from .types import Image
from .video import Frame, LiveStream, VideoFile, is_stream_url

log = logging.getLogger("trustlpr.recognize.agent")


@dataclass(frozen=True)
class AgentConfig:
    """``camera_id``: the camera's id on the node (its key must be that camera's).
    ``min_confidence``: reads below are not sent. ``settle``: a snapshot must be this many
    seconds old before it is read (the camera may still be writing it)."""

    camera_id: str
    fps: float = 10.0
    min_confidence: float = 0.3
    poll: float = 1.0
    settle: float = 1.0


@dataclass
class AgentReport:
    files: int = 0
    frames: int = 0
    reads: int = 0
    refused: int = 0
    no_fix: int = 0
    """Reads refused because the GPS had no fresh fix when they were taken."""
    errors: list[str] = field(default_factory=list)


class CameraAgent:
    """One source → reads → spool → node. ``run`` blocks until the source ends (a file,
    or a folder with ``once``) or ``stop`` is called."""

    def __init__(
        self,
        recognizer: Recognizer,
        spool: Spool,
        forwarder: Forwarder,
        config: AgentConfig,
        *,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        position: PositionSource | None = None,
    ) -> None:
        self.recognizer = recognizer
        self.position = position
        self.spool = spool
        self.forwarder = forwarder
        self.config = config
        self.report = AgentReport()
        self._now = now
        self._stop = threading.Event()
        self._stream: LiveStream | None = None
        self._failure: BaseException | None = None

    def stop(self) -> None:
        self._stop.set()
        if self._stream is not None:
            self._stream.close()
        self.forwarder.stop()

    def run(self, source: str, *, once: bool = False) -> AgentReport:
        sender = threading.Thread(target=self._send, daemon=True, name="trustlpr-sender")
        sender.start()
        try:
            path = Path(source)
            if not is_stream_url(source) and path.is_dir():
                self._watch_folder(path, once=once)
            else:
                self._watch_video(source)
            if not self._stop.is_set() and self._failure is None:
                self._until_sent()
        finally:
            self.forwarder.stop()
            sender.join(timeout=30)
        if self._failure is not None:
            raise self._failure
        return self.report

    # -- sending --------------------------------------------------------------------------------

    def _send(self) -> None:
        try:
            self.forwarder.run()
        except BaseException as exc:  # an AuthError stops the agent; the spool keeps all
            self._failure = exc
            self._stop.set()
            if self._stream is not None:
                self._stream.close()

    def _until_sent(self) -> None:
        """After a finite source: wait until the node has every read (or ``stop``)."""
        while len(self.spool) and not self._stop.is_set():
            self.forwarder.wake()
            self._stop.wait(0.2)

    def _spool(
        self, reads: list[tuple[str, dict[str, Any], bytes | None]], done: str | None
    ) -> None:
        kept = self.spool.add(reads, done_file=done)
        self.report.reads += kept
        self.report.refused += len(reads) - kept
        if kept:
            self.forwarder.wake()

    def _body(self, plate: str, confidence: float, observed: datetime) -> dict[str, Any] | None:
        """The read to send, or None when it needs a position and the GPS has no fresh fix."""
        body: dict[str, Any] = {
            "plate": plate,
            "confidence": round(min(1.0, max(0.0, confidence)), 4),
            "observed_at": iso(observed),
            "camera_id": self.config.camera_id,
        }
        if self.position is None:
            return body
        fix = self.position.fix_for(observed)
        if fix is None:
            self.report.no_fix += 1
            if self.report.no_fix in (1, 10, 100) or self.report.no_fix % 1000 == 0:
                log.warning(
                    "read of %s not sent: no GPS fix within the age limit (%d refused so far)",
                    iso(observed),
                    self.report.no_fix,
                )
            return None
        return body | fix.fields()

    # -- sources --------------------------------------------------------------------------------

    def _watch_video(self, source: str) -> None:
        frames: Any
        if is_stream_url(source):
            self._stream = LiveStream(source, fps=self.config.fps)
            frames = self._stream.frames()
        else:
            frames = VideoFile(Path(source), fps=self.config.fps).frames()

        def counted(frame: Frame, _: object) -> None:
            self.report.frames += 1

        for found in read_passes(
            self.recognizer.recognize, self._until_stopped(frames), on_frame=counted
        ):
            self._pass(found)

    def _until_stopped(self, frames: Any) -> Any:
        for frame in frames:
            if self._stop.is_set():
                return
            yield frame

    def _pass(self, found: PlatePass) -> None:
        if found.confidence < self.config.min_confidence:
            return
        body = self._body(found.plate, found.confidence, found.captured_at)
        if body is not None:
            self._spool([(uuid.uuid4().hex, body, _jpeg(found.crop))], None)

    def _watch_folder(self, folder: Path, *, once: bool) -> None:
        while not self._stop.is_set():
            self._scan(folder)
            if once or self._stop.wait(self.config.poll):
                return

    def _scan(self, folder: Path) -> None:
        now = self._now().timestamp()
        try:
            entries = [p for p in folder.iterdir() if p.is_file() and is_image_path(p)]
        except OSError as exc:
            raise InputError(f"{folder} cannot be listed: {exc.strerror}") from exc
        stats = []
        for path in entries:
            try:
                stats.append((path.stat(), path))
            except OSError:
                continue  # gone between listing and stat
        for stat, path in sorted(stats, key=lambda sp: (sp[0].st_mtime_ns, sp[1].name)):
            if self._stop.is_set():
                return
            key = f"{path.name}:{stat.st_mtime_ns}:{stat.st_size}"
            if now - stat.st_mtime < self.config.settle or self.spool.is_done(key):
                continue
            self._snapshot(path, key, datetime.fromtimestamp(stat.st_mtime, UTC))

    def _snapshot(self, path: Path, key: str, observed: datetime) -> None:
        self.report.files += 1
        try:
            result = self.recognizer.recognize(load_image(path))
        except TrustLPRError as exc:
            self.report.errors.append(exc.message)
            log.warning("%s", exc.message)
            self.spool.mark_done(key, exc.message)
            return
        plates = [r for r in result.reads if r.confidence >= self.config.min_confidence]
        bodies = [(self._body(r.plate, r.confidence, observed), r) for r in plates]
        reads = [(uuid.uuid4().hex, b, _jpeg(r.crop)) for b, r in bodies if b is not None]
        if reads:
            self._spool(reads, key)
        else:
            self.spool.mark_done(key, "no GPS fix" if plates else "no plate")


def _jpeg(crop: Image | None) -> bytes | None:
    return encode_jpeg(crop) if crop is not None and crop.size else None


def open_agent(
    *,
    camera_id: str,
    url: str,
    key: str,
    spool_path: Path,
    spool_max: int = 10_000,
    models: Path | None = None,
    shared_dir: Path | None = None,
    fps: float = 10.0,
    min_confidence: float = 0.3,
    position: PositionSource | None = None,
) -> CameraAgent:
    """An agent with its parts: the recognizer over the configured models, the spool file,
    a sender to the node at ``url`` with this camera's ``key``, and where its reads are taken
    (``position``; None: the node puts them at the camera's registered place)."""
    from .sender import NodeClient

    if not key.strip():
        raise InputError("a camera key is required (printed once by `trustlpr camera add`)")
    recognizer = Recognizer.open(models, shared_dir=shared_dir)
    spool = Spool(spool_path, max_reads=spool_max)
    forwarder = Forwarder(spool, NodeClient(url, key))
    config = AgentConfig(camera_id, fps=fps, min_confidence=min_confidence)
    return CameraAgent(recognizer, spool, forwarder, config, position=position)
