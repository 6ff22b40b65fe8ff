"""Videos assembled from the shared photos: each photo drives across the frame once."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np

from trustlpr.recognize import load_image


def pass_video(
    path: Path,
    photos: Sequence[Path],
    *,
    size: tuple[int, int] = (960, 540),
    fps: float = 20.0,
    pass_frames: int = 30,
    gap_frames: int = 30,
    fourcc: str = "mp4v",
) -> int:
    """Writes the video; returns its frame count. Each photo, scaled to fit 70% of the frame
    height and 60% of its width, slides from left to right over ``pass_frames`` frames; empty
    road in between."""
    width, height = size
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*fourcc), fps, size)
    assert writer.isOpened(), f"OpenCV cannot write {fourcc} to {path.suffix}"
    road = np.full((height, width, 3), 96, np.uint8)
    frames = 0
    try:
        for photo in photos:
            image = cv2.cvtColor(load_image(photo), cv2.COLOR_RGB2BGR)
            scale = min(0.7 * height / image.shape[0], 0.6 * width / image.shape[1])
            scaled = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
            sh, sw = scaled.shape[:2]
            top = (height - sh) // 2
            for k in range(pass_frames):
                frame = road.copy()
                left = round((width - sw) * k / max(1, pass_frames - 1))
                frame[top : top + sh, left : left + sw] = scaled
                writer.write(frame)
                frames += 1
            for _ in range(gap_frames):
                writer.write(road)
                frames += 1
    finally:
        writer.release()
    return frames
