"""Search requests as JSON: parsed at the edge into a validated ``SearchRequest``, or refused.

The wire format is the one of issue 4 (``policy evaluate`` and the HTTP API share it). Every
field is checked; a missing or unknown field raises ``InputError`` naming it, which the engine
turns into a reasoned deny (``decide_json``) and batch evaluation into a deny line.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar

from ..core.clock import iso, parse_utc
from ..core.errors import InputError, PlateError
from ..core.identity import AgencyType, Role
from ..core.plates import US_REGIONS, normalize_plate
from ..core.search import (
    LegalBasis,
    Purpose,
    Query,
    Requester,
    SearchRequest,
    SearchType,
    WarrantScope,
)
from ..core.vehicle import KINDS as VEHICLE_FIELDS
from ..core.vehicle import VehicleAttributes
from ..geo import parse_area
from .screening import check_reason_length

MAX_TEXT = 2000
MAX_CAMERAS = 10000
_PATTERN = re.compile(r"[A-Z0-9?*]{1,12}")
_ID = re.compile(r"[\w.:/@#-]{1,200}")

REQUEST_FIELDS = {
    "id": True, "requester": True, "purpose": True, "offense_code": False, "case_number": True,
    "legal_basis": True, "warrant_id": False, "reason": True, "query": True,
    "protected_plate": False, "now": True, "owner_agency_id": False, "owner_verified": False,
    "warrant_scope": False,
}  # fmt: skip
WARRANT_SCOPE_FIELDS = {
    "court": True, "window_start": True, "window_end": True, "cameras": False, "plates": False,
}  # fmt: skip
MAX_COURT = 200
MAX_WARRANT_PLATES = 100
REQUESTER_FIELDS = {
    "agency_id": True, "agency_state": True, "agency_type": True, "user_id": True, "role": True,
    "attestation_on_file": False,
}  # fmt: skip
QUERY_FIELDS = {
    "type": True, "plate": False, "pattern": False, "cameras": False, "window_start": True,
    "window_end": True, "include_variants": False, "state": False, "make": False,
    "colour": False, "vehicle_type": False, "area": False,
}  # fmt: skip

E = TypeVar("E", bound=StrEnum)


def _fields(obj: object, spec: Mapping[str, bool], where: str) -> dict[str, Any]:
    if not isinstance(obj, dict):
        raise InputError(f"must be a JSON object, not {type(obj).__name__}", field=where or None)
    prefix = f"{where}." if where else ""
    for key in obj:
        if key not in spec:
            raise InputError("unknown field", field=f"{prefix}{str(key)[:40]}")
    for key, required in spec.items():
        if required and key not in obj:
            raise InputError("is missing", field=f"{prefix}{key}")
    return obj


def _text(
    obj: Mapping[str, Any], key: str, field: str, *, optional: bool = False, limit: int = MAX_TEXT
) -> str | None:
    value = obj.get(key)
    if value is None:
        if optional:
            return None
        raise InputError("must not be null", field=field)
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InputError(f"must be text, not {type(value).__name__}", field=field)
    text = str(value)
    if len(text) > limit:
        raise InputError(f"is {len(text):,} characters long; at most {limit:,}", field=field)
    return text


def _enum(obj: Mapping[str, Any], key: str, kind: type[E], field: str) -> E:
    raw = _text(obj, key, field)
    try:
        return kind((raw or "").strip().lower())
    except ValueError:
        allowed = ", ".join(m.value for m in kind)
        raise InputError(f"{str(raw)[:40]!r} is not one of: {allowed}", field=field) from None


def _flag(obj: Mapping[str, Any], key: str, field: str) -> bool:
    value = obj.get(key, False)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise InputError("must be true or false", field=field)
    return value


def _time(obj: Mapping[str, Any], key: str, field: str) -> datetime:
    value = obj.get(key)
    if value is None or isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InputError("must be an ISO 8601 time with a UTC offset", field=field)
    return parse_utc(value, field=field)


def request_from_json(obj: object) -> SearchRequest:
    """Validates one request object; raises ``InputError`` naming the first bad field."""
    data = _fields(obj, REQUEST_FIELDS, "")
    request_id = _text(data, "id", "id") or ""
    if not _ID.fullmatch(request_id):
        raise InputError("must be 1-200 letters, digits or . : / @ # - _", field="id")
    who = _fields(data["requester"], REQUESTER_FIELDS, "requester")
    state = (_text(who, "agency_state", "requester.agency_state") or "").strip().upper()
    if state not in US_REGIONS:
        raise InputError(f"{state[:12]!r} is not a US state code", field="requester.agency_state")
    requester = Requester(
        agency_id=_nonempty(who, "agency_id", "requester.agency_id"),
        agency_state=state,
        agency_type=_enum(who, "agency_type", AgencyType, "requester.agency_type"),
        user_id=_nonempty(who, "user_id", "requester.user_id"),
        role=_enum(who, "role", Role, "requester.role"),
        attestation_on_file=_flag(who, "attestation_on_file", "requester.attestation_on_file"),
    )
    return SearchRequest(
        id=request_id,
        requester=requester,
        purpose=_enum(data, "purpose", Purpose, "purpose"),
        offense_code=_optional_code(data, "offense_code"),
        case_number=_text(data, "case_number", "case_number", optional=True),
        legal_basis=_enum(data, "legal_basis", LegalBasis, "legal_basis"),
        warrant_id=_text(data, "warrant_id", "warrant_id", optional=True),
        reason=check_reason_length(_text(data, "reason", "reason", limit=sys.maxsize) or ""),
        query=_query(data["query"]),
        now=_time(data, "now", "now"),
        protected_plate=_flag(data, "protected_plate", "protected_plate"),
        owner_agency_id=_text(data, "owner_agency_id", "owner_agency_id", optional=True),
        owner_verified=_flag(data, "owner_verified", "owner_verified"),
        warrant_scope=warrant_scope_from_json(data.get("warrant_scope")),
    )


def warrant_scope_from_json(obj: object) -> WarrantScope | None:
    """The scope a warrant or court order authorises (``null`` = none stated); ``InputError``
    names the first bad field. Plates are normalised as reads' plates are."""
    if obj is None:
        return None
    data = _fields(obj, WARRANT_SCOPE_FIELDS, "warrant_scope")
    court = _nonempty(data, "court", "warrant_scope.court")
    if len(court) > MAX_COURT:
        raise InputError(f"is longer than {MAX_COURT} characters", field="warrant_scope.court")
    start = _time(data, "window_start", "warrant_scope.window_start")
    end = _time(data, "window_end", "warrant_scope.window_end")
    if end <= start:
        raise InputError("must be after window_start", field="warrant_scope.window_end")
    cameras = _camera_list(data.get("cameras"), "warrant_scope.cameras")
    plates = data.get("plates")
    if plates is not None:
        if not isinstance(plates, list) or not plates or len(plates) > MAX_WARRANT_PLATES:
            raise InputError(
                f"must be null or a list of 1-{MAX_WARRANT_PLATES} plates",
                field="warrant_scope.plates",
            )
        if not all(isinstance(p, str) and 0 < len(p) <= 20 for p in plates):
            raise InputError("must list plates as text", field="warrant_scope.plates")
        try:
            plates = tuple(normalize_plate(p) for p in plates)
        except PlateError as exc:
            raise InputError(exc.reason, field="warrant_scope.plates") from None
    return WarrantScope(court, start, end, cameras, plates)


