"""``make demo`` opens on a month: the replayed history fills every portal chart for 30 days,
purges destroyed keys, and every figure equals what ``recompute-stats`` computes from the log."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from tests.web.portal_node import lookup, page_figures
from trustlpr.cli.main import app as cli
from trustlpr.demo import demo_settings
from trustlpr.demo_history import HISTORY_DAYS, History, open_demo
from trustlpr.runtime import System
from trustlpr.web.app import create_app

PAGES = ("/", "/policy", "/cameras", "/sharing", "/verify")
CHARTS = (  # every daily series the portal draws (web/portal_views.overview)
    ("reads", "daily"),
    ("retained_vehicles", "daily"),
    ("hotlist", "daily"),
    ("searches", "daily"),
    ("searches", "denied_daily"),
)


@pytest.fixture(scope="module")
def demo(
    tmp_path_factory: pytest.TempPathFactory, shared_dir: Path
) -> Iterator[tuple[System, History, TestClient, datetime]]:
    settings = demo_settings(tmp_path_factory.mktemp("demo") / "data")
    # the replay's last day is a partial one, as when `make demo` starts in the evening (UTC):
    # ending at a fixed hour keeps the test the same whatever the time it runs
    today = datetime.now(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    end = today - timedelta(hours=5, minutes=17)
    steps: list[tuple[int, int]] = []
    system, _, history = open_demo(
        settings, shared_dir, end=end, progress=lambda done, days: steps.append((done, days))
    )
    assert history is not None
    assert steps and steps[-1][0] == steps[-1][1]  # the progress bar reached its end
    app = create_app(system, portal_ttl=0, exposure=False, notice=history.describe())
    try:
        yield system, history, TestClient(app), end
    finally:
        app.state.portal.close()
        system.close()


@pytest.mark.slow
def test_every_chart_has_thirty_days_and_purges_destroyed_keys(
    demo: tuple[System, History, TestClient, datetime],
) -> None:
    _, history, client, end = demo
    figures = client.get("/figures.json").json()
    assert figures["window"]["days"] == HISTORY_DAYS
    assert figures["window"]["end"] == end.date().isoformat()
    assert figures["log"]["first_time"] >= history.start.isoformat()[:10]
    for path in CHARTS:
        series = lookup(figures, list(path))
        assert len(series) == HISTORY_DAYS, path
        empty = [figures["window"]["dates"][i] for i, v in enumerate(series) if not v]
        assert not empty, (path, empty)
    retention = figures["retention"]
    assert retention["purges"] > 0 and retention["reads_purged"] > 0
    assert retention["keys_destroyed"] > 0
    searches = figures["searches"]
    assert searches["allowed"] > 0 and searches["held"] > 0 and searches["denied"] > 0
    assert figures["approvals"]["approved"] > 0
    assert figures["hotlist"]["confirmed"] > 0 and figures["hotlist"]["misreads"] > 0
    assert figures["out_of_agency"]["denied"] > 0
    assert figures["reads"]["total"] == history.reads


@pytest.mark.slow
def test_every_figure_equals_recompute_stats(
    demo: tuple[System, History, TestClient, datetime], tmp_path: Path
) -> None:
    _, _, client, _ = demo
    log_file = tmp_path / "log.jsonl"
    log_file.write_bytes(client.get("/log/download.jsonl").content)
    shown = []
    for path in PAGES:
        page = client.get(path)
        assert page.status_code == 200, path
        shown += [(path, p, v) for p, v in page_figures(page.text)]
    sizes = {v for _, p, v in shown if p == ["log", "size"]}
    assert len(sizes) == 1
    size = sizes.pop()
    result = CliRunner().invoke(
        cli, ["audit", "recompute-stats", "--log", str(log_file), "--size", str(size), "--json"]
    )
    assert result.exit_code == 0, result.output
    recomputed = json.loads(result.stdout.strip().splitlines()[-1])
    wrong = [
        (page, p, v, lookup(recomputed, p)) for page, p, v in shown if lookup(recomputed, p) != v
    ]
    assert not wrong, wrong[:5]
    assert client.get("/figures.json").json() == recomputed


@pytest.mark.slow
def test_the_first_screen_says_what_is_simulated_and_the_clock_is_live(
    demo: tuple[System, History, TestClient, datetime],
) -> None:
    system, history, client, end = demo
    page = client.get("/").text
    assert 'class="notice" role="note"' in page
    assert "everything in it is simulated" in page and f"{history.reads:,} reads" in page
    now = system.clock()
    assert end <= now <= datetime.now(UTC) + timedelta(seconds=1)
