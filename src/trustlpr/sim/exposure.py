"""What someone holding every retained read could infer about the people who drive by.

The attacker sees what the store keeps: plate text as read (misreads included), camera,
time. They group reads by plate text and apply simple, published-style inferences; we score
each inference against the simulation's ground truth:

- **home**: each day's first read before 10:00 and last read after 16:00 are trips from or
  to home. The camera with the most such reads within ``radius_m`` of it (a density mode)
  is the guess, if it has at least ``min_evidence``. Right when it lies within ``radius_m``
  of the true home.
- **work**: the same on weekdays with the last read of 05:00–12:00 and the first of
  13:00–20:00; scored against the true workplace of vehicles that have one.
- **routine**: the (camera, hour) pair seen on the most distinct weekdays (at least
  ``min_evidence``) predicts "this vehicle passes here at this hour on weekdays". Right when
  the vehicle really passes there within ±``tolerance_h`` of that hour on at least 3 of the 5
  weekdays *after* the data ends (held-out truth, not retained data).
- **sensitive**: vehicles with any retained read at a camera within ``sensitive_radius_m``
  of a clinic, place of worship, etc. (what an "who was near the clinic" query returns), and
  of the vehicles that truly visited one, those with a read near *that* place within
  ``visit_window_s`` of the visit.

Patrol cars (``patrol``) add reads that each have their own position: every road corner a
patrol read was taken at is a *location* like a camera (indexes after the cameras, in
``History.where_xy``), so the home, work and sensitive-place inferences cover fixed and mobile
reads by position; the routine one uses fixed cameras only (a patrol's pass is no schedule).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .city import Simulation
from .ocr import TextError
from .patrol import Patrols
from .population import Kind

I64 = npt.NDArray[np.int64]
F64 = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]
HOUR = 3600.0


@dataclass(frozen=True)
class Method:
    """The attacker's inference parameters (see the module docstring)."""

    radius_m: float = 1000.0
    min_evidence: int = 3
    tolerance_h: float = 1.0
    sensitive_radius_m: float = 500.0
    visit_window_s: float = 3600.0
    holdout_days: int = 7


@dataclass
class History:
    """Every read of the simulated history, reduced to what the analysis needs."""

    t: F64
    camera: I64
    pid: I64  # attacker's plate group: vehicle index when the text is that vehicle's plate
    hit: Bools
    visit_vehicle: I64
    visit_place: I64
    visit_t: F64
    now: float  # end of the history: the moment the attacker looks
    holdout_vehicle: I64
    holdout_camera: I64
    holdout_t: F64
    where_xy: F64 | None = None
    """Positions of the locations ``camera`` indexes when patrol reads are in (cameras first,
    then the patrol corners); None: the cameras' own."""


def record(
    sim: Simulation, days: int, holdout_days: int, patrols: Patrols | None = None
) -> History:
    """Simulates ``days`` days of history and ``holdout_days`` more for verification, with
    the reads of ``patrols`` (their positions as locations after the cameras)."""
    pop = sim.population
    index = {bytes(p): i for i, p in enumerate(pop.plate.tolist())}
    unknown: dict[bytes, int] = {}  # a misread matching no plate: a group of its own
    hist = _record_fixed(sim, days, holdout_days, index, unknown)
    if patrols is None or not patrols.units:
        return hist
    t, node, pid, hit = [], [], [], []
    for day in range(days):
        reads = patrols.day(day)
        ids = reads.vehicle.astype(np.int64)
        wrong = np.flatnonzero(reads.text_error != TextError.EXACT)
        for row, text in zip(wrong.tolist(), reads.plate[wrong].tolist(), strict=True):
            found = index.get(text)
            ids[row] = (
                found if found is not None else unknown.setdefault(text, pop.size + len(unknown))
            )
        t.append(reads.t)
        node.append(reads.node)
        pid.append(ids)
        hit.append(reads.hit)
    nodes = np.concatenate(node)
    corners, cell = np.unique(nodes, return_inverse=True)
    n_cam = len(sim.cameras)
    hist.t = np.concatenate([hist.t, *t])
    hist.camera = np.concatenate([hist.camera, n_cam + cell.astype(np.int64)])
    hist.pid = np.concatenate([hist.pid, *pid])
    hist.hit = np.concatenate([hist.hit, *hit])
    hist.where_xy = np.concatenate([sim.camera_xy, sim.roads.xy[corners]])
    return hist


