"""Real camera positions from OpenStreetMap, and the flat-earth geometry the city is laid on.

The shared directory holds one GeoJSON FeatureCollection per state of ALPR cameras mapped in
OpenStreetMap (© OpenStreetMap contributors, ODbL 1.0). ``--place`` picks either a whole file
("Connecticut") or every camera whose operator contains the name ("New Haven"). Files are
read in place, never copied.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from ..core.errors import FormatError, InputError, NotFoundError
from ..core.identity import Camera
from .config import CameraSite

OSM_CREDIT = "Camera positions © OpenStreetMap contributors, ODbL 1.0 (via DeFlock tagging)."

_M_PER_DEG_LAT = 110_574.0
_M_PER_DEG_LON = 111_320.0
_COMPASS = {
    name: i * 22.5
    for i, name in enumerate("N NNE NE ENE E ESE SE SSE S SSW SW WSW W WNW NW NNW".split())
}

FloatArray = npt.NDArray[np.float64]


class Projection:
    """Equirectangular metres around an origin: exact enough for a town, ~1% off for a state."""

    def __init__(self, lat0: float, lon0: float) -> None:
        self.lat0 = lat0
        self.lon0 = lon0
        self._kx = _M_PER_DEG_LON * math.cos(math.radians(lat0))

    def to_xy(self, lat: FloatArray, lon: FloatArray) -> FloatArray:
        x = (np.asarray(lon, dtype=np.float64) - self.lon0) * self._kx
        y = (np.asarray(lat, dtype=np.float64) - self.lat0) * _M_PER_DEG_LAT
        return np.column_stack([x, y])

    def to_latlon(self, xy: FloatArray) -> tuple[FloatArray, FloatArray]:
        lat = self.lat0 + xy[:, 1] / _M_PER_DEG_LAT
        lon = self.lon0 + xy[:, 0] / self._kx
        return lat, lon


def bearing(dx: FloatArray | float, dy: FloatArray | float) -> FloatArray:
    """Compass bearing in degrees (0 = north, 90 = east) of a displacement in metres."""
    return np.mod(np.degrees(np.arctan2(dx, dy)), 360.0)


def angle_between(a: FloatArray | float, b: FloatArray | float) -> FloatArray:
    """Smallest absolute difference between two bearings, in 0..180 degrees."""
    d = np.mod(np.asarray(a) - np.asarray(b), 360.0)
    return np.asarray(np.minimum(d, 360.0 - d), dtype=np.float64)


def parse_direction(raw: Any) -> float | None:
    """An OSM ``direction`` tag as degrees: ``"90"``, ``"90;270"`` (first), ``"NE"``; else None."""
    if raw is None:
        return None
    text = str(raw).strip().upper().split(";")[0].strip()
    if text in _COMPASS:
        return _COMPASS[text]
    if "-" in text[1:]:  # a range such as "45-135": its middle
        lo, _, hi = text.partition("-")
        try:
            a, b = float(lo), float(hi)
        except ValueError:
            return None
        return ((a + ((b - a) % 360) / 2) % 360) if math.isfinite(a + b) else None
    try:
        value = float(text)
    except ValueError:
        return None
    return value % 360 if math.isfinite(value) else None


def slug(text: str) -> str:
    """A lower-case id from a name: "New Haven Police Department" → new-haven-police-department."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "unknown"


def camera_files(shared_dir: Path) -> list[Path]:
    folder = shared_dir / "data" / "cameras"
    files = sorted(folder.glob("*.json"))
    if not files:
        raise NotFoundError(f"no camera files (*.json) in {folder}")
    return files


def _features(path: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FormatError(f"{path.name}: not readable JSON ({exc})") from exc
    if not isinstance(data, dict) or data.get("type") != "FeatureCollection":
        raise FormatError(f"{path.name}: not a GeoJSON FeatureCollection")
    features = data.get("features")
    if not isinstance(features, list):
        raise FormatError(f"{path.name}: 'features' is not a list")
    return [f for f in features if isinstance(f, dict)]


def _site(feature: dict[str, Any], agency_id: str | None) -> CameraSite | None:
    geometry = feature.get("geometry")
    props = feature.get("properties")
    if not isinstance(geometry, dict) or geometry.get("type") != "Point":
        return None
    if not isinstance(props, dict):
        return None
    coords = geometry.get("coordinates")
    if not isinstance(coords, list) or len(coords) < 2:
        return None
    try:
        lon, lat = float(coords[0]), float(coords[1])
    except (TypeError, ValueError):
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    operator = str(props.get("operator") or "Unknown operator")
    osm_id = str(props.get("id") or f"{lat:.6f},{lon:.6f}")
    raw_tags = props.get("tags")
    tags: dict[str, Any] = raw_tags if isinstance(raw_tags, dict) else {}
    name = str(tags.get("name") or f"{operator} ALPR {osm_id}")[:120]
    return CameraSite(
        id=f"osm-{osm_id}",
        name=name,
        agency_id=agency_id or slug(operator),
        lat=lat,
        lon=lon,
        facing=parse_direction(props.get("direction", tags.get("direction"))),
    )


def load_sites(
    shared_dir: Path, place: str, *, agency_id: str | None = None
) -> tuple[list[CameraSite], str]:
    """Camera sites of ``place`` and the state they are in.

    ``place`` is a state file name ("Connecticut", "New_York") or part of an operator name
    ("New Haven"). Cameras keep their operator as agency unless ``agency_id`` is given.
    """
    wanted = place.strip().lower()
    if len(wanted) < 2:
        raise InputError("give at least two characters of a state or operator", field="place")
    files = camera_files(shared_dir)
    for path in files:
        if path.stem.lower().replace("_", " ") == wanted.replace("_", " "):
            sites = [s for f in _features(path) if (s := _site(f, agency_id))]
            return _unique(sites), _state_code(path.stem)
    found: list[CameraSite] = []
    state = ""
    for path in files:
        for feature in _features(path):
            props = feature.get("properties")
            operator = str(props.get("operator") or "") if isinstance(props, dict) else ""
            if wanted in operator.lower() and (site := _site(feature, agency_id)):
                found.append(site)
                state = state or _state_code(path.stem)
    if not found:
        states = ", ".join(p.stem for p in files)
        raise NotFoundError(
            f"no camera operator matches {place[:40]!r}; give a state ({states}) or part of "
            "an operator name such as 'New Haven'"
        )
    return _unique(found), state


def sites_from_cameras(cameras: Sequence[Camera]) -> list[CameraSite]:
    """Registered cameras as sites (for measuring what a live network can reveal)."""
    return [
        CameraSite(c.id, c.name, c.agency_id, c.latitude, c.longitude, c.direction)
        for c in cameras
        if c.enabled
    ]


def _unique(sites: list[CameraSite]) -> list[CameraSite]:
    seen: dict[str, CameraSite] = {}
    for site in sites:
        seen.setdefault(site.id, site)
    return list(seen.values())


_STATE_CODES = {
    "connecticut": "CT", "massachusetts": "MA", "new hampshire": "NH", "new york": "NY",
    "rhode island": "RI", "virginia": "VA", "vermont": "VT", "maine": "ME", "new jersey": "NJ",
    "pennsylvania": "PA", "maryland": "MD", "north carolina": "NC",
}  # fmt: skip


def _state_code(stem: str) -> str:
    return _STATE_CODES.get(stem.lower().replace("_", " "), "CT")
