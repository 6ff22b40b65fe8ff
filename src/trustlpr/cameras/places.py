"""Sensitive places (schools, worship, courthouses, food banks...) and the camera-placement rule.

Some laws (Washington ESSB 6002) forbid *collecting* near such places, not only searching
them. The agency supplies the places as a GeoJSON layer, typically an OpenStreetMap extract:
Point or Polygon features whose properties carry OSM tags (``amenity=school``,
``amenity=place_of_worship``, ``amenity=courthouse``, ``social_facility=food_bank``) or our
own ``category``, and a ``name``. ``PlaceGuard`` refuses a camera position within the
policy's distance of a place whose category the policy lists, naming the place.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.errors import ForbiddenError, InputError

# OSM tag (key, value) -> our sensitive-location category (policy/loader.py's vocabulary).
OSM_CATEGORIES: Mapping[tuple[str, str], str] = {
    ("amenity", "school"): "school",
    ("amenity", "kindergarten"): "school",
    ("amenity", "place_of_worship"): "place_of_worship",
    ("amenity", "courthouse"): "courthouse",
    ("amenity", "food_bank"): "food_bank",
    ("social_facility", "food_bank"): "food_bank",
    ("social_facility", "shelter"): "shelter",
    ("amenity", "shelter"): "shelter",
    ("healthcare", "clinic"): "medical_facility",
    ("amenity", "clinic"): "medical_facility",
    ("office", "government:immigration"): "immigration_facility",
}
_EARTH_M = 6_371_008.8


@dataclass(frozen=True, slots=True)
class Place:
    """One sensitive place: its category, name and outline (rings of ``(lon, lat)``)."""

    category: str
    name: str
    rings: tuple[tuple[tuple[float, float], ...], ...]  # one ring of one point for a Point


def _category(props: Mapping[str, Any], where: str) -> str:
    given = props.get("category")
    if isinstance(given, str) and given:
        return given
    for (key, value), category in OSM_CATEGORIES.items():
        if props.get(key) == value:
            return category
    raise InputError(
        f"{where}: no sensitive-place tag (amenity=school|place_of_worship|courthouse|"
        "food_bank, social_facility=food_bank|shelter, healthcare=clinic, or 'category')",
        field="properties",
    )


def _position(value: Any, where: str) -> tuple[float, float]:
    ok = isinstance(value, list) and len(value) in (2, 3)
    ok = ok and all(isinstance(v, int | float) and not isinstance(v, bool) for v in value)
    if not ok:
        raise InputError(f"{where}: a position must be [lon, lat]", field="coordinates")
    lon, lat = float(value[0]), float(value[1])
    if not (-180.0 <= lon <= 180.0 and -90.0 <= lat <= 90.0):
        raise InputError(
            f"{where}: [{lon:g}, {lat:g}] is not a [lon, lat] on Earth", field="coordinates"
        )
    return lon, lat


def _ring(value: Any, where: str) -> tuple[tuple[float, float], ...]:
    if not isinstance(value, list) or len(value) < 4:
        raise InputError(f"{where}: a polygon ring needs at least 4 positions", field="coordinates")
    ring = tuple(_position(p, f"{where}[{i}]") for i, p in enumerate(value))
    if ring[0] != ring[-1]:
        raise InputError(f"{where}: a polygon ring must end where it starts", field="coordinates")
    return ring


def _rings(geometry: Any, where: str) -> tuple[tuple[tuple[float, float], ...], ...]:
    if not isinstance(geometry, dict):
        raise InputError(f"{where}: has no geometry", field="geometry")
    kind, coords = geometry.get("type"), geometry.get("coordinates")
    if kind == "Point":
        return ((_position(coords, where),),)
    if kind == "Polygon" and isinstance(coords, list) and coords:
        return (_ring(coords[0], f"{where} outer ring"),)  # holes do not matter for nearness
    if kind == "MultiPolygon" and isinstance(coords, list) and coords:
        return tuple(
            _ring(p[0] if isinstance(p, list) and p else None, f"{where} polygon {i}")
            for i, p in enumerate(coords)
        )
    raise InputError(
        f"{where}: geometry {str(kind)[:20]!r} is not a Point, Polygon or MultiPolygon",
        field="geometry",
    )


def parse_places(data: Any) -> tuple[Place, ...]:
    """The places of a GeoJSON FeatureCollection; ``InputError`` naming the bad feature."""
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise InputError("must be a GeoJSON FeatureCollection", field="type")
    features = data.get("features")
    if not isinstance(features, list):
        raise InputError("must have a 'features' array", field="features")
    places: list[Place] = []
    for index, feature in enumerate(features):
        where = f"feature #{index}"
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            raise InputError(f"{where}: is not a GeoJSON Feature", field="features")
        props = feature.get("properties") or {}
        if not isinstance(props, dict):
            raise InputError(f"{where}: properties must be an object", field="properties")
        name = props.get("name")
        label = name if isinstance(name, str) and name.strip() else f"unnamed ({where})"
        places.append(Place(_category(props, where), label, _rings(feature.get("geometry"), where)))
    return tuple(places)


def load_places(path: Path) -> tuple[Place, ...]:
    """The places of a GeoJSON file; ``InputError`` saying what is wrong and where."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}", field="places") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path} is not JSON: {exc}", field="places") from None
    return parse_places(data)


