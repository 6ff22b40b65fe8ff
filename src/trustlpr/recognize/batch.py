"""``trustlpr recognize PATH...``: images, directories, video files and streams → plate lines.

Each source becomes output lines independently: a bad file is one error (saying what is
wrong with which file) and the batch goes on. A directory contributes its images and videos
(by suffix, sorted, not recursive); other files in it, such as label files, are skipped and
counted. A path given by name is read as a video when its suffix says so, else as an image.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from ..core.errors import InputError
from .images import is_image_path, load_image
from .pipeline import Recognizer
from .tracker import PlatePass, read_passes
from .types import PlateRead
from .video import Frame, LiveStream, VideoFile, is_stream_url, is_video_path

Kind = Literal["image", "video", "stream"]


@dataclass(frozen=True)
class Source:
    kind: Kind
    name: str


@dataclass(frozen=True)
class Listing:
    """What ``PATH...`` named: the sources in order, errors for names that are not there,
    and how many files of directories were skipped (neither images nor videos)."""

    sources: list[Source]
    errors: list[InputError]
    skipped: int


def list_sources(names: Sequence[str]) -> Listing:
    sources: list[Source] = []
    errors: list[InputError] = []
    skipped = 0
    for name in names:
        if is_stream_url(name):
            sources.append(Source("stream", name))
            continue
        path = Path(name)
        if path.is_dir():
            for child in sorted(p for p in path.iterdir() if p.is_file()):
                if is_video_path(child):
                    sources.append(Source("video", str(child)))
                elif is_image_path(child):
                    sources.append(Source("image", str(child)))
                else:
                    skipped += 1
        elif path.exists():
            sources.append(Source("video" if is_video_path(path) else "image", name))
        else:
            errors.append(InputError(f"{name} cannot be read: no such file or directory"))
    return Listing(sources, errors, skipped)


def plate_line(
    name: str, found: PlateRead | PlatePass | None, frame: int | None = None
) -> dict[str, Any]:
    """One output line in the documented JSON shape (``"plate": null`` when nothing found)."""
    if found is None:
        return {"file": name, "plate": None, "confidence": None, "box": None,
                "candidates": [], "region": None, "frame": frame}  # fmt: skip
    return {
        "file": name,
        "plate": found.plate,
        "confidence": round(found.confidence, 4),
        "box": found.box.xywh(),
        "candidates": [
            {"plate": c.plate, "confidence": round(c.confidence, 4)} for c in found.candidates
        ],
        "region": found.region,
        "frame": frame,
    }


def image_lines(recognizer: Recognizer, name: str) -> list[dict[str, Any]]:
    """Every plate of one image; one ``"plate": null`` line when there is none."""
    result = recognizer.recognize(load_image(Path(name)))
    return [plate_line(name, r) for r in result.reads] or [plate_line(name, None)]


def pass_line(name: str, found: PlatePass) -> dict[str, Any]:
    return plate_line(name, found, found.frame)


def video_passes(
    recognizer: Recognizer,
    source: Source,
    *,
    fps: float,
    on_total: Callable[[int], None] | None = None,
    on_frame: Callable[[Frame], None] | None = None,
) -> Iterator[PlatePass]:
    """The vehicle passes of a video file or stream, each as soon as it has ended."""
    frames: Iterator[Frame]
    if source.kind == "stream":
        frames = LiveStream(source.name, fps=fps).frames()
    else:
        video = VideoFile(Path(source.name), fps=fps)
        if on_total is not None:
            on_total(video.sampled_count)
        frames = video.frames()

    def seen(frame: Frame, _: object) -> None:
        if on_frame is not None:
            on_frame(frame)

    yield from read_passes(recognizer.recognize, frames, on_frame=seen)
