"""A requested area, checked, with the cells that cover it and an exact inside test.

``parse_area`` turns a request's GeoJSON into an ``Area`` or says precisely what is wrong:
a GeoJSON Polygon (outer ring, then holes; ``(lon, lat)``) or a Point with ``radius_m`` for a
circle. ``Region`` answers two questions about it: which grid cells it touches (the store
selects reads by their cells' blind indexes) and whether a decrypted read's exact position is
inside (only those are returned). Edges are straight in longitude/latitude, as GeoJSON means
them (RFC 7946 §3.1.1); the areas searched are city-sized, where that is what a map shows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import shapely
from shapely.geometry import Point, Polygon

from ..core.area import Area, Ring
from ..core.errors import InputError, TooLargeError
from .cells import cell_bounds, cell_name, cell_range

EARTH_M = 6_371_008.8
MAX_VERTICES = 1000
"""Positions a polygon may have, all rings together."""
MIN_RADIUS_M = 10.0
MAX_RADIUS_M = 25_000.0
MAX_AREA_KM2 = 2000.0
"""The largest area any search may name (policies set their own, smaller limits)."""
MAX_COVER_CELLS = 20_000
"""Grid cells an area's bounding box may span (a long thin polygon with a small area)."""
_FIELD = "area"


def parse_area(data: object) -> Area:
    """The ``Area`` a request's ``area`` names; ``InputError`` (422) saying what is wrong,
    ``TooLargeError`` (413) for too many vertices or an area past ``MAX_AREA_KM2``."""
    if not isinstance(data, dict):
        raise InputError("must be a GeoJSON Polygon, or a Point with radius_m", field=_FIELD)
    if data.get("type") == "Feature":
        data = data.get("geometry")
        if not isinstance(data, dict):
            raise InputError("the Feature has no geometry", field=_FIELD)
    kind = data.get("type")
    if kind == "Point":
        area = _circle(data)
    elif kind == "Polygon":
        area = _polygon(data.get("coordinates"))
    else:
        raise InputError(
            f"geometry {str(kind)[:20]!r} is not a Polygon, or a Point with radius_m",
            field=_FIELD,
        )
    region = Region(area)
    if region.area_km2 > MAX_AREA_KM2:
        raise TooLargeError(
            f"covers {region.area_km2:.0f} km²; an area may cover at most {MAX_AREA_KM2:.0f} km²",
            field=_FIELD,
        )
    return area


def _number(value: object) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def _position(value: object, where: str) -> tuple[float, float]:
    if not isinstance(value, list) or len(value) not in (2, 3):
        raise InputError(f"{where}: a position must be [lon, lat]", field=_FIELD)
    lon, lat = _number(value[0]), _number(value[1])
    if lon is None or lat is None or not (-180 <= lon <= 180 and -90 <= lat <= 90):
        raise InputError(f"{where}: {str(value)[:60]} is not a [lon, lat] on Earth", field=_FIELD)
    return lon, lat


def _circle(data: dict[str, object]) -> Area:
    lon, lat = _position(data.get("coordinates"), "the Point")
    radius = _number(data.get("radius_m"))
    if radius is None:
        raise InputError("a Point area needs radius_m, a number of metres", field=_FIELD)
    if not MIN_RADIUS_M <= radius <= MAX_RADIUS_M:
        raise InputError(
            f"radius_m {radius:g} is out of range ({MIN_RADIUS_M:g} to {MAX_RADIUS_M:g} m)",
            field=_FIELD,
        )
    if abs(lat) > 85:
        raise InputError("a circle's centre must lie within 85° of the equator", field=_FIELD)
    return Area(centre=(lon, lat), radius_m=radius)


def _polygon(coordinates: object) -> Area:
    if not isinstance(coordinates, list) or not coordinates:
        raise InputError("a Polygon's coordinates must be a list of rings", field=_FIELD)
    total = sum(len(r) for r in coordinates if isinstance(r, list))
    if total > MAX_VERTICES:
        raise TooLargeError(
            f"has {total} positions; an area may have at most {MAX_VERTICES}", field=_FIELD
        )
    rings: list[Ring] = []
    for number, value in enumerate(coordinates):
        where = "the outer ring" if number == 0 else f"hole {number}"
        if not isinstance(value, list) or len(value) < 4:
            raise InputError(f"{where} needs at least 4 positions", field=_FIELD)
        ring = tuple(_position(p, f"{where}, position {i}") for i, p in enumerate(value))
        if ring[0] != ring[-1]:
            raise InputError(f"{where} must end where it starts", field=_FIELD)
        rings.append(ring)
    lons = [lon for lon, _ in rings[0]]
    if max(lons) - min(lons) > 180:
        raise InputError("an area may not cross the antimeridian (180° longitude)", field=_FIELD)
    shape = Polygon(rings[0], rings[1:])
    if not shape.is_valid:
        # e.g. "Self-intersection[-122.3 47.6]": the first place the outline crosses itself
        raise InputError(f"is not a simple polygon: {shapely.is_valid_reason(shape)}", field=_FIELD)
    if shape.area == 0:
        raise InputError("the polygon encloses no area", field=_FIELD)
    return Area(rings=tuple(rings))


