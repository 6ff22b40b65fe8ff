"""The coarse public grid of mobile coverage: cells of 0.02° of latitude by 0.02° of longitude
(about 2.2 km north-south by 1.6 km east-west at 41° N, some 3.5 km²).

Coarse on purpose. The public log counts a day's mobile reads per cell with no camera, no order
and no time within the day; a cell this size holds tens of kilometres of streets and a patrol
car crosses several in an hour, so the counts say which districts the units worked, not which
streets a car drove or when. A cell is named by its south-west corner, ``"41.30,-72.94"``, and
nests 2 × 2 cells of the area-search grid (0.01°).
"""

from __future__ import annotations

import math
import re

CELL_DEGREES = 0.02
_PER_DEGREE = 50  # 1 / CELL_DEGREES, exact
MOBILE_OTHER = "other"
"""The ``cell`` of a public entry that counts a day's mobile reads in every cell with fewer
than its ``min_count`` reads that day (``ingest.coverage``): those cells are not named."""
_NAME = re.compile(r"^(-?\d{1,2}\.\d{2}),(-?\d{1,3}\.\d{2})$")


def coverage_cell(lat: float, lon: float) -> str:
    """The name of the cell a position falls in."""
    row = min(math.floor(lat * _PER_DEGREE), 90 * _PER_DEGREE - 1)
    col = min(math.floor(lon * _PER_DEGREE), 180 * _PER_DEGREE - 1)
    return f"{row / _PER_DEGREE:.2f},{col / _PER_DEGREE:.2f}"


def cell_bounds(name: str) -> tuple[float, float, float, float] | None:
    """``(south, west, north, east)`` of a cell name on the grid, or None if it is not one."""
    match = _NAME.match(name)
    if match is None:
        return None
    south, west = float(match.group(1)), float(match.group(2))
    if (
        not (-90 <= south < 90 and -180 <= west < 180)
        or coverage_cell(south + CELL_DEGREES / 2, west + CELL_DEGREES / 2) != name
    ):
        return None
    return south, west, south + CELL_DEGREES, west + CELL_DEGREES
