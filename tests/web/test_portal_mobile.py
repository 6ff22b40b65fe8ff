"""Mobile coverage end to end: reads of patrol cars through the real pipeline, the day's counts
published per coarse cell, and the cameras page showing exactly what ``trustlpr audit
recompute-stats`` derives from the public-log download — areas and counts, never a camera or
a time within the day."""

from __future__ import annotations

import base64
import html
import json
import re
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.conftest import FakeClock
from tests.web.portal_node import OWNER, Node, build_node, lookup, page_figures
from trustlpr.cameras import CameraSettings
from trustlpr.cli.main import app as cli
from trustlpr.core.coverage_cells import coverage_cell
from trustlpr.core.reads import Read, read_from_mapping
from trustlpr.ingest.coverage import MIN_COUNT
from trustlpr.web.app import create_app

START = datetime(2026, 11, 2, 6, 0, tzinfo=UTC)
# where each camera reads, and how many reads a day there
ROUTES = {
    "mob-1": [((41.305, -72.935), 40), ((41.325, -72.935), 25), ((41.345, -72.905), 3)],
    "mob-2": [((41.285, -72.955), 30), ((41.305, -72.935), 12)],
    "mob-3": [((41.365, -72.885), 50)],  # switched off before the last day
    "fix-1": [((41.305, -72.93), 60)],  # a pole camera: never part of the coverage
}
DAYS = 3


def _reads(camera: str, day: int) -> list[Read]:
    reads = []
    for part, ((lat, lon), count) in enumerate(ROUTES[camera]):
        for i in range(count):
            at = START + timedelta(days=day, minutes=5 * i)
            reads.append(
                read_from_mapping(
                    {
                        "plate": f"MC{day}{part}{i:03d}{camera[-1]}",
                        "state": "CT",
                        "observed_at": at.isoformat(),
                        "camera_id": camera,
                        "confidence": 0.9,
                        "lat": lat + i * 1e-5,
                        "lon": lon + i * 1e-5,
                    },
                    agency_id=OWNER,
                )
            )
    return reads


@pytest.fixture(scope="module")
def fleet(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Node, TestClient]]:
    clock = FakeClock(START)
    node = build_node(tmp_path_factory.mktemp("fleet") / "data", clock)
    registry = node.system.cameras
    for camera in ROUTES:
        mobile = camera.startswith("mob")
        registry.add(
            camera, 41.30, -72.93, agency_id=OWNER, camera_id=camera,
            settings=CameraSettings(mobile=mobile),
        )  # fmt: skip
    registry.configure("fix-1", CameraSettings(mobile=False))  # no change: no unit counted
    for day in range(DAYS):
        clock.now = START + timedelta(days=day, hours=6)
        if day == DAYS - 1:
            registry.set_enabled("mob-3", False)
            registry.set_enabled("mob-3", False)  # twice: still one unit fewer
        for camera in ROUTES:
            if camera != "mob-3" or day < DAYS - 1:
                node.system.ingest(_reads(camera, day))
        if day == 1:  # the night's job publishes the first day while the second is counted
            assert node.system.coverage.publish() > 0
    clock.now = START + timedelta(days=DAYS, hours=-5)  # 01:00 UTC after the last day
    assert node.system.coverage.publish() > 0
    assert node.system.coverage.publish() == 0  # a day is published once
    app = create_app(node.system, portal_ttl=0, exposure=False)
    client = TestClient(app)
    yield node, client
    app.state.portal.close()
    node.close()


def _log(client: TestClient) -> list[dict[str, object]]:
    download = client.get("/log/download.jsonl")
    assert download.status_code == 200
    return [json.loads(line) for line in download.text.splitlines() if line.strip()]


