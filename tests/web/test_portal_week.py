"""A simulated week through the real pipeline: every figure the portal shows equals the one
``trustlpr audit recompute-stats`` computes from the public-log download alone."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.conftest import FakeClock
from tests.web.portal_node import (
    Node,
    build_node,
    city,
    lookup,
    page_figures,
    register_city,
    simulate,
)
from trustlpr.cli.main import app as cli
from trustlpr.web.app import create_app

PAGES = ("/", "/policy", "/cameras", "/sharing", "/verify")


@pytest.fixture(scope="module")
def week(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Node, TestClient]]:
    start = date(2026, 11, 2)
    clock = FakeClock(datetime(2026, 11, 2, 4, 0, tzinfo=UTC))
    node = build_node(tmp_path_factory.mktemp("week") / "data", clock)
    register_city(node, city(start))
    fed = simulate(node, 7)
    assert fed > 10_000
    app = create_app(node.system, portal_ttl=0, exposure=False)
    client = TestClient(app)
    yield node, client
    app.state.portal.close()
    node.close()


def test_every_portal_figure_equals_the_recomputed_one(
    week: tuple[Node, TestClient], tmp_path: Path
) -> None:
    _, client = week
    download = client.get("/log/download.jsonl")
    assert download.status_code == 200
    log_file = tmp_path / "log.jsonl"
    log_file.write_bytes(download.content)
    shown: list[tuple[str, list[str], object]] = []
    sizes = set()
    for path in PAGES:
        page = client.get(path)
        assert page.status_code == 200, path
        figures = page_figures(page.text)
        assert figures, f"{path} shows no figure"
        shown += [(path, p, v) for p, v in figures]
        sizes |= {v for p, v in figures if p == ["log", "size"]}
    assert len(sizes) == 1, "every page must be computed at the same log size"
    size = sizes.pop()
    result = CliRunner().invoke(
        cli, ["audit", "recompute-stats", "--log", str(log_file), "--size", str(size), "--json"]
    )
    assert result.exit_code == 0, result.output
    recomputed = json.loads(result.stdout.strip().splitlines()[-1])
    assert recomputed["log"]["size"] == size
    mismatches = [
        (page, p, v, lookup(recomputed, p)) for page, p, v in shown if lookup(recomputed, p) != v
    ]
    assert not mismatches, mismatches[:5]
    # the week really exercised every kind of figure
    paths = {tuple(p) for _, p, _ in shown}
    for wanted in [
        ("reads", "total"),
        ("hotlist", "misread_rate"),
        ("searches", "denied"),
        ("approvals", "approved"),
        ("out_of_agency", "denied"),
        ("retained_vehicles", "latest", "count"),
        ("retention", "reads_purged"),
    ]:
        assert wanted in paths, wanted
    assert recomputed["reads"]["total"] > 10_000
    assert recomputed["hotlist"]["hits"] > 0 and recomputed["hotlist"]["verified"] > 0
    assert recomputed["searches"]["denied"] >= 7 * 3
    assert recomputed["searches"]["denial_reasons"]
    assert recomputed["out_of_agency"]["allowed"] > 0 and recomputed["out_of_agency"]["denied"] > 0
    assert recomputed["retention"]["reads_purged"] > 0
    assert recomputed["retained_vehicles"]["latest"]["count"] > 0
    assert recomputed["changes"]["policy"][0]["policy"] == "ct-pa-26-14"
    json_figures = client.get("/figures.json").json()
    assert json_figures == recomputed


def test_the_figures_follow_the_log_as_it_grows(week: tuple[Node, TestClient]) -> None:
    node, client = week
    before = client.get("/figures.json").json()
    node.clock.advance(minutes=5)
    off, owner = node.users["off1"], node.system.owner
    from tests.web.portal_node import exact, form
    from trustlpr.core import Purpose

    node.system.search.request(
        off,
        owner,
        form(Purpose.PERSONAL, "checking on my neighbour", exact("ABC123", node.clock.now)),
    )
    after = client.get("/figures.json").json()
    assert after["log"]["size"] == before["log"]["size"] + 1
    assert after["searches"]["denied"] == before["searches"]["denied"] + 1
    assert after["searches"]["by_purpose"]["personal"]["deny"] >= 1
