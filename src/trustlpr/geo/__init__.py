"""Geometry of searched areas: checking a requested polygon or circle, the coarse cells that
cover it (what the day-keyed spatial blind index is made of) and the exact inside test."""

from .cells import CELL_DEGREES, cell_of
from .region import (
    MAX_AREA_KM2,
    MAX_RADIUS_M,
    MAX_VERTICES,
    MIN_RADIUS_M,
    Region,
    parse_area,
)

__all__ = [
    "CELL_DEGREES",
    "MAX_AREA_KM2",
    "MAX_RADIUS_M",
    "MAX_VERTICES",
    "MIN_RADIUS_M",
    "Region",
    "cell_of",
    "parse_area",
]
