"""Sensitive places (schools, worship, courthouses, food banks...) and the camera-placement rule.

Some laws (Washington ESSB 6002) forbid *collecting* near such places, not only searching
them. The agency supplies the places as a GeoJSON layer, typically an OpenStreetMap extract:
Point or Polygon features whose properties carry OSM tags (``amenity=school``,
``amenity=place_of_worship``, ``amenity=courthouse``, ``social_facility=food_bank``) or our
own ``category``, and a ``name``. ``PlaceGuard`` refuses a camera position within the
policy's distance of a place whose category the policy lists, naming the place.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.clock import Clock, system_clock
from ..core.errors import ForbiddenError, InputError
from ..core.events import AuditEvent, AuditSink, EventType

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
_CODE = re.compile(r"[a-z][a-z0-9_]{0,47}")  # a category is a public code (audit/leaf.py)
MAX_PLACES = 50_000
"""Places one layer may hold (a state's schools, places of worship and courthouses fit)."""
MAX_NAME = 200
PLACEMENT_REFUSED = "placement_refused"
PLACES_INSTALLED = "places_installed"
"""The ``camera_changed`` actions of a refused placement and of an installed layer."""


@dataclass(frozen=True, slots=True)
class Place:
    """One sensitive place: its category, name and outline (rings of ``(lon, lat)``)."""

    category: str
    name: str
    rings: tuple[tuple[tuple[float, float], ...], ...]  # one ring of one point for a Point


def _category(props: Mapping[str, Any], where: str) -> str:
    given = props.get("category")
    if isinstance(given, str) and given:
        if not _CODE.fullmatch(given):
            raise InputError(
                f"{where}: category must be a lower-case code like 'place_of_worship'",
                field="properties",
            )
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
    if len(features) > MAX_PLACES:
        raise InputError(
            f"holds {len(features)} features; a layer may hold at most {MAX_PLACES}",
            field="features",
        )
    places: list[Place] = []
    for index, feature in enumerate(features):
        where = f"feature #{index}"
        if not isinstance(feature, dict) or feature.get("type") != "Feature":
            raise InputError(f"{where}: is not a GeoJSON Feature", field="features")
        props = feature.get("properties") or {}
        if not isinstance(props, dict):
            raise InputError(f"{where}: properties must be an object", field="properties")
        name = props.get("name")
        if isinstance(name, str) and len(name) > MAX_NAME:
            raise InputError(f"{where}: name is over {MAX_NAME} characters", field="properties")
        label = name.strip() if isinstance(name, str) and name.strip() else f"unnamed ({where})"
        places.append(Place(_category(props, where), label, _rings(feature.get("geometry"), where)))
    return tuple(places)


def read_layer(path: Path) -> dict[str, Any]:
    """A GeoJSON file's top-level object, unchecked; ``InputError`` if it is not JSON."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror}", field="places") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"{path} is not JSON: {exc}", field="places") from None
    if not isinstance(data, dict):
        raise InputError("must be a GeoJSON FeatureCollection", field="type")
    return data


def load_places(path: Path) -> tuple[Place, ...]:
    """The places of a GeoJSON file; ``InputError`` saying what is wrong and where."""
    return parse_places(read_layer(path))


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
        self,
        path: Path,
        categories: frozenset[str],
        distance_m: float,
        policy: str,
        *,
        audit: AuditSink | None = None,
        agency_id: str | None = None,
        clock: Clock = system_clock,
    ) -> None:
        """With ``audit``, refusals and installs are logged (``camera_changed``)."""
        self.path = path
        self._rule = (categories, float(distance_m), policy)
        self._stamp: tuple[int, int] | None = None
        self._guard: PlaceGuard | None = None
        self._places: tuple[Place, ...] = ()
        self._audit = audit
        self._agency = agency_id
        self._clock = clock

    @property
    def categories(self) -> frozenset[str]:
        return self._rule[0]

    @property
    def distance_m(self) -> float:
        return self._rule[1]

    def places(self) -> tuple[Place, ...]:
        """Every place of the installed layer (none without a file)."""
        self.guard()
        return self._places if self._stamp is not None else ()

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
            self._places = load_places(self.path)
            self._guard = guard_for(self._places, categories, distance, policy)
            self._stamp = stamp
        return self._guard

    def __call__(self, lat: float, lon: float) -> None:
        """``ForbiddenError`` naming the place when a camera may not stand at (lat, lon); the
        refusal is logged as one placement refused near a place of that category."""
        found = self.guard()
        if found is None:
            return
        hit = found.nearest(lat, lon)
        if hit is not None and self._audit is not None:
            place, metres = hit
            self._audit.append(
                AuditEvent(
                    EventType.CAMERA_CHANGED,
                    self._clock(),
                    self._agency,
                    {"action": PLACEMENT_REFUSED, "category": place.category, "count": 1},
                    {"place": place.name, "metres": round(metres), "policy": found.policy},
                )
            )
        found.check(lat, lon)

    def install(self, collection: Mapping[str, object], *, actor: str) -> InstalledLayer:
        """Checks a FeatureCollection (``InputError`` naming the bad feature: nothing is
        replaced), then stores it as the node's layer and logs the install."""
        places = parse_places(dict(collection))
        try:
            text = json.dumps(collection, sort_keys=True, separators=(",", ":"), allow_nan=False)
        except (TypeError, ValueError) as exc:
            raise InputError(f"is not plain JSON: {exc}", field="features") from None
        stored = text.encode("utf-8")
        counts = dict(sorted(Counter(p.category for p in places).items()))
        digest = hashlib.sha256(stored).hexdigest()
        event = AuditEvent(
            EventType.CAMERA_CHANGED,
            self._clock(),
            self._agency,
            {
                "action": PLACES_INSTALLED,
                "count": len(places),
                "active_by_category": counts,
                "digest": digest,
            },
            {"actor": actor, "bytes": len(stored)},
        )
        partial = self.path.with_suffix(".partial")
        partial.write_bytes(stored)
        partial.chmod(0o600)
        if self._audit is not None:  # logged before it takes effect
            self._audit.append(event)
        partial.replace(self.path)
        self._stamp = None  # re-read at the next check, whatever the file's times
        return InstalledLayer(places, counts, digest)


@dataclass(frozen=True, slots=True)
class InstalledLayer:
    """What ``PlacesLayer.install`` stored: its places, their count per category, and the
    SHA-256 (hex) of the file as stored, which the log records."""

    places: tuple[Place, ...]
    by_category: dict[str, int]
    digest: str
