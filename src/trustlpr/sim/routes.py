"""Precomputed routes, so that millions of trips become camera passes with array operations.

A trip from node ``o`` to node ``d`` is routed hub-to-hub: ``o`` drives to the hub of its zone
(``out_leg``), hubs follow the fastest chain of neighbouring zones (``pairs``), and the last
leg leaves the destination's hub for ``d`` (``in_leg``). Only the cameras on each leg are
stored, as CSR tables (offsets + flat arrays), with the travel time from the leg's start and
the vehicle's heading. The hub detour is the price of never running a per-trip shortest path.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import networkx as nx
import numpy as np
import numpy.typing as npt

from .roads import RoadNet, SimCamera
from .sites import angle_between, bearing

IntArray = npt.NDArray[np.int64]
READ_ANGLE = 60.0  # a directional camera reads vehicles heading within this many degrees


@dataclass
class PathTable:
    """Camera passes along K paths: path k owns entries ``offsets[k]:offsets[k+1]``."""

    offsets: IntArray
    camera: npt.NDArray[np.int32]
    toff: npt.NDArray[np.float32]
    heading: npt.NDArray[np.int16]
    total: npt.NDArray[np.float32]

    @staticmethod
    def build(rows: Sequence[list[tuple[int, float, int]]], totals: Sequence[float]) -> PathTable:
        counts = np.fromiter((len(r) for r in rows), dtype=np.int64, count=len(rows))
        flat = [entry for row in rows for entry in row]
        cam = np.fromiter((e[0] for e in flat), dtype=np.int32, count=len(flat))
        toff = np.fromiter((e[1] for e in flat), dtype=np.float32, count=len(flat))
        heading = np.fromiter((e[2] for e in flat), dtype=np.int16, count=len(flat))
        offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        return PathTable(offsets, cam, toff, heading, np.asarray(totals, dtype=np.float32))


def gather(offsets: IntArray, keys: npt.NDArray[np.integer]) -> tuple[IntArray, IntArray]:
    """For each key its slice ``offsets[key]:offsets[key+1]``, flattened: (owner, position)."""
    starts = offsets[keys]
    lens = offsets[keys + 1] - starts
    owner = np.repeat(np.arange(len(keys), dtype=np.int64), lens)
    ends = np.cumsum(lens)
    total = int(ends[-1]) if len(ends) else 0
    pos = np.arange(total, dtype=np.int64) + np.repeat(starts - (ends - lens), lens)
    return owner, pos


class _Walker:
    """Turns node paths into camera entries (which cameras a vehicle on that path passes)."""

    def __init__(self, roads: RoadNet, cameras: Sequence[SimCamera]) -> None:
        self.graph = roads.graph
        self.xy = roads.xy
        self.at: dict[int, list[tuple[int, float | None]]] = {}
        for index, cam in enumerate(cameras):
            self.at.setdefault(cam.node, []).append((index, cam.heading))

    def entries(
        self, path: Sequence[int], skip_first: bool
    ) -> tuple[list[tuple[int, float, int]], float]:
        out: list[tuple[int, float, int]] = []
        elapsed = 0.0
        for i, node in enumerate(path):
            if i:
                elapsed += self.graph[path[i - 1]][node]["time"]
            if (i == 0 and skip_first) or node not in self.at:
                continue
            if i:
                dx, dy = self.xy[node] - self.xy[path[i - 1]]
            elif len(path) > 1:
                dx, dy = self.xy[path[1]] - self.xy[node]
            else:
                dx = dy = math.nan
            heading = None if math.isnan(dx) else float(bearing(dx, dy))
            for cam, wanted in self.at[node]:
                if wanted is None or (
                    heading is not None and angle_between(heading, wanted) <= READ_ANGLE
                ):
                    out.append((cam, elapsed, -1 if heading is None else round(heading) % 360))
        return out, elapsed


@dataclass
class Routes:
    """Zones, hubs and the three leg tables of a city."""

    zone: npt.NDArray[np.int32]
    hubs: IntArray
    out_leg: PathTable
    in_leg: PathTable
    pairs: PathTable

    @property
    def zones(self) -> int:
        return int(self.hubs.size)

    def trip_time(self, origin: IntArray, dest: IntArray) -> npt.NDArray[np.float32]:
        pair = self.zone[origin].astype(np.int64) * self.zones + self.zone[dest]
        total = self.out_leg.total[origin] + self.pairs.total[pair] + self.in_leg.total[dest]
        return np.asarray(total, dtype=np.float32)


def _hubs(roads: RoadNet) -> IntArray:
    step = 5 if roads.size < 10_000 else 7
    while roads.size / step**2 > 500:
        step += 1
    mid = step // 2
    mask = (roads.row % step == mid) & (roads.col % step == mid)
    hubs = np.flatnonzero(mask)
    return hubs if hubs.size else np.array([0], dtype=np.int64)


@dataclass
class RoutePlan:
    """The camera-independent part of routing: zones, node paths, chains of segments."""

    hubs: IntArray
    zone: npt.NDArray[np.int32]
    paths: list[list[int]]  # per node: its hub ... the node
    segments: list[list[int]]  # directed node paths between neighbouring hubs
    chain_counts: IntArray  # per (source zone × zones + target zone): segments on the way
    chain_items: IntArray  # the segment ids, pair after pair


def plan_routes(roads: RoadNet) -> RoutePlan:
    """Zones (nearest hub by travel time), each node's path to its hub, the segments between
    neighbouring hubs, and for every pair of zones the fastest chain of segments."""
    graph = roads.graph
    hubs = _hubs(roads)
    hub_index = {int(h): i for i, h in enumerate(hubs.tolist())}
    _, found = nx.multi_source_dijkstra(graph, set(hub_index), weight="time")
    paths = [found[node] for node in range(roads.size)]
    zone = np.array([hub_index[p[0]] for p in paths], dtype=np.int32)
    z = hubs.size
    edges = np.array(list(graph.edges()), dtype=np.int64).reshape(-1, 2)
    za, zb = zone[edges[:, 0]], zone[edges[:, 1]]
    cross = za != zb
    adjacent = sorted(
        {
            (min(a, b), max(a, b))
            for a, b in zip(za[cross].tolist(), zb[cross].tolist(), strict=True)
        }
    )
    segments: list[list[int]] = []
    seg_id: dict[tuple[int, int], int] = {}
    zgraph = nx.DiGraph()
    zgraph.add_nodes_from(range(z))
    for a, b in adjacent:
        cost, path = nx.bidirectional_dijkstra(graph, int(hubs[a]), int(hubs[b]), weight="time")
        for src, dst, nodes in ((a, b, path), (b, a, path[::-1])):
            seg_id[(src, dst)] = len(segments)
            segments.append(nodes)
            zgraph.add_edge(src, dst, weight=cost)
    counts = np.zeros(z * z, dtype=np.int64)
    items: list[int] = []
    for s in range(z):
        pred, dist = nx.dijkstra_predecessor_and_distance(zgraph, s, weight="weight")
        chains: dict[int, list[int]] = {s: []}
        for t in sorted(dist, key=dist.__getitem__):
            if t != s:
                p = pred[t][0]
                chains[t] = [*chains[p], seg_id[(p, t)]]
        for t in range(z):
            chain = chains.get(t, [])
            counts[s * z + t] = len(chain)
            items.extend(chain)
    return RoutePlan(hubs, zone, paths, segments, counts, np.asarray(items, dtype=np.int64))


def build_routes(
    roads: RoadNet, cameras: Sequence[SimCamera], plan: RoutePlan | None = None
) -> Routes:
    """Every leg's camera entries for these cameras (``plan`` is reused when given)."""
    plan = plan or plan_routes(roads)
    walker = _Walker(roads, cameras)
    out_rows, out_tot, in_rows, in_tot = [], [], [], []
    for path in plan.paths:
        entries, total = walker.entries(path[::-1], skip_first=False)
        out_rows.append(entries)
        out_tot.append(total)
        entries, total = walker.entries(path, skip_first=True)
        in_rows.append(entries)
        in_tot.append(total)
    out_leg = PathTable.build(out_rows, out_tot)
    in_leg = PathTable.build(in_rows, in_tot)
    seg_rows, seg_tot = [], []
    for nodes in plan.segments:
        entries, total = walker.entries(nodes, skip_first=True)
        seg_rows.append(entries)
        seg_tot.append(total)
    pairs = _pairs(PathTable.build(seg_rows, seg_tot), plan)
    return Routes(plan.zone, plan.hubs, out_leg, in_leg, pairs)


