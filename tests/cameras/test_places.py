"""Sensitive places at collection time: no camera within the policy's distance of a school,
place of worship, courthouse or food bank (Washington ESSB 6002), named when refused."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from trustlpr.cameras import PLACES_FILE, CameraRegistry, CameraSpec, PlacesLayer, load_places
from trustlpr.cameras.places import distance_m, parse_places
from trustlpr.cli.main import app
from trustlpr.core.errors import AuthError, ForbiddenError, InputError
from trustlpr.policy import load_policy

from .test_registry import ListAudit

SCHOOL = (47.6100, -122.3300)  # a Point place
# A courthouse outline about 110 m x 75 m, south-west corner at (47.6200, -122.3400).
COURT = [[-122.3400, 47.6200], [-122.3390, 47.6200], [-122.3390, 47.6210],
         [-122.3400, 47.6210], [-122.3400, 47.6200]]  # fmt: skip


def layer() -> dict[str, object]:
    return {
        "type": "FeatureCollection",
        "features": [
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [SCHOOL[1], SCHOOL[0]]},
                "properties": {"amenity": "school", "name": "Lowell Elementary"},
            },
            {
                "type": "Feature",
                "geometry": {"type": "Polygon", "coordinates": [COURT]},
                "properties": {"amenity": "courthouse", "name": "King County Courthouse"},
            },
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [-122.3000, 47.6000]},
                "properties": {"amenity": "cafe", "category": "union_hall", "name": "Hall 9"},
            },
        ],
    }


@pytest.fixture
def audit() -> ListAudit:
    return ListAudit()


@pytest.fixture
def registry(tmp_path: Path, clock, audit: ListAudit) -> Iterator[CameraRegistry]:
    (tmp_path / PLACES_FILE).write_text(json.dumps(layer()), encoding="utf-8")
    rule = load_policy("wa-sb-6002").sensitive_locations
    places = PlacesLayer(
        tmp_path / PLACES_FILE,
        rule.no_cameras,
        rule.camera_distance_m,
        "wa-sb-6002",
        audit=audit,
        agency_id="spd",
        clock=clock,
    )
    reg = CameraRegistry(tmp_path, audit=audit, clock=clock, placement=places)
    yield reg
    reg.close()


def refusals(audit: ListAudit) -> list[dict[str, object]]:
    return [e.public for e in audit.events if e.public.get("action") == "placement_refused"]


def test_washington_sets_a_distance_with_its_source() -> None:
    policy = load_policy("wa-sb-6002")
    assert policy.sensitive_locations.camera_distance_m == 150
    assert policy.sources is not None
    cited = policy.sources.parameters["sensitive_locations.camera_distance_m"]
    assert cited.status == "default" and "6002" in cited.text
    assert load_policy("strict-default").sensitive_locations.camera_distance_m == 0


def test_distances_to_points_and_outlines() -> None:
    school, court, _ = parse_places(layer())
    assert distance_m(school, *SCHOOL) == 0
    assert 105 < distance_m(school, SCHOOL[0] + 0.001, SCHOOL[1]) < 118  # 0.001° lat ≈ 111 m
    assert distance_m(court, 47.6205, -122.3395) == 0  # inside the outline
    north = distance_m(court, 47.6220, -122.3395)  # 0.001° north of its north edge
    assert 105 < north < 118


def test_a_camera_inside_the_distance_is_refused_naming_the_place(registry) -> None:
    near = (SCHOOL[0] + 0.0009, SCHOOL[1])  # ~100 m north of the school
    with pytest.raises(ForbiddenError) as caught:
        registry.add("5th Ave NB", *near, agency_id="spd")
    message = caught.value.message
    assert "Lowell Elementary" in message and "150 m" in message and "school" in message
    assert "wa-sb-6002" in message
    with pytest.raises(ForbiddenError, match="King County Courthouse"):
        registry.add("Court St", 47.6205, -122.3395, agency_id="spd")  # inside its outline
    assert registry.list() == []


def test_each_refusal_is_logged_as_a_count_of_the_places_category_alone(
    registry: CameraRegistry, audit: ListAudit
) -> None:
    near = (SCHOOL[0] + 0.0009, SCHOOL[1])
    with pytest.raises(ForbiddenError):
        registry.add("5th Ave NB", *near, agency_id="spd")
    entry, _ = registry.add("Far", 47.5000, -122.3000, agency_id="spd")
    with pytest.raises(ForbiddenError):
        registry.move(entry.id, 47.6205, -122.3395)
    with pytest.raises(ForbiddenError):
        registry.add_many([CameraSpec("A", *near, "spd"), CameraSpec("B", *SCHOOL, "spd")])
    assert refusals(audit) == [
        {"action": "placement_refused", "category": "school", "count": 1},
        {"action": "placement_refused", "category": "courthouse", "count": 1},
        {"action": "placement_refused", "category": "school", "count": 1},
        {"action": "placement_refused", "category": "school", "count": 1},
    ]  # no position, no name, no camera in public: the place and policy are private
    refused = [e for e in audit.events if e.public.get("action") == "placement_refused"]
    assert refused[0].private == {
        "place": "Lowell Elementary",
        "metres": 100,
        "policy": "wa-sb-6002",
    }
    assert str(near[0]) not in repr([e.private for e in refused])


def test_install_checks_the_whole_layer_first_and_logs_counts_and_its_hash(
    tmp_path: Path, audit: ListAudit, clock
) -> None:
    path = tmp_path / PLACES_FILE
    places = PlacesLayer(path, frozenset({"school"}), 150, "wa-sb-6002", audit=audit, clock=clock)
    broken = layer()
    broken["features"][2]["properties"]["category"] = "Union Hall"  # type: ignore[index]
    with pytest.raises(InputError, match="feature #2: category must be a lower-case code"):
        places.install(broken, actor="alice")
    assert not path.exists() and audit.events == []
    done = places.install(layer(), actor="alice")
    assert done.by_category == {"courthouse": 1, "school": 1, "union_hall": 1}
    assert done.digest == hashlib.sha256(path.read_bytes()).hexdigest()
    assert oct(path.stat().st_mode & 0o777) == "0o600"
    (event,) = audit.events
    assert event.public == {
        "action": "places_installed",
        "count": 3,
        "active_by_category": done.by_category,
        "digest": done.digest,
    }
    assert event.private["actor"] == "alice"
    assert [p.name for p in places.places()] == [
        "Lowell Elementary",
        "King County Courthouse",
        "Hall 9",
    ]
    with pytest.raises(InputError):
        places.install({"type": "FeatureCollection", "features": [{"type": "Feature"}]}, actor="a")
    assert hashlib.sha256(path.read_bytes()).hexdigest() == done.digest  # nothing replaced


def test_a_camera_outside_the_distance_or_near_an_unlisted_place_is_accepted(registry) -> None:
    far, _ = registry.add("5th Ave SB", SCHOOL[0] + 0.0020, SCHOOL[1], agency_id="spd")
    hall, _ = registry.add("Hall St", 47.6000, -122.3000, agency_id="spd")  # union_hall: unlisted
    assert [c.id for c in registry.list()] == sorted([far.id, hall.id])


def test_moving_a_camera_near_a_place_is_refused_and_it_stays(registry) -> None:
    entry, _ = registry.add("Mobile-ish", 47.5000, -122.3000, agency_id="spd", direction=90)
    with pytest.raises(ForbiddenError, match="Lowell Elementary"):
        registry.move(entry.id, SCHOOL[0] - 0.0005, SCHOOL[1])
    assert registry.get(entry.id).camera.latitude == 47.5000
    moved = registry.move(entry.id, 47.5100, -122.3000, direction=180)
    assert (moved.camera.latitude, moved.camera.direction) == (47.5100, 180.0)


def test_bulk_import_names_every_camera_too_near_and_registers_none(registry) -> None:
    specs = [
        CameraSpec("Fine", 47.5000, -122.3000, "spd"),
        CameraSpec("By the school", SCHOOL[0], SCHOOL[1] + 0.0005, "spd"),
        CameraSpec("Also fine", 47.5100, -122.3000, "spd"),
        CameraSpec("By the court", 47.6212, -122.3395, "spd"),
    ]
    with pytest.raises(ForbiddenError) as caught:
        registry.add_many(specs)
    message = caught.value.message
    assert "2 of 4 refused" in message
    assert "camera #2 ('By the school')" in message and "Lowell Elementary" in message
    assert "camera #4 ('By the court')" in message and "King County Courthouse" in message
    assert "#1" not in message and "#3" not in message
    assert registry.list() == []


def _feature(geometry: object, **props: object) -> dict[str, object]:
    return {"type": "Feature", "geometry": geometry, "properties": {"name": "X", **props}}


@pytest.mark.parametrize(
    ("document", "needle"),
    [
        ([], "FeatureCollection"),
        ({"type": "FeatureCollection"}, "'features' array"),
        ({"type": "FeatureCollection", "features": [{"type": "Point"}]}, "feature #0: is not"),
        (
            {"type": "FeatureCollection", "features": [_feature({"type": "Point",
             "coordinates": [0, 0]}, amenity="cafe")]},
            "feature #0: no sensitive-place tag",
        ),
        (
            {"type": "FeatureCollection", "features": [
                _feature({"type": "Point", "coordinates": [1, 2]}, amenity="school"),
                _feature({"type": "Point", "coordinates": [47.6, -122.3]}, amenity="school")]},
            "feature #1: [47.6, -122.3] is not a [lon, lat]",
        ),
        (
            {"type": "FeatureCollection", "features": [_feature({"type": "Polygon",
             "coordinates": [[[0, 0], [1, 0], [1, 1], [0, 1]]]}, amenity="school")]},
            "must end where it starts",
        ),
        (
            {"type": "FeatureCollection", "features": [_feature({"type": "LineString",
             "coordinates": [[0, 0], [1, 1]]}, amenity="school")]},
            "'LineString' is not a Point, Polygon or MultiPolygon",
        ),
    ],
)  # fmt: skip
def test_a_bad_layer_is_refused_naming_what_is_wrong(document: object, needle: str) -> None:
    with pytest.raises(InputError) as caught:
        parse_places(document)
    assert needle in caught.value.message


def test_not_json_is_an_input_error(tmp_path: Path) -> None:
    path = tmp_path / "places.geojson"
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError, match="is not JSON"):
        load_places(path)


def test_the_cli_installs_a_layer_refuses_a_bad_one_and_add_is_refused(tmp_path: Path) -> None:
    runner = CliRunner()
    env = {"TRUSTLPR_POLICY": "wa-sb-6002", "COLUMNS": "40"}
    node = tmp_path / "node"

    def run(*args: str, code: int = 0, input: str | None = None) -> str:
        result = runner.invoke(app, ["--data-dir", str(node), *args], env=env, input=input)
        assert result.exit_code == code, (args, result.output)
        return result.output

    run("init", "--agency-id", "spd", "--agency-name", "Seattle PD", "--state", "WA")
    password = "a long enough camera admin passphrase"
    run("user", "add", "alice", "--agency", "spd", "--role", "admin", "--name", "Alice",
        "--password", input=f"{password}\n{password}\n")  # fmt: skip
    run(
        "camera",
        "add",
        "Old",
        "--lat",
        str(SCHOOL[0]),
        "--lon",
        str(SCHOOL[1] + 0.001),
        "--as",
        "alice",
        input=f"{password}\n",
    )  # fmt: skip  (before any layer: accepted)
    bad = tmp_path / "bad.geojson"
    broken = layer()
    broken["features"][1]["geometry"]["coordinates"] = [COURT[:-1]]  # type: ignore[index]
    bad.write_text(json.dumps(broken), encoding="utf-8")
    out = run("camera", "places", str(bad), "--as", "alice", input=f"{password}\n", code=65)
    assert "feature #1" in " ".join(out.split()) and not (node / PLACES_FILE).exists()
    good = tmp_path / "places.geojson"
    good.write_text(json.dumps(layer()), encoding="utf-8")
    out = run("camera", "places", str(good), code=AuthError.exit_code)  # unsigned: refused
    assert not (node / PLACES_FILE).exists()
    out = " ".join(
        run("camera", "places", str(good), "--as", "alice", input=f"{password}\n").split()
    )
    assert "installed 3 sensitive places" in out and "Lowell Elementary" in out  # Old is near
    out = run("camera", "add", "New", "--lat", str(SCHOOL[0]), "--lon", str(SCHOOL[1]),
              "--as", "alice", input=f"{password}\n", code=ForbiddenError.exit_code)  # fmt: skip
    assert "Lowell Elementary" in " ".join(out.split())