def test_the_cameras_page_shows_the_recomputed_units_and_coverage(
    fleet: tuple[Node, TestClient], tmp_path: Path
) -> None:
    _, client = fleet
    log_file = tmp_path / "log.jsonl"
    log_file.write_bytes(client.get("/log/download.jsonl").content)
    page = client.get("/cameras")
    assert page.status_code == 200
    shown = page_figures(page.text)
    size = next(v for p, v in shown if p == ["log", "size"])
    result = CliRunner().invoke(
        cli, ["audit", "recompute-stats", "--log", str(log_file), "--size", str(size), "--json"]
    )
    assert result.exit_code == 0, result.output
    recomputed = json.loads(result.stdout.strip().splitlines()[-1])
    mismatches = [(p, v, lookup(recomputed, p)) for p, v in shown if lookup(recomputed, p) != v]
    assert not mismatches, mismatches[:5]
    assert client.get("/figures.json").json() == recomputed
    mobile = recomputed["mobile"]
    assert mobile["units"] == 2  # three mobile units added, one switched off; the pole is none
    # every mobile read counted, the pole camera's not
    per_day = {c: sum(n for _, n in route) for c, route in ROUTES.items()}
    expected = DAYS * (per_day["mob-1"] + per_day["mob-2"]) + (DAYS - 1) * per_day["mob-3"]
    assert mobile["reads"] == expected
    assert mobile["other"] == DAYS * 3  # mob-1's 3 reads a day in a cell of their own
    cells = {
        coverage_cell(*where): n
        for camera, route in ROUTES.items()
        if camera.startswith("mob")
        for where, n in route
        if n >= MIN_COUNT
    }
    assert set(mobile["cells"]) == set(cells)
    shared = coverage_cell(41.305, -72.935)  # mob-1 and mob-2 both read there
    assert mobile["cells"][shared]["count"] == DAYS * (40 + 12)
    assert mobile["cells"][shared]["share"] == round(DAYS * 52 / expected, 4)
    assert ["mobile", "cells", shared, "count"] in [p for p, _ in shown]
    assert ["mobile", "units"] in [p for p, _ in shown]
    assert page.text.count('class="cov cov') == len(cells)  # the SVG grid, one rect per cell
    # the pole camera stands in the shared cell, yet its reads are not in the count
    ingested: Counter[str] = Counter()
    for entry in _log(client):
        leaf = entry["leaf"]
        assert isinstance(leaf, dict)
        if leaf["type"] == "reads_ingested":
            ingested.update(leaf["public"]["camera_counts"])
    assert sum(n for c, n in ingested.items() if c.startswith("mob")) == mobile["reads"]


def test_no_coverage_entry_names_a_camera_or_a_time_within_the_day(
    fleet: tuple[Node, TestClient],
) -> None:
    _, client = fleet
    entries = [e for e in _log(client) if e["leaf"]["type"] == "mobile_coverage"]  # type: ignore[index]
    assert len(entries) >= DAYS * 3
    days = set()
    for entry in entries:
        leaf = entry["leaf"]
        assert isinstance(leaf, dict)
        public = leaf["public"]
        assert set(public) == {"day", "cell", "count", "min_count"}
        assert public["cell"] == "other" or public["count"] >= public["min_count"] == MIN_COUNT
        # published after the day it counts ended: the entry's own time says nothing of it
        assert leaf["time"][:10] > public["day"]
        days.add(public["day"])
        raw = base64.b64decode(str(entry["leaf_b64"]))
        for camera in ROUTES:
            assert camera.encode() not in raw
        assert b"T" not in str(public["day"]).encode()
    assert days == {(START + timedelta(days=d)).date().isoformat() for d in range(DAYS)}


def test_on_street_tiles_the_coverage_cells_are_areas_with_no_camera(
    fleet: tuple[Node, TestClient],
) -> None:
    _, client = fleet
    from trustlpr.web.portal_svg import coverage_map
    from trustlpr.web.portal_views import coverage_cells
    from trustlpr.web.tile_map import OSM_ATTRIBUTION, TileLayer, cell_features, map_frame

    cells = coverage_cells(client.get("/figures.json").json())
    tiles = TileLayer("https://tiles.example.org/{z}/{x}/{y}.png", OSM_ATTRIBUTION)
    frame = map_frame(coverage_map(cells), tiles, [], label="cells", areas=cell_features(cells))
    found = re.search(r'data-tilemap="([^"]*)"', frame)
    assert found is not None
    data = json.loads(html.unescape(found.group(1)))
    assert data["cameras"] == [] and data["track"] == []
    assert [(a["south"], a["west"]) for a in data["areas"]] == [(c.south, c.west) for c in cells]
    assert all(a["css"].startswith("cov cov") for a in data["areas"])
