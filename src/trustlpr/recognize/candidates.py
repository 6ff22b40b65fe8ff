"""Post-processing: per-slot probabilities → ranked plate candidates, each with a confidence.

The OCR gives a probability per symbol for each character slot. A beam search keeps the
``k`` most probable strings (a padding symbol ends the string), so the second and third
readings of a doubtful character are candidates too, each with the product of its slots'
probabilities as its confidence. When the OCR's region head says the plate is from the
United States, a candidate that fits no state's format in OpenALPR's ``us.patterns`` has its
confidence lowered: it may still win (vanity plates fit no format), but between two
readings of equal weight the one a state actually issues comes first.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from ..core.errors import ConfigError
from ..core.plateformats import PlateFormats
from .ocr import OcrConfig, Probs
from .types import Candidate

US_REGIONS = frozenset({"United States"})
OFF_FORMAT = 0.5  # confidence factor of a US reading that fits no state's format


def load_formats(path: Path) -> PlateFormats:
    """The plate formats of a patterns file (see ``core.plateformats``)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"plate formats {path} cannot be read: {exc}") from exc
    return PlateFormats.parse(text, str(path))


def beam(
    chars: Probs, config: OcrConfig, *, width: int = 12, per_slot: int = 4
) -> list[tuple[str, float]]:
    """The ``width`` most probable strings of one crop and their log-probabilities.

    Each slot offers its two likeliest symbols, and up to ``per_slot`` if they are within a
    factor of 50 of the best (the rest cannot reach the top of the list); the padding
    symbol ends the string, the remaining slots then count with their padding probability.
    """
    probs = chars.astype(np.float64)
    logp = np.log(np.clip(probs, 1e-12, 1.0))
    pad = config.alphabet.index(config.pad_char)
    order = np.argsort(-probs, axis=1)[:, :per_slot]
    floor = probs.max(axis=1) / 50.0
    beams: list[tuple[str, float, bool]] = [("", 0.0, False)]  # text, log-probability, ended
    for slot in range(probs.shape[0]):
        options = [
            int(s) for i, s in enumerate(order[slot]) if i < 2 or probs[slot, s] >= floor[slot]
        ]
        grown: list[tuple[str, float, bool]] = []
        for text, score, ended in beams:
            if ended:
                grown.append((text, score + logp[slot, pad], True))
                continue
            for s in options:
                symbol = "" if s == pad else config.alphabet[s]
                grown.append((text + symbol, score + logp[slot, s], s == pad))
        grown.sort(key=lambda b: -b[1])
        beams = grown[:width]
    best: dict[str, float] = {}
    for text, score, _ in beams:
        if text and text not in best:
            best[text] = score
    return sorted(best.items(), key=lambda kv: -kv[1])


def rank(
    chars: Probs,
    config: OcrConfig,
    formats: PlateFormats | None,
    region: str | None,
    *,
    keep: int = 5,
) -> list[Candidate]:
    """Candidates of one crop, most confident first (see the module docstring)."""
    us = region in US_REGIONS
    out: list[Candidate] = []
    for text, logp in beam(chars, config):
        if not 2 <= len(text) <= 10:
            continue
        states = formats.states(text) if formats is not None else ()
        confidence = float(np.exp(logp))
        if us and formats is not None and not states:
            confidence *= OFF_FORMAT
        out.append(Candidate(text, confidence, states))
    out.sort(key=lambda c: -c.confidence)
    return out[:keep]


def char_confidences(chars: Probs, config: OcrConfig) -> tuple[float, ...]:
    """The best symbol's probability in each slot up to the padding (the weakest one tells
    whether a read deserves a second attempt)."""
    pad = config.alphabet.index(config.pad_char)
    best = chars.argmax(axis=1)
    out: list[float] = []
    for slot, symbol in enumerate(best):
        out.append(float(chars[slot, symbol]))
        if int(symbol) == pad:
            break
    return tuple(out)


def blend(first: Probs, second: Probs, weight: float = 0.5) -> Probs:
    """Two models' slot probabilities averaged over the slots both have (v1 has 9, v2 10)."""
    mixed = first.copy()
    n = min(first.shape[0], second.shape[0])
    mixed[:n] = (1.0 - weight) * first[:n] + weight * second[:n]
    return mixed
