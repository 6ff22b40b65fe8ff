"""Requested areas: what is accepted, the precise refusals, the cells, the inside test."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trustlpr.core.errors import InputError, TooLargeError
from trustlpr.geo import CELL_DEGREES, MAX_VERTICES, Region, cell_of, parse_area

SQUARE = [[-72.93, 41.29], [-72.91, 41.29], [-72.91, 41.31], [-72.93, 41.31], [-72.93, 41.29]]


def _polygon(*rings: list[list[float]]) -> dict[str, object]:
    return {"type": "Polygon", "coordinates": list(rings)}


def test_a_polygon_and_a_circle_are_accepted_and_measured() -> None:
    square = Region(parse_area(_polygon(SQUARE)))
    assert 3.70 < square.area_km2 < 3.73  # 1.67 km x 2.22 km at 41.3° N
    feature = parse_area({"type": "Feature", "geometry": _polygon(SQUARE), "properties": {}})
    assert feature == square.area
    circle = Region(parse_area({"type": "Point", "coordinates": [-72.92, 41.30], "radius_m": 1000}))
    assert circle.area_km2 == pytest.approx(math.pi)
    assert circle.contains(41.30 + 0.0089, -72.92)  # 990 m north
    assert not circle.contains(41.30 + 0.0091, -72.92)  # 1012 m north


def test_a_hole_is_outside() -> None:
    hole = [[-72.921, 41.299], [-72.919, 41.299], [-72.919, 41.301], [-72.921, 41.299]]
    region = Region(parse_area(_polygon(SQUARE, hole)))
    assert not region.contains(41.2995, -72.9195)
    assert region.contains(41.295, -72.92)


@pytest.mark.parametrize(
    ("area", "error", "says"),
    [
        ("Seattle", InputError, "must be a GeoJSON Polygon"),
        ({"type": "LineString", "coordinates": []}, InputError, "is not a Polygon"),
        (_polygon([[0, 0], [1, 1], [1, 0], [0, 1], [0, 0]]), InputError, "Self-intersection"),
        (_polygon(SQUARE[:-1]), InputError, "must end where it starts"),
        (_polygon(SQUARE[:3]), InputError, "at least 4 positions"),
        (_polygon([[0, 0], [0, 0], [0, 0], [0, 0]]), InputError, "simple polygon"),
        (_polygon([[-72.9, 95], *SQUARE[1:]]), InputError, "not a [lon, lat] on Earth"),
        (_polygon([["x", 41], *SQUARE[1:]]), InputError, "not a [lon, lat]"),
        ({"type": "Point", "coordinates": [-72.92, 41.3]}, InputError, "needs radius_m"),
        ({"type": "Point", "coordinates": [-72.92, 41.3], "radius_m": 5}, InputError, "range"),
        ({"type": "Point", "coordinates": [-72.9, 41.3], "radius_m": 30e3}, InputError, "range"),
        (_polygon([[179.9, 0], [-179.9, 0], [-179.9, 1], [179.9, 0]]), InputError, "antimeridian"),
        (_polygon([[-73, 41], [-72, 41], [-72, 42], [-73, 42], [-73, 41]]), TooLargeError, "km²"),
    ],
)
def test_bad_areas_are_refused_precisely(area: object, error: type[Exception], says: str) -> None:
    with pytest.raises(error) as caught:
        parse_area(area)
    assert says in str(caught.value)
    assert getattr(caught.value, "field", None) == "area"


def test_too_many_vertices_is_too_large() -> None:
    steps = MAX_VERTICES + 1
    ring = [
        [
            -72.92 + 0.01 * math.cos(2 * math.pi * i / steps),
            41.3 + 0.01 * math.sin(2 * math.pi * i / steps),
        ]
        for i in range(steps)
    ]
    with pytest.raises(TooLargeError, match=f"at most {MAX_VERTICES}"):
        parse_area(_polygon([*ring, ring[0]]))


def test_a_long_thin_polygon_spanning_too_many_cells_is_too_large() -> None:
    sliver = [[-80, 30], [-70, 40], [-70, 40.0001], [-80, 30]]
    with pytest.raises(TooLargeError, match="grid cells"):
        Region(parse_area(_polygon(sliver))).cells()


@settings(max_examples=300, deadline=None)
@given(
    lat=st.floats(41.25, 41.35),
    lon=st.floats(-72.97, -72.87),
    radius=st.floats(10, 3000),
    clat=st.floats(41.28, 41.32),
    clon=st.floats(-72.94, -72.90),
)
def test_every_position_inside_lies_in_a_covering_cell(
    lat: float, lon: float, radius: float, clat: float, clon: float
) -> None:
    for area in (
        parse_area(_polygon(SQUARE)),
        parse_area({"type": "Point", "coordinates": [clon, clat], "radius_m": radius}),
    ):
        region = Region(area)
        if region.contains(lat, lon):
            assert cell_of(lat, lon) in region.cells()


def test_cells_are_the_grid_the_index_uses() -> None:
    assert CELL_DEGREES == 0.01
    assert cell_of(41.30, -72.92) == cell_of(41.3099, -72.9101)
    assert cell_of(41.30, -72.92) != cell_of(41.311, -72.92)
    square = Region(parse_area(_polygon(SQUARE)))
    assert cell_of(41.30, -72.92) in square.cells()
    assert cell_of(41.40, -72.92) not in square.cells()
