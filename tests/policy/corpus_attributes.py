"""Vehicle-attribute requests of the acceptance corpus (issue 15 item 2).

An attribute search (make, colour, body type, optionally a partial plate) sweeps every
matching vehicle's locations, so each policy judges it like an area search: the strict
default only under a warrant or court order, the statute templates also on exigent
circumstances with a supervisor's approval; only the gravest purposes, a day at most, named
cameras. New Hampshire allows exact-plate searches only.
"""

from __future__ import annotations

from typing import Any

from .corpus_base import ALLOW, DENY, HOLD, NH, STRICT, Case, _c

_CAMERAS = [f"cam-{n}" for n in range(30)]
_WARRANT: dict[str, Any] = {
    "legal_basis": "warrant",
    "warrant_id": "SW-2026-0413",
    "purpose": "violent_felony",
    "offense_code": "homicide",
    "reason": "homicide on Elm St, witness saw a dark blue Chevrolet pickup leave",
    "q_type": "attribute",
    "q_plate": None,
    "q_make": "chevy",
    "q_colour": "navy",
    "q_vehicle_type": "pickup truck",
    "q_cameras": _CAMERAS[:6],
    "q_start": "2026-11-07T20:00:00Z",  # 12 hours
    "q_end": "2026-11-08T08:00:00Z",
}
_EXIGENT = {**_WARRANT, "legal_basis": "exigent", "warrant_id": None}
_NO_TYPE = (DENY, ("search-type.not-allowed",))


def attribute_cases() -> list[Case]:
    cat = "attribute"
    return [
        _c("attribute-warrant", cat, ALLOW, ("permit",), **_WARRANT, only={NH: _NO_TYPE}),
        _c(
            "attribute-court-order-partial-plate",
            cat,
            ALLOW,
            ("permit",),
            **{**_WARRANT, "legal_basis": "court_order", "warrant_id": "CO-2026-91"},
            q_pattern="7K*3",
            only={NH: _NO_TYPE},
        ),
        # exigent: the statute templates hold it for a supervisor; the strict default refuses
        _c(
            "attribute-exigent",
            cat,
            HOLD,
            ("approval.search-type",),
            **_EXIGENT,
            only={NH: _NO_TYPE, STRICT: (DENY, ("legal-basis.insufficient",))},
        ),
        _c(
            "attribute-no-basis",
            cat,
            DENY,
            ("legal-basis.insufficient",),
            **{**_EXIGENT, "legal_basis": "none"},
            only={NH: _NO_TYPE},
        ),
        _c(
            "attribute-minor-purpose",
            cat,
            DENY,
            ("purpose.search-type",),
            **{**_WARRANT, "purpose": "stolen_vehicle", "offense_code": "larceny_motor_vehicle"},
            only={NH: _NO_TYPE},
        ),
        _c(
            "attribute-all-cameras",
            cat,
            DENY,
            ("scope.cameras",),
            **{**_WARRANT, "q_cameras": None},
            only={NH: _NO_TYPE},
        ),
        _c(
            "attribute-too-many-cameras",
            cat,
            DENY,
            ("scope.cameras",),
            **{**_WARRANT, "q_cameras": _CAMERAS[:25]},
            only={NH: _NO_TYPE},
        ),
        _c(
            "attribute-long-window",
            cat,
            DENY,
            ("window.search-type",),
            **{**_WARRANT, "q_start": "2026-11-06T08:00:00Z"},
            only={NH: _NO_TYPE},
        ),
        _c(
            "attribute-unknown-colour",
            cat,
            DENY,
            ("request.invalid",),
            **{**_WARRANT, "q_colour": "mauve"},
        ),
    ]
