"""Real camera positions from the shared OpenStreetMap files, and the errors around them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from trustlpr.core.errors import FormatError, InputError, NotFoundError
from trustlpr.core.identity import Camera
from trustlpr.sim import CityConfig, Simulation
from trustlpr.sim.sites import load_sites, parse_direction, sites_from_cameras


def test_an_operator_gives_its_cameras(shared_dir: Path) -> None:
    sites, state = load_sites(shared_dir, "New Haven")
    assert state == "CT"
    assert len(sites) >= 90  # the README counts 98 for New Haven PD
    assert {s.agency_id for s in sites} == {"new-haven-police-department"}
    assert all(s.id.startswith("osm-") for s in sites)
    assert sum(s.facing is not None for s in sites) > len(sites) / 2


def test_a_state_gives_the_whole_file(shared_dir: Path) -> None:
    sites, state = load_sites(shared_dir, "rhode island", agency_id="ri-test")
    assert state == "RI" and 55 <= len(sites) <= 65
    assert {s.agency_id for s in sites} == {"ri-test"}


def test_unknown_place_and_bad_files(shared_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="New Haven"):
        load_sites(shared_dir, "Atlantis Harbour Patrol")
    with pytest.raises(InputError) as short:
        load_sites(shared_dir, "x")
    assert short.value.field == "place"
    folder = tmp_path / "data" / "cameras"
    folder.mkdir(parents=True)
    (folder / "Broken.json").write_text("{not json")
    with pytest.raises(FormatError, match=r"Broken\.json"):
        load_sites(tmp_path, "Broken")
    (folder / "Broken.json").write_text(json.dumps({"type": "Feature"}))
    with pytest.raises(FormatError, match="FeatureCollection"):
        load_sites(tmp_path, "Broken")
    with pytest.raises(NotFoundError):
        load_sites(tmp_path / "nowhere", "Broken")


def test_odd_features_are_skipped_not_fatal(tmp_path: Path) -> None:
    folder = tmp_path / "data" / "cameras"
    folder.mkdir(parents=True)
    good = {"type": "Feature", "geometry": {"type": "Point", "coordinates": [-72.9, 41.3]},
            "properties": {"id": 1, "operator": "Test PD", "direction": "NE"}}  # fmt: skip
    features = [good, {"geometry": None}, {"geometry": {"type": "Point", "coordinates": "x"}},
                {"geometry": {"type": "Point", "coordinates": [500, 91]}, "properties": {}},
                {"geometry": {"type": "LineString"}, "properties": []}, "junk"]  # fmt: skip
    (folder / "Testland.json").write_text(
        json.dumps({"type": "FeatureCollection", "features": features})
    )
    sites, _ = load_sites(tmp_path, "Testland")
    assert [(s.id, s.facing, s.agency_id) for s in sites] == [("osm-1", 45.0, "test-pd")]


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("90", 90.0), ("90;270", 90.0), ("NE", 45.0), ("ssw", 202.5), ("450", 90.0),
     ("45-135", 90.0), ("350-10", 0.0), ("", None), ("north-ish", None), (None, None),
     ("nan", None)],
)  # fmt: skip
def test_parse_direction(raw: str | None, expected: float | None) -> None:
    assert parse_direction(raw) == expected


def test_a_city_around_real_cameras(shared_dir: Path) -> None:
    sim = Simulation.for_place(CityConfig(seed=2, vehicles=3_000), shared_dir, "New Haven")
    assert sim.config.home_state == "CT"
    records = sim.camera_records()
    assert records[0]["agency_id"] == "new-haven-police-department"
    lat = np.array([r["lat"] for r in records], dtype=float)
    assert 41.2 < lat.mean() < 41.4  # New Haven, not the synthetic default centre
    batch = sim.day(0)
    assert len(batch) > 1_000
    assert np.unique(batch.camera).size > 0.7 * len(records)


def test_live_cameras_become_sites() -> None:
    cams = [Camera("c1", "local", "Main St", 41.3, -72.9, 90.0),
            Camera("c2", "local", "Off", 41.3, -72.9, enabled=False)]  # fmt: skip
    sites = sites_from_cameras(cams)
    assert [(s.id, s.facing) for s in sites] == [("c1", 90.0)]
