"""The facts of one request that the Cedar rules test: derived once, in plain Python.

Cedar compares values; it does not parse times, screen free text or look codes up in our
vocabularies. This module does that work and hands Cedar a flat, typed context. A request's
offense (our code, a NIBRS code or a statute name) is resolved by ``offenses``; the rules see
the vocabulary code it stands for, so a policy's warrant list refers to one set of names.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any

from ..core.area import Area
from ..core.search import LegalBasis, Query, SearchRequest, SearchType, WarrantScope
from ..geo import Region
from .offenses import NO_OFFENSE, Offense, resolve_offense
from .screening import screen

_CASE_NUMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9\-/.:# ]{2,39}")


def case_number_ok(raw: str | None) -> bool:
    """A case number someone could look up: 3-40 characters, at least two digits, not a dummy.

    "n/a", "none", "0000" and "1111111" are refused: a placeholder is a missing case number.
    """
    if raw is None:
        return False
    text = raw.strip()
    if not _CASE_NUMBER.fullmatch(text):
        return False
    digits = [c for c in text if c.isdigit()]
    return len(digits) >= 2 and len(set(digits)) > 1


def known_pattern_characters(pattern: str | None) -> tuple[int, int]:
    """(known characters, wildcards) of a partial-plate pattern (``?`` one, ``*`` any run)."""
    if not pattern:
        return 0, 0
    known = sum(1 for c in pattern if c.isalnum())
    return known, len(pattern) - known


@dataclass(frozen=True, slots=True)
class Facts:
    """The Cedar context of a request, plus what explains it: the screening reasons behind its
    flags and the offense as resolved."""

    context: dict[str, Any]
    screening_text: Mapping[str, str]
    offense: Offense = NO_OFFENSE


def derive(
    request: SearchRequest,
    *,
    camera_categories: Mapping[str, str] | None = None,
    area_categories: Callable[[Area], AbstractSet[str]] | None = None,
    approval_granted: bool = False,
) -> Facts:
    """Everything the rules test about ``request``, as a typed Cedar context record."""
    query = request.query
    screening = screen(request.reason)
    offense = resolve_offense(request.offense_code)
    window = query.window_end - query.window_start
    future = query.window_end - request.now
    known, wildcards = known_pattern_characters(query.pattern)
    cameras = query.cameras
    sensitive: set[str] = set()
    if cameras is not None and camera_categories:
        sensitive = {camera_categories[c] for c in cameras if c in camera_categories}
    area_m2 = -1
    if query.area is not None:
        area_m2 = math.ceil(Region(query.area).area_km2 * 1_000_000)
        if area_categories is not None:
            sensitive |= set(area_categories(query.area))
    same_agency = (
        request.owner_agency_id is None or request.owner_agency_id == request.requester.agency_id
    )
    context: dict[str, Any] = {
        "purpose": request.purpose.value,
        "offense_code": offense.code,
        "offense_class": offense.kind,
        "offense_topic": offense.topic.value if offense.topic else "",
        "case_number_present": bool((request.case_number or "").strip()),
        "case_number_ok": case_number_ok(request.case_number),
        "legal_basis": request.legal_basis.value,
        "warrant_id_present": bool((request.warrant_id or "").strip()),
        "reason_length": screening.length,
        "reason_words": screening.content_words,
        "reason_flags": sorted(screening.flags),
        "search_type": query.type.value,
        "has_plate": bool(query.plate),
        "pattern_known": known,
        "pattern_wildcards": wildcards,
        "camera_count": -1 if cameras is None else len(cameras),
        "area_m2": area_m2,
        "sensitive_categories": sorted(sensitive),
        "window_seconds": _seconds(window),
        "window_valid": window.total_seconds() > 0,
        "window_future_seconds": max(0, _seconds(future)),
        "protected_plate": request.protected_plate,
        "approval_granted": approval_granted,
        "same_agency": same_agency,
        "include_variants": query.include_variants,
        "owner_verified": request.owner_verified,
        **_warrant_facts(request),
    }
    if query.type in (SearchType.EXACT, SearchType.CONVOY) and query.plate is None:
        context["has_plate"] = False
    texts = {r.rule: r.text for r in screening.reasons}
    return Facts(context, texts, offense)


_JUDICIAL = (LegalBasis.WARRANT, LegalBasis.COURT_ORDER)


def _warrant_facts(request: SearchRequest) -> dict[str, bool]:
    """Whether the request states a warrant's scope, and whether the query stays inside it
    (window, cameras, plate), each a separate fact so a refusal names what overstepped."""
    scope = request.warrant_scope
    if scope is None:
        return {
            "warrant_scope_present": False,
            "warrant_court_present": False,
            "warrant_window_ok": False,
            "warrant_cameras_ok": False,
            "warrant_plate_ok": False,
            "within_warrant": False,
        }
    window, cameras, plate = in_warrant_scope(request.query, scope)
    court = bool(scope.court.strip())
    judicial = request.legal_basis in _JUDICIAL and bool((request.warrant_id or "").strip())
    return {
        "warrant_scope_present": True,
        "warrant_court_present": court,
        "warrant_window_ok": window,
        "warrant_cameras_ok": cameras,
        "warrant_plate_ok": plate,
        "within_warrant": judicial and court and window and cameras and plate,
    }


def in_warrant_scope(query: Query, scope: WarrantScope) -> tuple[bool, bool, bool]:
    """(window, cameras, plate): whether ``query`` stays inside what ``scope`` authorises.

    A scope naming cameras admits only searches over a subset of them (never an all-camera
    sweep); a scope naming plates admits only a search for one of those plates (never a
    partial pattern, which would return others).
    """
    window = scope.window_start <= query.window_start and query.window_end <= scope.window_end
    cameras = scope.cameras is None or (
        query.cameras is not None and set(query.cameras) <= set(scope.cameras)
    )
    plate = scope.plates is None or (
        query.plate is not None and query.pattern is None and query.plate in scope.plates
    )
    return window, cameras, plate


def _seconds(delta: Any) -> int:
    # Cedar Longs are 64-bit; clamp so an absurd window is "too long", never an overflow error.
    return int(max(-(2**62), min(2**62, delta.total_seconds())))
