"""Area search in the store: per-day cell blind indexes, then the exact inside test."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from trustlpr.core import Read
from trustlpr.core.area import Area
from trustlpr.core.vehicle import VehicleAttributes
from trustlpr.geo import Region, parse_area
from trustlpr.store import ReadStore, SQLiteReadStore
from trustlpr.store.base import RetentionClass
from trustlpr.store.codec import cell_index
from trustlpr.store.factory import key_rings
from trustlpr.store.partitioned import DayPartitionedStore

from .conftest import T0, make_read

SQUARE = parse_area(
    {
        "type": "Polygon",
        "coordinates": [
            [[-72.93, 41.29], [-72.91, 41.29], [-72.91, 41.31], [-72.93, 41.31], [-72.93, 41.29]]
        ],
    }
)


def _at(plate: str, hours: float, camera: str, lat: float, lon: float, **extra: object) -> Read:
    read = make_read(plate, T0 + timedelta(hours=hours), camera, **extra)
    return replace(read, latitude=lat, longitude=lon)


def _traffic() -> list[Read]:
    return [
        _at("IN0001", 1, "pole-1", 41.30, -72.92, make="Chevy", colour="blue"),  # fixed, inside
        _at("OUT001", 2, "pole-9", 41.40, -72.92),  # fixed, far away
        _at("IN0002", 3, "car-7", 41.305, -72.915, make="Ford", colour="blue"),  # mobile, inside
        # mobile, 40 m west of the edge, in a cell the square touches: decrypted, then left out
        _at("OUT002", 4, "car-7", 41.2995, -72.9305),
        _at("IN0003", 25, "car-7", 41.2901, -72.9299, make="chevrolet", colour="navy"),
    ]


def _plates(store: ReadStore, area: Area = SQUARE, days: int = 2, **kw: object) -> list[str]:
    found = store.find_in_area(Region(area), T0, T0 + timedelta(days=days), **kw)  # type: ignore[arg-type]
    return sorted(s.read.plate for s in found)


def test_a_polygon_finds_fixed_and_mobile_reads_inside_it_and_only_those(
    store: ReadStore,
) -> None:
    store.append(_traffic(), hits=[False, False, False, False, True])
    assert _plates(store) == ["IN0001", "IN0002", "IN0003"]
    assert _plates(store, days=1) == ["IN0001", "IN0002"]
    circle = parse_area({"type": "Point", "coordinates": [-72.92, 41.30], "radius_m": 500})
    assert _plates(store, circle) == ["IN0001"]  # IN0002 is 690 m away


def test_an_attribute_search_over_an_area(store: ReadStore) -> None:
    store.append(_traffic())
    blue_chevy = VehicleAttributes.parse(make="chevrolet", colour="blue")
    assert _plates(store, vehicle=blue_chevy) == ["IN0001", "IN0003"]
    assert _plates(store, vehicle=VehicleAttributes.parse(colour="blue")) == [
        "IN0001", "IN0002", "IN0003",
    ]  # fmt: skip
    assert _plates(store, predicate=lambda r: r.camera_id == "car-7") == ["IN0002", "IN0003"]


def test_only_the_reads_of_the_touched_cells_are_selected(store: ReadStore) -> None:
    far = [_at(f"FAR{i:03d}", 5, "car-8", 41.50 + i * 0.001, -72.70) for i in range(60)]
    store.append(_traffic()[:4] + far)
    assert isinstance(store, DayPartitionedStore)
    keys = store.rings[RetentionClass.NONHIT].get(T0.date())
    cells = [cell_index(keys, c) for c in Region(SQUARE).cells()]
    day_us = (0, 2**62)
    selected = store._by_cells(RetentionClass.NONHIT, T0.date(), cells, {}, *day_us)
    assert len(selected) == 3  # IN0001, IN0002 and OUT002 of 64 rows; OUT002 fails the exact test


def test_a_purged_day_is_not_found(store: ReadStore) -> None:
    store.append(_traffic())
    report = store.purge(T0 + timedelta(days=1), T0 + timedelta(days=1))
    assert ("nonhit:" + T0.date().isoformat()) in report.key_ids_destroyed
    assert _plates(store) == ["IN0003"]


def test_a_day_file_from_before_area_search_gains_the_column(tmp_path: Path) -> None:
    rings = key_rings(tmp_path, b"k" * 32)
    store = SQLiteReadStore(tmp_path / "reads", rings)
    store.append(_traffic()[:2])
    store.close()
    path = tmp_path / "reads" / "nonhit" / f"{T0.date().isoformat()}.db"
    with sqlite3.connect(path) as conn:  # the layout of the day files written before
        conn.execute("DROP INDEX reads_gidx")
        conn.execute("ALTER TABLE reads DROP COLUMN gidx")
    store = SQLiteReadStore(tmp_path / "reads", rings)
    try:
        store.append(_traffic()[2:4])
        # the old rows have no cell: they are decrypted and judged by their positions
        assert _plates(store, days=1) == ["IN0001", "IN0002"]
        with sqlite3.connect(path) as conn:
            assert conn.execute("SELECT count(*) FROM reads WHERE gidx IS NULL").fetchone() == (2,)
    finally:
        store.close()