def _camera_list(cameras: object, field: str) -> tuple[str, ...] | None:
    if cameras is None:
        return None
    if not isinstance(cameras, list) or not all(
        isinstance(c, str) and 0 < len(c) <= 200 for c in cameras
    ):
        raise InputError("must be null or a list of camera ids", field=field)
    if len(cameras) > MAX_CAMERAS:
        raise InputError(f"lists more than {MAX_CAMERAS} cameras", field=field)
    return tuple(cameras)


def _nonempty(obj: Mapping[str, Any], key: str, field: str) -> str:
    text = (_text(obj, key, field) or "").strip()
    if not text:
        raise InputError("must not be empty", field=field)
    return text


def _optional_code(obj: Mapping[str, Any], key: str) -> str | None:
    text = _text(obj, key, key, optional=True)
    return text.strip().lower() if text and text.strip() else None


def _query(obj: object) -> Query:
    data = _fields(obj, QUERY_FIELDS, "query")
    stype = _enum(data, "type", SearchType, "query.type")
    plate_raw = _text(data, "plate", "query.plate", optional=True)
    plate = normalize_plate(plate_raw) if plate_raw not in (None, "") else None
    pattern = _text(data, "pattern", "query.pattern", optional=True)
    if pattern:
        pattern = pattern.upper().replace(" ", "").replace("-", "")
        if not _PATTERN.fullmatch(pattern):
            raise InputError(
                "a pattern is up to 12 of A-Z, 0-9, ? (one character), * (any run)",
                field="query.pattern",
            )
    if stype is SearchType.PARTIAL and not pattern:
        raise InputError("a partial search needs a pattern", field="query.pattern")
    cameras = _camera_list(data.get("cameras"), "query.cameras")
    words = {k: _text(data, k, f"query.{k}", optional=True) for k in VEHICLE_FIELDS}
    vehicle = None
    if stype is SearchType.ATTRIBUTE:
        try:
            vehicle = VehicleAttributes.parse(**words)
        except InputError as exc:
            raise InputError(exc.reason, field=f"query.{exc.field}") from exc
    elif any(words.values()):
        given = next(k for k, v in words.items() if v)
        raise InputError(
            "only an attribute search names vehicle attributes", field=f"query.{given}"
        )
    area = None
    if data.get("area") is not None:
        try:
            area = parse_area(data["area"])
        except InputError as exc:
            raise type(exc)(exc.reason, field="query.area") from exc
        if stype not in (SearchType.AREA, SearchType.ATTRIBUTE):
            raise InputError(
                f"a {stype.value} search takes no area; area and attribute searches do",
                field="query.area",
            )
        if cameras is not None:
            raise InputError("name cameras or an area, not both", field="query.area")
    return Query(
        type=stype,
        window_start=_time(data, "window_start", "query.window_start"),
        window_end=_time(data, "window_end", "query.window_end"),
        plate=plate,
        pattern=pattern or None,
        cameras=cameras,
        include_variants=_flag(data, "include_variants", "query.include_variants"),
        state=_region(data),
        vehicle=vehicle,
        area=area,
    )