def _metres(lon: float, lat: float, origin: tuple[float, float]) -> tuple[float, float]:
    """Local equirectangular projection around ``origin`` (exact enough within kilometres)."""
    x = math.radians(lon - origin[0]) * math.cos(math.radians(origin[1])) * _EARTH_M
    return x, math.radians(lat - origin[1]) * _EARTH_M


def _segment(p: tuple[float, float], a: tuple[float, float], b: tuple[float, float]) -> float:
    dx, dy = b[0] - a[0], b[1] - a[1]
    span = dx * dx + dy * dy
    t = 0.0 if span == 0 else max(0.0, min(1.0, ((p[0] - a[0]) * dx + (p[1] - a[1]) * dy) / span))
    return math.hypot(p[0] - a[0] - t * dx, p[1] - a[1] - t * dy)


def distance_m(place: Place, lat: float, lon: float) -> float:
    """Metres from a position to a place (0 inside its outline)."""
    best = math.inf
    for ring in place.rings:
        pts = [_metres(x, y, (lon, lat)) for x, y in ring]
        if len(pts) == 1:
            best = min(best, math.hypot(*pts[0]))
            continue
        inside = False
        for (x1, y1), (x2, y2) in itertools.pairwise(pts):
            if (y1 > 0) != (y2 > 0) and x1 - y1 * (x2 - x1) / (y2 - y1) > 0:
                inside = not inside
            best = min(best, _segment((0.0, 0.0), (x1, y1), (x2, y2)))
        if inside:
            return 0.0
    return best


@dataclass(frozen=True, slots=True)
class PlaceGuard:
    """The rule "no camera within ``distance_m`` of a place of these categories"."""

    places: Sequence[Place]
    categories: frozenset[str]
    distance_m: float
    policy: str = ""

    def nearest(self, lat: float, lon: float) -> tuple[Place, float] | None:
        """The closest forbidden place within the distance, or None."""
        found: tuple[Place, float] | None = None
        for place in self.places:
            if place.category in self.categories:
                d = distance_m(place, lat, lon)
                if d <= self.distance_m and (found is None or d < found[1]):
                    found = (place, d)
        return found

    def check(self, lat: float, lon: float) -> None:
        """``ForbiddenError`` naming the place if a camera may not stand at (lat, lon)."""
        hit = self.nearest(lat, lon)
        if hit is None:
            return
        place, metres = hit
        under = f" under policy {self.policy}" if self.policy else ""
        raise ForbiddenError(
            f"no camera within {self.distance_m:g} m of a {place.category.replace('_', ' ')}"
            f"{under}: {place.name!r} is {metres:.0f} m away"
        )


def guard_for(
    places: Iterable[Place], categories: frozenset[str], distance: float, policy: str
) -> PlaceGuard | None:
    """The guard a policy sets, or None when it forbids no category or sets no distance."""
    if not categories or distance <= 0:
        return None
    return PlaceGuard(tuple(places), categories, distance, policy)


PLACES_FILE = "sensitive-places.geojson"


class PlacesLayer:
    """The agency's layer at ``<data_dir>/sensitive-places.geojson`` applied to a policy's
    rule; re-read when the file changes, so ``camera places load`` takes effect on a running
    node. No file (or a policy without a distance) means no placement check."""

    def __init__(
        self, path: Path, categories: frozenset[str], distance_m: float, policy: str
    ) -> None:
        self.path = path
        self._rule = (categories, float(distance_m), policy)
        self._stamp: tuple[int, int] | None = None
        self._guard: PlaceGuard | None = None

    def guard(self) -> PlaceGuard | None:
        """The current guard (None when the file is absent or the policy sets no distance)."""
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            self._stamp, self._guard = None, None
            return None
        stamp = (stat.st_mtime_ns, stat.st_size)
        if stamp != self._stamp:
            categories, distance, policy = self._rule
            self._guard = guard_for(load_places(self.path), categories, distance, policy)
            self._stamp = stamp
        return self._guard

    def __call__(self, lat: float, lon: float) -> None:
        found = self.guard()
        if found is not None:
            found.check(lat, lon)


def install_places(source: Path, data_dir: Path) -> tuple[Place, ...]:
    """Validates a GeoJSON layer and installs it as the node's sensitive places (owner-only)."""
    places = load_places(source)
    target = data_dir / PLACES_FILE
    partial = target.with_suffix(".partial")
    partial.write_bytes(source.read_bytes())
    partial.chmod(0o600)
    partial.replace(target)
    return places
