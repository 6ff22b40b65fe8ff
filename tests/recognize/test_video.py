"""Videos assembled from shared photos and live MJPEG streams: one read per plate pass."""

from __future__ import annotations

import http.server
import socketserver
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np
import pytest

from trustlpr.core.errors import InputError
from trustlpr.recognize import Recognizer
from trustlpr.recognize.tracker import read_passes
from trustlpr.recognize.video import Backoff, LiveStream, VideoFile

from .conftest import Labelled
from .videos import pass_video

PLATES = ("car12.jpg", "car3.jpg", "car6.jpg")


def _photos(us_photos: list[Labelled]) -> list[Labelled]:
    return [next(s for s in us_photos if s.path.name == name) for name in PLATES]


@pytest.mark.parametrize(
    ("suffix", "fourcc", "count"), [(".mp4", "mp4v", 3), (".mkv", "mp4v", 1), (".avi", "MJPG", 1)]
)
def test_a_video_gives_one_read_per_plate_pass(
    tmp_path: Path,
    recognizer: Recognizer,
    us_photos: list[Labelled],
    suffix: str,
    fourcc: str,
    count: int,
) -> None:
    photos = _photos(us_photos)[:count]
    path = tmp_path / f"passes{suffix}"
    total = pass_video(path, [p.path for p in photos], fourcc=fourcc)
    video = VideoFile(path, fps=10)
    assert video.native_fps == 20 and video.step == 2
    assert video.sampled_count == (total + 1) // 2
    passes = list(read_passes(recognizer.recognize, video.frames()))
    assert [p.plate for p in passes] == [p.plate for p in photos]
    for found in passes:
        assert found.frames >= 10  # followed across the frame, not re-read as new cars
        assert found.crop is not None and found.crop.shape[2] == 3
        assert found.frame % 2 == 0 and found.confidence > 0.8


def test_a_file_that_is_not_a_video_is_an_input_error(tmp_path: Path) -> None:
    bad = tmp_path / "clip.mp4"
    bad.write_bytes(b"\x00" * 4096)
    with pytest.raises(InputError, match=r"clip\.mp4 is not a video"):
        VideoFile(bad)
    with pytest.raises(InputError, match="no such file"):
        VideoFile(tmp_path / "absent.mkv")


class _Camera(socketserver.ThreadingTCPServer):
    """An MJPEG camera over HTTP (multipart/x-mixed-replace) that first answers 503, then
    streams ``per_session`` frames and drops the connection, as a flaky camera does."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, frames: list[bytes], per_session: int) -> None:
        self.frames, self.per_session = frames, per_session
        self.sessions = 0
        self.refused = 0
        super().__init__(("127.0.0.1", 0), _Handler)


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Camera

    def do_GET(self) -> None:
        if self.server.refused == 0:
            self.server.refused += 1
            self.send_error(503, "warming up")
            return
        self.server.sessions += 1
        session = self.server.sessions
        self.send_response(200)
        self.send_header("Content-Type", "multipart/x-mixed-replace; boundary=frame")
        self.end_headers()
        for i in range(self.server.per_session):
            jpeg = self.server.frames[(session + i) % len(self.server.frames)]
            head = f"--frame\r\nContent-Type: image/jpeg\r\nContent-Length: {len(jpeg)}\r\n\r\n"
            try:
                self.wfile.write(head.encode() + jpeg + b"\r\n")
            except OSError:
                return
            time.sleep(0.02)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def camera() -> Iterator[_Camera]:
    grey = [np.full((240, 320, 3), v, np.uint8) for v in (40, 120, 200)]
    frames = [bytes(cv2.imencode(".jpg", g)[1]) for g in grey]
    server = _Camera(frames, per_session=15)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_a_live_stream_reconnects_with_backoff(camera: _Camera) -> None:
    waits: list[float] = []

    def sleep(seconds: float) -> bool:
        waits.append(seconds)
        return False

    url = f"http://127.0.0.1:{camera.server_address[1]}/video.mjpg"
    stream = LiveStream(url, fps=50, backoff=Backoff(first=1.0), sleep=sleep)
    seen = []
    for frame in stream.frames():
        seen.append(frame)
        if camera.sessions >= 3 and len(seen) >= 10:
            stream.close()
    assert waits[0] == 1.0  # the refused first connection was retried after a backoff
    assert stream.reconnects >= 2  # and every dropped connection reopened
    indexes = [f.index for f in seen]
    assert indexes == sorted(set(indexes))  # newest frames only, never the same twice
    assert all(f.image.shape == (240, 320, 3) for f in seen)


def test_a_stream_that_never_opens_gives_up_when_told(tmp_path: Path) -> None:
    waits: list[float] = []
    stream = LiveStream(
        "http://127.0.0.1:9/none.mjpg",
        backoff=Backoff(first=0.5, cap=1.0, max_retries=3),
        sleep=lambda s: bool(waits.append(s)),
    )
    with pytest.raises(InputError, match="cannot be opened"):
        list(stream.frames())
    assert waits == [0.5, 1.0, 1.0]


def test_a_files_frames_end_when_it_was_written(tmp_path: Path, us_photos: list[Labelled]) -> None:
    path = tmp_path / "clip.mp4"
    total = pass_video(path, [us_photos[0].path], pass_frames=20, gap_frames=20)
    written = path.stat().st_mtime
    frames = list(VideoFile(path, fps=10).frames())
    first, last = frames[0].captured_at.timestamp(), frames[-1].captured_at.timestamp()
    assert abs(first - (written - total / 20)) < 0.01  # 20 fps: the clip is 2 s long
    step = (frames[1].captured_at - frames[0].captured_at).total_seconds()
    # datetimes hold microseconds: the mtime's fraction can round a 0.1 s step to 0.099999
    assert last <= written and step == pytest.approx(0.1, abs=2e-6)
