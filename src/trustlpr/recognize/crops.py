"""Cutting plates out of a frame, and the altered crops of second attempts.

The OCR reads best with some of the plate's surroundings: a box widened by 8% of its width
and 15% of its height on each side read 87/98 US photos against 82/98 for the bare box
(``docs/recognition.md``). Where the frame ends, the border pixels are repeated, as for a
tight crop given alone (on the 751 OpenALPR crops the same padding lifts 674 to 705).
"""

from __future__ import annotations

import cv2
import numpy as np

from .types import Box, Image

MARGIN_X = 0.08
MARGIN_Y = 0.15
MIN_SKEW_DEGREES = 3.0
MAX_SKEW_DEGREES = 30.0


def plate_crop(image: Image, box: Box, mx: float = MARGIN_X, my: float = MARGIN_Y) -> Image:
    """The box widened by ``mx``/``my`` of its size per side; outside the frame, repeated
    border pixels."""
    h, w = image.shape[:2]
    x1 = round(box.x1 - mx * box.width)
    x2 = round(box.x2 + mx * box.width)
    y1 = round(box.y1 - my * box.height)
    y2 = round(box.y2 + my * box.height)
    inner = image[max(0, y1) : min(h, y2), max(0, x1) : min(w, x2)]
    pads = (max(0, -y1), max(0, y2 - h), max(0, -x1), max(0, x2 - w))
    if inner.size == 0:
        return np.zeros((2, 4, 3), np.uint8)
    if any(pads):
        inner = np.asarray(cv2.copyMakeBorder(inner, *pads, cv2.BORDER_REPLICATE), np.uint8)
    return np.ascontiguousarray(inner)


def pad_crop(crop: Image, mx: float = MARGIN_X, my: float = MARGIN_Y) -> Image:
    """A tight plate crop given alone (no frame around it), padded like ``plate_crop``."""
    h, w = crop.shape[:2]
    px, py = round(mx * w), round(my * h)
    return np.asarray(cv2.copyMakeBorder(crop, py, py, px, px, cv2.BORDER_REPLICATE), np.uint8)


def skew_angle(crop: Image) -> float:
    """The tilt of the plate's dominant near-horizontal edges in degrees (0 when unsure)."""
    grey = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY)
    edges = cv2.Canny(grey, 60, 180)
    w = grey.shape[1]
    lines = cv2.HoughLinesP(
        edges, 1, np.pi / 180, threshold=max(10, w // 4), minLineLength=w // 3, maxLineGap=4
    )
    if lines is None:
        return 0.0
    angles = []
    for x1, y1, x2, y2 in lines[:, 0]:
        if x2 == x1:
            continue
        angle = float(np.degrees(np.arctan2(y2 - y1, x2 - x1)))
        if abs(angle) <= MAX_SKEW_DEGREES:
            angles.append(angle)
    return float(np.median(angles)) if len(angles) >= 2 else 0.0


def deskewed(crop: Image, angle: float) -> Image:
    """``crop`` rotated by ``-angle`` about its centre, borders repeated."""
    h, w = crop.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
    return np.asarray(
        cv2.warpAffine(
            crop, matrix, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE
        ),
        np.uint8,
    )


def two_lines(crop: Image) -> tuple[Image, Image]:
    """The upper and lower halves of a stacked plate, each with a little overlap."""
    h = crop.shape[0]
    overlap = max(1, h // 12)
    top = crop[: h // 2 + overlap]
    bottom = crop[h // 2 - overlap :]
    return np.ascontiguousarray(top), np.ascontiguousarray(bottom)
