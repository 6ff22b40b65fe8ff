"""Patrol cars in the simulated city: each drives a loop along the road graph through camera
corners during its shift and reads cars parked at home on it; every read has its own moving
position on the loop, and the units register on a node as mobile cameras whose reads are
stored where they were taken."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest

from trustlpr.core.errors import InputError
from trustlpr.core.reads import read_from_mapping
from trustlpr.runtime import System, initialise
from trustlpr.settings import Settings
from trustlpr.sim import Simulation
from trustlpr.sim.patrol import SHIFT, Patrols
from trustlpr.sim.register import register_patrols


def _metres(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    dy = (lat2 - lat1) * 111_320.0
    dx = (lon2 - lon1) * 111_320.0 * math.cos(math.radians(lat1))
    return math.hypot(dx, dy)


def test_units_drive_loops_on_the_road_graph_through_camera_corners(small: Simulation) -> None:
    patrols = Patrols(small, 3)
    corners = {c.node for c in small.cameras}
    for unit in patrols.units:
        assert unit.route[0] == unit.route[-1] and unit.route[0] in corners  # a closed loop
        assert len(set(unit.route.tolist()) & corners) >= 2
        for a, b in zip(unit.route.tolist(), unit.route[1:].tolist(), strict=False):
            assert small.roads.graph.has_edge(a, b)  # along roads, no jumps
        assert np.all(np.diff(unit.times) > 0)
    assert [u.id for u in patrols.units] == ["patrol-1", "patrol-2", "patrol-3"]
    with pytest.raises(InputError, match="patrols"):
        Patrols(small, 1000)


def test_a_day_of_patrol_reads_moves_along_the_loop_and_reads_parked_cars(
    small: Simulation,
) -> None:
    patrols = Patrols(small, 2)
    reads = patrols.day(0)
    assert len(reads) > 200
    assert np.all(np.diff(reads.t) >= 0)
    local = reads.t - small.midnight(0)
    assert local.min() >= SHIFT[0] and local.max() < SHIFT[1]  # during the shift only
    pop = small.population
    assert np.array_equal(pop.home[reads.vehicle], reads.node)  # parked at its owner's home
    lat, lon = small.roads.latlon(reads.node)
    gaps = [_metres(*x) for x in zip(lat, lon, reads.lat, reads.lon, strict=True)]
    assert max(gaps) <= 16.0  # on the road just past the corner
    for u, unit in enumerate(patrols.units):
        mine = reads.unit == u
        assert set(reads.node[mine].tolist()) <= set(unit.route.tolist())
        assert np.unique(np.round(reads.lat[mine], 4)).size > 5  # it moves
    assert np.all((reads.heading >= 0) & (reads.heading < 360))
    assert np.all((reads.speed > 0) & (reads.speed <= 130))
    again = Patrols(small, 2).day(0)  # deterministic per (seed, day)
    assert np.array_equal(again.t, reads.t) and np.array_equal(again.plate, reads.plate)
    assert not np.array_equal(Patrols(small, 2).day(1).t, reads.t)


def test_patrol_units_register_as_mobile_cameras_and_their_reads_keep_their_positions(
    small: Simulation, tmp_path: Path
) -> None:
    settings = Settings.load(tmp_path / "node", env={}, agency_id=small.config.agency_id,
                             agency_state="CT")  # fmt: skip
    initialise(settings)
    patrols = Patrols(small, 2)
    day = patrols.day(0)
    wanted = day.t.size - np.searchsorted(day.t, day.t[-1] - 600)  # the last 10 minutes
    rows = patrols.read_dicts(day)[-int(wanted) :]
    moved = datetime.now(UTC) - datetime.fromisoformat(str(rows[-1]["observed_at"]))
    with System(settings) as node:
        keys = register_patrols(node.cameras, patrols, agency_id=small.config.agency_id,
                                actor=None)  # fmt: skip
        assert sorted(keys) == ["patrol-1", "patrol-2"]
        assert all(node.cameras.get(k).camera.mobile for k in keys)
        recent = [
            read_from_mapping(
                r | {"observed_at": (datetime.fromisoformat(str(r["observed_at"])) + moved
                                     - timedelta(minutes=1)).isoformat()}
            )
            for r in rows
        ]  # fmt: skip
        assert node.ingest(recent) > 0
        found = node.store.scan(datetime.now(UTC) - timedelta(hours=1), datetime.now(UTC))
        stored = {(s.read.camera_id, round(s.read.latitude, 6)) for s in found}
        sent = {(str(r["camera_id"]), round(float(r["lat"]), 6)) for r in rows}  # type: ignore[arg-type]
        assert stored <= sent and len({lat for _, lat in stored}) > 1
        again = register_patrols(node.cameras, patrols, agency_id=small.config.agency_id,
                                 actor=None)  # fmt: skip
        assert sorted(again) == sorted(keys) and again != keys  # keys rotated


def test_the_exposure_analysis_counts_patrol_reads_by_their_positions(small: Simulation) -> None:
    from trustlpr.sim import measure
    from trustlpr.sim.exposure import record
    from trustlpr.sim.report import parse_retentions

    patrols = Patrols(small, 4)
    hist = record(small, 7, 7, patrols)
    n_cam = len(small.cameras)
    assert hist.where_xy is not None and hist.where_xy.shape[0] > n_cam
    mobile = hist.camera >= n_cam
    assert mobile.sum() == sum(len(patrols.day(d)) for d in range(7))
    exact = mobile & (hist.pid < small.population.size)
    corners = hist.where_xy[hist.camera[exact]]  # each patrol read where it was taken
    homes = small.population.home_xy[hist.pid[exact]]
    assert np.median(np.hypot(*(corners - homes).T)) < 100.0  # at the home's corner
    [fixed] = measure(small, parse_retentions("7d"))
    [both] = measure(small, parse_retentions("7d"), patrols=4)
    assert (fixed.patrol_cars, both.patrol_cars) == (0, 4)
    assert both.reads_retained > fixed.reads_retained
    assert both.home > fixed.home + 0.02  # reads of parked cars reveal where people live


def test_network_exposure_puts_a_patrol_car_on_the_roads_for_each_mobile_camera() -> None:
    from trustlpr.core.identity import Camera
    from trustlpr.sim import network_exposure

    fixed = [Camera(f"c{i}", "nhpd", f"Cam {i}", 41.30 + 0.004 * i, -72.92 - 0.003 * (i % 3))
             for i in range(8)]  # fmt: skip
    car = Camera("car1", "nhpd", "Cruiser 1", 41.31, -72.93, mobile=True)
    figures = network_exposure([*fixed, car], timedelta(days=7), vehicles=1_500)
    assert figures.patrol_cars == 1 and figures.cameras == len(fixed)  # its base is no camera
    alone = network_exposure(fixed, timedelta(days=7), vehicles=1_500)
    assert alone.patrol_cars == 0 and figures.reads_retained > alone.reads_retained
    with pytest.raises(InputError, match="fixed camera"):
        network_exposure([car], timedelta(days=7), vehicles=500)
