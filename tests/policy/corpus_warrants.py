"""Warrant-backed requests of the acceptance corpus (issue 15 item 4).

A warrant or court order that states its scope binds the search to it, and under every
shipped policy's ``[warrants]`` (``scope_governs = true``, ``approval = "supervisor"``) the
limits for warrantless searches give way to the scope after a supervisor's confirmation.
"""

from __future__ import annotations

from typing import Any

from .corpus_base import ALLOW, DENY, HOLD, NH, Case, _c

_PLATE = "AB12345"  # the base request's plate
_HOMICIDE: dict[str, Any] = {
    "legal_basis": "warrant",
    "warrant_id": "SW-2026-0412",
    "purpose": "violent_felony",
    "offense_code": "homicide",
    "reason": "homicide on Elm St, witness saw fleeing dark SUV",
}
_SCOPE = {
    "court": "Superior Court, Judicial District of Hartford",
    "window_start": "2026-07-01T00:00:00Z",
    "window_end": "2026-11-10T00:00:00Z",
    "cameras": None,
    "plates": [_PLATE],
}
_LONG = {"q_start": "2026-08-01T00:00:00Z", "q_end": "2026-11-08T00:00:00Z"}  # 99 days
_CAMERAS = [f"cam-{n}" for n in range(30)]
_AREA: dict[str, Any] = {
    **_HOMICIDE,
    "q_type": "area",
    "q_plate": None,
    "q_cameras": _CAMERAS[:25],  # more than any policy's max_cameras
    "q_start": "2026-11-07T20:00:00Z",  # 12 hours: more than any area max_window
    "q_end": "2026-11-08T08:00:00Z",
}
_AREA_SCOPE = {**_SCOPE, "cameras": _CAMERAS, "plates": None}
_NO_AREA = {NH: (DENY, ("search-type.not-allowed",))}


def _scope(**change: Any) -> dict[str, Any]:
    return {"warrant_scope": {**_SCOPE, **change}}


def warrant_cases() -> list[Case]:
    cat = "warrant-backed"
    return [
        _c("warrant-scope-short", cat, ALLOW, ("permit",), **_HOMICIDE, extra=_scope()),
        _c(
            "court-order-scope-short",
            cat,
            ALLOW,
            ("permit",),
            **{**_HOMICIDE, "legal_basis": "court_order", "warrant_id": "CO-2026-88"},
            extra=_scope(plates=None),
        ),
        # 99 days is over every purpose window: the scope lifts it, a supervisor confirms
        _c(
            "warrant-scope-lifts-window",
            cat,
            HOLD,
            ("approval.warrant-scope",),
            **_HOMICIDE,
            **_LONG,
            extra=_scope(),
        ),
        # the same 99 days on the warrant's number alone: the warrantless limit stands
        _c("warrant-no-scope-long", cat, DENY, ("window.too-long",), **_HOMICIDE, **_LONG),
        _c(
            "warrant-outside-window",
            cat,
            DENY,
            ("warrant.outside-window",),
            **_HOMICIDE,
            **_LONG,
            extra=_scope(window_start="2026-09-01T00:00:00Z"),
        ),
        _c(
            "warrant-outside-plate",
            cat,
            DENY,
            ("warrant.outside-plate",),
            **_HOMICIDE,
            extra=_scope(plates=["XY98765"]),
        ),
        _c(
            "warrant-scope-hotlist-basis",
            cat,
            DENY,
            ("warrant.basis",),
            **{**_HOMICIDE, "legal_basis": "hotlist", "warrant_id": None},
            extra=_scope(),
        ),
        _c(
            "warrant-scope-blank-court",
            cat,
            DENY,
            ("request.invalid",),
            **_HOMICIDE,
            extra=_scope(court="  "),
        ),
        _c(
            "warrant-area-lifts-limits",
            cat,
            HOLD,
            ("approval.warrant-scope",),
            **_AREA,
            extra={"warrant_scope": _AREA_SCOPE},
            only=_NO_AREA,
        ),
        _c(
            "warrant-area-outside",
            cat,
            DENY,
            ("warrant.outside-area",),
            **{**_AREA, "q_cameras": ["cam-1", "cam-99"]},
            extra={"warrant_scope": _AREA_SCOPE},
            only=_NO_AREA,
        ),
        _c(
            "warrant-area-all-cameras",
            cat,
            DENY,
            ("warrant.outside-area", "scope.cameras"),
            **{**_AREA, "q_cameras": None},
            extra={"warrant_scope": _AREA_SCOPE},
            only=_NO_AREA,
        ),
        _c(
            "warrant-partial-plate-scope",
            cat,
            DENY,
            ("warrant.outside-plate",),
            **_HOMICIDE,
            q_type="partial",
            q_plate=None,
            q_pattern="AB123?5",
            extra=_scope(),
            only={NH: (DENY, ("search-type.not-allowed", "warrant.outside-plate"))},
        ),
    ]
