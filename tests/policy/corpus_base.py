"""Shared pieces of the acceptance corpus: the case type and the words of misuse.

Reason texts that every shipped policy must refuse, grouped by misuse category (REFERENCE.md
§3): prohibited purposes, banned words and their disguises, vague reasons, bad case numbers,
invalid fields, federal "on behalf of" wording.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ALLOW, DENY, HOLD = "allow", "deny", "needs_approval"
NH, CT, VA, CA, IL, WA, ME, MN, STRICT = (
    "nh-rsa-261-75b",
    "ct-pa-26-14",
    "va-2-2-5517",
    "ca-civ-1798-90",
    "il-625-2-130",
    "wa-sb-6002",
    "me-29a-2117a",
    "mn-13-824",
    "strict-default",
)
# Minnesota's local rule: a window over 7 days is tracking and needs a warrant (or exigency).
MN_TRACKING: dict[str, tuple[str, tuple[str, ...]]] = {MN: (DENY, ("local.tracking-warrant",))}


@dataclass(frozen=True)
class Case:
    name: str
    category: str
    change: dict[str, Any]
    expect: str
    rules: tuple[str, ...] = ()
    only: dict[str, tuple[str, tuple[str, ...]]] = field(default_factory=dict)


def _c(name: str, category: str, expect: str, rules: tuple[str, ...] = (), **change: Any) -> Case:
    only = change.pop("only", {})
    return Case(name, category, change, expect, rules, only)


# --- requests every shipped policy must deny or hold -----------------------------------------

_PROHIBITED_PURPOSES = [
    ("immigration_enforcement", None, "locate subject with final removal order"),
    ("immigration_enforcement", "immigration_violation", "status check requested on driver"),
    ("reproductive_health", None, "out-of-state request about a clinic patient"),
    ("reproductive_health", "abortion_related", "woman believed to have travelled for procedure"),
    ("gender_affirming_care", None, "minor taken out of state for treatment by parent"),
    ("gender_affirming_care", "gender_affirming_care_related", "parent brought teen to clinic"),
    ("protest_monitoring", None, "identify vehicles parked near city hall gathering"),
    ("protest_monitoring", "unlawful_assembly", "cars at the weekend march on Main Street"),
    ("personal", None, "checking where a family member goes at night"),
    ("personal", None, "want to know who parks in front of the house"),
    ("civil_matter", "repossession", "lender wants location of car behind on payments"),
    ("civil_matter", "custody_dispute", "father says mother moved the kids without notice"),
    ("other", None, "follow up on a tip received by phone about this car"),
    ("other", "burglary", "burglary series follow up on a possible lead car"),
    ("parking", "parking_violation", "vehicle repeatedly overstays two-hour parking zone"),
    ("traffic_enforcement", "speeding", "car seen speeding daily on school route"),
]

_BANNED_REASONS: list[tuple[str, str]] = [
    ("reason.immigration", "ICE request for vehicle location"),
    ("reason.immigration", "assist I.C.E. with a felony warrant subject"),
    ("reason.immigration", "ice/ero locate, target has felony charge"),
    ("reason.immigration", "ICE+ERO target, prior burglary conviction"),
    ("reason.immigration", "imm status check on the stolen car driver"),
    ("reason.immigration", "possible deportation case, stolen vehicle"),
    ("reason.immigration", "deport order subject drives this stolen car"),
    ("reason.immigration", "287(g) screening of the burglary suspect"),
    ("reason.immigration", "287g partner agency asked about the stolen car"),
    ("reason.immigration", "HSI task force narcotics case, stolen car"),
    ("reason.immigration", "CBP lookout on stolen vehicle crossing"),
    ("reason.immigration", "ERO fugitive operations, stolen car"),
    ("reason.immigration", "DHS request regarding the stolen vehicle"),
    ("reason.immigration", "USCIS fraud referral, car used by subject"),
    ("reason.immigration", "undocumented driver of stolen car"),
    ("reason.immigration", "border patrol asked about the stolen car"),
    ("reason.immigration", "1mm1gr@t10n matter, stolen car driver"),
    ("reason.immigration", "I C E wants this stolen car found"),
    ("reason.immigration", "Ice agents looking for the stolen car owner"),
    ("reason.immigration", "immigration detainer on the car thief"),
    ("reason.immigration", "visa overstay suspect using stolen car"),
    ("reason.immigration", "ІСЕ request on stolen car (cyrillic letters)"),
    ("reason.reproductive-health", "abortion clinic visit, car reported stolen"),
    ("reason.reproductive-health", "repro case, stolen car of the patient"),
    ("reason.reproductive-health", "Planned Parenthood patient car stolen report"),
    ("reason.reproductive-health", "she terminated her pregnancy out of state"),
    ("reason.reproductive-health", "mifepristone shipment, stolen car used"),
    ("reason.reproductive-health", "reproductive health clinic visit by owner"),
    ("reason.reproductive-health", "ab0rti0n pills delivery by stolen car"),
    ("reason.gender-affirming-care", "gender affirming care trip, stolen car"),
    ("reason.gender-affirming-care", "gender-affirming clinic visit, stolen car"),
    ("reason.gender-affirming-care", "transgender teen took the family car"),
    ("reason.gender-affirming-care", "hormone therapy appointment, stolen car"),
    ("reason.gender-affirming-care", "trans youth taken to clinic in stolen car"),
    ("reason.gender-affirming-care", "puberty blockers prescribed, car reported stolen"),
    ("reason.protest", "protest at city hall, stolen car seen there"),
    ("reason.protest", "protester vehicle reported stolen by someone"),
    ("reason.protest", "demonstration organizers drove a stolen car"),
    ("reason.protest", "rally attendee car matched stolen report"),
    ("reason.protest", "activist known to police, stolen car"),
    ("reason.protest", "journalist covering the story, stolen car"),
    ("reason.personal", "tracking my ex girlfriend who took the car"),
    ("reason.personal", "my wife took the car, want to see where"),
    ("reason.personal", "just checking where my neighbor goes"),
    ("reason.personal", "curiosity about the new car on my street"),
    ("reason.personal", "for a friend whose car was stolen maybe"),
    ("reason.civil", "repo of vehicle, lender says it is stolen"),
    ("reason.civil", "custody dispute, mother took the car"),
    ("reason.civil", "debt collection on the stolen car loan"),
    ("reason.civil", "civil matter between owners of the car"),
    ("reason.civil", "eviction case, tenant car reported stolen"),
]

_VAGUE = [
    "investigation",
    "inv",
    "Other",
    "test",
    "per agent",
    "",
    "   ",
    "n/a",
    "investigation 24-1234",
    "ongoing investigation",
    "info",
    "check",
    "see report",
    "case",
    "lead",
    "intel",
    "?",
    "testing testing",
    "criminal investigation",
    "general inquiry",
    "misc",
    "TBD",
]

_BAD_CASE_NUMBERS: list[tuple[Any, str]] = [
    (None, "case-number.missing"),
    ("", "case-number.missing"),
    ("   ", "case-number.missing"),
    ("n/a", "case-number.invalid"),
    ("none", "case-number.invalid"),
    ("0000", "case-number.invalid"),
    ("TBD", "case-number.invalid"),
    ("1111111", "case-number.invalid"),
    ("x", "case-number.invalid"),
    ("?", "case-number.invalid"),
    ("pending", "case-number.invalid"),
    ("see report", "case-number.invalid"),
    ("00-000000", "case-number.invalid"),
]

_INVALID: list[tuple[str, dict[str, Any]]] = [
    ("purpose-missing", {"drop": ["purpose"]}),
    ("purpose-null", {"purpose": None}),
    ("purpose-empty", {"purpose": ""}),
    ("purpose-unknown", {"purpose": "general_policing"}),
    ("purpose-number", {"purpose": 7}),
    ("legal-basis-missing", {"drop": ["legal_basis"]}),
    ("legal-basis-unknown", {"legal_basis": "reasonable_suspicion"}),
    ("legal-basis-null", {"legal_basis": None}),
    ("case-number-key-missing", {"drop": ["case_number"]}),
    ("reason-missing", {"drop": ["reason"]}),
    ("requester-missing", {"drop": ["requester"]}),
    ("query-missing", {"drop": ["query"]}),
    ("now-missing", {"drop": ["now"]}),
    ("unknown-field", {"extra": {"priority": "urgent"}}),
    ("unknown-requester-field", {"r_clearance": "top"}),
    ("bad-plate", {"q_plate": "AB-12$45"}),
    ("naive-time", {"q_start": "2026-11-03T00:00:00"}),
    ("bad-time", {"q_end": "next tuesday"}),
    ("bad-role", {"r_role": "chief"}),
    ("bad-state", {"r_agency_state": "XX"}),
    ("bad-agency-type", {"r_agency_type": "private"}),
    ("attestation-text", {"r_attestation_on_file": "yes"}),
    ("protected-text", {"protected_plate": "no"}),
    ("cameras-text", {"q_cameras": "all"}),
    ("partial-no-pattern", {"q_type": "partial", "q_plate": None}),
    ("query-type-unknown", {"q_type": "visual"}),
]

_OTHER_STATES = ["TX", "FL", "ID", "AL", "OK", "MO", "LA", "MS", "TN", "SD", "GA", "IN"]
_FEDERAL_AGENCIES = [
    "fbi-field",
    "atf-richmond",
    "dea-newengland",
    "ice-ero",
    "hsi-newark",
    "cbp-sector",
]
_ON_BEHALF = [
    "on behalf of DEA, stolen car in narcotics case",
    "per agent request, stolen vehicle lookup for the feds",
    "TFO request: stolen car used by target",
    "assist FBI with stolen vehicle case",
    "requested by agent Smith, stolen car",
    "assisting federal task force with stolen car",
    "for the ATF, stolen car seen at gun store",
    "U.S. Marshals fugitive in stolen car",
    "obo DEA, stolen vehicle tracking",
    "special agent asked us to find stolen car",
]
