"""Camera inventories from files, for ``camera import``: CSV with a header, or GeoJSON.

CSV columns (header row required; only ``name``, ``lat``, ``lon`` are needed): ``name``,
``lat``, ``lon``, ``direction``, ``adapter``, ``external_id``, ``id``, ``agency``,
``mobile``, ``timezone``, ``country``. GeoJSON is a ``FeatureCollection`` of ``Point``
features, in either of the two shapes public inventories use: our own ``camera
export-geojson`` (flat OpenStreetMap tags, ``ref`` = our id) and DeFlock / alpr-sync exports
(``properties.tags`` holding the OSM tags, ``properties.id`` the OSM node, which becomes the
camera id ``osm-<node>`` so a second import of the same file is refused, not doubled).
An OSM ``direction`` may be ``"60;240"`` (a camera facing both ways) or a compass point
(``"NE"``); the first direction is kept. Every problem is an ``InputError`` at its line
(CSV) or feature number (GeoJSON); nothing is registered from a file with one.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Mapping
from typing import Any

from ..core.errors import FormatError, InputError
from .registry import CameraSpec, check_spec
from .settings import CameraSettings

__all__ = ["CSV_COLUMNS", "parse_cameras"]

CSV_COLUMNS = (
    "name",
    "lat",
    "lon",
    "direction",
    "adapter",
    "external_id",
    "id",
    "agency",
    "mobile",
    "timezone",
    "country",
)
_REQUIRED = ("name", "lat", "lon")
_COMPASS = {
    name: i * 22.5
    for i, name in enumerate(
        "N NNE NE ENE E ESE SE SSE S SSW SW WSW W WNW NW NNW".split()  # 16 points
    )
}
MAX_CAMERAS = 10_000


def parse_cameras(text: str, fmt: str, *, agency_id: str) -> list[CameraSpec]:
    """The cameras of a file's ``text`` in ``fmt`` (``csv`` or ``geojson``); ``agency_id``
    owns those that name no agency."""
    if fmt == "csv":
        specs = _from_csv(text, agency_id)
    elif fmt == "geojson":
        specs = _from_geojson(text, agency_id)
    else:
        raise InputError(f"{fmt[:20]!r} is not csv or geojson", field="--format")
    if not specs:
        raise InputError("the file holds no cameras", field="file")
    if len(specs) > MAX_CAMERAS:
        raise InputError(f"{len(specs)} cameras; at most {MAX_CAMERAS} per import", field="file")
    return specs


def _number(raw: object, field: str) -> float:
    if isinstance(raw, bool):
        raise InputError("must be a number", field=field)
    if isinstance(raw, int | float):
        value = float(raw)
    elif isinstance(raw, str):
        try:
            value = float(raw.strip())
        except ValueError:
            raise InputError(f"{raw[:30]!r} is not a number", field=field) from None
    else:
        raise InputError("must be a number", field=field)
    if not math.isfinite(value):
        raise InputError("must be a finite number", field=field)
    return value


def _direction(raw: object) -> float | None:
    """A direction in degrees from a number, ``"90"``, ``"60;240"`` or ``"NE"``."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, str):
        first = raw.split(";")[0].strip()
        if first.upper() in _COMPASS:
            return _COMPASS[first.upper()]
        value = _number(first, "direction")
    else:
        value = _number(raw, "direction")
    return 0.0 if value == 360.0 else value


def _flag(raw: str, field: str) -> bool | None:
    text = raw.strip().lower()
    if not text:
        return None
    if text in ("yes", "true", "1", "mobile"):
        return True
    if text in ("no", "false", "0", "fixed"):
        return False
    raise InputError(f"{raw[:20]!r} is not yes or no", field=field)


