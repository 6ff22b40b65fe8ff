"""The attacker's inference steps on hand-made data, where the right answer is known."""

from __future__ import annotations

import numpy as np

from trustlpr.sim.exposure import Geometry, History, Method, _density_mode, _group_ends, _visits


def test_group_ends_marks_first_and_last_of_each_plate_day() -> None:
    pid = np.array([2, 1, 1, 2, 1])
    day = np.array([0, 0, 0, 0, 1])
    t = np.array([50.0, 30.0, 10.0, 40.0, 5.0])
    order, first, last = _group_ends(pid, day, t)
    assert order.tolist() == [2, 1, 4, 3, 0]  # plate 1 day 0 (t 10, 30), plate 1 day 1, plate 2
    assert first.tolist() == [True, False, True, True, False]
    assert last.tolist() == [False, True, True, False, True]


def test_density_mode_pools_neighbouring_cameras() -> None:
    # cameras 0 and 1 are neighbours, 2 is far: 2+2 reads near 0/1 beat 3 reads at 2
    near = np.array([[1, 1, 0], [1, 1, 0], [0, 0, 1]], dtype=bool)
    pid = np.array([7, 7, 7, 7, 7, 7, 7, 9, 9])
    cam = np.array([0, 0, 1, 1, 2, 2, 2, 2, 2])
    pids, cams = _density_mode(pid, cam, near, min_evidence=3)
    assert dict(zip(pids.tolist(), cams.tolist(), strict=True)) == {7: 0}  # 9 has too little
    pids, cams = _density_mode(pid, cam, near, min_evidence=2)
    assert dict(zip(pids.tolist(), cams.tolist(), strict=True)) == {7: 0, 9: 2}


def _history(reads: list[tuple[int, int, float]], visits: list[tuple[int, int, float]]) -> History:
    pid, cam, t = (np.array(c) for c in zip(*reads, strict=True))
    vv, vp, vt = (np.array(c) for c in zip(*visits, strict=True))
    empty = np.empty(0, dtype=np.int64)
    return History(
        t=t.astype(float),
        camera=cam,
        pid=pid,
        hit=np.zeros(len(reads), bool),
        visit_vehicle=vv,
        visit_place=vp,
        visit_t=vt.astype(float),
        now=1e9,
        holdout_vehicle=empty,
        holdout_camera=empty,
        holdout_t=empty.astype(float),
    )


def test_a_visit_shows_only_near_its_place_and_time() -> None:
    # camera 0 is near sensitive place 5 (column 0), camera 1 near place 6 (column 1)
    geo = Geometry(
        allowed=np.array([True, True]),
        near=np.eye(2, dtype=bool),
        sensitive=np.array([[True, False], [False, True]]),
        place_index=np.array([-1, -1, -1, -1, -1, 0, 1]),
    )
    hist = _history(
        reads=[(1, 0, 10_000.0), (2, 1, 10_000.0), (3, 0, 50_000.0), (4, 0, 20_000.0)],
        visits=[(1, 5, 10_500.0), (2, 5, 10_000.0), (3, 5, 10_000.0), (4, 5, 16_500.0),
                (5, 6, 10_000.0)],
    )  # fmt: skip
    visitors, revealed = _visits(
        hist, hist.pid, hist.camera, hist.t, geo, Method(visit_window_s=3600), horizon=0.0
    )
    assert visitors.tolist() == [1, 2, 3, 4, 5]
    # 1: right place, 500 s apart; 2: wrong place; 3: 11 h apart; 4: 3,500 s; 5: never read
    assert revealed.tolist() == [1, 4]
    _, none = _visits(hist, hist.pid, hist.camera, hist.t, geo, Method(), horizon=20_000.0)
    assert none.tolist() == []
