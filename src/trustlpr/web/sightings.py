"""What an investigator sees of an allowed search: each sighting with its image, time, camera
and direction, on a map and a timeline, and the case file to take away.

Built only from a completed ``SearchOutcome`` — the minimised result the policy allowed and the
log recorded — and, for each of its sightings, the image stored with that read (decrypted here,
for this answer, and never for a read outside it). The case file is one self-contained HTML
document (styles inline, images as ``data:`` URIs, no link to fetch anything) carrying the
decision, its reasons, the audit entries of the search and the same sightings: nothing more.
It is offered as a ``data:`` download on the result page, so the search is not run (and
logged) again to export it and no copy stays on the server.
"""

from __future__ import annotations

import base64
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from markupsafe import Markup

from ..core.identity import Agency, User
from ..core.search import SearchRequest
from ..runtime import System
from ..search import SearchForm, SearchOutcome, Sighting
from .portal_views import TEMPLATES
from .sightings_svg import Stop, sightings_map, timeline
from .tile_map import TileLayer, map_frame, stop_features

MAX_IMAGES = 100
"""Sightings shown with their image; the rest of a larger result are listed without."""
_POINTS = ("N", "NE", "E", "SE", "S", "SW", "W", "NW")


def heading(direction: float | None) -> str:
    """``"NE (45°)"`` for a travel direction in compass degrees, ``"—"`` if unknown."""
    if direction is None:
        return "—"
    degrees = round(direction) % 360
    return f"{_POINTS[round(degrees / 45) % 8]} ({degrees}°)"


def _data_uri(image: bytes) -> str:
    kind = "image/png" if image[:4] == b"\x89PNG" else "image/jpeg"
    return f"data:{kind};base64,{base64.b64encode(image).decode('ascii')}"


@dataclass(frozen=True)
class Seen:
    """One sighting as the page shows it (``number``: 1 for the earliest)."""

    number: int
    sighting: Sighting
    camera_name: str
    heading: str
    image: str | None  # a data: URI

    @property
    def day(self) -> str:
        return self.sighting.observed_at.date().isoformat()


@dataclass(frozen=True)
class ResultView:
    seen: list[Seen]
    map_svg: Markup  # the SVG alone, for the self-contained case file
    street_map: Markup  # the same on street tiles where the node has them (web/tile_map.py)
    timeline_svg: Markup
    days: list[str]
    cameras: list[tuple[str, str]]
    counts: dict[tuple[str, str], int]
    images_left_out: int

    @property
    def seen_days(self) -> list[str]:
        """The days with at least one sighting, in order."""
        days = {day for day, _ in self.counts}
        return [d for d in self.days if d in days]


def result_view(
    system: System, results: list[Sighting], tiles: TileLayer | None = None
) -> ResultView:
    """The sightings in time order with their images (the first ``MAX_IMAGES``), the map (also
    on ``tiles``, for the page) and the day × camera timeline."""
    names = {c.camera.id: c.camera.name for c in system.cameras.list(include_disabled=True)}
    ordered = sorted(results, key=lambda s: (s.observed_at, s.camera_id))
    seen: list[Seen] = []
    for number, s in enumerate(ordered, start=1):
        image = system.store.image(s.ref) if number <= MAX_IMAGES else None
        seen.append(
            Seen(
                number, s, names.get(s.camera_id, s.camera_id), heading(s.direction),
                _data_uri(image) if image else None,
            )
        )  # fmt: skip
    numbers: dict[str, list[int]] = defaultdict(list)
    where: dict[str, Sighting] = {}
    counts: dict[tuple[str, str], int] = defaultdict(int)
    for item in seen:
        numbers[item.sighting.camera_id].append(item.number)
        where.setdefault(item.sighting.camera_id, item.sighting)
        counts[(item.day, item.sighting.camera_id)] += 1
    stops = [
        Stop(cam, names.get(cam, cam), s.latitude, s.longitude, s.direction, tuple(numbers[cam]))
        for cam, s in where.items()
    ]
    cameras = [(cam, names.get(cam, cam)) for cam in where]
    days = _days(ordered)
    track = [s.camera_id for s in ordered]
    map_svg = sightings_map(stops, track)
    return ResultView(
        seen=seen,
        map_svg=map_svg,
        street_map=map_frame(
            map_svg,
            tiles,
            stop_features(stops),
            label="Street map of the cameras that read the plate, numbered by sighting",
            track=track,
        ),
        timeline_svg=timeline(days, cameras, counts),
        days=days,
        cameras=cameras,
        counts=dict(counts),
        images_left_out=max(0, len(ordered) - MAX_IMAGES),
    )


def _days(ordered: list[Sighting]) -> list[str]:
    """Every UTC date from the first sighting's to the last's (at most 92)."""
    if not ordered:
        return []
    first, last = ordered[0].observed_at.date(), ordered[-1].observed_at.date()
    count = min((last - first).days + 1, 92)
    return [(first + timedelta(days=i)).isoformat() for i in range(count)]


def asked_rows(asked: SearchForm | SearchRequest) -> list[tuple[str, str]]:
    """What was asked, as the case file lists it (the requester's own request)."""
    q = asked.query
    what = q.plate or q.pattern or "—"
    return [
        ("Purpose", asked.purpose.value.replace("_", " ")),
        ("Offense", asked.offense_code or "—"),
        ("Case number", asked.case_number or "—"),
        ("Legal basis", asked.legal_basis.value.replace("_", " ")),
        ("Warrant or order", asked.warrant_id or "—"),
        ("Reason", asked.reason),
        ("Kind of search", q.type.value + (" with look-alikes" if q.include_variants else "")),
        ("Plate or pattern", what),
        *([("Vehicle", " ".join(v for _, v in q.vehicle.items()))] if q.vehicle else []),
        ("Window (UTC)", f"{q.window_start:%Y-%m-%d %H:%M} to {q.window_end:%Y-%m-%d %H:%M}"),
        ("Cameras", ", ".join(q.cameras) if q.cameras else "all"),
    ]


def case_file(
    system: System,
    who: tuple[User, Agency],
    outcome: SearchOutcome,
    view: ResultView,
    asked: list[tuple[str, str]],
    *,
    now: datetime,
) -> str:
    """The self-contained HTML case file of a completed search."""
    context: dict[str, Any] = {
        "owner": system.owner,
        "user": who[0],
        "agency": who[1],
        "outcome": outcome,
        "view": view,
        "asked": asked,
        "now": now,
        "log_size": system.audit.log.size,
    }
    return TEMPLATES.get_template("console/case_file.html").render(**context)


def case_file_href(html: str) -> str:
    """The case file as a ``data:`` URI for a download link."""
    return "data:text/html;charset=utf-8;base64," + base64.b64encode(html.encode()).decode()