def _record_fixed(
    sim: Simulation,
    days: int,
    holdout_days: int,
    index: dict[bytes, int],
    unknown: dict[bytes, int],
) -> History:
    pop = sim.population
    now = sim.midnight(days)
    names = ("t", "camera", "pid", "hit", "visit_vehicle", "visit_place", "visit_t",
             "holdout_vehicle", "holdout_camera", "holdout_t")  # fmt: skip
    cols: dict[str, list[npt.NDArray[np.generic]]] = {k: [] for k in names}
    for batch in sim.batches(days + holdout_days):
        pid = batch.vehicle.astype(np.int64)
        wrong = np.flatnonzero(batch.text_error != TextError.EXACT)
        for row, text in zip(wrong.tolist(), batch.plate[wrong].tolist(), strict=True):
            found = index.get(text)
            pid[row] = (
                found if found is not None else unknown.setdefault(text, pop.size + len(unknown))
            )
        past = batch.t < now
        for name, values in (
            ("t", batch.t[past]), ("camera", batch.camera[past]), ("pid", pid[past]),
            ("hit", batch.hit[past]), ("holdout_vehicle", batch.vehicle[~past]),
            ("holdout_camera", batch.camera[~past]), ("holdout_t", batch.t[~past]),
            ("visit_vehicle", batch.visit_vehicle), ("visit_place", batch.visit_place),
            ("visit_t", batch.visit_t),
        ):  # fmt: skip
            cols[name].append(values)
    j = {k: np.concatenate(v) for k, v in cols.items()}
    past_visit = j["visit_t"] < now
    return History(
        t=j["t"].astype(np.float64),
        camera=j["camera"].astype(np.int64),
        pid=j["pid"].astype(np.int64),
        hit=j["hit"].astype(bool),
        visit_vehicle=j["visit_vehicle"][past_visit].astype(np.int64),
        visit_place=j["visit_place"][past_visit].astype(np.int64),
        visit_t=j["visit_t"][past_visit].astype(np.float64),
        now=now,
        holdout_vehicle=j["holdout_vehicle"].astype(np.int64),
        holdout_camera=j["holdout_camera"].astype(np.int64),
        holdout_t=j["holdout_t"].astype(np.float64),
    )


class Clock:
    """Local day, weekday and time of day of epoch times, per the city's time zone."""

    def __init__(self, sim: Simulation, days: int) -> None:
        self.midnights = np.array([sim.midnight(d) for d in range(days + 1)])
        self.weekdays = np.array([sim.weekday(d) for d in range(days + 1)])

    def split(self, t: F64) -> tuple[I64, I64, F64]:
        day = np.clip(np.searchsorted(self.midnights, t, side="right") - 1, 0, None)
        return day, self.weekdays[day], t - self.midnights[day]


def _group_ends(*keys: npt.NDArray[np.generic]) -> tuple[I64, Bools, Bools]:
    """Row order sorted by ``keys`` (first key primary), and masks of the first and last row
    of each run sharing all keys but the last (e.g. per plate and day, ordered by time)."""
    order = np.lexsort(keys[::-1])
    change = np.zeros(order.size, dtype=bool)
    last = np.zeros(order.size, dtype=bool)
    if order.size:
        change[0] = True
        for key in keys[:-1]:
            k = key[order]
            change[1:] |= k[1:] != k[:-1]
        last[:-1] = change[1:]
        last[-1] = True
    return order, change, last


def _density_mode(pid: I64, camera: I64, near: Bools, min_evidence: int) -> tuple[I64, I64]:
    """Per plate group, the camera with most observations within the radius (``near`` is the
    camera×camera within-radius matrix). Returns (pids, camera) for groups with enough."""
    if pid.size == 0:
        return np.empty(0, np.int64), np.empty(0, np.int64)
    n_cam = near.shape[0]
    pairs, counts = np.unique(pid * n_cam + camera, return_counts=True)
    p, c = pairs // n_cam, pairs % n_cam
    nb_a, nb_b = np.nonzero(near)  # camera a counts toward candidate b
    starts = np.searchsorted(nb_a, c, side="left")
    ends = np.searchsorted(nb_a, c, side="right")
    reps = ends - starts
    idx = np.repeat(starts - np.cumsum(reps) + reps, reps) + np.arange(reps.sum())
    cand = nb_b[idx]
    owner = np.repeat(p, reps)
    scores_key, inverse = np.unique(owner * n_cam + cand, return_inverse=True)
    scores = np.bincount(inverse, weights=np.repeat(counts, reps))
    sp, sc = scores_key // n_cam, scores_key % n_cam
    order = np.lexsort((sc, -scores, sp))
    first = np.ones(order.size, dtype=bool)
    first[1:] = sp[order][1:] != sp[order][:-1]
    best = order[first]
    ok = scores[best] >= min_evidence
    return sp[best][ok], sc[best][ok]


