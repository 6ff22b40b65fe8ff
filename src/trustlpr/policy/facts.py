"""The facts of one request that the Cedar rules test: derived once, in plain Python.

Cedar compares values; it does not parse times, screen free text or look codes up in our
vocabularies. This module does that work and hands Cedar a flat, typed context. The offense
vocabulary lives here too: a request names an offense code, and a policy's warrant list and
purpose checks refer to those codes and their classes.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..core.search import Purpose, SearchRequest, SearchType
from .screening import screen

# Offense code -> class. Classes: violent_felony, felony, misdemeanor, infraction, civil,
# noncriminal. Codes tied to a prohibited purpose are listed in OFFENSE_TOPICS; they exist so
# that a request coded the way another state's law would code it (``abortion_related`` as a
# felony) is recognised and refused, not so that such searches can be made.
OFFENSES: dict[str, str] = {
    **dict.fromkeys(
        "homicide murder manslaughter attempted_murder vehicular_homicide kidnapping "
        "child_abduction sexual_assault rape robbery armed_robbery carjacking aggravated_assault "
        "shooting arson home_invasion human_trafficking terrorism child_sexual_exploitation "
        "domestic_violence_felony".split(),
        "violent_felony",
    ),
    **dict.fromkeys(
        "burglary larceny_motor_vehicle grand_larceny fraud identity_theft drug_trafficking "
        "weapons_trafficking firearm_offense hit_and_run_injury escape felony_warrant "
        "protective_order_violation stalking receiving_stolen_property catalytic_converter_theft "
        "organized_retail_theft counterfeiting extortion elder_exploitation abortion_related "
        "gender_affirming_care_related".split(),
        "felony",
    ),
    **dict.fromkeys(
        "shoplifting petty_larceny larceny vandalism criminal_mischief simple_assault harassment "
        "trespass dui reckless_driving hit_and_run_property drug_possession disorderly_conduct "
        "breach_of_peace evading_responsibility misdemeanor_warrant unlawful_assembly "
        "illegal_entry".split(),
        "misdemeanor",
    ),
    **dict.fromkeys(
        "traffic_violation speeding parking_violation registration_violation toll_violation "
        "commercial_vehicle_violation".split(),
        "infraction",
    ),
    **dict.fromkeys(
        "civil_dispute repossession debt_collection custody_dispute immigration_violation "
        "unlawful_presence visa_overstay".split(),
        "civil",
    ),
    **dict.fromkeys(
        "missing_person endangered_person runaway_juvenile welfare_check".split(),
        "noncriminal",
    ),
}

OFFENSE_TOPICS: dict[str, Purpose] = {
    "immigration_violation": Purpose.IMMIGRATION_ENFORCEMENT,
    "unlawful_presence": Purpose.IMMIGRATION_ENFORCEMENT,
    "visa_overstay": Purpose.IMMIGRATION_ENFORCEMENT,
    "illegal_entry": Purpose.IMMIGRATION_ENFORCEMENT,
    "abortion_related": Purpose.REPRODUCTIVE_HEALTH,
    "gender_affirming_care_related": Purpose.GENDER_AFFIRMING_CARE,
    "unlawful_assembly": Purpose.PROTEST_MONITORING,
    "civil_dispute": Purpose.CIVIL_MATTER,
    "repossession": Purpose.CIVIL_MATTER,
    "debt_collection": Purpose.CIVIL_MATTER,
    "custody_dispute": Purpose.CIVIL_MATTER,
}

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
    """The Cedar context of a request, plus the screening reasons that explain its flags."""

    context: dict[str, Any]
    screening_text: Mapping[str, str]


def derive(
    request: SearchRequest,
    *,
    camera_categories: Mapping[str, str] | None = None,
    approval_granted: bool = False,
) -> Facts:
    """Everything the rules test about ``request``, as a typed Cedar context record."""
    query = request.query
    screening = screen(request.reason)
    offense = (request.offense_code or "").strip()
    offense_class = OFFENSES.get(offense, "none" if not offense else "unknown")
    topic = OFFENSE_TOPICS.get(offense)
    window = query.window_end - query.window_start
    future = query.window_end - request.now
    known, wildcards = known_pattern_characters(query.pattern)
    cameras = query.cameras
    sensitive: set[str] = set()
    if cameras is not None and camera_categories:
        sensitive = {camera_categories[c] for c in cameras if c in camera_categories}
    same_agency = (
        request.owner_agency_id is None or request.owner_agency_id == request.requester.agency_id
    )
    context: dict[str, Any] = {
        "purpose": request.purpose.value,
        "offense_code": offense,
        "offense_class": offense_class,
        "offense_topic": topic.value if topic else "",
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
        "sensitive_categories": sorted(sensitive),
        "window_seconds": _seconds(window),
        "window_valid": window.total_seconds() > 0,
        "window_future_seconds": max(0, _seconds(future)),
        "protected_plate": request.protected_plate,
        "approval_granted": approval_granted,
        "same_agency": same_agency,
    }
    if query.type in (SearchType.EXACT, SearchType.CONVOY) and query.plate is None:
        context["has_plate"] = False
    texts = {r.rule: r.text for r in screening.reasons}
    return Facts(context, texts)


def _seconds(delta: Any) -> int:
    # Cedar Longs are 64-bit; clamp so an absurd window is "too long", never an overflow error.
    return int(max(-(2**62), min(2**62, delta.total_seconds())))
