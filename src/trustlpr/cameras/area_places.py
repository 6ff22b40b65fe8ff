"""The sensitive places a searched area reaches, for the policy's ``sensitive.location`` rule.

A search over named cameras reaches the places those cameras are marked at; a search over a
polygon or a circle reaches every place inside it, whoever's camera — fixed or on a patrol
car — took the reads there. Both the agency's places layer (a place whose outline lies in or
touches the area) and the marked fixed cameras standing inside it count.
"""

from __future__ import annotations

from ..core.area import Area
from ..geo import Region
from .places import PlacesLayer
from .registry import CameraRegistry


class AreaPlaces:
    """``area → categories`` for ``PolicyEngine(area_categories=...)``: reads the live layer
    and the live camera marks at each call, so a newly installed layer counts at once."""

    def __init__(self, layer: PlacesLayer | None, registry: CameraRegistry | None) -> None:
        self._layer = layer
        self._registry = registry

    def __call__(self, area: Area) -> frozenset[str]:
        region = Region(area)
        found: set[str] = set()
        if self._layer is not None:
            found |= {
                place.category
                for place in self._layer.places()
                if place.category not in found and region.touches_outline(place.rings)
            }
        if self._registry is not None:
            marks = self._registry.sensitive_places()
            for camera_id, category in marks.items():
                if category in found:
                    continue
                camera = self._registry.get(camera_id).camera
                if region.contains(camera.latitude, camera.longitude):
                    found.add(category)
        return frozenset(found)

    def __repr__(self) -> str:
        return "AreaPlaces()"
