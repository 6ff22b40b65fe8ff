"""The recognition pipeline: detector → crops → batched OCR → candidates → second attempts.

Where the time goes decides the design (figures in ``docs/recognition.md``): the detector is
about four fifths of a frame, one OCR pass a few milliseconds per crop. So every crop of a
frame is read in one batch, and only *weak* reads (a character slot below ``weak_below``,
about a quarter of plates) get second attempts, again batched:

- a second opinion: the older OCR model (``cct_xs_v1_global``) reads the same crop and the
  two models' slot probabilities are averaged (it corrects a different set of confusions);
- deskew: when the plate's edges lean by more than 3°, the crop is levelled and read again;
- two lines: a box about as tall as wide is read as two stacked halves.

The averaged second opinion replaces the first reading (choosing the more confident of the
two instead read 3 fewer of the 98 US photos: one model alone is more confident, not more
right); a deskewed or two-line reading replaces it when its best candidate is more confident.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from ..core.errors import ConfigError
from .candidates import blend, char_confidences, load_formats, rank
from .crops import MIN_SKEW_DEGREES, deskewed, pad_crop, plate_crop, skew_angle, two_lines
from .detector import CascadeDetector, Detector, YoloDetector
from .models import ModelFiles, models_dir
from .ocr import OcrBatch, PlateOCR, Probs
from .types import Box, Candidate, FrameResult, Image, PlateRead

DETECTORS = ("yolo", "cascade")


@dataclass(frozen=True)
class Tuning:
    """The pipeline's knobs, measured on the shared photos (``bench/recognition.py``)."""

    min_detection: float = 0.25  # detector score for a box to be read at all
    min_score: float = 0.01  # detector × OCR confidence for a read to be reported
    weak_below: float = 0.9  # a slot under this makes the read weak → second attempts
    second_weight: float = 0.5  # weight of the second opinion in the average
    max_plates: int = 8  # boxes read per frame, best detector scores first
    stacked_aspect: float = 1.6  # width/height under which a box is tried as two lines


