"""Where a search looks when it names a place instead of cameras: a polygon or a circle.

A fixed camera stands still, so "which cameras" answered "where" until cameras moved: a patrol
car's reads each carry their own position. An area search says where, and reaches every read
captured inside it, fixed or mobile. This is the value only; its geometry (checking, the cells
covering it, whether a position is inside) is ``trustlpr.geo``.
"""

from __future__ import annotations

from dataclasses import dataclass

Ring = tuple[tuple[float, float], ...]
"""A closed ring of ``(lon, lat)`` positions, as GeoJSON writes them."""


@dataclass(frozen=True, slots=True)
class Area:
    """A polygon (``rings``: the outer ring, then any holes) or a circle (``centre`` as
    ``(lon, lat)`` and ``radius_m``); built checked by ``trustlpr.geo.parse_area``."""

    rings: tuple[Ring, ...] = ()
    centre: tuple[float, float] | None = None
    radius_m: float | None = None

    @property
    def is_circle(self) -> bool:
        return self.centre is not None

    def to_geojson(self) -> dict[str, object]:
        """The request form: a GeoJSON Polygon, or a Point with ``radius_m`` for a circle."""
        if self.centre is not None:
            return {"type": "Point", "coordinates": list(self.centre), "radius_m": self.radius_m}
        return {"type": "Polygon", "coordinates": [[list(p) for p in ring] for ring in self.rings]}

    def __repr__(self) -> str:
        if self.centre is not None:
            return f"Area(circle, radius_m={self.radius_m:g})"
        return f"Area(polygon, vertices={sum(len(r) for r in self.rings)})"