def _from_csv(text: str, agency_id: str) -> list[CameraSpec]:
    reader = csv.DictReader(io.StringIO(text, newline=""))
    header = [h.strip() for h in reader.fieldnames or ()]
    unknown = [h for h in header if h not in CSV_COLUMNS]
    if unknown:
        raise FormatError(
            f"unknown column {unknown[0][:40]!r}; the columns are {', '.join(CSV_COLUMNS)}",
            field="header",
            line=1,
        )
    missing = [c for c in _REQUIRED if c not in header]
    if missing:
        raise FormatError(f"the header has no {missing[0]!r} column", field="header", line=1)
    reader.fieldnames = header
    specs = []
    for row in reader:
        line = reader.line_num
        if None in row:
            raise InputError("has more cells than the header", line=line)
        cells = {k: (v or "").strip() for k, v in row.items()}
        try:
            specs.append(
                _checked(
                    CameraSpec(
                        cells["name"],
                        _number(cells["lat"], "lat"),
                        _number(cells["lon"], "lon"),
                        agency_id=cells.get("agency") or agency_id,
                        direction=_direction(cells.get("direction")),
                        adapter=cells.get("adapter") or "native",
                        external_id=cells.get("external_id") or None,
                        camera_id=cells.get("id") or None,
                        settings=CameraSettings(
                            mobile=_flag(cells.get("mobile", ""), "mobile"),
                            timezone=cells.get("timezone") or None,
                            country=cells.get("country") or None,
                        ),
                    )
                )
            )
        except InputError as exc:
            raise exc.at_line(line) from None
    return specs


def _from_geojson(text: str, agency_id: str) -> list[CameraSpec]:
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as exc:
        raise FormatError(f"not JSON: {str(exc)[:80]}", field="file") from None
    if not isinstance(document, dict) or document.get("type") != "FeatureCollection":
        raise FormatError("not a GeoJSON FeatureCollection", field="type")
    features = document.get("features")
    if not isinstance(features, list):
        raise FormatError("'features' is not a list", field="features")
    specs = []
    for number, feature in enumerate(features, start=1):
        try:
            specs.append(_checked(_feature(feature, agency_id)))
        except InputError as exc:
            raise exc.at_line(number) from None
    return specs


def _checked(spec: CameraSpec) -> CameraSpec:
    """The spec, once the registry's own checks pass (so an error names the file's line)."""
    check_spec(spec)
    return spec


def _feature(feature: object, agency_id: str) -> CameraSpec:
    if not isinstance(feature, dict):
        raise InputError("is not a GeoJSON Feature", field="feature")
    geometry = feature.get("geometry")
    if not isinstance(geometry, dict) or geometry.get("type") != "Point":
        raise InputError("only Point geometries are cameras", field="geometry")
    coordinates = geometry.get("coordinates")
    if not isinstance(coordinates, list) or len(coordinates) < 2:
        raise InputError("a Point needs [lon, lat]", field="coordinates")
    lon, lat = _number(coordinates[0], "lon"), _number(coordinates[1], "lat")
    properties = feature.get("properties") or {}
    if not isinstance(properties, dict):
        raise InputError("must be an object", field="properties")
    nested = properties.get("tags")
    tags: Mapping[str, Any] = {**(nested if isinstance(nested, dict) else {}), **properties}
    node = properties.get("id")
    camera_id = _text(tags.get("ref")) or (f"osm-{node}" if isinstance(node, int) else None)
    name = _text(tags.get("name"))
    if not name:
        name = f"OSM node {node}" if isinstance(node, int) else f"ALPR at {lat:.5f},{lon:.5f}"
    mobile = tags.get("mobile")
    if isinstance(mobile, str):  # OSM-style text, as our export writes it
        mobile = _flag(mobile, "mobile")
    return CameraSpec(
        name,
        lat,
        lon,
        agency_id=_text(tags.get("agency")) or agency_id,
        direction=_direction(tags.get("direction", tags.get("camera:direction"))),
        adapter=_text(tags.get("adapter")) or "native",
        external_id=_text(tags.get("external_id")),
        camera_id=camera_id,
        settings=CameraSettings(
            mobile=mobile if isinstance(mobile, bool) else None,
            timezone=_text(tags.get("timezone")),
            country=_text(tags.get("country")),
        ),
    )


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None
