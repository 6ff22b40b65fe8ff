"""Frames from video files and live camera streams, sampled so recognition keeps up.

Everything goes through OpenCV's FFmpeg backend: files (MP4, MKV, AVI, …) and URLs
(``rtsp://``, ``http://`` MJPEG or MPEG-TS, ``rtmp://``). The two cases sample differently:

- A **file** is read frame by frame; of every ``native_fps // fps`` frames one is decoded in
  full and the others only grabbed. Decoding runs in a thread one frame ahead, so it uses the
  second core while the first runs the detector. Nothing is dropped: the result of a file is
  the same however fast the machine is.
- A **live stream** is read by a thread as fast as the camera sends (a stream that is not
  drained falls behind and the camera drops the connection); the consumer takes the newest
  frame at most ``fps`` times a second, so a slow machine reads fewer frames, never stale ones.
  When the stream fails or stalls, it is reopened with exponential backoff (1 s, 2 s, … 30 s),
  forever unless ``max_retries`` is given.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlsplit

import cv2
import numpy as np

from ..core.errors import InputError
from .types import Image

log = logging.getLogger("trustlpr.recognize.video")

VIDEO_SUFFIXES = frozenset({".mp4", ".mkv", ".avi", ".mov", ".webm", ".m4v", ".ts", ".mpg"})
STREAM_SCHEMES = frozenset({"rtsp", "rtsps", "rtmp", "http", "https"})
OPEN_TIMEOUT_MS = 10_000
READ_TIMEOUT_MS = 10_000


def is_video_path(path: Path) -> bool:
    return path.suffix.lower() in VIDEO_SUFFIXES


def is_stream_url(source: str) -> bool:
    return urlsplit(source).scheme.lower() in STREAM_SCHEMES


@dataclass(frozen=True)
class Frame:
    """A sampled frame: its index in the source, its time in the source (seconds), when it
    was captured (UTC), and its RGB pixels. A file is taken to end when it was last written
    (its modification time), so none of its frames lies in the future."""

    index: int
    time: float
    captured_at: datetime
    image: Image


@dataclass(frozen=True)
class Backoff:
    """Waits between reconnection attempts: ``first`` doubling up to ``cap`` seconds."""

    first: float = 1.0
    cap: float = 30.0
    max_retries: int | None = None

    def delay(self, attempt: int) -> float:
        return float(min(self.cap, self.first * 2 ** max(0, attempt - 1)))


def _capture(source: str) -> cv2.VideoCapture:
    params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, OPEN_TIMEOUT_MS]
    params += [cv2.CAP_PROP_READ_TIMEOUT_MSEC, READ_TIMEOUT_MS]
    return cv2.VideoCapture(source, cv2.CAP_FFMPEG, params)


def _rgb(frame: object) -> Image:
    return np.asarray(cv2.cvtColor(np.asarray(frame, np.uint8), cv2.COLOR_BGR2RGB), np.uint8)


class VideoFile:
    """The sampled frames of a video file (see the module docstring)."""

    def __init__(self, path: Path, *, fps: float = 10.0) -> None:
        if not path.is_file():
            raise InputError(f"{path} cannot be read: no such file")
        self.path = path
        self._capture = _capture(str(path))
        if not self._capture.isOpened():
            self._capture.release()
            raise InputError(f"{path} is not a video FFmpeg can read")
        native = self._capture.get(cv2.CAP_PROP_FPS)
        self.native_fps = float(native) if native and native > 0 else 25.0
        self.frame_count = int(self._capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
        # every step-th frame: at least ``fps`` per second (25 fps at 10 → 12.5 read per second)
        self.step = max(1, int(self.native_fps // fps)) if fps > 0 else 1
        self.width = int(self._capture.get(cv2.CAP_PROP_FRAME_WIDTH))
        self.height = int(self._capture.get(cv2.CAP_PROP_FRAME_HEIGHT))

    @property
    def sampled_count(self) -> int:
        return (self.frame_count + self.step - 1) // self.step if self.frame_count else 0

    def _decode(
        self, out: queue.Queue[Frame | BaseException | None], stop: threading.Event
    ) -> None:
        duration = self.frame_count / self.native_fps
        started = min(self.path.stat().st_mtime, time.time()) - duration
        index = 0
        try:
            while not stop.is_set():
                if index % self.step == 0:
                    ok, frame = self._capture.read()
                    if not ok:
                        break
                    t = index / self.native_fps
                    captured = datetime.fromtimestamp(started + t, UTC)
                    out.put(Frame(index, t, captured, _rgb(frame)))
                elif not self._capture.grab():
                    break
                index += 1
        except cv2.error as exc:
            out.put(InputError(f"{self.path} could not be decoded at frame {index}: {exc}"))
        finally:
            out.put(None)

    def frames(self) -> Iterator[Frame]:
        frames: queue.Queue[Frame | BaseException | None] = queue.Queue(maxsize=2)
        stop = threading.Event()
        worker = threading.Thread(target=self._decode, args=(frames, stop), daemon=True)
        worker.start()
        try:
            while (item := frames.get()) is not None:
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            stop.set()
            while worker.is_alive():  # unblock a decoder waiting on a full queue
                with contextlib.suppress(queue.Empty):
                    frames.get(timeout=0.05)
            self._capture.release()


class LiveStream:
    """The newest frames of a camera stream, reconnecting with backoff (module docstring)."""

    def __init__(
        self,
        url: str,
        *,
        fps: float = 10.0,
        backoff: Backoff | None = None,
        sleep: Callable[[float], bool] | None = None,
    ) -> None:
        self.url = url
        self.interval = 1.0 / fps if fps > 0 else 0.0
        self.backoff = backoff or Backoff()
        self._stop = threading.Event()
        # the wait between reconnections: ``sleep(seconds)`` is True when cut short by ``close``
        self._sleep = sleep or self._stop.wait
        self._latest: Frame | None = None
        self._fresh = threading.Condition()
        self._ended: BaseException | None = None
        self._done = False
        self.reconnects = 0

    def close(self) -> None:
        self._stop.set()
        with self._fresh:
            self._fresh.notify_all()

    def _open(self) -> cv2.VideoCapture | None:
        """An open capture, after as many backed-off attempts as it takes; None when closed."""
        attempt = 0
        while not self._stop.is_set():
            capture = _capture(self.url)
            if capture.isOpened():
                return capture
            capture.release()
            attempt += 1
            if self.backoff.max_retries is not None and attempt > self.backoff.max_retries:
                raise InputError(f"stream {_safe(self.url)} cannot be opened ({attempt} tries)")
            delay = self.backoff.delay(attempt)
            log.warning("stream %s unavailable; retrying in %.0f s", _safe(self.url), delay)
            if self._sleep(delay):
                return None
        return None

    def _read(self) -> None:
        index = 0
        started = time.monotonic()
        try:
            while not self._stop.is_set():
                capture = self._open()
                if capture is None:
                    break
                try:
                    while not self._stop.is_set():
                        ok, frame = capture.read()
                        if not ok:
                            break
                        now = datetime.now(UTC)
                        latest = Frame(
                            index, time.monotonic() - started, now, np.asarray(frame, np.uint8)
                        )
                        index += 1
                        with self._fresh:
                            self._latest = latest
                            self._fresh.notify_all()
                finally:
                    capture.release()
                if not self._stop.is_set():
                    self.reconnects += 1
                    log.warning("stream %s dropped; reconnecting", _safe(self.url))
        except BaseException as exc:  # handed to the consumer, which raises it
            self._ended = exc
        finally:
            with self._fresh:
                self._done = True
                self._fresh.notify_all()

    def frames(self) -> Iterator[Frame]:
        reader = threading.Thread(target=self._read, daemon=True, name="trustlpr-stream")
        reader.start()
        last_index = -1
        next_at = 0.0
        try:
            while True:
                wait = next_at - time.monotonic()
                if wait > 0 and self._stop.wait(wait):
                    return
                with self._fresh:
                    while not self._done and (
                        self._latest is None or self._latest.index == last_index
                    ):
                        self._fresh.wait(0.5)
                    frame = self._latest
                    if self._done and (frame is None or frame.index == last_index):
                        break
                assert frame is not None
                last_index = frame.index
                next_at = time.monotonic() + self.interval
                yield Frame(frame.index, frame.time, frame.captured_at, _rgb(frame.image))
            if self._ended is not None:
                raise self._ended
        finally:
            self.close()
            reader.join(timeout=5)


def _safe(url: str) -> str:
    """A stream URL without its password (RTSP URLs often carry one)."""
    parts = urlsplit(url)
    if parts.password:
        host = parts.hostname or ""
        netloc = f"{parts.username}:***@{host}" + (f":{parts.port}" if parts.port else "")
        return parts._replace(netloc=netloc).geturl()
    return url