def _located(pids: I64, cams: I64, truth_xy: F64, cam_xy: F64, n: int, radius: float) -> I64:
    """Vehicles (pids < n) whose guessed camera lies within ``radius`` of their true spot."""
    real = pids < n
    p, c = pids[real], cams[real]
    with np.errstate(invalid="ignore"):
        d = np.hypot(*(cam_xy[c] - truth_xy[p]).T)
        inside = np.asarray(d <= radius, dtype=bool)
    return np.asarray(p[inside], dtype=np.int64)


@dataclass
class Scores:
    """Vehicle indices for which each inference came out right."""

    home: I64
    work: I64
    routine: I64
    near_sensitive: I64
    visitors: I64
    revealed: I64


@dataclass
class Geometry:
    """Which cameras are in the network, and which lie near each other or a sensitive place."""

    allowed: Bools  # camera is part of the network being measured
    near: Bools  # cameras × cameras within radius_m
    sensitive: Bools  # cameras × sensitive places within sensitive_radius_m
    place_index: I64  # place index → column of ``sensitive`` (-1 for non-sensitive places)
    xy: F64 | None = None  # the locations' positions (None: the cameras')


def geometry(
    sim: Simulation, allowed: Bools, method: Method, where_xy: F64 | None = None
) -> Geometry:
    """``allowed`` per location of ``where_xy`` (a ``History``'s, with patrol corners), or
    per camera when it is None."""
    xy = sim.camera_xy if where_xy is None else where_xy
    d = np.hypot(*(xy[:, None, :] - xy[None, :, :]).transpose(2, 0, 1))
    places = sim.sensitive_places
    pxy = sim.roads.xy[np.array([p.node for p in places], dtype=np.int64)]
    dp = np.hypot(*(xy[:, None, :] - pxy[None, :, :]).transpose(2, 0, 1))
    place_index = np.full(len(sim.places.places), -1, dtype=np.int64)
    place_index[[p.index for p in places]] = np.arange(len(places))
    near = (d <= method.radius_m) & allowed[None, :] & allowed[:, None]
    sensitive = (dp <= method.sensitive_radius_m) & allowed[:, None]
    return Geometry(allowed, near, sensitive, place_index, where_xy)


def infer(
    sim: Simulation,
    hist: History,
    keep: Bools,
    clock: Clock,
    geo: Geometry,
    method: Method,
    horizon: float,
) -> Scores:
    """Runs every inference on the retained reads ``keep`` and scores it against the truth.

    ``horizon`` is the start of the period the data covers, for counting visits.
    """
    pop = sim.population
    n = pop.size
    where = sim.camera_xy if geo.xy is None else geo.xy
    pid, cam, t = hist.pid[keep], hist.camera[keep], hist.t[keep]
    day, weekday, tod = clock.split(t)
    order, first, last = _group_ends(pid, day, t)
    tod_o = tod[order]
    pick = (first & (tod_o < 10 * HOUR)) | (last & (tod_o >= 16 * HOUR))
    hp, hc = _density_mode(pid[order][pick], cam[order][pick], geo.near, method.min_evidence)
    home = _located(hp, hc, pop.home_xy, where, n, method.radius_m)
    home = home[pop.kind[home] != Kind.THROUGH]

    weekday_ = weekday < 5
    picks_p, picks_c = [], []
    for lo, hi, use_last in ((5, 12, True), (13, 20, False)):
        mask = weekday_ & (tod >= lo * HOUR) & (tod < hi * HOUR)
        o, f, la = _group_ends(pid[mask], day[mask], t[mask])
        sel = la if use_last else f
        picks_p.append(pid[mask][o][sel])
        picks_c.append(cam[mask][o][sel])
    wp, wc = _density_mode(
        np.concatenate(picks_p), np.concatenate(picks_c), geo.near, method.min_evidence
    )
    work = _located(wp, wc, pop.work_xy, where, n, method.radius_m)  # NaN: no work

    # from fixed cameras only: a patrol car's pass is no schedule the held-out week can check
    fixed = weekday_ & (cam < len(sim.cameras))
    routine = _routine(pid[fixed], cam[fixed], day[fixed], tod[fixed], hist, clock,
                       geo.allowed, method, n)  # fmt: skip
    routine = routine[pop.kind[routine] != Kind.THROUGH]

    at_sensitive = np.asarray(geo.sensitive.any(axis=1), dtype=bool)[cam]
    near_sensitive = np.unique(pid[at_sensitive & (pid < n)])
    visitors, revealed = _visits(hist, pid, cam, t, geo, method, horizon)
    return Scores(home, work, routine, near_sensitive, visitors, revealed)


