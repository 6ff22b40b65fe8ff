"""Places vehicles drive to: shops, and the sensitive places an ALPR network must not expose.

Sensitive kinds follow the places Washington SB 6002 keeps cameras away from and the searches
REFERENCE.md §3 rule 12 flags: clinics, reproductive-health clinics, places of worship,
immigration offices and shelters. Counts scale with the fleet; each zone knows its nearest
places of each kind so that vehicles pick nearby ones without a per-vehicle search.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from .roads import RoadNet


class PlaceKind(StrEnum):
    SHOP = "shop"
    CLINIC = "clinic"
    REPRODUCTIVE_HEALTH = "reproductive_health"
    PLACE_OF_WORSHIP = "place_of_worship"
    IMMIGRATION_OFFICE = "immigration_office"
    SHELTER = "shelter"

    @property
    def sensitive(self) -> bool:
        return self is not PlaceKind.SHOP


# kind: (vehicles per place, minimum count, placed by jobs (True) or by homes (False))
_DENSITY: dict[PlaceKind, tuple[int, int, bool]] = {
    PlaceKind.SHOP: (400, 5, True),
    PlaceKind.CLINIC: (4_000, 2, True),
    PlaceKind.REPRODUCTIVE_HEALTH: (100_000, 1, True),
    PlaceKind.PLACE_OF_WORSHIP: (700, 3, False),
    PlaceKind.IMMIGRATION_OFFICE: (500_000, 1, True),
    PlaceKind.SHELTER: (50_000, 1, False),
}
NEAREST = 6  # candidates per zone and kind


@dataclass(frozen=True, slots=True)
class Place:
    """A destination on road node ``node``; ``name`` is made up (e.g. "Clinic 3")."""

    index: int
    kind: PlaceKind
    name: str
    node: int
    lat: float
    lon: float

    def as_dict(self) -> dict[str, object]:
        return {
            "id": f"place-{self.index}",
            "kind": self.kind.value,
            "name": self.name,
            "sensitive": self.kind.sensitive,
            "lat": self.lat,
            "lon": self.lon,
        }


@dataclass
class PlaceSet:
    """All places, and per kind a (zones × NEAREST) table of the nearest place indices."""

    places: list[Place]
    node: npt.NDArray[np.int64]
    kind: npt.NDArray[np.int8]
    nearest: dict[PlaceKind, npt.NDArray[np.int64]]

    def of(self, kind: PlaceKind) -> list[Place]:
        return [p for p in self.places if p.kind is kind]

    @property
    def sensitive(self) -> list[Place]:
        return [p for p in self.places if p.kind.sensitive]


def choose_places(
    roads: RoadNet, hub_nodes: npt.NDArray[np.int64], vehicles: int, rng: np.random.Generator
) -> PlaceSet:
    """Draws places on nodes (by job or home weight) and each zone's nearest ones per kind."""
    kinds = list(PlaceKind)
    places: list[Place] = []
    nearest: dict[PlaceKind, npt.NDArray[np.int64]] = {}
    hub_xy = roads.xy[hub_nodes]
    for kind in kinds:
        per, minimum, by_jobs = _DENSITY[kind]
        count = max(minimum, round(vehicles / per))
        weights = roads.jobs if by_jobs else roads.residents
        nodes = rng.choice(roads.size, size=count, p=weights)
        lat, lon = roads.latlon(nodes)
        first = len(places)
        label = kind.value.replace("_", " ").capitalize()
        for i, node in enumerate(nodes.tolist()):
            places.append(
                Place(first + i, kind, f"{label} {i + 1}", int(node),
                      round(float(lat[i]), 6), round(float(lon[i]), 6))
            )  # fmt: skip
        d2 = ((hub_xy[:, None, :] - roads.xy[nodes][None, :, :]) ** 2).sum(axis=2)
        ranked = np.argsort(d2, axis=1, kind="stable")
        nearest[kind] = ranked[:, np.minimum(np.arange(NEAREST), count - 1)] + first
    node = np.array([p.node for p in places], dtype=np.int64)
    kind_codes = np.array([kinds.index(p.kind) for p in places], dtype=np.int8)
    return PlaceSet(places, node, kind_codes, nearest)
