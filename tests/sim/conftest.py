"""Small cities shared by the simulation tests (built once per session: building is cheap,
but simulating many days for the exposure tests is not)."""

from __future__ import annotations

import pytest

from trustlpr.sim import CityConfig, Simulation

SMALL = CityConfig(seed=7, cameras=30, vehicles=4_000, area_km2=16.0, stolen=4)


@pytest.fixture(scope="session")
def small() -> Simulation:
    return Simulation(SMALL)


@pytest.fixture(scope="session")
def town() -> Simulation:
    """The town of ``make demo`` at full size (50 cameras, 20,000 vehicles)."""
    return Simulation(CityConfig(seed=1))
