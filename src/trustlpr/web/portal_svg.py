"""Charts and the camera map as inline SVG, drawn on the server: no script, no tiles, no CDN.

Pure functions from numbers to markup. Every chart has a text alternative (``<title>`` and
``<desc>``, plus a table on the page) and uses the page's colours through CSS classes, so it
stays readable in high-contrast and dark modes and on a phone (``viewBox``, no fixed size).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape

from markupsafe import Markup

_W, _H = 600, 170
_PAD_L, _PAD_R, _PAD_T, _PAD_B = 44, 8, 12, 26


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if value >= 10 or value == int(value) else f"{value:.2g}"


def bar_chart(
    values: Sequence[int | float | None],
    dates: Sequence[str],
    *,
    title: str,
    unit: str = "",
    css: str = "bar",
) -> Markup:
    """Daily bars with the largest value on the axis; ``None`` (no data that day) is a gap."""
    known = [v for v in values if v is not None]
    top = max(known, default=0) or 1
    plot_w, plot_h = _W - _PAD_L - _PAD_R, _H - _PAD_T - _PAD_B
    step = plot_w / max(len(values), 1)
    total = sum(known)
    summary = (
        f"{title}: {len(values)} days from {dates[0]} to {dates[-1]}, total {_fmt(total)}"
        f"{unit}, highest {_fmt(max(known, default=0))}{unit}."
        if dates
        else f"{title}: no data yet."
    )
    parts = [
        f'<svg class="chart" viewBox="0 0 {_W} {_H}" role="img" '
        f'aria-labelledby="{css}-t {css}-d" preserveAspectRatio="xMidYMid meet">',
        f'<title id="{css}-t">{escape(title)}</title><desc id="{css}-d">{escape(summary)}</desc>',
        f'<line class="axis" x1="{_PAD_L}" y1="{_PAD_T + plot_h}" x2="{_W - _PAD_R}" '
        f'y2="{_PAD_T + plot_h}"/>',
        f'<text class="tick" x="{_PAD_L - 4}" y="{_PAD_T + 4}" text-anchor="end">'
        f"{_fmt(top)}</text>",
        f'<text class="tick" x="{_PAD_L - 4}" y="{_PAD_T + plot_h}" text-anchor="end">0</text>',
    ]
    for i, value in enumerate(values):
        if value is None:
            continue
        height = plot_h * value / top
        x = _PAD_L + i * step + step * 0.12
        parts.append(
            f'<rect class="{css}" x="{x:.1f}" y="{_PAD_T + plot_h - height:.1f}" '
            f'width="{step * 0.76:.1f}" height="{max(height, 0.0):.1f}">'
            f"<title>{escape(dates[i])}: {_fmt(value)}{escape(unit)}</title></rect>"
        )
    if dates:
        parts.append(
            f'<text class="tick" x="{_PAD_L}" y="{_H - 6}">{escape(dates[0][5:])}</text>'
            f'<text class="tick" x="{_W - _PAD_R}" y="{_H - 6}" text-anchor="end">'
            f"{escape(dates[-1][5:])}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def share_bar(parts: Sequence[tuple[str, int, str]], *, title: str) -> Markup:
    """One horizontal stacked bar of ``(label, count, css class)``: e.g. allowed/held/denied."""
    total = sum(count for _, count, _ in parts) or 1
    x = 0.0
    rects = []
    for label, count, css in parts:
        width = 600 * count / total
        if width > 0:
            rects.append(
                f'<rect class="{css}" x="{x:.1f}" y="0" width="{width:.1f}" height="28">'
                f"<title>{escape(label)}: {count:,}</title></rect>"
            )
        x += width
    desc = ", ".join(f"{label} {count:,}" for label, count, _ in parts)
    return Markup(
        f'<svg class="share" viewBox="0 0 600 28" role="img" aria-label="{escape(title)}: '
        f'{escape(desc)}" preserveAspectRatio="none">{"".join(rects)}</svg>'
    )


@dataclass(frozen=True, slots=True)
class MapPoint:
    """One camera on the map (public inventory data only)."""

    id: str
    name: str
    lat: float
    lon: float
    direction: float | None
    enabled: bool


def camera_map(
    points: Sequence[MapPoint],
    *,
    width: int = 600,
    height: int = 420,
    ident: str = "map",
    here: str | None = None,
    note: str = "The camera list below gives each position.",
) -> Markup:
    """Camera positions on an equirectangular projection around their centre, with a wedge
    for the direction each camera faces. Works offline; no base map is needed to compare
    positions with the GeoJSON download or OpenStreetMap. ``ident`` prefixes the element ids
    (several maps on one page); the camera ``here`` is drawn larger, as the one that matters;
    ``note`` ends the text alternative, saying where the page gives the positions in words."""
    if not points:
        return Markup('<p class="note">No cameras are registered.</p>')
    points = sorted(points, key=lambda p: p.id == here)  # drawn last, so on top
    lat0 = sum(p.lat for p in points) / len(points)
    scale_x = math.cos(math.radians(lat0))
    xs = [p.lon * scale_x for p in points]
    ys = [p.lat for p in points]
    span = max(max(xs) - min(xs), max(ys) - min(ys), 1e-4)
    pad = 24
    k = min((width - 2 * pad), (height - 2 * pad)) / span
    cx, cy = (max(xs) + min(xs)) / 2, (max(ys) + min(ys)) / 2
    km = span * 111.32
    parts = [
        f'<svg class="map" viewBox="0 0 {width} {height}" role="img" aria-labelledby="{ident}-t '
        f'{ident}-d" preserveAspectRatio="xMidYMid meet">',
        f'<title id="{ident}-t">Camera positions</title>',
        f'<desc id="{ident}-d">{len(points)} cameras over about {km:.1f} km; north is up. '
        f"{escape(note)}</desc>",
        f'<rect class="map-bg" x="0" y="0" width="{width}" height="{height}"/>',
    ]
    for p, x0, y0 in zip(points, xs, ys, strict=True):
        x = width / 2 + (x0 - cx) * k
        y = height / 2 - (y0 - cy) * k
        css = ("cam" if p.enabled else "cam off") + (" here" if p.id == here else "")
        label = f"{p.name} ({p.id}) {p.lat:.5f}, {p.lon:.5f}"
        if p.direction is not None:
            label += f", facing {p.direction:.0f}°"
            parts.append(wedge(x, y, p.direction, css))
        parts.append(
            f'<circle class="{css}" cx="{x:.1f}" cy="{y:.1f}" r="{9 if p.id == here else 5}">'
            f"<title>{escape(label)}</title></circle>"
        )
    bar_km = _nice(km / 4)
    bar_px = bar_km / 111.32 * k
    parts.append(
        f'<line class="scale" x1="{pad}" y1="{height - 10}" x2="{pad + bar_px:.1f}" '
        f'y2="{height - 10}"/><text class="tick" x="{pad}" y="{height - 14}">'
        f"{_fmt(bar_km) if bar_km >= 1 else f'{bar_km * 1000:.0f} m'}"
        f"{' km' if bar_km >= 1 else ''}</text>"
        f'<text class="tick" x="{width - pad}" y="{pad}" text-anchor="end">N ↑</text></svg>'
    )
    return Markup("".join(parts))


def wedge(x: float, y: float, bearing: float, css: str) -> str:
    """A 40° sector of radius 16 px towards ``bearing`` (compass degrees, 0 = north)."""
    points = []
    for delta in (-20.0, 20.0):
        angle = math.radians(bearing + delta)
        points.append((x + 16 * math.sin(angle), y - 16 * math.cos(angle)))
    (ax, ay), (bx, by) = points
    return (
        f'<path class="{css} wedge" d="M{x:.1f},{y:.1f} L{ax:.1f},{ay:.1f} '
        f'A16,16 0 0,1 {bx:.1f},{by:.1f} Z"/>'
    )


def _nice(value: float) -> float:
    """A round length (1, 2 or 5 × a power of ten) not above ``value``."""
    if value <= 0:
        return 0.1
    power = 10 ** math.floor(math.log10(value))
    for step in (5, 2, 1):
        if step * power <= value:
            return float(step * power)
    return float(power)


@dataclass(frozen=True, slots=True)
class MapCell:
    """One cell of the mobile coverage grid with its share of the mobile reads (None: below
    the minimum count, shown as ``count`` text such as ``<10``)."""

    cell: str
    south: float
    west: float
    north: float
    east: float
    count: str
    share: float | None


def shade(share: float | None) -> str:
    """The CSS class of a cell's share: five steps, ``cov0`` for a suppressed cell."""
    if share is None:
        return "cov cov0"
    return f"cov cov{min(5, 1 + int(share * 20))}"  # 1: <5 %, … 5: 20 % or more


