"""The console's search form: what a person types, checked into a ``SearchForm`` once.

Each field is validated here and refused with an ``InputError`` naming it, so the page can
put the message next to the field; whether the request is *allowed* is the policy's call, made
by the search service after this, and a request with a weak reason is judged, not rejected.
Times are typed as UTC (``datetime-local`` inputs carry no zone; the form says UTC).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, TypeVar

from ..core.clock import as_utc
from ..core.errors import InputError
from ..core.plates import normalize_plate
from ..core.search import LegalBasis, Purpose, Query, SearchType, WarrantScope, search_vehicle
from ..policy import warrant_scope_from_json
from ..search import SearchForm, compile_pattern

E = TypeVar("E", bound=StrEnum)

DEFAULT_WINDOW = timedelta(days=7)
_LIMITS = {
    "case_number": 64,
    "offense_code": 64,
    "warrant_id": 128,
    "warrant_court": 200,
    "warrant_cameras": 4000,
    "warrant_plates": 2200,
    "plate": 20,
    "pattern": 24,
    "cameras": 4000,
    "note": 2000,
}


@dataclass
class SearchFields:
    """The raw values, to fill the form again after an error or a decision."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)

    def get(self, name: str, default: str = "") -> str:
        return self.values.get(name, default)


def blank_fields(now: datetime) -> SearchFields:
    return SearchFields(
        {
            "search_type": SearchType.EXACT.value,
            "legal_basis": LegalBasis.NONE.value,
            "window_start": _local(now - DEFAULT_WINDOW),
            "window_end": _local(now),
        }
    )


def _local(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M")


def _text(form: Mapping[str, Any], name: str, *, capped: bool = True) -> str | None:
    raw = form.get(name)
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise InputError("must be text", field=name)
    text = raw.strip()
    if capped and len(text) > _LIMITS.get(name, 200):
        raise InputError(f"at most {_LIMITS.get(name, 200)} characters", field=name)
    if any(ord(ch) < 32 and ch not in "\r\n\t" for ch in text):
        raise InputError("contains control characters", field=name)
    return text or None


def _choice(form: Mapping[str, Any], name: str, kind: type[E]) -> E:
    raw = _text(form, name)
    try:
        return kind(raw or "")
    except ValueError:
        raise InputError("choose one of the listed options", field=name) from None


def _time(form: Mapping[str, Any], name: str) -> datetime:
    raw = _text(form, name)
    if raw is None:
        raise InputError("is required", field=name)
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise InputError("must be a date and time like 2026-11-01T08:00", field=name) from None
    return as_utc(moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment, field=name)


WARRANT_FIELDS = {
    "court": "warrant_court",
    "window_start": "warrant_window_start",
    "window_end": "warrant_window_end",
    "cameras": "warrant_cameras",
    "plates": "warrant_plates",
}
"""``warrant_scope`` key -> the form field that states it."""


def _listed(form: Mapping[str, Any], name: str) -> list[str] | None:
    text = _text(form, name)
    return list(dict.fromkeys(v.strip() for v in text.split(",") if v.strip())) if text else None


def _warrant_scope(form: Mapping[str, Any]) -> WarrantScope | None:
    """The order's scope, when any of its fields is filled in; read by the parser the API and
    ``policy evaluate`` use, with a bad value named by its form field."""
    if not any(_text(form, name) for name in WARRANT_FIELDS.values()):
        return None
    scope: dict[str, Any] = {
        "court": _text(form, "warrant_court"),
        "cameras": _listed(form, "warrant_cameras"),
        "plates": _listed(form, "warrant_plates"),
    }
    for key in ("window_start", "window_end"):
        scope[key] = _time(form, WARRANT_FIELDS[key]).isoformat()
    try:
        return warrant_scope_from_json(scope)
    except InputError as exc:
        key = (exc.field or "").removeprefix("warrant_scope.")
        raise InputError(exc.reason, field=WARRANT_FIELDS.get(key, "warrant_court")) from None


def parse_search(form: Mapping[str, Any]) -> tuple[SearchForm, SearchFields]:
    """The search form as a ``SearchForm``; ``InputError`` naming the first bad field."""
    fields = SearchFields({k: v for k, v in form.items() if isinstance(v, str) and k != "csrf"})
    purpose = _choice(form, "purpose", Purpose)
    legal_basis = _choice(form, "legal_basis", LegalBasis)
    search_type = _choice(form, "search_type", SearchType)
    start, end = _time(form, "window_start"), _time(form, "window_end")
    if end <= start:
        raise InputError("must be after the start of the window", field="window_end")
    cameras_text = _text(form, "cameras")
    cameras = (
        tuple(dict.fromkeys(c.strip() for c in cameras_text.split(",") if c.strip()))
        if cameras_text
        else None
    )
    plate, pattern = _text(form, "plate"), _text(form, "pattern")
    if search_type is SearchType.EXACT and not plate:
        raise InputError("an exact search needs a plate", field="plate")
    if search_type is SearchType.PARTIAL and not pattern:
        raise InputError("a partial search needs a pattern like AB*12", field="pattern")
    if plate is not None:
        try:
            plate = normalize_plate(plate)
        except InputError as exc:
            raise InputError(exc.reason, field="plate") from exc
    if pattern is not None:
        compile_pattern(pattern)  # InputError on field "pattern"
    vehicle = search_vehicle(  # InputError on field "make", "colour" or "vehicle_type"
        search_type,
        make=_text(form, "make"),
        colour=_text(form, "colour"),
        vehicle_type=_text(form, "vehicle_type"),
    )
    fields.values.update(vehicle.items() if vehicle else ())  # the form shows them canonical
    query = Query(
        type=search_type,
        window_start=start,
        window_end=end,
        plate=plate,
        pattern=pattern,
        cameras=cameras,
        include_variants=form.get("include_variants") == "on",
        vehicle=vehicle,
    )
    return (
        SearchForm(
            purpose=purpose,
            case_number=_text(form, "case_number"),
            legal_basis=legal_basis,
            reason=_text(form, "reason", capped=False) or "",  # SearchForm caps it
            query=query,
            offense_code=_text(form, "offense_code"),
            warrant_id=_text(form, "warrant_id"),
            warrant_scope=_warrant_scope(form),
            protected_plate=form.get("protected_plate") == "on",
        ),
        fields,
    )


def verification_fields(form: Mapping[str, Any]) -> tuple[str, str]:
    """``(outcome, note)`` of an alert check; the alert service validates both."""
    outcome = _text(form, "outcome") or ""
    note = _text(form, "note") or ""
    return outcome, note


def approval_fields(form: Mapping[str, Any]) -> tuple[bool, str]:
    """``(approve, note)`` of a supervisor's decision."""
    decision = _text(form, "decision")
    if decision not in ("approve", "reject"):
        raise InputError("choose approve or reject", field="decision")
    return decision == "approve", _text(form, "note") or ""
