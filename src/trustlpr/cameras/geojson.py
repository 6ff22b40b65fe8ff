"""The public camera inventory as GeoJSON, tagged the way OpenStreetMap and DeFlock map ALPRs.

Publishing where the cameras stand is part of being checkable: the same tags the public
camera maps use (``man_made=surveillance``, ``surveillance:type=ALPR``, ``surveillance=public``,
``operator``, ``direction``) let a volunteer compare our inventory with what they mapped.
Tag values are text, as in OSM; coordinates are ``[lon, lat]``, as GeoJSON requires. A mobile
unit (``mobile=yes``) stands at its base: its reads are each where they were taken.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from .registry import RegisteredCamera

OSM_TAGS = {
    "man_made": "surveillance",
    "surveillance:type": "ALPR",
    "surveillance": "public",
    "surveillance:zone": "traffic",
    "camera:type": "fixed",
}


def _degrees(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def camera_feature(entry: RegisteredCamera, operator: str) -> dict[str, Any]:
    """One camera as a GeoJSON Feature whose properties are OSM tags plus our ``ref``."""
    camera = entry.camera
    tags: dict[str, Any] = {**OSM_TAGS, "operator": operator, "ref": camera.id, "name": camera.name}
    if camera.direction is not None:
        tags["direction"] = _degrees(camera.direction)
    if camera.mobile:  # a patrol car's unit: the point is its base, not where it reads
        tags["mobile"] = "yes"
    return {
        "type": "Feature",
        "id": camera.id,
        "geometry": {"type": "Point", "coordinates": [camera.longitude, camera.latitude]},
        "properties": tags,
    }


def cameras_geojson(
    cameras: Iterable[RegisteredCamera],
    operators: Mapping[str, str] | None = None,
    *,
    include_disabled: bool = False,
) -> dict[str, Any]:
    """A FeatureCollection of the cameras; ``operators`` maps agency ids to display names."""
    names = operators or {}
    features = [
        camera_feature(c, names.get(c.camera.agency_id, c.camera.agency_id))
        for c in cameras
        if include_disabled or c.camera.enabled
    ]
    return {"type": "FeatureCollection", "features": features}
