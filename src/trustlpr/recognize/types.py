"""What the recognition stages hand each other: boxes, candidates, plate reads, timings.

Images are ``numpy`` arrays of shape ``(height, width, 3)``, ``uint8``, **RGB** (the models'
order); frames from OpenCV are converted once where they enter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from ..core.plates import mask_plate

Image = npt.NDArray[np.uint8]


@dataclass(frozen=True, slots=True)
class Box:
    """A detected plate in pixel coordinates of its image; ``score`` is the detector's (0..1)."""

    x1: float
    y1: float
    x2: float
    y2: float
    score: float

    @property
    def width(self) -> float:
        return self.x2 - self.x1

    @property
    def height(self) -> float:
        return self.y2 - self.y1

    @property
    def center(self) -> tuple[float, float]:
        return (self.x1 + self.x2) / 2, (self.y1 + self.y2) / 2

    def xywh(self) -> list[int]:
        """``[x, y, w, h]`` in whole pixels (the JSON form, as in the labelled data)."""
        x, y = round(self.x1), round(self.y1)
        return [x, y, max(round(self.x2) - x, 1), max(round(self.y2) - y, 1)]

    def iou(self, other: Box) -> float:
        w = min(self.x2, other.x2) - max(self.x1, other.x1)
        h = min(self.y2, other.y2) - max(self.y1, other.y1)
        if w <= 0 or h <= 0:
            return 0.0
        inter = w * h
        union = self.width * self.height + other.width * other.height - inter
        return inter / union if union > 0 else 0.0

    def clipped(self, width: int, height: int) -> Box:
        return Box(
            max(0.0, min(self.x1, width)),
            max(0.0, min(self.y1, height)),
            max(0.0, min(self.x2, width)),
            max(0.0, min(self.y2, height)),
            self.score,
        )


@dataclass(frozen=True, slots=True)
class Candidate:
    """One reading of a plate. ``confidence`` is the OCR's probability of this exact string,
    lowered when it fits no known plate format of the region the OCR saw."""

    plate: str
    confidence: float
    formats: tuple[str, ...] = ()  # US states whose plate formats the string fits

    def __repr__(self) -> str:
        return f"Candidate({mask_plate(self.plate)!r}, {self.confidence:.3f})"


@dataclass(frozen=True, slots=True)
class PlateRead:
    """The reading of one detected plate: the best candidate first, alternatives after.

    ``attempt`` says which crop won ("first", "second-opinion", "deskew", "two-line");
    ``crop`` is the plate as the OCR saw it (with its margin), for the read's image.
    """

    box: Box
    candidates: tuple[Candidate, ...]
    region: str | None
    char_confidences: tuple[float, ...]
    attempt: str = "first"
    crop: Image | None = field(default=None, compare=False)

    @property
    def plate(self) -> str:
        return self.candidates[0].plate

    @property
    def confidence(self) -> float:
        return self.candidates[0].confidence

    @property
    def score(self) -> float:
        """How sure we are that this is a plate *and* reads so: detector × OCR."""
        return self.box.score * self.confidence

    def as_json(self) -> dict[str, Any]:
        return {
            "plate": self.plate,
            "confidence": round(self.confidence, 4),
            "box": self.box.xywh(),
            "candidates": [
                {"plate": c.plate, "confidence": round(c.confidence, 4)} for c in self.candidates
            ],
            "region": self.region,
        }

    def __repr__(self) -> str:
        return f"PlateRead({mask_plate(self.plate)!r}, {self.confidence:.3f}, {self.attempt})"


@dataclass
class FrameResult:
    """All plates read in one image, best first, and what each stage cost (milliseconds)."""

    reads: list[PlateRead]
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def best(self) -> PlateRead | None:
        return self.reads[0] if self.reads else None