def _region(data: Mapping[str, Any]) -> str | None:
    text = (_text(data, "state", "query.state", optional=True) or "").strip().upper()
    if text and text not in US_REGIONS:
        raise InputError(f"{text[:12]!r} is not a US state code", field="query.state")
    return text or None


def request_to_json(request: SearchRequest) -> dict[str, Any]:
    """The wire form of ``request``: ``request_from_json(request_to_json(r)) == r``."""
    who, query = request.requester, request.query
    return {
        "id": request.id,
        "requester": {
            "agency_id": who.agency_id,
            "agency_state": who.agency_state,
            "agency_type": who.agency_type.value,
            "user_id": who.user_id,
            "role": who.role.value,
            "attestation_on_file": who.attestation_on_file,
        },
        "purpose": request.purpose.value,
        "offense_code": request.offense_code,
        "case_number": request.case_number,
        "legal_basis": request.legal_basis.value,
        "warrant_id": request.warrant_id,
        "reason": request.reason,
        "query": {
            "type": query.type.value,
            "plate": query.plate,
            "pattern": query.pattern,
            "cameras": list(query.cameras) if query.cameras is not None else None,
            "window_start": iso(query.window_start),
            "window_end": iso(query.window_end),
            "include_variants": query.include_variants,
            "state": query.state,
            **{k: getattr(query.vehicle, k) if query.vehicle else None for k in VEHICLE_FIELDS},
            # only when named: a partner that predates areas reads every other request as before
            **({"area": query.area.to_geojson()} if query.area is not None else {}),
        },
        "protected_plate": request.protected_plate,
        "now": iso(request.now),
        "owner_agency_id": request.owner_agency_id,
        "owner_verified": request.owner_verified,
        "warrant_scope": warrant_scope_to_json(request.warrant_scope),
    }


def warrant_scope_to_json(scope: WarrantScope | None) -> dict[str, Any] | None:
    """The wire form of a warrant's scope (``warrant_scope_from_json`` reads it back)."""
    if scope is None:
        return None
    return {
        "court": scope.court,
        "window_start": iso(scope.window_start),
        "window_end": iso(scope.window_end),
        "cameras": list(scope.cameras) if scope.cameras is not None else None,
        "plates": list(scope.plates) if scope.plates is not None else None,
    }
