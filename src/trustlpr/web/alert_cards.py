"""The console's alert cards: what an officer needs to verify a hit from a phone.

Each card puts the read (its image, time, camera, direction, confidence) beside the hot-list
entry it matched (plate, state, make and colour, list, category, the date it was entered) and
the camera on a small map among its nearest neighbours, so the officer can compare the photo
with the listing before any stop. The queue page and the live-update fragment (one card, for
the alert stream's script) render the same template from these.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup

from ..core.hotlist import NCIC_CATEGORIES
from ..hotlist import AlertRecord
from ..runtime import System
from .portal_svg import MapPoint, camera_map
from .sightings import heading
from .tile_map import TileLayer, camera_features, map_frame

NEIGHBOURS = 5  # other cameras on an alert's map, for a sense of where it is


@dataclass(frozen=True, slots=True)
class AlertCard:
    """One alert as the queue shows it: label/value rows for the entry and the read."""

    alert: AlertRecord
    listed: list[tuple[str, str]]
    seen: list[tuple[str, str]]
    camera_name: str
    map_svg: Markup


def alert_cards(
    system: System, records: Sequence[AlertRecord], tiles: TileLayer | None = None
) -> list[AlertCard]:
    """The cards of ``records``, in their order; the camera inventory is read once. With
    ``tiles`` each map is also drawn on the street tiles (``web/tile_map.py``)."""
    points = [
        MapPoint(c.id, c.camera.name, c.camera.latitude, c.camera.longitude,
                 c.camera.direction, c.camera.enabled)
        for c in system.cameras.list()
    ]  # fmt: skip
    return [_card(record, points, tiles) for record in records]


def _card(record: AlertRecord, points: Sequence[MapPoint], tiles: TileLayer | None) -> AlertCard:
    read, entry = record.read, record.entry
    details = entry.get("details") or {}
    camera = next((p for p in points if p.id == record.camera_id), None)
    if camera is None:  # not (or no longer) registered: the position the read carried
        camera = MapPoint(record.camera_id, record.camera_id, float(read["latitude"]),
                          float(read["longitude"]), read.get("direction"), True)  # fmt: skip
    vehicle = " ".join(str(details[k]) for k in ("colour", "make", "model") if details.get(k))
    year = details.get("vehicle_year")
    listed = [
        ("Plate", f"{entry['plate']} ({entry['state']})"),
        ("Vehicle", (vehicle or "not given") + (f", {year}" if year else "")),
        ("List", str(entry["list_id"])),
        ("Category", f"{entry['category']} — {NCIC_CATEGORIES.get(record.category, '?')}"),
        ("Entered", _date(entry.get("added_at")) or "not given"),
        ("Case", str(entry.get("case_number") or "not given")),
    ]
    seen_vehicle = " ".join(str(read[k]) for k in ("colour", "make") if read.get(k))
    seen = [
        ("Plate read", f"{read['plate']} ({read.get('state') or 'state not read'})"),
        ("Seen (UTC)", str(read["observed_at"]).replace("T", " ")[:19]),
        ("Camera", f"{camera.name} ({record.camera_id})"),
        ("Direction", heading(read.get("direction"))),
        ("Confidence", f"{100 * float(read.get('confidence') or 0):.0f}%"),
    ]
    if seen_vehicle:
        seen.append(("Vehicle seen", seen_vehicle))
    nearby = sorted((p for p in points if p.id != camera.id), key=lambda p: _km(p, camera))
    shown = [camera, *nearby[:NEIGHBOURS]]
    map_svg = camera_map(
        shown,
        width=320,
        height=200,
        ident=f"amap-{record.id}",
        here=camera.id,
        note=f"The large dot is {camera.name}, the camera that read the plate; the others "
        "are the nearest cameras.",
    )
    map_svg = map_frame(
        map_svg,
        tiles,
        camera_features(shown, here=camera.id),
        label=f"Street map around {camera.name}, the camera that read the plate",
    )
    return AlertCard(record, listed, seen, camera.name, map_svg)


def _date(value: object) -> str:
    return str(value)[:10] if value else ""


def _km(a: MapPoint, b: MapPoint) -> float:
    dx = (a.lon - b.lon) * math.cos(math.radians((a.lat + b.lat) / 2))
    return math.hypot(dx, a.lat - b.lat) * 111.32
