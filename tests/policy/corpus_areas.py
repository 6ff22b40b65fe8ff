"""Geographic-area requests of the acceptance corpus (issue 20 item 2).

An area or attribute search may name a polygon or a circle instead of cameras; each policy
judges its size (``max_area_km2``: 4 km² in the statute templates, 2 km² in the strict
default) the way it judges a camera count. What sensitive places an area contains needs the
agency's places layer, which a pure request file does not carry: tests/search/test_area.py
covers that. New Hampshire allows exact-plate searches only.
"""

from __future__ import annotations

from typing import Any

from .corpus_base import ALLOW, DENY, NH, STRICT, Case, _c


def _square(side_deg: float) -> dict[str, Any]:
    """A square of ``side_deg`` degrees in New Haven (0.01° is about 1.1 x 0.83 km)."""
    lon, lat = -72.93, 41.30
    ring = [[lon, lat], [lon + side_deg, lat], [lon + side_deg, lat + side_deg],
            [lon, lat + side_deg], [lon, lat]]  # fmt: skip
    return {"type": "Polygon", "coordinates": [ring]}


_WARRANT: dict[str, Any] = {
    "legal_basis": "warrant",
    "warrant_id": "SW-2026-0502",
    "purpose": "violent_felony",
    "offense_code": "homicide",
    "reason": "homicide on Elm St, vehicles passing the scene within the hour",
    "q_type": "area",
    "q_plate": None,
    "q_area": _square(0.01),  # 0.92 km²
    "q_start": "2026-11-08T01:00:00Z",
    "q_end": "2026-11-08T02:00:00Z",
}
_NO_TYPE = (DENY, ("search-type.not-allowed",))


def area_cases() -> list[Case]:
    cat = "area"
    return [
        _c("area-polygon-warrant", cat, ALLOW, ("permit",), **_WARRANT, only={NH: _NO_TYPE}),
        _c(
            "area-circle-warrant",
            cat,
            ALLOW,
            ("permit",),
            **{
                **_WARRANT,
                "q_area": {"type": "Point", "coordinates": [-72.92, 41.31], "radius_m": 700},
            },
            only={NH: _NO_TYPE},
        ),
        # 2.4 km²: inside the templates' 4 km², past the strict default's 2 km²
        _c(
            "area-mid-size",
            cat,
            ALLOW,
            ("permit",),
            **{**_WARRANT, "q_area": _square(0.0162)},
            only={NH: _NO_TYPE, STRICT: (DENY, ("scope.area",))},
        ),
        _c(
            "area-too-large",
            cat,
            DENY,
            ("scope.area",),
            **{**_WARRANT, "q_area": _square(0.03)},  # 8.3 km²
            only={NH: _NO_TYPE},
        ),
        _c(
            "area-city-circle",
            cat,
            DENY,
            ("scope.area",),
            **{
                **_WARRANT,
                "q_area": {"type": "Point", "coordinates": [-72.92, 41.31], "radius_m": 5000},
            },
            only={NH: _NO_TYPE},
        ),
        _c(
            "area-no-basis",
            cat,
            DENY,
            ("legal-basis.insufficient",),
            **{**_WARRANT, "legal_basis": "none", "warrant_id": None},
            only={NH: _NO_TYPE},
        ),
        _c(
            "attribute-area-warrant",
            cat,
            ALLOW,
            ("permit",),
            **{**_WARRANT, "q_type": "attribute", "q_make": "chevy", "q_colour": "navy"},
            only={NH: _NO_TYPE},
        ),
        _c(
            "attribute-area-too-large",
            cat,
            DENY,
            ("scope.area",),
            **{**_WARRANT, "q_type": "attribute", "q_make": "ford", "q_area": _square(0.03)},
            only={NH: _NO_TYPE},
        ),
        _c(
            "area-self-intersecting",
            cat,
            DENY,
            ("request.invalid",),
            **{
                **_WARRANT,
                "q_area": {
                    "type": "Polygon",
                    "coordinates": [
                        [
                            [-72.93, 41.30],
                            [-72.92, 41.31],
                            [-72.92, 41.30],
                            [-72.93, 41.31],
                            [-72.93, 41.30],
                        ]
                    ],
                },
            },
        ),
        _c(
            "area-radius-out-of-range",
            cat,
            DENY,
            ("request.invalid",),
            **{
                **_WARRANT,
                "q_area": {"type": "Point", "coordinates": [-72.92, 41.31], "radius_m": 90000},
            },
        ),
        _c(
            "area-and-cameras",
            cat,
            DENY,
            ("request.invalid",),
            **{**_WARRANT, "q_cameras": ["cam-1"]},
        ),
        _c(
            "exact-with-area",
            cat,
            DENY,
            ("request.invalid",),
            **{**_WARRANT, "q_type": "exact", "q_plate": "AB12345"},
        ),
    ]
