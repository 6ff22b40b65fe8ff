"""The coarse grid a read's position is indexed by: cells of 0.01° of latitude by 0.01° of
longitude (about 1.1 km by 0.8 km at 45° N).

Coarse on purpose: the stored index says only that two reads of one day fell in the same
cell (the digest is keyed by the day's key and dies with it), while an area search decrypts
just the reads of the cells its area touches instead of every read of the window. Finer cells
would decrypt less and tell more.
"""

from __future__ import annotations

import math

CELL_DEGREES = 0.01
_PER_DEGREE = 100  # 1 / CELL_DEGREES, exact


def cell_of(lat: float, lon: float) -> str:
    """The cell a position falls in, as the text its blind index is computed from."""
    return cell_name(math.floor(lat * _PER_DEGREE), math.floor(lon * _PER_DEGREE))


def cell_name(row: int, column: int) -> str:
    return f"{row}:{column}"


def cell_bounds(row: int, column: int) -> tuple[float, float, float, float]:
    """``(min lon, min lat, max lon, max lat)`` of one cell."""
    return (
        column / _PER_DEGREE,
        row / _PER_DEGREE,
        (column + 1) / _PER_DEGREE,
        (row + 1) / _PER_DEGREE,
    )


def cell_range(low: float, high: float) -> range:
    """The grid rows (or columns) that a span of latitude (or longitude) overlaps."""
    return range(math.floor(low * _PER_DEGREE), math.floor(high * _PER_DEGREE) + 1)
