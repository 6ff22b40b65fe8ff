"""Area searches over a polygon or a circle: every read inside, fixed or mobile, and the
policy's judgement of the area's size and of the sensitive places it contains."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest

from trustlpr.cameras import AreaPlaces, PlacesLayer
from trustlpr.core import InputError, LegalBasis, Purpose, Query, Read
from trustlpr.core import SearchType as T
from trustlpr.core.area import Area
from trustlpr.geo import parse_area
from trustlpr.search import SearchForm, Status

from .conftest import NOW, World, close_world, make_world

CLINIC = (-72.95, 41.30)  # (lon, lat)


def _square(lon: float, lat: float, half: float = 0.005) -> Area:
    ring = [[lon - half, lat - half], [lon + half, lat - half], [lon + half, lat + half],
            [lon - half, lat + half], [lon - half, lat - half]]  # fmt: skip
    return parse_area({"type": "Polygon", "coordinates": [ring]})


def _world(tmp_path: Path, policy: str) -> World:
    layer_file = tmp_path / "places.geojson"
    layer_file.write_text(
        json.dumps(
            {
                "type": "FeatureCollection",
                "features": [
                    {
                        "type": "Feature",
                        "properties": {"category": "reproductive_health_clinic", "name": "C"},
                        "geometry": {"type": "Point", "coordinates": list(CLINIC)},
                    }
                ],
            }
        )
    )
    layer = PlacesLayer(layer_file, frozenset(), 0, policy)
    world = make_world(tmp_path, policy, area_categories=AreaPlaces(layer, None))
    at = NOW - timedelta(hours=2)
    world.store.append(
        [
            Read("MB10001", "CT", 0.9, at, "car-7", "nhpd", 41.312, -72.918),  # mobile, inside
            Read("MB20002", "CT", 0.9, at, "car-7", "nhpd", 41.33, -72.92),  # mobile, outside
            Read("FX30003", "CT", 0.9, at, "cam-far", "nhpd", 41.40, -72.92),  # fixed, outside
            Read("MB40004", "CT", 0.9, at, "car-7", "nhpd", 41.3001, -72.9499),  # at the clinic
        ]
    )
    return world


def _form(area: Area | None, *, cameras: tuple[str, ...] | None = None) -> SearchForm:
    return SearchForm(
        purpose=Purpose.VIOLENT_FELONY,
        case_number="26-004513",
        legal_basis=LegalBasis.WARRANT,
        reason="homicide on Elm St, vehicles passing the scene within the hour",
        offense_code="homicide",
        warrant_id="SW-2026-0502",
        query=Query(
            type=T.AREA,
            window_start=NOW - timedelta(hours=4),
            window_end=NOW,
            cameras=cameras,
            area=area,
        ),
    )


def test_a_polygon_finds_fixed_and_mobile_reads_inside_and_only_those(tmp_path: Path) -> None:
    world = _world(tmp_path, "strict-default")
    try:
        # make_world's fixed cameras stand at (41.31, -72.92); their reads 3 h ago are inside
        out = world.service.request(world.officer, world.owner, _form(_square(-72.92, 41.31)))
        assert out.status is Status.COMPLETED, out.decision.reasons
        assert sorted(s.plate for s in out.results) == [
            "A812345", "AB12345", "AB12346", "MB10001", "XY99887",
        ]  # fmt: skip
        assert {s.camera_id for s in out.results} == {"cam-0", "cam-1", "car-7"}
    finally:
        close_world(world)


def test_a_polygon_over_a_clinic_is_refused_under_the_strict_default(tmp_path: Path) -> None:
    world = _world(tmp_path, "strict-default")
    try:
        out = world.service.request(world.officer, world.owner, _form(_square(*CLINIC)))
        assert out.status is Status.DENIED and out.results == []
        reasons = {r.rule: r.text for r in out.decision.reasons}
        assert "reproductive_health_clinic" in reasons["sensitive.location"]
        assert "area contains sensitive places" in reasons["sensitive.location"]
        # a circle that reaches the clinic only at its rim is judged the same
        rim = parse_area({"type": "Point", "coordinates": [-72.945, 41.30], "radius_m": 450})
        out = world.service.request(world.officer, world.owner, _form(rim))
        assert out.status is Status.DENIED
    finally:
        close_world(world)


def test_a_polygon_over_a_clinic_is_held_under_connecticut(tmp_path: Path) -> None:
    world = _world(tmp_path, "ct-pa-26-14")
    try:
        out = world.service.request(world.officer, world.owner, _form(_square(*CLINIC)))
        assert out.status is Status.PENDING and out.results == []
        assert "sensitive.location" in {r.rule for r in out.decision.reasons}
        world.service.decide_pending(world.supervisor, out.request_id, approve=True)
        done = world.service.fetch(world.officer, out.request_id)
        assert [s.plate for s in done.results] == ["MB40004"]
        elsewhere = world.service.request(world.officer, world.owner, _form(_square(-72.92, 41.31)))
        assert elsewhere.status is Status.COMPLETED
    finally:
        close_world(world)


def test_an_area_over_the_policy_limit_is_refused(tmp_path: Path) -> None:
    world = _world(tmp_path, "strict-default")
    try:
        wide = _square(-72.92, 41.31, half=0.01)  # 3.7 km², the strict default allows 2
        out = world.service.request(world.officer, world.owner, _form(wide))
        assert out.status is Status.DENIED
        assert "scope.area" in {r.rule for r in out.decision.reasons}
    finally:
        close_world(world)


def test_an_area_with_cameras_is_refused_before_the_policy(tmp_path: Path) -> None:
    world = _world(tmp_path, "strict-default")
    try:
        with pytest.raises(InputError, match="not both"):
            world.service.request(
                world.officer, world.owner, _form(_square(-72.92, 41.31), cameras=("cam-1",))
            )
    finally:
        close_world(world)