def _routine(
    pid: I64,
    cam: I64,
    day: I64,
    tod: F64,
    hist: History,
    clock: Clock,
    allowed: Bools,
    method: Method,
    n: int,
) -> I64:
    """Vehicles whose most regular weekday (camera, hour) recurs in the held-out week."""
    slots = allowed.size * 24
    days = clock.midnights.size
    slot = cam * 24 + (tod // HOUR).astype(np.int64)
    distinct = np.unique((pid * slots + slot) * days + day) // days
    keys, counts = np.unique(distinct, return_counts=True)
    kp, ks = keys // slots, keys % slots
    order = np.lexsort((ks, -counts, kp))
    first = np.ones(order.size, dtype=bool)
    first[1:] = kp[order][1:] != kp[order][:-1]
    best = order[first]
    best = best[(counts[best] >= method.min_evidence) & (kp[best] < n)]
    predicted = np.full(n, -1, dtype=np.int64)
    predicted[kp[best]] = ks[best]
    in_net = allowed[hist.holdout_camera]
    hv, hc, ht = hist.holdout_vehicle[in_net], hist.holdout_camera[in_net], hist.holdout_t[in_net]
    hday, hweek, htod = clock.split(ht)
    slot_v = predicted[hv]
    centre = (slot_v % 24 + 0.5) * HOUR
    ok = (slot_v >= 0) & (slot_v // 24 == hc) & (hweek < 5)
    ok &= np.abs(htod - centre) <= (0.5 + method.tolerance_h) * HOUR
    seen = np.unique(hv[ok] * days + hday[ok]) // days
    vehicles, count = np.unique(seen, return_counts=True)
    return vehicles[count >= 3]


def _visits(
    hist: History, pid: I64, cam: I64, t: F64, geo: Geometry, method: Method, horizon: float
) -> tuple[I64, I64]:
    """Vehicles that visited a sensitive place since ``horizon``, and those whose visit
    shows as a retained read near that place within the visit window."""
    since = hist.visit_t >= horizon
    vv, vt = hist.visit_vehicle[since], hist.visit_t[since]
    vp = geo.place_index[hist.visit_place[since]]
    visitors = np.unique(vv)
    rows, places = np.nonzero(geo.sensitive[cam])  # (read, place) pairs
    if rows.size == 0 or vv.size == 0:
        return visitors, np.empty(0, np.int64)
    n_place = geo.sensitive.shape[1]
    base = float(min(hist.t.min(), vt.min())) - method.visit_window_s - 1
    pairs, dense = np.unique(pid[rows] * n_place + places, return_inverse=True)
    read_key = (dense.astype(np.int64) << 31) | (t[rows] - base).astype(np.int64)
    read_key.sort()
    wanted = vv * n_place + vp
    at = np.minimum(np.searchsorted(pairs, wanted), pairs.size - 1)
    known = pairs[at] == wanted  # the vehicle was read near that place at some time
    w = method.visit_window_s
    group = at << 31
    lo = np.searchsorted(read_key, group | (vt - base - w).astype(np.int64), side="left")
    hi = np.searchsorted(read_key, group | (vt - base + w).astype(np.int64), side="right")
    return visitors, np.unique(vv[known & (hi > lo)])
