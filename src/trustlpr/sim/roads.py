"""The road graph: a jittered street grid with arterials and highways, and where cameras stand.

A grid is the honest minimum for what the simulation needs (routes that pass intersections,
some faster roads that gather traffic); the exposure figures depend on how many cameras a
trip passes, not on the shape of the streets. Real camera sites are snapped to the nearest
intersection of a grid laid over their bounding box.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

import networkx as nx
import numpy as np
import numpy.typing as npt

from ..core.errors import InputError
from .config import CameraSite, CityConfig
from .sites import FloatArray, Projection

IntArray = npt.NDArray[np.int64]

MIN_SPACING_M = 180.0
DETOUR = 1.15  # streets are not straight lines between intersections
SPEED_LOCAL = 9.7  # m/s, 35 km/h
SPEED_ARTERIAL = 13.9  # 50 km/h
SPEED_HIGHWAY = 25.0  # 90 km/h
_STREETS = (
    "Elm Oak Maple Cedar Pine Church Main Park Chapel Orange State Grand Whitney Prospect "
    "College Willow Spring Mill River Lake Hill Ridge Forest Union Market Water Bridge School "
    "Franklin Lincoln Washington Jefferson Madison Adams Walnut Chestnut Spruce Birch Ash"
).split()


@dataclass
class SimCamera:
    """A simulated camera on node ``node``; it reads vehicles whose heading is ``heading``
    (within 60°), or every vehicle when ``heading`` is None."""

    site: CameraSite
    node: int
    heading: float | None


@dataclass
class RoadNet:
    """Nodes are 0..n-1; ``graph`` edges carry ``time`` (seconds). Positions in metres."""

    graph: nx.Graph
    xy: FloatArray
    projection: Projection
    row: IntArray
    col: IntArray
    speed_class: IntArray  # per node: 0 local, 1 arterial, 2 highway
    spacing: float
    residents: FloatArray  # relative weight of homes per node
    jobs: FloatArray  # relative weight of workplaces per node

    @property
    def size(self) -> int:
        return int(self.xy.shape[0])

    def corner_name(self, node: int) -> str:
        street = _STREETS[int(self.row[node]) % len(_STREETS)]
        lap = int(self.row[node]) // len(_STREETS)
        avenue = int(self.col[node]) + 1
        suffix = (
            "th" if 10 <= avenue % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(avenue % 10, "th")
        )
        return f"{street} St{f' {lap + 1}' if lap else ''} & {avenue}{suffix} Ave"

    def latlon(self, nodes: IntArray | None = None) -> tuple[FloatArray, FloatArray]:
        xy = self.xy if nodes is None else self.xy[nodes]
        return self.projection.to_latlon(xy)


def _grid(
    width: float, height: float, max_nodes: int, rng: np.random.Generator
) -> tuple[nx.Graph, FloatArray, IntArray, IntArray, IntArray, float]:
    spacing = max(MIN_SPACING_M, math.sqrt(width * height / max_nodes))
    nx_, ny_ = max(3, int(width / spacing) + 1), max(3, int(height / spacing) + 1)
    cols, rows = np.meshgrid(np.arange(nx_), np.arange(ny_))
    col, row = cols.ravel(), rows.ravel()
    xy = np.column_stack(
        [(col - (nx_ - 1) / 2) * spacing, (row - (ny_ - 1) / 2) * spacing]
    ) + np.clip(rng.normal(0.0, 0.12 * spacing, (col.size, 2)), -0.3 * spacing, 0.3 * spacing)
    highway_every = 25 if max(nx_, ny_) > 60 else 0
    line_class = np.zeros(max(nx_, ny_), dtype=np.int64)
    line_class[2::5] = 1
    if highway_every:
        line_class[12::highway_every] = 2
    node_class = np.maximum(line_class[row], line_class[col])
    index = row * nx_ + col
    graph = nx.Graph()
    graph.add_nodes_from(range(col.size))
    for dr, dc in ((0, 1), (1, 0)):
        ok = (row + dr < ny_) & (col + dc < nx_)
        a = index[ok]
        b = (row[ok] + dr) * nx_ + col[ok] + dc
        cls = line_class[row[ok]] if dr == 0 else line_class[col[ok]]
        keep = (cls > 0) | (rng.random(a.size) >= 0.08)
        a, b, cls = a[keep], b[keep], cls[keep]
        length = np.hypot(*(xy[a] - xy[b]).T) * DETOUR
        speed = np.choose(cls, [SPEED_LOCAL, SPEED_ARTERIAL, SPEED_HIGHWAY])
        times = np.round(length / speed, 2)
        graph.add_edges_from(
            (int(u), int(v), {"time": float(t)})
            for u, v, t in zip(a.tolist(), b.tolist(), times.tolist(), strict=True)
        )
    return graph, xy, row, col, node_class, spacing


def _largest_component(
    graph: nx.Graph, *arrays: npt.NDArray[np.generic]
) -> tuple[nx.Graph, list[npt.NDArray[np.generic]]]:
    components: list[set[int]] = list(nx.connected_components(graph))
    largest = components[int(np.argmax([len(c) for c in components]))]
    keep = np.array(sorted(largest), dtype=np.int64)
    mapping = {int(old): new for new, old in enumerate(keep.tolist())}
    sub = nx.relabel_nodes(graph.subgraph(keep.tolist()).copy(), mapping)
    return sub, [array[keep] for array in arrays]


def _weights(
    xy: FloatArray, centres: FloatArray, sizes: FloatArray, sigmas: FloatArray
) -> tuple[FloatArray, FloatArray]:
    residents = np.zeros(len(xy))
    jobs = np.zeros(len(xy))
    for (cx, cy), size, sigma in zip(centres, sizes, sigmas, strict=True):
        d2 = (xy[:, 0] - cx) ** 2 + (xy[:, 1] - cy) ** 2
        residents += size * np.exp(-d2 / (2 * sigma**2))
        jobs += size * np.exp(-d2 / (2 * (0.5 * sigma) ** 2))
    residents += 0.04 * residents.max()
    jobs += 0.01 * jobs.max()
    return residents / residents.sum(), jobs / jobs.sum()


def build_roads(
    config: CityConfig, rng: np.random.Generator, sites: Sequence[CameraSite] | None = None
) -> RoadNet:
    """A grid sized for the config: synthetic around ``center``, or over the sites' extent."""
    if sites:
        lat = np.array([s.lat for s in sites])
        lon = np.array([s.lon for s in sites])
        mid = Projection(float((lat.min() + lat.max()) / 2), float((lon.min() + lon.max()) / 2))
        pts = mid.to_xy(lat, lon)
        width = max(4000.0, float(np.ptp(pts[:, 0])) + 4000.0)
        height = max(4000.0, float(np.ptp(pts[:, 1])) + 4000.0)
        projection = mid
        centres = pts
        sizes: FloatArray = np.ones(len(pts))
        sigmas: FloatArray = np.full(len(pts), 1500.0)
    else:
        projection = Projection(*config.center)
        side = math.sqrt(config.area) * 1000.0
        width = height = side
        n_centres = max(1, round(config.area / 120.0))
        centres = np.vstack(
            [np.zeros((1, 2)), rng.uniform(-0.45 * side, 0.45 * side, (n_centres - 1, 2))]
        )
        sizes = np.asarray(1.0 / np.arange(1, n_centres + 1) ** 0.9, dtype=np.float64)
        sigmas = np.asarray(
            280.0 * math.sqrt(config.area / n_centres) * np.sqrt(sizes / sizes[0]), dtype=np.float64
        )
    grid, xy0, row0, col0, class0, spacing = _grid(width, height, config.max_nodes, rng)
    graph, kept = _largest_component(grid, xy0, row0, col0, class0)
    xy = np.asarray(kept[0], dtype=np.float64)
    row, col, node_class = (np.asarray(a, dtype=np.int64) for a in kept[1:])
    residents, jobs = _weights(xy, np.asarray(centres, dtype=np.float64), sizes, sigmas)
    return RoadNet(graph, xy, projection, row, col, node_class, spacing, residents, jobs)


