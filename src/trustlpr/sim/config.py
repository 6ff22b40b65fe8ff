"""What a simulated city is made of: its size, place, time, and the OCR noise of its cameras.

Every knob that changes the reads lives here, so that a ``CityConfig`` plus a number of days
fully determines the output (same config, same reads). Values are checked once, here, and
refused with an ``InputError`` naming the field.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..core.errors import InputError
from ..core.plates import REGIONS

MAX_CAMERAS = 20_000
MAX_VEHICLES = 5_000_000
MAX_DAYS = 3_660
VEHICLES_PER_KM2 = 500.0
"""Default density used to size a synthetic city from its vehicle count (a dense US town)."""


@dataclass(frozen=True, slots=True)
class CameraSite:
    """Where a camera stands, before it is snapped to the road graph.

    ``facing`` is the compass bearing the camera looks along (OpenStreetMap ``direction``);
    it reads vehicles driving towards it. ``None`` means it reads every approach.
    """

    id: str
    name: str
    agency_id: str
    lat: float
    lon: float
    facing: float | None = None


@dataclass(frozen=True, slots=True)
class OcrNoise:
    """How often a camera gets a pass wrong. Shares are per vehicle pass (``miss``) or per read.

    Defaults follow the error kinds REFERENCE.md §3 rule 17 lists (confusions, dropped
    characters, wrong issuing state, low confidence); their sizes are assumptions chosen to
    give a few percent of wrong reads, as vendors report for fixed cameras.
    """

    miss: float = 0.06
    substitute: float = 0.025
    drop: float = 0.008
    wrong_state: float = 0.02
    no_state: float = 0.05
    low_confidence: float = 0.04

    def validate(self) -> None:
        for name in ("miss", "substitute", "drop", "wrong_state", "no_state", "low_confidence"):
            value = getattr(self, name)
            if not 0.0 <= value <= 0.5:
                raise InputError(f"{value!r} is outside 0..0.5", field=f"noise.{name}")
        if self.substitute + self.drop > 0.5:
            raise InputError("substitute + drop must stay under 0.5", field="noise")
        if self.wrong_state + self.no_state > 0.5:
            raise InputError("wrong_state + no_state must stay under 0.5", field="noise")


@dataclass(frozen=True, slots=True)
class CityConfig:
    """A city to simulate. ``sites`` (real camera positions) replaces synthetic placement.

    ``cameras`` is the number of synthetic cameras (ignored when ``sites`` is given);
    ``area_km2`` defaults to ``vehicles / 500``; ``stolen`` vehicles (at most the fleet) carry
    plates planted on the hot list. ``start`` is the local date of simulated day 0.
    """

    seed: int = 0
    cameras: int = 50
    vehicles: int = 20_000
    area_km2: float | None = None
    sites: tuple[CameraSite, ...] | None = None
    home_state: str = "CT"
    agency_id: str = "local"
    center: tuple[float, float] = (41.5562, -72.6507)
    start: date = date(2026, 11, 2)
    timezone: str = "America/New_York"
    stolen: int = 5
    noise: OcrNoise = field(default_factory=OcrNoise)
    max_nodes: int = 25_000

    def validate(self) -> None:
        """Raises ``InputError`` naming the first field that cannot be simulated."""
        if not isinstance(self.seed, int) or self.seed < 0:
            raise InputError(f"{self.seed!r} must be a non-negative integer", field="seed")
        if self.sites is None and not 1 <= self.cameras <= MAX_CAMERAS:
            raise InputError(f"{self.cameras} is outside 1..{MAX_CAMERAS}", field="cameras")
        if self.sites is not None and not 1 <= len(self.sites) <= MAX_CAMERAS:
            raise InputError(f"{len(self.sites)} sites; need 1..{MAX_CAMERAS}", field="sites")
        if not 1 <= self.vehicles <= MAX_VEHICLES:
            raise InputError(f"{self.vehicles} is outside 1..{MAX_VEHICLES}", field="vehicles")
        if self.area_km2 is not None and not 0.25 <= self.area_km2 <= 200_000:
            raise InputError(f"{self.area_km2} is outside 0.25..200000", field="area_km2")
        if self.home_state not in REGIONS:
            raise InputError(f"unknown state {self.home_state[:8]!r}", field="home_state")
        if not self.agency_id:
            raise InputError("is empty", field="agency_id")
        lat, lon = self.center
        if not (-80 <= lat <= 80 and -180 <= lon <= 180):
            raise InputError(f"{self.center!r} is not a latitude/longitude", field="center")
        try:
            ZoneInfo(self.timezone)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise InputError(f"unknown time zone {self.timezone[:40]!r}", field="timezone") from exc
        if not 0 <= self.stolen <= 1000:
            raise InputError(f"{self.stolen} is outside 0..1000", field="stolen")
        if not 100 <= self.max_nodes <= 200_000:
            raise InputError(f"{self.max_nodes} is outside 100..200000", field="max_nodes")
        self.noise.validate()

    @property
    def area(self) -> float:
        """The city's area in km² (explicit, or from the vehicle count)."""
        return self.area_km2 if self.area_km2 is not None else self.vehicles / VEHICLES_PER_KM2


TOWN = CityConfig(cameras=50, vehicles=20_000)
"""The town behind ``make demo``: 50 cameras, 20,000 vehicles on about 40 km²."""

STATE = CityConfig(cameras=2_000, vehicles=2_000_000)
"""A state-sized network: 2,000 cameras, 2 million vehicles on about 4,000 km²."""


def check_days(days: int) -> int:
    """``days`` if it can be simulated, else ``InputError`` on field ``days``."""
    if not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise InputError(f"{days!r} is outside 1..{MAX_DAYS}", field="days")
    return days
