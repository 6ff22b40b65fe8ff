"""Drawn plate crops for simulated reads: what a camera would send with a read, made up.

A simulated car has no photo, yet the officer's screens (a search's sightings, an alert) are
built around the plate crop a camera sends. So the demo attaches a drawn one — the vehicle's
*true* plate and state on a plate-shaped card marked "SIMULATED" — to the reads of the town's
stolen cars: when the camera misread the plate, the image shows the real one, as a real crop
would, and the officer checking the alert can tell. Drawn with OpenCV, JPEG-encoded, cached
per plate (a car passes many cameras).
"""

from __future__ import annotations

import zlib
from functools import lru_cache
from typing import TYPE_CHECKING

import cv2
import numpy as np

if TYPE_CHECKING:
    from .city import ReadBatch, Simulation

WIDTH, HEIGHT = 240, 120
_FONT = cv2.FONT_HERSHEY_DUPLEX
_INK = (60, 30, 20)  # BGR: a dark navy, like most state plates' characters


@lru_cache(maxsize=512)
def plate_crop(plate: str, state: str | None) -> bytes:
    """A JPEG of a plate reading ``plate``, headed by its state's code (a few kB)."""
    # a slight per-plate tint and tilt, so two cars' crops do not look identical
    seed = zlib.crc32(f"{plate}|{state}".encode())
    tint = 225 + seed % 25
    card = np.full((HEIGHT, WIDTH, 3), (tint, tint, min(255, tint + 8)), dtype=np.uint8)
    cv2.rectangle(card, (6, 6), (WIDTH - 7, HEIGHT - 7), _INK, 3, cv2.LINE_AA)
    _centred(card, state or "", 32, 0.7, 2)
    scale = 1.6
    while scale > 0.6 and cv2.getTextSize(plate, _FONT, scale, 3)[0][0] > WIDTH - 28:
        scale -= 0.1
    _centred(card, plate, 82, scale, 3)
    _centred(card, "SIMULATED", 106, 0.4, 1)
    angle = (seed % 7) - 3.0  # degrees
    turn = cv2.getRotationMatrix2D((WIDTH / 2, HEIGHT / 2), angle, 1.0)
    tilted = cv2.warpAffine(card, turn, (WIDTH, HEIGHT), borderValue=(90, 90, 90))
    ok, encoded = cv2.imencode(".jpg", tilted, [cv2.IMWRITE_JPEG_QUALITY, 80])
    if not ok:  # pragma: no cover - OpenCV encodes any 8-bit BGR image
        raise RuntimeError("OpenCV could not encode a JPEG")
    return bytes(encoded.tobytes())


def _centred(card: np.ndarray, text: str, baseline: int, scale: float, thickness: int) -> None:
    if not text:
        return
    width = cv2.getTextSize(text, _FONT, scale, thickness)[0][0]
    origin = ((WIDTH - width) // 2, baseline)
    cv2.putText(card, text, origin, _FONT, scale, _INK, thickness, cv2.LINE_AA)


def stolen_crops(sim: Simulation, batch: ReadBatch) -> dict[int, bytes]:
    """``{i: crop}`` for the reads of ``batch`` that saw one of the town's stolen cars."""
    stolen = set(sim.stolen.tolist())
    pop = sim.population
    return {
        i: plate_crop(pop.plate_text(v), pop.codes[int(pop.state[v])])
        for i, v in enumerate(batch.vehicle.tolist())
        if v in stolen
    }
