"""Attribute search in the store: per-day blind indexes of make, colour and body type."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from trustlpr.core import InputError
from trustlpr.core.vehicle import VehicleAttributes
from trustlpr.store import ReadStore, SQLiteReadStore

from .conftest import T0, make_read

BLUE_CHEVY = VehicleAttributes.parse(make="chevrolet", colour="blue")


def _traffic() -> list:
    return [
        make_read("AB1234", T0 + timedelta(hours=1), "cam-1", make="Chevy", colour="Navy"),
        make_read("CD5678", T0 + timedelta(hours=2), "cam-2", make="CHEVROLET", colour="blue"),
        make_read("EF9012", T0 + timedelta(hours=3), "cam-1", make="Chevrolet", colour="red"),
        make_read("GH3456", T0 + timedelta(hours=4), "cam-1", make="Ford", colour="blue"),
        make_read("JK7890", T0 + timedelta(hours=5), "cam-1", make="chevy", colour="mauve"),
        make_read("LM1357", T0 + timedelta(hours=6), "cam-1"),  # the camera sent no attributes
        make_read("NP2468", T0 + timedelta(days=1, hours=1), "cam-1", make="chevy", colour="blue"),
    ]


def _plates(store: ReadStore, vehicle: VehicleAttributes, days: int = 2, **kw: object) -> list:
    found = store.find_vehicles(vehicle, T0, T0 + timedelta(days=days), **kw)  # type: ignore[arg-type]
    return sorted(s.read.plate for s in found)


def test_finds_exactly_the_reads_whose_attributes_match(store: ReadStore) -> None:
    store.append(_traffic(), hits=[False, False, False, False, False, False, True])
    assert _plates(store, BLUE_CHEVY) == ["AB1234", "CD5678", "NP2468"]
    assert _plates(store, BLUE_CHEVY, days=1) == ["AB1234", "CD5678"]
    assert _plates(store, BLUE_CHEVY, cameras=["cam-1"]) == ["AB1234", "NP2468"]
    assert _plates(store, BLUE_CHEVY, cameras=["cam-2", "cam-1"]) == ["AB1234", "CD5678", "NP2468"]
    assert _plates(store, BLUE_CHEVY, cameras=["cam-2", "cam-9"]) == ["CD5678"]
    assert _plates(store, VehicleAttributes.parse(colour="blue")) == [
        "AB1234", "CD5678", "GH3456", "NP2468",
    ]  # fmt: skip
    # a value outside the vocabulary is kept as sent, but no index is made for it
    assert _plates(store, VehicleAttributes.parse(make="chevy")) == [
        "AB1234", "CD5678", "EF9012", "JK7890", "NP2468",
    ]  # fmt: skip
    found = list(store.find_vehicles(BLUE_CHEVY, T0, T0 + timedelta(days=1)))
    assert {s.read.colour for s in found} == {"Navy", "blue"}  # what the camera sent


def test_partial_plate_narrows_an_attribute_search(store: ReadStore) -> None:
    store.append(_traffic())
    found = store.find_vehicles(
        BLUE_CHEVY, T0, T0 + timedelta(days=2), predicate=lambda r: r.plate.startswith("CD")
    )
    assert [s.read.plate for s in found] == ["CD5678"]


def test_a_purged_day_is_not_found_and_its_keys_are_gone(store: ReadStore) -> None:
    store.append(_traffic())
    report = store.purge(T0 + timedelta(days=1), T0 + timedelta(days=1))
    assert ("nonhit:" + T0.date().isoformat()) in report.key_ids_destroyed
    assert _plates(store, BLUE_CHEVY) == ["NP2468"]


def test_an_empty_attribute_set_is_refused(store: ReadStore) -> None:
    store.append(_traffic())
    with pytest.raises(InputError):
        list(store.find_vehicles(VehicleAttributes(), T0, T0 + timedelta(days=2)))


def test_a_day_file_from_before_attribute_search_gains_the_columns(tmp_path: Path) -> None:
    from trustlpr.store.factory import key_rings

    rings = key_rings(tmp_path, b"k" * 32)
    store = SQLiteReadStore(tmp_path / "reads", rings)
    store.append(_traffic()[:1])
    store.close()
    path = tmp_path / "reads" / "nonhit" / f"{T0.date().isoformat()}.db"
    with sqlite3.connect(path) as conn:  # the layout of the day files written before
        for column in ("midx", "kidx", "bidx"):
            conn.execute(f"DROP INDEX reads_attr_{column}")
        for column in ("midx", "kidx", "bidx"):
            conn.execute(f"ALTER TABLE reads DROP COLUMN {column}")
    store = SQLiteReadStore(tmp_path / "reads", rings)
    try:
        store.append(_traffic()[1:2])
        # the old row has no index (unfindable by attribute); the new one is found
        assert _plates(store, BLUE_CHEVY) == ["CD5678"]
        assert [s.read.plate for s in store.lookup("AB1234", T0, T0 + timedelta(days=1))] == [
            "AB1234"
        ]
    finally:
        store.close()


def test_the_single_column_attribute_indexes_give_way_to_the_composite_ones(
    tmp_path: Path,
) -> None:
    from trustlpr.store.factory import key_rings

    rings = key_rings(tmp_path, b"k" * 32)
    store = SQLiteReadStore(tmp_path / "reads", rings)
    store.append(_traffic()[:2])
    store.close()
    path = tmp_path / "reads" / "nonhit" / f"{T0.date().isoformat()}.db"
    with sqlite3.connect(path) as conn:  # the indexes of the first attribute-search release
        for column in ("midx", "kidx", "bidx"):
            conn.execute(f"DROP INDEX reads_attr_{column}")
            conn.execute(
                f"CREATE INDEX reads_{column} ON reads ({column}) WHERE {column} IS NOT NULL"
            )
    store = SQLiteReadStore(tmp_path / "reads", rings)
    try:
        assert _plates(store, BLUE_CHEVY) == ["AB1234", "CD5678"]
    finally:
        store.close()
    with sqlite3.connect(path) as conn:
        names = {
            row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index'")
        }
        plan = conn.execute(
            "EXPLAIN QUERY PLAN SELECT id FROM reads WHERE midx = 1 AND kidx = 2"
        ).fetchall()
    assert {"reads_attr_midx", "reads_attr_kidx", "reads_attr_bidx"} <= names
    assert not {"reads_midx", "reads_kidx", "reads_bidx"} & names
    assert "reads_attr_midx (midx=? AND kidx=?)" in plan[0][-1]  # both equalities used