def place_cameras(
    roads: RoadNet, config: CityConfig, rng: np.random.Generator, sites: Sequence[CameraSite] | None
) -> list[SimCamera]:
    """Cameras for the city, in a fixed order: any prefix of it is a sparser network."""
    if sites:
        return _snap(roads, sites)
    count = config.cameras
    if count > roads.size:
        raise InputError(
            f"{count} cameras do not fit on {roads.size} intersections; raise the area",
            field="cameras",
        )
    degree = np.array([roads.graph.degree[n] for n in range(roads.size)], dtype=np.float64)
    score = np.sqrt(roads.residents + roads.jobs) * (1 + 2 * (roads.speed_class > 0)) * degree
    keys = np.log(score) + rng.gumbel(size=roads.size)  # Gumbel top-k: weighted, prefix-stable
    nodes = np.argsort(-keys, kind="stable")[:count]
    lat, lon = roads.latlon(nodes)
    return [
        SimCamera(
            CameraSite(
                id=f"cam-{i + 1:04d}",
                name=roads.corner_name(node),
                agency_id=config.agency_id,
                lat=round(float(lat[i]), 6),
                lon=round(float(lon[i]), 6),
            ),
            node,
            None,
        )
        for i, node in enumerate(nodes.tolist())
    ]


def aim_cameras(cameras: list[SimCamera], headings: list[list[int]]) -> list[SimCamera]:
    """Points each synthetic camera at the busiest approach among the routes through it.

    ``headings[i]`` lists the vehicle headings of routes passing camera i. Cameras are put up
    facing traffic; one aimed at an approach no route uses would read nothing.
    """
    aimed = []
    for cam, seen in zip(cameras, headings, strict=True):
        known = np.array([h for h in seen if h >= 0], dtype=np.float64)
        if cam.site.facing is not None or known.size == 0:
            aimed.append(cam)
            continue
        sector = np.round(known / 45.0).astype(np.int64) % 8
        busiest = int(np.bincount(sector, minlength=8).argmax())
        chosen = known[sector == busiest]
        rad = np.radians(chosen)
        heading = float(np.degrees(np.arctan2(np.sin(rad).mean(), np.cos(rad).mean())) % 360)
        facing = round((heading + 180.0) % 360.0, 1)
        aimed.append(SimCamera(replace(cam.site, facing=facing), cam.node, heading))
    return aimed


def _snap(roads: RoadNet, sites: Sequence[CameraSite]) -> list[SimCamera]:
    pts = roads.projection.to_xy(np.array([s.lat for s in sites]), np.array([s.lon for s in sites]))
    nearest = np.empty(len(sites), dtype=np.int64)
    for start in range(0, len(sites), 64):
        chunk = pts[start : start + 64]
        d2 = ((chunk[:, None, :] - roads.xy[None, :, :]) ** 2).sum(axis=2)
        nearest[start : start + 64] = d2.argmin(axis=1)
    return [
        SimCamera(site, int(node), None if site.facing is None else (site.facing + 180.0) % 360.0)
        for site, node in zip(sites, nearest.tolist(), strict=True)
    ]