def coverage_map(cells: Sequence[MapCell], *, width: int = 600, height: int = 420) -> Markup:
    """The coverage grid as shaded rectangles on the camera map's projection, north up: where
    mobile units read, never a route. The table below it gives every cell in words."""
    if not cells:
        return Markup('<p class="note">No mobile coverage is published for these days.</p>')
    lat0 = sum(c.south + c.north for c in cells) / (2 * len(cells))
    scale_x = math.cos(math.radians(lat0))
    west, east = min(c.west for c in cells), max(c.east for c in cells)
    south, north = min(c.south for c in cells), max(c.north for c in cells)
    span = max((east - west) * scale_x, north - south)
    pad = 24
    k = min(width - 2 * pad, height - 2 * pad) / span
    x0 = width / 2 - (east - west) * scale_x * k / 2
    y0 = height / 2 - (north - south) * k / 2
    km = span * 111.32
    parts = [
        f'<svg class="map" viewBox="0 0 {width} {height}" role="img" aria-labelledby="cov-t '
        f'cov-d" preserveAspectRatio="xMidYMid meet">',
        '<title id="cov-t">Mobile coverage: share of mobile reads per cell</title>',
        f'<desc id="cov-d">{len(cells)} cells over about {km:.1f} km; north is up. The table '
        "below gives each cell's count and share.</desc>",
        f'<rect class="map-bg" x="0" y="0" width="{width}" height="{height}"/>',
    ]
    for c in cells:
        x = x0 + (c.west - west) * scale_x * k
        y = y0 + (north - c.north) * k
        w, h = (c.east - c.west) * scale_x * k, (c.north - c.south) * k
        share = "" if c.share is None else f", {c.share:.1%} of mobile reads"
        parts.append(
            f'<rect class="{shade(c.share)}" x="{x:.1f}" y="{y:.1f}" width="{w:.1f}" '
            f'height="{h:.1f}"><title>cell {escape(c.cell)}: {escape(c.count)} reads{share}'
            "</title></rect>"
        )
    parts.append(
        f'<text class="tick" x="{width - pad}" y="{pad}" text-anchor="end">N ↑</text></svg>'
    )
    return Markup("".join(parts))
