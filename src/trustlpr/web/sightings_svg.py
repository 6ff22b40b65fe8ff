"""A search's sightings as inline SVG: where (a map of the cameras that saw the vehicle, in
the order it passed them) and when (a grid of days × cameras). Drawn on the server from the
minimised result alone — nothing else the node holds is placed on them — so the same markup
goes into the self-contained case file. Each has a ``<title>`` and ``<desc>``, and the page
lists the same numbers as text.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

from .portal_svg import wedge


@dataclass(frozen=True, slots=True)
class Stop:
    """A camera that saw the vehicle: where it is, and the sightings there."""

    camera_id: str
    name: str
    lat: float
    lon: float
    direction: float | None
    numbers: tuple[int, ...]  # the sightings' numbers (1 = first in time)


def sightings_map(stops: Sequence[Stop], order: Sequence[str], *, size: int = 520) -> Markup:
    """The cameras of ``stops`` on an equirectangular projection around their centre, each
    labelled with its sightings' numbers, joined in ``order`` (camera ids, sighting by
    sighting) so the path the vehicle took between cameras shows; north is up."""
    if not stops:
        return Markup("")
    lat0 = sum(s.lat for s in stops) / len(stops)
    cos0 = math.cos(math.radians(lat0))
    xs = {s.camera_id: s.lon * cos0 for s in stops}
    ys = {s.camera_id: s.lat for s in stops}
    span = max(max(xs.values()) - min(xs.values()), max(ys.values()) - min(ys.values()), 2e-3)
    pad, height = 40, round(size * 0.75)
    k = min(size - 2 * pad, height - 2 * pad) / span
    cx = (max(xs.values()) + min(xs.values())) / 2
    cy = (max(ys.values()) + min(ys.values())) / 2

    def at(camera_id: str) -> tuple[float, float]:
        return size / 2 + (xs[camera_id] - cx) * k, height / 2 - (ys[camera_id] - cy) * k

    km = span * 111.32
    total = sum(len(s.numbers) for s in stops)
    parts = [
        f'<svg class="map sightings-map" viewBox="0 0 {size} {height}" role="img" '
        'aria-labelledby="smap-t smap-d" preserveAspectRatio="xMidYMid meet">',
        '<title id="smap-t">Where the vehicle was seen</title>',
        f'<desc id="smap-d">{total} sighting(s) at {len(stops)} camera(s) over about '
        f"{km:.1f} km, joined in time order; north is up. The list of sightings gives each "
        "camera's position.</desc>",
        f'<rect class="map-bg" x="0" y="0" width="{size}" height="{height}"/>',
    ]
    path = [at(c) for i, c in enumerate(order) if i == 0 or order[i - 1] != c]
    if len(path) > 1:
        points = " ".join(f"{x:.1f},{y:.1f}" for x, y in path)
        parts.append(f'<polyline class="track" points="{points}"/>')
    for stop in stops:
        x, y = at(stop.camera_id)
        if stop.direction is not None:
            parts.append(wedge(x, y, stop.direction, "cam"))
        label = f"{stop.name} ({stop.camera_id}): sighting(s) " + ", ".join(
            str(n) for n in stop.numbers
        )
        radius = 6 + min(8, 2 * math.log2(len(stop.numbers)))
        parts.append(
            f'<g class="stop" data-camera="{escape(stop.camera_id)}"><circle class="seen" '
            f'cx="{x:.1f}" cy="{y:.1f}" r="{radius:.1f}"><title>{escape(label)}</title></circle>'
            f'<text class="stop-label" x="{x + radius + 3:.1f}" y="{y + 4:.1f}">'
            f"{escape(_numbers(stop.numbers))}</text></g>"
        )
    parts.append(
        f'<text class="tick" x="{size - 12}" y="20" text-anchor="end">N ↑</text>'
        f'<text class="tick" x="12" y="{height - 10}">about {km:.1f} km across</text></svg>'
    )
    return Markup("".join(parts))


def _numbers(numbers: Sequence[int]) -> str:
    """``1, 4, 7`` or ``1, 4 … 20 (9)`` for many."""
    if len(numbers) <= 4:
        return ", ".join(map(str, numbers))
    return f"{numbers[0]}, {numbers[1]} … {numbers[-1]} ({len(numbers)})"


def timeline(
    days: Sequence[str], cameras: Sequence[tuple[str, str]], counts: dict[tuple[str, str], int]
) -> Markup:
    """A grid of ``days`` (columns, UTC dates) by ``cameras`` (rows, ``(id, name)``) with a
    dot sized by the number of sightings of each (day, camera) in ``counts``."""
    if not days or not cameras:
        return Markup("")
    label_w, top = 170, 30
    cell = max(14.0, 420 / len(days))  # the grid keeps its width, so it reads at any scale
    width = label_w + cell * len(days) + 10
    height = top + 26 * len(cameras) + 10
    most = max(counts.values(), default=1)
    total = sum(counts.values())
    parts = [
        f'<svg class="chart timeline" viewBox="0 0 {width:.0f} {height}" role="img" '
        'aria-labelledby="tl-t tl-d" preserveAspectRatio="xMinYMin meet">',
        '<title id="tl-t">Sightings per day and camera</title>',
        f'<desc id="tl-d">{total} sighting(s) on {len({d for d, _ in counts})} of the '
        f"{len(days)} day(s) from {days[0]} to {days[-1]}, at {len(cameras)} camera(s). The "
        "table below gives the same numbers.</desc>",
    ]
    every = max(1, math.ceil(len(days) / 10))
    for i, day in enumerate(days):
        x = label_w + cell * (i + 0.5)
        if i % every == 0:
            parts.append(
                f'<text class="tick" x="{x:.1f}" y="{top - 10}" text-anchor="middle">'
                f"{escape(day[5:])}</text>"
            )
    for row, (camera_id, name) in enumerate(cameras):
        y = top + 26 * row + 13
        short = name if len(name) <= 24 else name[:23] + "…"
        parts.append(
            f'<line class="grid" x1="{label_w}" y1="{y}" x2="{width - 10:.0f}" y2="{y}"/>'
            f'<text class="tick" x="{label_w - 6}" y="{y + 4}" text-anchor="end">'
            f"{escape(short)}</text>"
        )
        for i, day in enumerate(days):
            count = counts.get((day, camera_id), 0)
            if not count:
                continue
            x = label_w + cell * (i + 0.5)
            radius = 3 + 7 * math.sqrt(count / most)
            tip = f"{day}, {name}: {count} sighting(s)"
            parts.append(
                f'<circle class="seen" data-day="{day}" data-camera="{escape(camera_id)}" '
                f'cx="{x:.1f}" cy="{y}" r="{radius:.1f}"><title>{escape(tip)}</title></circle>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))