def _pairs(segs: PathTable, plan: RoutePlan) -> PathTable:
    """Hub-to-hub tables: each pair's chain of segments, entries shifted by time so far."""
    z = plan.hubs.size
    items, seq_counts = plan.chain_items, plan.chain_counts
    item_pair = np.repeat(np.arange(z * z, dtype=np.int64), seq_counts)
    item_time = segs.total[items].astype(np.float64)
    cum = np.cumsum(item_time)
    pair_start = np.concatenate([[0], np.cumsum(seq_counts)])[:-1]
    before_pair = np.concatenate([[0.0], cum])[pair_start]
    shift = cum - item_time - np.repeat(before_pair, seq_counts)
    owner, pos = gather(segs.offsets, items)
    pair_of_entry = item_pair[owner]
    counts = np.bincount(pair_of_entry, minlength=z * z)
    totals = np.bincount(item_pair, weights=item_time, minlength=z * z)
    return PathTable(
        offsets=np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
        camera=segs.camera[pos],
        toff=(segs.toff[pos] + shift[owner]).astype(np.float32),
        heading=segs.heading[pos],
        total=totals.astype(np.float32),
    )


def headings_by_camera(routes: Routes, cameras: int) -> list[list[int]]:
    """The vehicle headings of every route entry at each camera (to aim synthetic cameras)."""
    cam = np.concatenate([t.camera for t in (routes.out_leg, routes.in_leg, routes.pairs)])
    heading = np.concatenate([t.heading for t in (routes.out_leg, routes.in_leg, routes.pairs)])
    order = np.argsort(cam, kind="stable")
    bounds = np.searchsorted(cam[order], np.arange(cameras + 1))
    ordered = heading[order]
    return [ordered[bounds[i] : bounds[i + 1]].tolist() for i in range(cameras)]
