"""Search requests and decisions: the vocabulary the policy engine and governed search share."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from .area import Area
from .errors import InputError
from .identity import AgencyType, Role
from .plates import mask_plate
from .vehicle import VehicleAttributes


class Purpose(StrEnum):
    STOLEN_VEHICLE = "stolen_vehicle"
    STOLEN_PLATE = "stolen_plate"
    AMBER_ALERT = "amber_alert"
    MISSING_PERSON = "missing_person"
    WANTED_PERSON = "wanted_person"
    FUGITIVE_WARRANT = "fugitive_warrant"
    VIOLENT_FELONY = "violent_felony"
    FELONY_INVESTIGATION = "felony_investigation"
    MISDEMEANOR_INVESTIGATION = "misdemeanor_investigation"
    HUMAN_TRAFFICKING = "human_trafficking"
    TERRORISM = "terrorism"
    PROTECTIVE_ORDER = "protective_order"
    OWNER_REQUEST = "owner_request"  # a resident's request for their own vehicle's reads
    IMMIGRATION_ENFORCEMENT = "immigration_enforcement"
    REPRODUCTIVE_HEALTH = "reproductive_health"
    GENDER_AFFIRMING_CARE = "gender_affirming_care"
    TRAFFIC_ENFORCEMENT = "traffic_enforcement"
    PARKING = "parking"
    PROTEST_MONITORING = "protest_monitoring"
    PERSONAL = "personal"
    CIVIL_MATTER = "civil_matter"
    OTHER = "other"


class LegalBasis(StrEnum):
    NONE = "none"
    HOTLIST = "hotlist"
    EXIGENT = "exigent"
    CONSENT = "consent"
    WARRANT = "warrant"
    COURT_ORDER = "court_order"


class SearchType(StrEnum):
    EXACT = "exact"
    PARTIAL = "partial"
    AREA = "area"
    CONVOY = "convoy"
    ATTRIBUTE = "attribute"
    """Reads by make, colour and body type (and optionally a partial plate) when the plate is
    unknown: a sweep of many vehicles' locations, judged like an area search."""


def search_vehicle(
    kind: SearchType,
    *,
    make: str | None = None,
    colour: str | None = None,
    vehicle_type: str | None = None,
) -> VehicleAttributes | None:
    """The canonical attributes a request names: required (at least one) for an attribute
    search, refused on any other type so a stray field never narrows a search silently. One
    rule for the API, the CLI and the console."""
    if kind is SearchType.ATTRIBUTE:
        return VehicleAttributes.parse(make=make, colour=colour, vehicle_type=vehicle_type)
    words = {"make": make, "colour": colour, "vehicle_type": vehicle_type}
    given = [k for k, v in words.items() if v and v.strip()]
    if given:
        raise InputError("only an attribute search names vehicle attributes", field=given[0])
    return None


class Outcome(StrEnum):
    ALLOW = "allow"
    DENY = "deny"
    NEEDS_APPROVAL = "needs_approval"


@dataclass(frozen=True, slots=True)
class Requester:
    agency_id: str
    agency_state: str
    agency_type: AgencyType
    user_id: str
    role: Role
    attestation_on_file: bool = False


@dataclass(frozen=True, slots=True)
class Query:
    type: SearchType
    window_start: datetime
    window_end: datetime
    plate: str | None = None
    pattern: str | None = None
    cameras: tuple[str, ...] | None = None
    include_variants: bool = False
    state: str | None = None  # only reads of this issuing state (own-vehicle requests)
    vehicle: VehicleAttributes | None = None
    """What an attribute search looks for; where it looks is ``cameras`` or ``area``, and
    ``pattern`` optionally narrows it by partial plate."""
    area: Area | None = None
    """Where an area or attribute search looks when it names a place instead of cameras: every
    read whose own position is inside, fixed camera or mobile (never both with ``cameras``)."""

    def __repr__(self) -> str:
        return (
            f"Query(type={self.type.value!r}, plate={mask_plate(self.plate or '')!r}, "
            f"window={self.window_start.isoformat()}..{self.window_end.isoformat()})"
        )


@dataclass(frozen=True, slots=True)
class WarrantScope:
    """What a judicial warrant or court order authorises: the court that issued it, the time
    window it covers and, when it names them, the cameras (its area) and the plates.

    ``None`` for ``cameras`` or ``plates`` means the order does not limit that dimension. The
    order's number travels as ``SearchRequest.warrant_id``; both stay in the private log (the
    public log records only that a warrant was used).
    """

    court: str
    window_start: datetime
    window_end: datetime
    cameras: tuple[str, ...] | None = None
    plates: tuple[str, ...] | None = None

    def __repr__(self) -> str:
        plates = None if self.plates is None else len(self.plates)
        return (
            f"WarrantScope(court={self.court!r}, window={self.window_start.isoformat()}.."
            f"{self.window_end.isoformat()}, plates={plates})"
        )


@dataclass(frozen=True, slots=True)
class SearchRequest:
    id: str
    requester: Requester
    purpose: Purpose
    offense_code: str | None
    case_number: str | None
    legal_basis: LegalBasis
    warrant_id: str | None
    reason: str
    query: Query
    now: datetime
    protected_plate: bool = False
    owner_agency_id: str | None = None
    owner_verified: bool = False
    """An own-vehicle request whose proof of registration one staff member verified and a
    second, independent one approved (``trustlpr.search.owner``); never set by a search form."""
    warrant_scope: WarrantScope | None = None
    """What the warrant or court order behind the request authorises; with it, the policy's
    limits for warrantless searches follow the order's scope (``[warrants]``, docs/policy.md)."""


@dataclass(frozen=True, slots=True)
class Reason:
    """One rule's verdict in plain language: ``rule`` is a stable id, ``text`` says why."""

    rule: str
    text: str

    def __str__(self) -> str:
        return f"[{self.rule}] {self.text}"


@dataclass(frozen=True, slots=True)
class Decision:
    outcome: Outcome
    reasons: tuple[Reason, ...] = field(default_factory=tuple)
    policy: str = ""

    @property
    def allowed(self) -> bool:
        return self.outcome is Outcome.ALLOW
