"""Camera inventories from CSV and GeoJSON files, registered all together or not at all."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from trustlpr.audit import open_audit
from trustlpr.cameras import CameraRegistry, CameraSettings, CameraSpec, cameras_geojson
from trustlpr.cameras.importfile import parse_cameras
from trustlpr.core.errors import ConflictError, FormatError, InputError


def test_csv_rows_become_cameras_with_their_optional_columns() -> None:
    text = (
        "name,lat,lon,direction,adapter,external_id,id,mobile,timezone,country\n"
        "Elm St,41.31,-72.92,90,frigate,elm_cam,elm,no,America/New_York,US\n"
        "Patrol 7,41.3,-72.9,,native,,,yes,,\n"
    )
    elm, patrol = parse_cameras(text, "csv", agency_id="nhpd")
    assert (elm.camera_id, elm.direction, elm.adapter, elm.external_id) == (
        "elm", 90.0, "frigate", "elm_cam",
    )  # fmt: skip
    assert elm.settings.timezone == "America/New_York" and elm.settings.mobile is False
    assert patrol.camera_id is None and patrol.settings.mobile is True
    assert {elm.agency_id, patrol.agency_id} == {"nhpd"}


@pytest.mark.parametrize(
    ("text", "line", "field"),
    [
        ("name,lat,lon,colour\nA,1,2,red\n", 1, "header"),
        ("name,lat\nA,1\n", 1, "header"),
        ("name,lat,lon\nA,1,2\nB,north,2\n", 3, "lat"),
        ("name,lat,lon\nA,1,2\nB,1,2,3\n", 3, None),
        ("name,lat,lon,mobile\nA,1,2,perhaps\n", 2, "mobile"),
        ("name,lat,lon,direction\nA,1,2,inf\n", 2, "direction"),
    ],
)
def test_a_bad_csv_line_is_refused_with_its_line(text: str, line: int, field: str | None) -> None:
    with pytest.raises(InputError) as caught:
        parse_cameras(text, "csv", agency_id="nhpd")
    assert (caught.value.line, caught.value.field) == (line, field)


def test_a_deflock_inventory_imports_with_osm_ids_and_first_direction(shared_dir: Path) -> None:
    text = (shared_dir / "data" / "cameras" / "Connecticut.json").read_text(encoding="utf-8")
    features = json.loads(text)["features"]
    specs = parse_cameras(text, "geojson", agency_id="nhpd")
    assert len(specs) == len(features) > 100
    for spec, feature in zip(specs, features, strict=True):
        assert spec.camera_id == f"osm-{feature['properties']['id']}"
        lon, lat = feature["geometry"]["coordinates"][:2]
        assert (spec.latitude, spec.longitude) == (lat, lon)
        raw = feature["properties"].get("direction")
        if raw and raw.split(";")[0].strip().replace(".", "", 1).isdigit():
            assert spec.direction == float(raw.split(";")[0]) % 360


def test_compass_directions_and_two_way_cameras() -> None:
    collection = {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [-72.9, 41.3]},
         "properties": {"id": 1, "tags": {"direction": "NE", "name": "Gate"}}},
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [-72.9, 41.3]},
         "properties": {"id": 2, "direction": "60;240"}},
    ]}  # fmt: skip
    gate, both = parse_cameras(json.dumps(collection), "geojson", agency_id="nhpd")
    assert (gate.name, gate.direction) == ("Gate", 45.0)
    assert (both.name, both.direction) == ("OSM node 2", 60.0)


@pytest.mark.parametrize(
    "document",
    [
        "not json",
        '{"type": "Feature"}',
        '{"type": "FeatureCollection", "features": {}}',
        '{"type": "FeatureCollection", "features": [{"type": "Feature", "geometry": '
        '{"type": "LineString", "coordinates": [[0, 0], [1, 1]]}}]}',
        '{"type": "FeatureCollection", "features": []}',
    ],
)
def test_what_is_not_a_point_inventory_is_refused(document: str) -> None:
    with pytest.raises(InputError):
        parse_cameras(document, "geojson", agency_id="nhpd")


def test_an_export_reimports_with_its_ids_and_a_batch_is_all_or_nothing(tmp_path: Path) -> None:
    with open_audit(tmp_path, agency_id="nhpd") as audit:
        source = CameraRegistry(tmp_path / "a.db", audit=audit)
        source.add("Elm", 41.3, -72.9, agency_id="nhpd", direction=90, camera_id="elm")
        source.add("Oak", 41.4, -72.8, agency_id="nhpd", camera_id="oak",
                   settings=CameraSettings(mobile=True))  # fmt: skip
        exported = json.dumps(cameras_geojson(source.list()))
        assert [f["properties"].get("mobile") for f in json.loads(exported)["features"]] == [
            None, "yes"
        ]  # fmt: skip
        specs = parse_cameras(exported, "geojson", agency_id="nhpd")
        target = CameraRegistry(tmp_path / "b.db", audit=audit)
        before = audit.log.size
        added = target.add_many(specs, actor="adm")
        assert [(e.id, e.camera.direction, e.camera.mobile) for e, _ in added] == [
            ("elm", 90.0, False), ("oak", None, True)
        ]  # fmt: skip
        assert audit.log.size == before + 2
        assert len({key for _, key in added}) == 2
        target.authenticate(added[0][1])  # each key works for its camera
        with pytest.raises(ConflictError):  # oak exists: nothing of the batch is registered
            target.add_many([*parse_cameras(
                "name,lat,lon,id\nNew,41,-72,new\nOak again,41,-72,oak\n", "csv",
                agency_id="nhpd")])  # fmt: skip
        assert [e.id for e in target.list()] == ["elm", "oak"]
        assert audit.log.size == before + 2
        with pytest.raises(InputError) as caught:  # a bad camera names its item
            target.add_many([CameraSpec("A", 1, 2, "nhpd"), CameraSpec("B", 95, 2, "nhpd")])
        assert "camera #2" in caught.value.message and caught.value.field == "lat"
        with pytest.raises(InputError) as caught:  # and in a file, its line
            parse_cameras("name,lat,lon\nA,1,2\nB,95,2\n", "csv", agency_id="nhpd")
        assert caught.value.line == 3 and caught.value.field == "lat"


def test_an_unknown_format_is_an_input_error() -> None:
    with pytest.raises(InputError):
        parse_cameras("", "kml", agency_id="nhpd")
    assert issubclass(FormatError, InputError)