class Recognizer:
    """Image → plate reads. Build it once (models load in about a second); it is not
    thread-safe, use one per thread."""

    def __init__(
        self,
        files: ModelFiles,
        *,
        detector: str = "yolo",
        second_opinion: bool = True,
        tuning: Tuning | None = None,
        threads: int | None = None,
    ) -> None:
        self.tuning = tuning or Tuning()
        self.files = files
        self.detector: Detector
        if detector == "yolo":
            self.detector = YoloDetector(
                files.path("detector"), min_score=self.tuning.min_detection, threads=threads
            )
        elif detector == "cascade":
            self.detector = CascadeDetector(files.path("cascade"))
        else:
            raise ConfigError(f"unknown detector {detector!r}; choose {' or '.join(DETECTORS)}")
        self.ocr = PlateOCR(files.path("ocr"), files.path("ocr_config"), threads=threads)
        self.second: PlateOCR | None = None
        if second_opinion:
            self.second = PlateOCR(
                files.path("ocr_second"), files.path("ocr_second_config"), threads=threads
            )
            if self.second.config.alphabet != self.ocr.config.alphabet:
                raise ConfigError("the two OCR models have different alphabets")
        self.formats = load_formats(files.path("patterns"))

    @classmethod
    def open(
        cls,
        models: Path | None = None,
        *,
        shared_dir: Path | None = None,
        detector: str = "yolo",
        second_opinion: bool = True,
        threads: int | None = None,
    ) -> Recognizer:
        """A recognizer over the configured models directory (see ``models.models_dir``)."""
        files = ModelFiles(models_dir(models, shared_dir=shared_dir))
        return cls(files, detector=detector, second_opinion=second_opinion, threads=threads)

    # -- whole frames ---------------------------------------------------------------------------

    def recognize(self, image: Image) -> FrameResult:
        """Every plate of ``image`` (RGB), most certain first, and each stage's cost."""
        timings: dict[str, float] = {}
        start = time.perf_counter()
        boxes = self.detector.detect(image)[: self.tuning.max_plates]
        timings["detect_ms"] = _ms(start)
        crops = [plate_crop(image, box) for box in boxes]
        reads = self._read(crops, boxes, timings)
        reads = [r for r in reads if r.score >= self.tuning.min_score]
        reads.sort(key=lambda r: -r.score)
        timings["total_ms"] = _ms(start)
        return FrameResult(reads, timings)

    def read_plate(self, crop: Image) -> PlateRead | None:
        """A tight plate crop given alone (no detector): padded, read, second attempts."""
        h, w = crop.shape[:2]
        box = Box(0.0, 0.0, float(w), float(h), 1.0)
        reads = self._read([pad_crop(crop)], [box], {})
        return reads[0] if reads else None

    # -- stages ---------------------------------------------------------------------------------

    def _read(
        self, crops: Sequence[Image], boxes: Sequence[Box], timings: dict[str, float]
    ) -> list[PlateRead]:
        start = time.perf_counter()
        first = self.ocr.read(crops)
        timings["ocr_ms"] = _ms(start)
        start = time.perf_counter()
        reads: list[PlateRead | None] = []
        regions: list[str | None] = []
        for i, box in enumerate(boxes):
            region = self.ocr.region_name(first.regions[i] if first.regions is not None else None)
            regions.append(region)
            reads.append(self._plate(first.chars[i], box, region, crops[i], "first"))
        timings["post_ms"] = _ms(start)
        start = time.perf_counter()
        weak = [i for i, r in enumerate(reads) if r is None or _weakest(r) < self.tuning.weak_below]
        if weak:
            self._second_attempts(weak, first, crops, boxes, regions, reads)
        timings["second_ms"] = _ms(start)
        timings["weak"] = float(len(weak))
        return [r for r in reads if r is not None]

    def _plate(
        self, chars: Probs, box: Box, region: str | None, crop: Image, attempt: str
    ) -> PlateRead | None:
        candidates = rank(chars, self.ocr.config, self.formats, region)
        if not candidates:
            return None
        return PlateRead(
            box, tuple(candidates), region, char_confidences(chars, self.ocr.config), attempt, crop
        )

    def _second_attempts(
        self,
        weak: list[int],
        first: OcrBatch,
        crops: Sequence[Image],
        boxes: Sequence[Box],
        regions: list[str | None],
        reads: list[PlateRead | None],
    ) -> None:
        tries: list[tuple[int, str, Probs]] = []
        if self.second is not None:
            opinion = self.second.read([crops[i] for i in weak])
            for j, i in enumerate(weak):
                mixed = blend(first.chars[i], opinion.chars[j], self.tuning.second_weight)
                tries.append((i, "second-opinion", mixed))
        extra: list[Image] = []
        plan: list[tuple[int, str]] = []
        for i in weak:
            angle = skew_angle(crops[i])
            if abs(angle) >= MIN_SKEW_DEGREES:
                extra.append(deskewed(crops[i], angle))
                plan.append((i, "deskew"))
            if boxes[i].width < self.tuning.stacked_aspect * boxes[i].height:
                extra.extend(two_lines(crops[i]))
                plan.append((i, "two-line"))
        if extra:
            more = self.ocr.read(extra).chars
            k = 0
            for i, attempt in plan:
                if attempt == "deskew":
                    tries.append((i, attempt, more[k]))
                    k += 1
                else:
                    self._consider_stacked(i, more[k], more[k + 1], boxes, regions, crops, reads)
                    k += 2
        for i, attempt, chars in tries:
            candidate = self._plate(chars, boxes[i], regions[i], crops[i], attempt)
            if attempt == "second-opinion":  # the average of two models replaces one model's
                reads[i] = _merged(candidate, reads[i]) if candidate else reads[i]
            else:
                reads[i] = _better(reads[i], candidate)

    def _consider_stacked(
        self,
        i: int,
        top: Probs,
        bottom: Probs,
        boxes: Sequence[Box],
        regions: list[str | None],
        crops: Sequence[Image],
        reads: list[PlateRead | None],
    ) -> None:
        config = self.ocr.config
        upper = rank(top, config, None, None, keep=3)
        lower = rank(bottom, config, None, None, keep=3)
        joined: dict[str, float] = {}
        for a in upper:
            for b in lower:
                text = a.plate + b.plate
                if len(text) <= config.slots:
                    joined[text] = max(joined.get(text, 0.0), a.confidence * b.confidence)
        if not joined:
            return
        candidates = tuple(
            Candidate(text, conf, self.formats.states(text))
            for text, conf in sorted(joined.items(), key=lambda kv: -kv[1])[:5]
        )
        weakest = min(char_confidences(top, config) + char_confidences(bottom, config))
        stacked = PlateRead(boxes[i], candidates, regions[i], (weakest,), "two-line", crops[i])
        reads[i] = _better(reads[i], stacked)


def _better(current: PlateRead | None, attempt: PlateRead | None) -> PlateRead | None:
    """The more confident of two readings of one plate, the other's candidates kept too."""
    if attempt is None:
        return current
    if current is None:
        return attempt
    if attempt.confidence > current.confidence:
        return _merged(attempt, current)
    return _merged(current, attempt)


def _merged(winner: PlateRead, other: PlateRead | None) -> PlateRead:
    """``winner`` with ``other``'s candidates among its alternatives (best first)."""
    if other is None:
        return winner
    best = winner.candidates[0]
    rest: dict[str, Candidate] = {}
    for c in (*winner.candidates[1:], *other.candidates):
        kept = rest.get(c.plate)
        if c.plate != best.plate and (kept is None or c.confidence > kept.confidence):
            rest[c.plate] = c
    ordered = sorted(rest.values(), key=lambda c: -c.confidence)
    return replace(winner, candidates=(best, *ordered[:4]))


def _weakest(read: PlateRead) -> float:
    return min(read.char_confidences) if read.char_confidences else 0.0


def _ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000.0


def as_rgb(frame_bgr: Image) -> Image:
    """An OpenCV (BGR) frame in the models' channel order."""
    return np.ascontiguousarray(frame_bgr[:, :, ::-1])
