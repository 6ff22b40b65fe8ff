"""Plate detectors: the YOLOv9-t ONNX model (default) and the OpenALPR LBP cascade (fallback).

Both answer ``detect(image) -> list[Box]`` for an RGB image, best first. The YOLO model is
end-to-end (NMS inside the graph); its preprocessing follows open-image-models: letterbox to
416×416 keeping the aspect ratio, pad with grey 114 evenly on both sides, RGB, CHW, /255.
The cascade is ten times slower and has no scores; it is there for a machine where the ONNX
model cannot run, and as a second opinion in tests.
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import cv2
import numpy as np

from ..core.errors import ConfigError
from .onnx import session
from .types import Box, Image


class Detector(Protocol):
    """Finds plates in an RGB image; boxes best first, in the image's pixels."""

    name: str

    def detect(self, image: Image) -> list[Box]: ...


class YoloDetector:
    """open-image-models ``yolo-v9-t-416-license-plates-end2end`` through onnxruntime."""

    name = "yolo-v9-t-416"

    def __init__(self, model: Path, *, min_score: float = 0.25, threads: int | None = None) -> None:
        self.min_score = min_score
        self._session = session(model, threads)
        inputs = self._session.get_inputs()
        self._input = inputs[0].name
        shape = inputs[0].shape
        if len(shape) != 4 or not all(isinstance(d, int) for d in shape[2:]):
            raise ConfigError(f"detector {model} has input shape {shape}, not [1, 3, H, W]")
        self.size = (int(shape[2]), int(shape[3]))

    def letterbox(self, image: Image) -> tuple[np.ndarray, float, float, float]:
        """The model input, the scale ``r`` and the left/top padding, to map boxes back."""
        target_h, target_w = self.size
        h, w = image.shape[:2]
        r = min(target_h / h, target_w / w)
        new_w, new_h = max(1, round(w * r)), max(1, round(h * r))
        resized = cv2.resize(image, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
        pad_w, pad_h = (target_w - new_w) / 2, (target_h - new_h) / 2
        top, bottom = round(pad_h - 0.1), round(pad_h + 0.1)
        left, right = round(pad_w - 0.1), round(pad_w + 0.1)
        padded = cv2.copyMakeBorder(
            resized, top, bottom, left, right, cv2.BORDER_CONSTANT, value=(114, 114, 114)
        )
        tensor = np.ascontiguousarray(padded.transpose(2, 0, 1)[None], dtype=np.float32)
        tensor *= 1.0 / 255.0
        return tensor, r, pad_w, pad_h

    def detect(self, image: Image) -> list[Box]:
        tensor, r, pad_w, pad_h = self.letterbox(image)
        rows = np.asarray(self._session.run(None, {self._input: tensor})[0], np.float32)
        h, w = image.shape[:2]
        boxes = [
            Box(
                (float(row[1]) - pad_w) / r,
                (float(row[2]) - pad_h) / r,
                (float(row[3]) - pad_w) / r,
                (float(row[4]) - pad_h) / r,
                float(row[6]),
            ).clipped(w, h)
            for row in rows
            if row[6] >= self.min_score
        ]
        boxes = [b for b in boxes if b.width >= 4 and b.height >= 2]
        return sorted(boxes, key=lambda b: -b.score)


class CascadeDetector:
    """OpenALPR's ``us.xml`` LBP cascade. It has no calibrated score: each box gets one
    from its detection weight, squashed into 0..1 (only the order means something)."""

    name = "openalpr-cascade"

    def __init__(self, model: Path, *, max_width: int = 1280) -> None:
        self._cascade = cv2.CascadeClassifier(str(model))
        if self._cascade.empty():
            raise ConfigError(f"cascade {model} cannot be loaded")
        self.max_width = max_width

    def detect(self, image: Image) -> list[Box]:
        h, w = image.shape[:2]
        scale = min(1.0, self.max_width / w)
        grey = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
        if scale < 1.0:
            grey = cv2.resize(grey, (round(w * scale), round(h * scale)))
        grey = cv2.equalizeHist(grey)
        found, _, weights = self._cascade.detectMultiScale3(
            grey, scaleFactor=1.1, minNeighbors=3, minSize=(36, 18), outputRejectLevels=True
        )
        boxes = [
            Box(x / scale, y / scale, (x + bw) / scale, (y + bh) / scale, _squash(float(wt)))
            for (x, y, bw, bh), wt in zip(found, np.ravel(weights), strict=True)
        ]
        return sorted(boxes, key=lambda b: -b.score)


def _squash(weight: float) -> float:
    return float(1.0 / (1.0 + np.exp(-weight)))
