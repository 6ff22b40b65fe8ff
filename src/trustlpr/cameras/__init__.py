"""Camera registry: cameras, their places, their hashed keys, the sensitive-places rule;
the public GeoJSON inventory."""

from .area_places import AreaPlaces
from .geojson import OSM_TAGS, cameras_geojson
from .places import PLACES_FILE, Place, PlaceGuard, PlacesLayer, load_places
from .registry import KEY_PREFIX, CameraRegistry, CameraSpec, PlaceMarks, RegisteredCamera
from .settings import CameraSettings

__all__ = [
    "KEY_PREFIX",
    "OSM_TAGS",
    "PLACES_FILE",
    "AreaPlaces",
    "CameraRegistry",
    "CameraSettings",
    "CameraSpec",
    "Place",
    "PlaceGuard",
    "PlaceMarks",
    "PlacesLayer",
    "RegisteredCamera",
    "cameras_geojson",
    "load_places",
]
