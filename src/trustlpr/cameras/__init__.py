"""Camera registry: cameras, their places and their hashed keys; the public GeoJSON inventory."""

from .geojson import OSM_TAGS, cameras_geojson
from .registry import KEY_PREFIX, CameraRegistry, CameraSpec, PlaceMarks, RegisteredCamera
from .settings import CameraSettings

__all__ = [
    "KEY_PREFIX",
    "OSM_TAGS",
    "CameraRegistry",
    "CameraSettings",
    "CameraSpec",
    "PlaceMarks",
    "RegisteredCamera",
    "cameras_geojson",
]