class Region:
    """An ``Area``'s geometry: its cells, its size, and the exact inside test (edge included)."""

    def __init__(self, area: Area) -> None:
        self.area = area
        self._circle: tuple[float, float, float] | None = None
        if area.centre is not None and area.radius_m is not None:
            lon, lat = area.centre
            self._circle = (lat, lon, area.radius_m)
            self._shape: Polygon | None = None
        else:
            self._shape = Polygon(area.rings[0], area.rings[1:])
            shapely.prepare(self._shape)

    @property
    def area_km2(self) -> float:
        if self._circle is not None:
            return math.pi * (self._circle[2] / 1000) ** 2
        assert self._shape is not None
        lat0 = math.radians(self._shape.centroid.y)
        scale_x = math.radians(1) * math.cos(lat0) * EARTH_M
        scale_y = math.radians(1) * EARTH_M
        flat = shapely.transform(self._shape, lambda xy: xy * np.array([scale_x, scale_y]))
        return float(flat.area) / 1e6

    def contains(self, lat: float, lon: float) -> bool:
        """Whether a position is inside the area (or on its edge)."""
        if self._circle is not None:
            clat, clon, radius = self._circle
            return haversine_m(clat, clon, lat, lon) <= radius
        assert self._shape is not None
        return bool(shapely.intersects_xy(self._shape, lon, lat))

    def bounds(self) -> tuple[float, float, float, float]:
        """``(min lon, min lat, max lon, max lat)``."""
        if self._circle is not None:
            lat, lon, radius = self._circle
            dlat = math.degrees(radius / EARTH_M)
            dlon = dlat / max(math.cos(math.radians(lat)), 0.01)
            return lon - dlon, lat - dlat, lon + dlon, lat + dlat
        assert self._shape is not None
        lo_x, lo_y, hi_x, hi_y = self._shape.bounds
        return float(lo_x), float(lo_y), float(hi_x), float(hi_y)

    def cells(self) -> list[str]:
        """Every grid cell the area touches: a read inside the area is in one of them.
        ``TooLargeError`` past ``MAX_COVER_CELLS``."""
        lo_x, lo_y, hi_x, hi_y = self.bounds()
        rows, columns = cell_range(lo_y, hi_y), cell_range(lo_x, hi_x)
        if len(rows) * len(columns) > MAX_COVER_CELLS:
            raise TooLargeError(
                f"spans {len(rows) * len(columns)} grid cells; at most {MAX_COVER_CELLS}",
                field=_FIELD,
            )
        grid = [(r, c) for r in rows for c in columns]
        touched = zip(grid, self._touches(grid), strict=True)
        return [cell_name(r, c) for (r, c), hit in touched if hit]

    def _touches(self, grid: Sequence[tuple[int, int]]) -> list[bool]:
        pad = 1e-9  # a position on a cell's edge is in both neighbours' closed boxes
        boxes = [cell_bounds(r, c) for r, c in grid]
        if self._shape is not None:
            shapes = shapely.box(
                *np.array([(a - pad, b - pad, c + pad, d + pad) for a, b, c, d in boxes]).T
            )
            return [bool(x) for x in shapely.intersects(self._shape, shapes)]
        lat, lon, radius = self._circle or (0.0, 0.0, 0.0)
        out = []
        for lo_x, lo_y, hi_x, hi_y in boxes:
            near_lat = min(max(lat, lo_y), hi_y)
            near_lon = min(max(lon, lo_x), hi_x)
            # the clamped point is the box's nearest within metres; the margin covers the rest
            out.append(haversine_m(lat, lon, near_lat, near_lon) <= radius * 1.01 + 10)
        return out

    def touches_outline(self, rings: Sequence[Ring]) -> bool:
        """Whether a place (its outline's rings, or one point) lies in or touches the area."""
        for ring in rings:
            if len(ring) == 1:
                if self.contains(ring[0][1], ring[0][0]):
                    return True
                continue
            outline = Polygon(ring)
            if self._shape is not None:
                if self._shape.intersects(outline if outline.is_valid else outline.buffer(0)):
                    return True
            elif any(self.contains(lat, lon) for lon, lat in ring) or _circle_in(
                outline, self._circle
            ):
                return True
        return False

    def __repr__(self) -> str:
        return f"Region({self.area!r})"


def _circle_in(outline: Polygon, circle: tuple[float, float, float] | None) -> bool:
    """A circle whose centre lies inside a place's outline (no vertex need be in the circle)."""
    return circle is not None and bool(outline.intersects(Point(circle[1], circle[0])))


def haversine_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle metres between two positions."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_M * math.asin(min(1.0, math.sqrt(h)))
