"""What a camera makes of a plate: confusions, dropped characters, wrong state, confidence.

Applied to whole arrays of passes at once. Substitutions use the pairs OCR engines really
confuse (O/0, I/1, B/8, S/5, Z/2, and G/6, D/0 which the narrow confusion key of
``core.plates`` deliberately does not fold); dropped characters are mostly the first or last
(plate frames and bolts). Confidence is high for right reads and lower, but overlapping, for
wrong ones, so a threshold alone cannot separate them — as with real engines.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import numpy.typing as npt

from .config import OcrNoise
from .plategen import PLATE_WIDTH, PlateArray

_PAIRS = {"O": "0", "0": "O", "I": "1", "1": "I", "B": "8", "8": "B", "S": "5", "5": "S",
          "Z": "2", "2": "Z", "G": "6", "6": "G", "D": "0", "Q": "0"}  # fmt: skip
_SWAP = np.zeros(256, dtype=np.uint8)
for _a, _b in _PAIRS.items():
    _SWAP[ord(_a)] = ord(_b)


class TextError(IntEnum):
    """How the read text differs from the true plate (ground truth only)."""

    EXACT = 0
    SUBSTITUTED = 1
    DROPPED = 2


class StateError(IntEnum):
    RIGHT = 0
    WRONG = 1
    UNREAD = 2


@dataclass
class OcrResult:
    plate: PlateArray
    state: npt.NDArray[np.int8]  # -1 when unread
    confidence: npt.NDArray[np.float32]
    plate_error: npt.NDArray[np.int8]
    state_error: npt.NDArray[np.int8]


def _substitute(chars: npt.NDArray[np.uint8], rng: np.random.Generator) -> npt.NDArray[np.bool_]:
    """Swaps one confusable character per row in place; False where the plate has none."""
    swap = _SWAP[chars]
    candidates = swap != 0
    has = candidates.any(axis=1)
    pos = np.argmax(rng.random(chars.shape) * candidates, axis=1)
    rows = np.flatnonzero(has)
    chars[rows, pos[rows]] = swap[rows, pos[rows]]
    return np.asarray(has, dtype=bool)


def _drop(chars: npt.NDArray[np.uint8], rng: np.random.Generator) -> npt.NDArray[np.bool_]:
    """Deletes one character per row (45% first, 35% last, 20% anywhere); only from 3+ chars."""
    length = (chars != 0).sum(axis=1)
    ok = length >= 3
    u = rng.random(len(chars))
    anywhere = (rng.random(len(chars)) * np.maximum(length, 1)).astype(np.int64)
    pos = np.where(u < 0.45, 0, np.where(u < 0.80, length - 1, anywhere))
    cols = np.arange(PLATE_WIDTH)[None, :]
    shifted = np.concatenate([chars[:, 1:], np.zeros((len(chars), 1), dtype=np.uint8)], axis=1)
    dropped = np.where(cols < pos[:, None], chars, shifted)
    chars[ok] = dropped[ok]
    return np.asarray(ok, dtype=bool)


def read_plates(
    plates: PlateArray,
    states: npt.NDArray[np.int8],
    n_states: int,
    noise: OcrNoise,
    rng: np.random.Generator,
) -> OcrResult:
    """The camera's reading of each true plate/state (misses are removed before this)."""
    n = plates.size
    out = plates.copy()
    error = np.zeros(n, dtype=np.int8)
    u = rng.random(n, dtype=np.float32)
    for kind, lo, hi in (
        (TextError.SUBSTITUTED, 0.0, noise.substitute),
        (TextError.DROPPED, noise.substitute, noise.substitute + noise.drop),
    ):
        rows = np.flatnonzero((u >= lo) & (u < hi))
        if rows.size:
            chars = out[rows].view(np.uint8).reshape(-1, PLATE_WIDTH).copy()
            changed = (_substitute if kind is TextError.SUBSTITUTED else _drop)(chars, rng)
            out[rows] = chars.view(f"S{PLATE_WIDTH}").ravel()
            error[rows[changed]] = kind
    s = rng.random(n, dtype=np.float32)
    state_error = np.zeros(n, dtype=np.int8)
    state_error[s < noise.wrong_state + noise.no_state] = StateError.UNREAD
    state_error[s < noise.wrong_state] = StateError.WRONG
    state = states.copy()
    wrong = np.flatnonzero(state_error == StateError.WRONG)
    if n_states > 1:
        shift = rng.integers(1, n_states, wrong.size)
        state[wrong] = ((state[wrong].astype(np.int64) + shift) % n_states).astype(np.int8)
    else:
        state_error[wrong] = StateError.UNREAD
    state[state_error == StateError.UNREAD] = -1
    # right reads: 0.985 − 0.3·Beta(1, 6), i.e. mostly 0.9–0.98 with a tail towards 0.7
    tail = 1.0 - rng.random(n, dtype=np.float32) ** np.float32(1 / 6)
    confidence = np.float32(0.985) - np.float32(0.3) * tail
    low = np.flatnonzero(rng.random(n, dtype=np.float32) < noise.low_confidence)
    confidence[low] = rng.uniform(0.30, 0.65, low.size)
    wrong_text = np.flatnonzero(error != TextError.EXACT)
    confidence[wrong_text] = rng.uniform(0.35, 0.85, wrong_text.size)
    return OcrResult(
        plate=out,
        state=state,
        confidence=np.round(confidence, 3).astype(np.float32),
        plate_error=error,
        state_error=state_error,
    )
