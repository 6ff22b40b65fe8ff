"""Street maps behind the camera maps, where the deployment has tiles (``map_tiles``).

Every map is first the offline SVG (``portal_svg``, ``sightings_svg``). With a tile server
configured, ``map_frame`` wraps that SVG with the cameras as data, and ``static/tilemap.js``
draws them with the vendored Leaflet on the operator's tiles once a first tile has loaded; if
none loads (offline, wrong URL) the SVG stays. The pages' Content-Security-Policy allows images
from the node and from exactly the tile host, and scripts from the node only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from markupsafe import Markup, escape

from ..settings import Settings
from .portal_svg import MapCell, MapPoint, shade
from .sightings_svg import Stop

OSM_ATTRIBUTION = Markup(
    '© <a href="https://www.openstreetmap.org/copyright">OpenStreetMap</a> contributors'
)
_CSP = (
    "default-src 'self'; img-src 'self' data:{tiles}; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'none'; form-action 'self'"
)


@dataclass(frozen=True, slots=True)
class TileLayer:
    """The tile URL template (validated by ``settings.tile_template``) and its credit (HTML)."""

    url: str
    attribution: Markup

    @property
    def origin(self) -> str:
        """``scheme://host[:port]``: the one image source the pages allow besides the node."""
        parts = urlsplit(self.url)
        return f"{parts.scheme}://{parts.netloc}"


def tile_layer(settings: Settings) -> TileLayer | None:
    """The node's tile layer, or ``None`` (SVG maps only) when ``map_tiles`` is unset."""
    if not settings.map_tiles:
        return None
    credit = escape(settings.map_attribution) if settings.map_attribution else OSM_ATTRIBUTION
    return TileLayer(settings.map_tiles, Markup(credit))


def content_security_policy(tiles: TileLayer | None) -> str:
    return _CSP.format(tiles=f" {tiles.origin}" if tiles else "")


def page_headers(tiles: TileLayer | None) -> dict[str, str]:
    """The headers of every portal and console page (the console adds ``no-store``)."""
    return {
        "Cache-Control": "public, max-age=5",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "Content-Security-Policy": content_security_policy(tiles),
    }


def map_frame(
    svg: Markup,
    tiles: TileLayer | None,
    features: Sequence[Mapping[str, object]],
    *,
    label: str,
    track: Sequence[str] = (),
    areas: Sequence[Mapping[str, object]] = (),
) -> Markup:
    """The SVG map alone without tiles; with them, the SVG in a frame carrying the tile layer,
    the cameras (``features``: id, name, lat, lon, direction, css, label, optional ``here``
    and ``numbers``) and the ``track`` (camera ids in time order) for ``tilemap.js``; ``label``
    names the street map for assistive technology; ``areas`` are shaded rectangles (south,
    west, north, east, css, label): the mobile coverage cells."""
    if tiles is None or not (features or areas):
        return svg
    data: dict[str, object] = {
        "tiles": tiles.url,
        "attribution": str(tiles.attribution),
        "label": label,
        "cameras": list(features),
        "track": list(track),
        "areas": list(areas),
    }
    return Markup(
        f'<div class="mapframe" data-map="svg" data-tilemap="{escape(json.dumps(data))}">'
        f'{svg}<div class="tilemap"></div></div>'
    )


def camera_features(points: Sequence[MapPoint], here: str | None = None) -> list[dict[str, object]]:
    """``map_frame``'s cameras for a camera map (``portal_svg.camera_map``'s points)."""
    features: list[dict[str, object]] = []
    for p in points:
        label = f"{p.name} ({p.id})" + (
            f", facing {p.direction:.0f}°" if p.direction is not None else ""
        )
        css = ("cam" if p.enabled else "cam off") + (" here" if p.id == here else "")
        features.append(_feature(p.id, p.name, p.lat, p.lon, p.direction, css, label))
    return features


def stop_features(stops: Sequence[Stop]) -> list[dict[str, object]]:
    """``map_frame``'s cameras for a search's sightings map, each with its sightings' numbers."""
    features = []
    for s in stops:
        numbers = ", ".join(map(str, s.numbers))
        label = f"{s.name} ({s.camera_id}): sighting(s) {numbers}"
        feature = _feature(s.camera_id, s.name, s.lat, s.lon, s.direction, "seen", label)
        feature["numbers"] = (
            numbers if len(s.numbers) <= 4 else f"{s.numbers[0]} … ({len(s.numbers)})"
        )
        features.append(feature)
    return features


def _feature(
    ident: str, name: str, lat: float, lon: float, direction: float | None, css: str, label: str
) -> dict[str, object]:
    return {"id": ident, "name": name, "lat": lat, "lon": lon, "direction": direction,
            "css": css, "label": label}  # fmt: skip


def cell_features(cells: Sequence[MapCell]) -> list[dict[str, object]]:
    """``map_frame``'s areas for the mobile coverage map (``portal_svg.coverage_map``'s cells)."""
    return [
        {
            "south": c.south,
            "west": c.west,
            "north": c.north,
            "east": c.east,
            "css": shade(c.share),
            "label": f"cell {c.cell}: {c.count} reads"
            + ("" if c.share is None else f", {c.share:.1%} of mobile reads"),
        }
        for c in cells
    ]
