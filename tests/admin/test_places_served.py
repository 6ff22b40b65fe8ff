"""Sensitive places on a served node (issue 15 item 5): an admin uploads the layer over HTTP,
a bad or oversized one is refused with nothing replaced, a camera near a place is refused
naming it (over HTTP and from the CLI through the running service), and the log's public
entries (counts per category, the layer's hash) feed the portal's check and the annual report."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest

from tests.admin.test_running_node import Node, Served, audit_size, cli, start_serving, stop_serving
from trustlpr.audit import open_audit
from trustlpr.audit.leaf import parse_leaf
from trustlpr.cameras import PLACES_FILE
from trustlpr.core import Role
from trustlpr.core.errors import ForbiddenError
from trustlpr.runtime import System, initialise
from trustlpr.settings import Settings

pytestmark = pytest.mark.slow
SCHOOL = (47.6100, -122.3300)
COURT = [[-122.3400, 47.6200], [-122.3390, 47.6200], [-122.3390, 47.6210],
         [-122.3400, 47.6210], [-122.3400, 47.6200]]  # fmt: skip


def layer() -> dict[str, object]:
    return {
        "type": "FeatureCollection",
        "generator": "overpass-turbo",  # a foreign member, as an OSM export has: kept
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
                "properties": {"category": "union_hall", "name": "Hall 9"},
            },
        ],
    }


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    data = tmp_path_factory.mktemp("places") / "node"
    settings = Settings.load(data, env={}, agency_id="spd", agency_state="WA", policy="wa-sb-6002")
    initialise(settings)
    with System(settings) as system:
        ids = system.identity
        adm1 = ids.add_user("adm1", "spd", Role.ADMIN, "One", actor=None)
        adm2 = ids.add_user("adm2", "spd", Role.ADMIN, "Two", actor=None)
        ids.add_user("ofc", "spd", Role.OFFICER, "Officer", actor=adm1)
        node = Node(
            data,
            settings,
            ids.create_token("adm1", actor=adm1).plaintext,
            ids.create_token("adm2", actor=adm2).plaintext,
            ids.create_token("ofc", actor=adm1).plaintext,
        )
    running = start_serving(node)
    try:
        yield running
    finally:
        stop_serving(running)


def _post(served: Served, body: bytes, token: str | None) -> httpx.Response:
    headers = {"Content-Type": "application/geo+json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.post(
        f"{served.url}/api/v1/admin/places.install", content=body, headers=headers, timeout=120
    )


def _public_since(node: Node, start: int) -> list[dict[str, object]]:
    with open_audit(node.data, agency_id="spd", readonly=True) as audit:
        return [parse_leaf(audit.log.leaf(i)) for i in range(start, audit.log.size)]


def test_a_layer_uploaded_over_http_is_checked_whole_then_installed_and_logged(
    served: Served,
) -> None:
    node = served.node
    target = node.data / PLACES_FILE
    size = audit_size(node)
    good = json.dumps(layer()).encode()
    broken = layer()
    broken["features"][1]["geometry"]["coordinates"] = [COURT[:-1]]  # type: ignore[index]
    bad_bodies = {
        "oversized": (b'{"type": "FeatureCollection", "features": [' + b" " * (9 << 20) + b"]}",
                      413, "bytes"),
        "not JSON": (b'{"type": "FeatureCollection", "features": [', 422, "not valid JSON"),
        "not a collection": (json.dumps({"type": "Feature"}).encode(), 422, "FeatureCollection"),
        "bad feature": (json.dumps(broken).encode(), 422, "feature #1"),
    }  # fmt: skip
    for name, (body, status, needle) in bad_bodies.items():
        answer = _post(served, body, node.admin1)
        assert answer.status_code == status, (name, answer.text)
        assert needle in answer.text, (name, answer.text)
    assert _post(served, good, None).status_code == 401
    assert _post(served, good, node.officer).status_code == 403
    assert not target.exists() and audit_size(node) == size  # nothing replaced, nothing logged
    answer = _post(served, good, node.admin1)
    assert answer.status_code == 200, answer.text
    done = answer.json()
    assert done["installed"] == 3 and done["distance_m"] == 150
    assert done["by_category"] == {"courthouse": 1, "school": 1, "union_hall": 1}
    assert done["digest"] == hashlib.sha256(target.read_bytes()).hexdigest()
    assert json.loads(target.read_bytes())["generator"] == "overpass-turbo"
    (installed,) = _public_since(node, size)
    assert installed["type"] == "camera_changed"
    assert installed["public"] == {
        "action": "places_installed",
        "count": 3,
        "active_by_category": done["by_category"],
        "digest": done["digest"],
    }  # who installed it is in the private detail only
    assert b"adm1" not in json.dumps(installed).encode()
    again = _post(served, json.dumps(broken).encode(), node.admin1)
    assert again.status_code == 422
    assert hashlib.sha256(target.read_bytes()).hexdigest() == done["digest"]


def test_a_camera_near_a_place_is_refused_naming_it_and_counted_publicly(served: Served) -> None:
    node = served.node
    if not (node.data / PLACES_FILE).exists():
        assert _post(served, json.dumps(layer()).encode(), node.admin1).status_code == 200
    size = audit_size(node)
    code, out = cli(node, "camera", "add", "5th Ave NB", "--lat", str(SCHOOL[0] + 0.0009),
                    "--lon", str(SCHOOL[1]), "--token", node.admin1)  # fmt: skip
    assert code == ForbiddenError.exit_code, out
    said = " ".join(out.split())
    assert "Lowell Elementary" in said and "150 m" in said and "wa-sb-6002" in said
    answer = served.api(
        "cameras.add", {"name": "Court St", "lat": 47.6205, "lon": -122.3395}, node.admin1
    )
    assert answer.status_code == 403 and "King County Courthouse" in answer.text
    fine = served.api("cameras.add", {"name": "Far", "lat": 47.5, "lon": -122.3}, node.admin1)
    assert fine.status_code == 200, fine.text
    leaves = _public_since(node, size)
    refused = [
        leaf["public"] for leaf in leaves if leaf["public"].get("action") == "placement_refused"
    ]
    assert refused == [
        {"action": "placement_refused", "category": "school", "count": 1},
        {"action": "placement_refused", "category": "courthouse", "count": 1},
    ]
    assert "47.6" not in json.dumps(refused) and "Lowell" not in json.dumps(leaves)
    page = httpx.get(f"{served.url}/cameras", timeout=60).text
    check = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", page.split('id="placement-check"')[1]))
    assert "within 150 m of a courthouse, food bank, immigration facility, place of" in check
    assert "1 camera in service checked against 2 such places (of 3 in the agency's layer)" in check
    assert "0 stand within the distance" in check
    assert "Registrations and moves refused near a sensitive place in the last 30 days: 2" in check
    year = str(datetime.now(UTC).year)
    code, out = cli(node, "report", "annual", "--year", year, "--format", "json")
    assert code == 0, out
    rows = {row["id"]: row for row in json.loads(out)["figures"]}
    assert rows["placements_refused"]["value"] == 2
    assert rows["placements_refused"]["cite"] == "Washington SB 6002 (2026)"
    assert json.loads(out)["tables"]["placements_refused_by_category"] == {
        "courthouse": 1,
        "school": 1,
    }
