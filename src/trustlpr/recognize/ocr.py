"""Plate OCR: fast-plate-ocr ONNX models, batched over every crop of a frame.

The model reads a plate crop resized straight to its input size (128×64, no aspect ratio
kept, RGB uint8; it normalises inside the graph) and gives, per character slot, a probability
for each symbol of its alphabet, padding included; v2 models also give a region (country)
distribution. Decoding into strings is the post-processing stage's job (``candidates``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import yaml

from ..core.errors import ConfigError
from .onnx import session
from .types import Image

Probs = npt.NDArray[np.float32]


@dataclass(frozen=True)
class OcrConfig:
    """A model's ``*_plate_config.yaml``: alphabet, padding symbol, slots, input size, regions."""

    alphabet: str
    pad_char: str
    slots: int
    height: int
    width: int
    regions: tuple[str, ...] = ()

    @classmethod
    def load(cls, path: Path) -> OcrConfig:
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
            config = cls(
                alphabet=str(raw["alphabet"]),
                pad_char=str(raw["pad_char"]),
                slots=int(raw["max_plate_slots"]),
                height=int(raw["img_height"]),
                width=int(raw["img_width"]),
                regions=tuple(str(r) for r in raw.get("plate_regions") or ()),
            )
            keeps_aspect = bool(raw.get("keep_aspect_ratio", False))
            colour = str(raw.get("image_color_mode", "rgb"))
        except (OSError, yaml.YAMLError, KeyError, TypeError, ValueError) as exc:
            raise ConfigError(f"OCR config {path} is not usable: {exc}") from exc
        if keeps_aspect or colour != "rgb" or config.pad_char not in config.alphabet:
            raise ConfigError(
                f"OCR config {path}: only RGB models without kept aspect ratio are supported"
            )
        return config


@dataclass(frozen=True)
class OcrBatch:
    """Per crop: ``chars[i]`` is ``[slots, len(alphabet)]``; ``regions[i]`` the region
    distribution (None when the model has no region head)."""

    chars: Probs
    regions: Probs | None


class PlateOCR:
    """One OCR model; ``read`` runs every crop in one batch."""

    def __init__(self, model: Path, config: Path, *, threads: int | None = None) -> None:
        self.config = OcrConfig.load(config)
        self._session = session(model, threads)
        self._input = self._session.get_inputs()[0].name
        outputs = self._session.get_outputs()
        self._chars = next((o.name for o in outputs if len(o.shape) == 3), None)
        self._regions = next((o.name for o in outputs if len(o.shape) == 2), None)
        if self._chars is None:
            raise ConfigError(f"OCR model {model} has no [N, slots, symbols] output")
        self.name = model.stem

    def prepare(self, crop: Image) -> Image:
        """The crop as the model's input: resized straight to its size (no aspect kept)."""
        size = (self.config.width, self.config.height)
        return np.asarray(cv2.resize(crop, size, interpolation=cv2.INTER_LINEAR), np.uint8)

    def read(self, crops: Sequence[Image]) -> OcrBatch:
        if not crops:
            empty = np.zeros((0, self.config.slots, len(self.config.alphabet)), np.float32)
            return OcrBatch(empty, None)
        batch = np.stack([self.prepare(c) for c in crops])
        names = [self._chars] + ([self._regions] if self._regions else [])
        outputs = self._session.run(names, {self._input: batch})
        chars = np.asarray(outputs[0], np.float32)
        if chars.shape[1:] != (self.config.slots, len(self.config.alphabet)):
            raise ConfigError(
                f"OCR model {self.name} answers {chars.shape[1:]}, but its config says "
                f"{self.config.slots} slots of {len(self.config.alphabet)} symbols"
            )
        regions = np.asarray(outputs[1], np.float32) if self._regions else None
        return OcrBatch(chars, regions)

    def region_name(self, probs: Probs | None) -> str | None:
        if probs is None or not self.config.regions:
            return None
        index = int(np.argmax(probs))
        return self.config.regions[index] if index < len(self.config.regions) else None
