"""Exposure figures on a small city: monotone in retention and in camera density.

Each (retention, density) pair replays the same simulated history: shorter retention keeps a
suffix of it, fewer cameras a prefix of the same camera ranking. Inferences are modes of the
evidence, so a longer window can flip a handful of borderline vehicles the wrong way; the
figures must rise overall and never fall by more than ``NOISE`` (one percentage point).
"""

from __future__ import annotations

from datetime import timedelta
from itertools import pairwise

import pytest

from trustlpr.core.errors import InputError
from trustlpr.core.identity import Camera
from trustlpr.sim import (
    CityConfig,
    ExposureFigures,
    Method,
    Retention,
    Simulation,
    measure,
    network_exposure,
)
from trustlpr.sim.report import parse_densities, parse_retentions

NOISE = 0.01
SHARES = ("home", "work", "home_and_work", "routine", "near_sensitive")
DENSITIES = [8, 16, 32, 64]


@pytest.fixture(scope="module")
def grid() -> dict[tuple[str, int], ExposureFigures]:
    sim = Simulation(CityConfig(seed=11, cameras=64, vehicles=2_500, area_km2=30.0))
    figures = measure(sim, parse_retentions("3m,7d,21d,60d"), DENSITIES)
    return {(f.retention, f.cameras): f for f in figures}


def test_more_retention_reveals_more(grid: dict[tuple[str, int], ExposureFigures]) -> None:
    labels = ["3m (hits only)", "7d", "21d", "60d"]
    for density in DENSITIES:
        rows = [grid[(label, density)] for label in labels]
        for key in SHARES:
            values = [getattr(r, key) for r in rows]
            assert all(b >= a - NOISE for a, b in pairwise(values)), (key, density, values)
            assert values[-1] > values[0], (key, density, values)
        reads = [r.reads_retained for r in rows]
        assert reads == sorted(reads)


def test_more_cameras_reveal_more(grid: dict[tuple[str, int], ExposureFigures]) -> None:
    for label in ("7d", "21d", "60d"):
        rows = [grid[(label, d)] for d in DENSITIES]
        for key in SHARES:
            values = [getattr(r, key) for r in rows]
            assert all(b >= a - NOISE for a, b in pairwise(values)), (key, label, values)
            assert values[-1] > values[0] + 0.05, (key, label, values)


def test_hit_only_retention_reveals_almost_nothing(
    grid: dict[tuple[str, int], ExposureFigures],
) -> None:
    for density in DENSITIES:
        hit_only = grid[("3m (hits only)", density)]
        assert hit_only.hit_only
        for key in SHARES:
            assert getattr(hit_only, key) <= 0.005  # only the few stolen vehicles
        month = grid[("21d", density)]
        assert month.reads_retained > 50 * hit_only.reads_retained


def test_figures_are_shares_with_their_denominators(
    grid: dict[tuple[str, int], ExposureFigures],
) -> None:
    f = grid[("60d", 64)]
    assert f.vehicles == 2_500 and 0 < f.workers < f.residents < f.vehicles
    for key in (*SHARES, "visits_revealed"):
        assert 0.0 <= getattr(f, key) <= 1.0
    assert f.home > 0.3 and f.routine > 0.3  # a dense network with two months of reads
    assert f.home_and_work <= min(f.home * f.residents / f.workers, f.work)
    assert f.visitors > 0 and f.visits_revealed > 0
    assert f.cameras_per_km2 == pytest.approx(64 / 30, rel=0.25)
    assert "64 cameras" in f.headline() and "60d" in f.headline()


def test_a_wider_area_is_easier_to_hit() -> None:
    sim = Simulation(CityConfig(seed=3, cameras=30, vehicles=1_500, area_km2=20.0))
    week = [Retention(timedelta(days=14))]
    narrow = measure(sim, week, method=Method(radius_m=500))[0]
    wide = measure(sim, week, method=Method(radius_m=2000))[0]
    assert wide.home > narrow.home and wide.work > narrow.work


def test_live_network_figure() -> None:
    cams = [
        Camera(f"c{i}", "local", f"Cam {i}", 41.30 + 0.004 * (i % 6), -72.93 + 0.005 * (i // 6),
               direction=float(90 * (i % 4)))
        for i in range(24)
    ]  # fmt: skip
    figure = network_exposure(cams, timedelta(days=7), vehicles=1_500)
    assert figure.cameras == 24 and figure.retention == "7d"
    assert 0 < figure.home < 1 and 0 < figure.near_sensitive <= 1
    with pytest.raises(InputError):
        network_exposure([], timedelta(days=7))


def test_parsing_settings() -> None:
    assert [r.label for r in parse_retentions("365d, 3m,21d,21d")] == [
        "3m (hits only)",
        "21d",
        "365d",
    ]
    assert parse_densities("50,12,12") == [12, 50]
    for bad in ("", "3x", "0d", "9000d"):
        with pytest.raises(InputError) as err:
            parse_retentions(bad)
        assert err.value.field == "retention"
    for bad in ("", "ten", "0"):
        with pytest.raises(InputError) as err:
            parse_densities(bad)
        assert err.value.field == "density"
    sim = Simulation(CityConfig(seed=1, cameras=5, vehicles=200))
    with pytest.raises(InputError, match="the city has 5"):
        measure(sim, parse_retentions("1d"), [6])
