"""A completed search's view and case file, built from the minimised result alone: images of
its sightings only, the map and timeline from its numbers, a case file that fetches nothing."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest

from tests.conftest import FakeClock
from tests.web.portal_node import Node, build_node, city, exact, form, register_city, simulate
from trustlpr.core import LegalBasis, Purpose
from trustlpr.search import Status
from trustlpr.web.sightings import asked_rows, case_file, heading, result_view
from trustlpr.web.sightings_svg import Stop, sightings_map, timeline


@pytest.fixture(scope="module")
def node(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Node]:
    clock = FakeClock(datetime(2026, 11, 2, 4, 0, tzinfo=UTC))
    built = build_node(tmp_path_factory.mktemp("sightings") / "data", clock)
    register_city(built, city(date(2026, 11, 2)))
    simulate(built, 2, searches=False)
    yield built
    built.close()


def test_headings_name_the_compass_point() -> None:
    assert heading(None) == "—"
    assert heading(0) == "N (0°)" and heading(44) == "NE (44°)" and heading(359.6) == "N (0°)"
    assert heading(180) == "S (180°)" and heading(-90) == "W (270°)"


def test_view_and_case_file_carry_only_the_result(node: Node) -> None:
    assert node.sim is not None
    system, off = node.system, node.users["off1"]
    plate = node.sim.stolen_records()[0]["plate"]
    asked = form(
        Purpose.STOLEN_VEHICLE, "stolen from the Elm Street garage, hot-list hit follow-up",
        exact(plate, node.clock.now, days=4), offense_code="larceny_motor_vehicle",
        legal_basis=LegalBasis.HOTLIST,
    )  # fmt: skip
    outcome = system.search.request(off, system.owner, asked)
    assert outcome.status is Status.COMPLETED and outcome.results
    view = result_view(system, outcome.results)
    assert [s.number for s in view.seen] == list(range(1, len(outcome.results) + 1))
    times = [s.sighting.observed_at for s in view.seen]
    assert times == sorted(times)
    assert all(s.image and s.image.startswith("data:image/jpeg;base64,") for s in view.seen)
    assert sum(view.counts.values()) == len(outcome.results)
    assert view.days[0] == times[0].date().isoformat()
    assert view.days[-1] == times[-1].date().isoformat()
    html = case_file(system, (off, system.owner), outcome, view, asked_rows(asked),
                     now=node.clock.now)  # fmt: skip
    assert f'id="decision-entry">{outcome.audit_index}<' in html
    assert f'id="result-entry">{outcome.result_audit_index}<' in html
    assert set(re.findall(r'class="plate">([^<]+)<', html)) == {plate}
    assert html.count("data:image/jpeg") == len(outcome.results)
    assert not re.search(r'(src|href)="(https?:|/)', html)
    assert asked.case_number and asked.case_number in html


def test_map_and_timeline_draw_the_numbers_given() -> None:
    stops = [
        Stop("a", "Elm & 1st", 41.30, -72.92, 90.0, (1, 3)),
        Stop("b", "Oak <Ave>", 41.31, -72.93, None, (2,)),
    ]
    svg = str(sightings_map(stops, ["a", "b", "a"]))
    assert svg.count('class="stop"') == 2 and "Oak &lt;Ave&gt;" in svg
    assert svg.count("<polyline") == 1 and svg.count("cam wedge") == 1
    days = [(date(2026, 11, 1) + timedelta(days=i)).isoformat() for i in range(3)]
    counts = {(days[0], "a"): 2, (days[2], "b"): 1}
    grid = str(timeline(days, [("a", "Elm & 1st"), ("b", "Oak <Ave>")], counts))
    dots = re.findall(r'data-day="([^"]+)" data-camera="([^"]+)"', grid)
    assert sorted(dots) == sorted(counts)
    assert str(sightings_map([], [])) == "" and str(timeline([], [], {})) == ""
