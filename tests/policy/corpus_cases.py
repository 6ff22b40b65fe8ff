"""The acceptance corpus, as readable cases: what each request is and what each policy must say.

Each case is a change to a legitimate in-state base request plus the expected decision
(``allow``, ``deny`` or ``needs_approval``) and the rule ids that must be among the reasons;
``only`` overrides both for particular policies. ``corpus.py`` instantiates every case for
every shipped policy (the requester's state becomes the policy's jurisdiction) and writes
``tests/data/policy_requests_<policy>.jsonl`` plus the expectations file.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

ALLOW, DENY, HOLD = "allow", "deny", "needs_approval"
NH, CT, VA, CA, IL, WA, STRICT = (
    "nh-rsa-261-75b",
    "ct-pa-26-14",
    "va-2-2-5517",
    "ca-civ-1798-90",
    "il-625-2-130",
    "wa-sb-6002",
    "strict-default",
)


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


# --- requests every shipped policy must allow ------------------------------------------------

_ALLOWED_REASONS: list[tuple[str, str | None, str]] = [
    ("stolen_vehicle", "larceny_motor_vehicle", "stolen white Honda Civic reported by owner 11/2"),
    ("stolen_vehicle", "larceny_motor_vehicle", "grey Toyota Tacoma taken from driveway overnight"),
    ("stolen_vehicle", "larceny_motor_vehicle", "ice cream truck theft from depot on Route 9"),
    ("stolen_vehicle", "larceny_motor_vehicle", "Stolen Pontiac Trans Am from dealer lot"),
    ("stolen_vehicle", "larceny_motor_vehicle", "stolen in March, owner just returned from abroad"),
    (
        "stolen_vehicle",
        "larceny_motor_vehicle",
        "rental car not returned, embezzlement report filed",
    ),
    ("stolen_vehicle", "larceny_motor_vehicle", "motorcycle stolen from Price St garage"),
    ("stolen_vehicle", "larceny_motor_vehicle", "keys taken in burglary, car driven away"),
    ("stolen_vehicle", "carjacking", "carjacking at gas station, victim pulled from car"),
    ("stolen_vehicle", None, "box truck stolen from lumber yard Friday night"),
    ("stolen_plate", None, "plates removed from parked minivan at mall"),
    ("stolen_plate", None, "rear plate stolen, owner reported at front desk"),
    ("stolen_plate", "larceny", "plate stolen from dealership loaner vehicle"),
    ("stolen_plate", None, "stolen plate seen on different black sedan"),
    ("amber_alert", "child_abduction", "Amber Alert: 6-year-old taken by non-custodial adult"),
    ("amber_alert", "child_abduction", "abducted toddler, suspect vehicle silver Kia Soul"),
    ("amber_alert", "kidnapping", "child taken from school pickup line by stranger"),
    ("missing_person", "missing_person", "elderly man with dementia left home in blue Buick"),
    ("missing_person", "endangered_person", "missing diabetic teen without insulin, family car"),
    ("missing_person", None, "suicidal adult left note and drove off in pickup"),
    ("missing_person", "runaway_juvenile", "runaway 14-year-old seen getting into grey Nissan"),
    ("missing_person", None, "hiker overdue, car not at trailhead lot"),
    ("wanted_person", "felony_warrant", "subject of felony warrant for burglary series"),
    ("wanted_person", "felony_warrant", "parole absconder wanted on arrest warrant"),
    ("wanted_person", "aggravated_assault", "suspect wanted for stabbing outside bar"),
    ("wanted_person", "escape", "escaped inmate believed driving stolen pickup"),
    ("fugitive_warrant", "felony_warrant", "fugitive from justice, extradition warrant on file"),
    ("fugitive_warrant", "felony_warrant", "fugitive on felony warrant, vehicle registered to him"),
    ("fugitive_warrant", "escape", "walked away from halfway house, warrant issued"),
    ("violent_felony", "homicide", "homicide on Elm St, witness saw fleeing dark SUV"),
    ("violent_felony", "shooting", "drive-by shooting on Oak Ave, suspect sedan"),
    ("violent_felony", "armed_robbery", "armed robbery of pharmacy, getaway car described"),
    ("violent_felony", "robbery", "bank robbery, teller gave partial description of car"),
    ("violent_felony", "sexual_assault", "sexual assault victim identified suspect vehicle"),
    ("violent_felony", "aggravated_assault", "road rage assault with a bat, suspect fled"),
    ("violent_felony", "home_invasion", "home invasion on Maple Rd, suspects left in van"),
    ("violent_felony", "carjacking", "carjacking at knifepoint near transit station"),
    ("violent_felony", "arson", "arson of warehouse, suspect car seen on camera"),
    ("violent_felony", "kidnapping", "victim forced into car outside nightclub"),
    ("violent_felony", "murder", "suspect in custody named accomplice who drove"),
    ("violent_felony", "vehicular_homicide", "fatal crash, driver fled the scene on foot later"),
    ("felony_investigation", "burglary", "commercial burglary, alarm company video of car"),
    ("felony_investigation", "burglary", "series of garage burglaries on Nice Ave"),
    ("felony_investigation", "catalytic_converter_theft", "catalytic converter thefts at lot"),
    ("felony_investigation", "organized_retail_theft", "organized retail theft crew van"),
    ("felony_investigation", "fraud", "elder fraud suspect collected cash in person"),
    ("felony_investigation", "identity_theft", "identity theft suspect picked up mail"),
    ("felony_investigation", "drug_trafficking", "fentanyl trafficking, controlled buy vehicle"),
    ("felony_investigation", "firearm_offense", "shots fired, casings found, car seen leaving"),
    ("felony_investigation", "hit_and_run_injury", "hit and run injured cyclist, car damaged"),
    ("felony_investigation", "hit_and_run_injury", "vehicle slid on ice, hit pedestrian, fled"),
    (
        "felony_investigation",
        "protective_order_violation",
        "victim's ex-husband violated protective order, seen at her work",
    ),
    ("felony_investigation", "stalking", "stalking complaint, same car outside victim home"),
    ("felony_investigation", "receiving_stolen_property", "pawn of stolen tools, seller car"),
    ("felony_investigation", "burglary", "personal property stolen from vehicle, suspect car"),
    ("felony_investigation", "grand_larceny", "aborted pursuit, suspect fled in stolen car"),
    ("felony_investigation", "extortion", "extortion payment pickup, suspect car observed"),
    ("human_trafficking", "human_trafficking", "trafficking victim rescued, named transport car"),
    ("human_trafficking", "human_trafficking", "labor trafficking tip, van moving workers nightly"),
    ("terrorism", "terrorism", "bomb threat caller vehicle seen near arena"),
    ("terrorism", "terrorism", "explosive device found, suspect truck from video"),
]


def _allow_cases() -> list[Case]:
    cases: list[Case] = []
    variations: list[dict[str, Any]] = [
        {},
        {"r_role": "supervisor"},
        {"r_agency_type": "state", "r_agency_id": "state-police"},
        {"legal_basis": "hotlist"},
        {
            "legal_basis": "exigent",
            "q_start": "2026-11-10T06:00:00Z",
            "q_end": "2026-11-10T12:00:00Z",
        },
        {"legal_basis": "warrant", "warrant_id": "SW-2026-0311"},
        {"q_variants": True},
        {"q_start": "2026-11-03T12:00:00Z", "q_end": "2026-11-10T12:00:00Z"},  # exactly 7 days
        {"legal_basis": "court_order", "warrant_id": "CO-88-1192"},
        {"legal_basis": "consent"},
    ]
    for index, (purpose, offense, reason) in enumerate(_ALLOWED_REASONS):
        for round_ in range(2):
            change: dict[str, Any] = {"purpose": purpose, "offense_code": offense, "reason": reason}
            change.update(variations[(index + round_ * 3) % len(variations)])
            change["case_number"] = f"26-{4100 + index * 2 + round_:06d}"
            change["q_plate"] = f"{'ABCDEFGHJK'[index % 10]}{'KLMNP'[round_]}{1000 + index * 7}"
            cases.append(Case(f"allow-{index:02d}-{round_}", "allowed", change, ALLOW, ("permit",)))
    return cases


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


def _deny_cases() -> list[Case]:
    cases: list[Case] = []
    for i, (purpose, offense, reason) in enumerate(_PROHIBITED_PURPOSES):
        cases.append(
            _c(
                f"purpose-{purpose}-{i}",
                "prohibited purpose",
                DENY,
                ("purpose.",),
                purpose=purpose,
                offense_code=offense,
                reason=reason,
            )
        )
    for i, (rule, reason) in enumerate(_BANNED_REASONS):
        cases.append(
            _c(f"banned-word-{i:02d}", "banned reason words", DENY, (rule,), reason=reason)
        )
    for i, reason in enumerate(_VAGUE):
        cases.append(_c(f"vague-{i:02d}", "vague reason", DENY, ("reason.",), reason=reason))
    for i, (number, rule) in enumerate(_BAD_CASE_NUMBERS):
        cases.append(
            _c(f"case-number-{i:02d}", "missing case number", DENY, (rule,), case_number=number)
        )
    for name, change in _INVALID:
        cases.append(
            _c(f"invalid-{name}", "missing or invalid field", DENY, ("request.invalid",), **change)
        )
    for i, agency in enumerate(_FEDERAL_AGENCIES):
        cases.append(
            _c(
                f"federal-{agency}",
                "federal without warrant",
                DENY,
                ("sharing.federal",),
                r_agency_type="federal",
                r_agency_id=agency,
                r_agency_state="DC",
                purpose=["stolen_vehicle", "wanted_person", "felony_investigation"][i % 3],
                offense_code=["larceny_motor_vehicle", "felony_warrant", "drug_trafficking"][i % 3],
                reason="federal case: vehicle of a subject in a stolen car ring",
            )
        )
    cases.append(
        _c(
            "federal-warrant-minor",
            "federal without warrant",
            DENY,
            ("sharing.federal",),
            r_agency_type="federal",
            r_agency_id="fbi-field",
            r_agency_state="DC",
            purpose="felony_investigation",
            offense_code="fraud",
            legal_basis="warrant",
            warrant_id="FW-2026-14",
            reason="wire fraud suspect vehicle, warrant issued",
        )
    )
    for i, reason in enumerate(_ON_BEHALF):
        cases.append(
            _c(
                f"on-behalf-{i:02d}",
                "federal without warrant",
                DENY,
                ("sharing.federal",),
                reason=reason,
            )
        )
    for state in _OTHER_STATES:
        cases.append(
            _c(
                f"out-of-state-{state}",
                "out-of-state without attestation",
                DENY,
                ("sharing.",),
                r_agency_state=state,
                r_agency_id=f"{state.lower()}-sheriff",
            )
        )
    windows = [
        ("90d", "2026-08-12T12:00:00Z", DENY, ("window.too-long",)),
        ("120d", "2026-07-13T12:00:00Z", DENY, ("window.too-long",)),
        ("1y", "2025-11-10T12:00:00Z", DENY, ("window.too-long",)),
        ("14d", "2026-10-27T12:00:00Z", HOLD, ("approval.long-window",)),
        ("10d", "2026-10-31T12:00:00Z", HOLD, ("approval.long-window",)),
        ("8d", "2026-11-02T12:00:00Z", HOLD, ("approval.long-window",)),
    ]
    for label, start, expect, rules in windows:
        cases.append(
            _c(
                f"window-{label}",
                "over-long window",
                expect,
                rules,
                q_start=start,
                q_end="2026-11-10T12:00:00Z",
            )
        )
    cases.append(
        _c(
            "window-45d",
            "over-long window",
            DENY,
            ("window.too-long",),
            q_start="2026-09-26T12:00:00Z",
            q_end="2026-11-10T12:00:00Z",
            only={CA: (HOLD, ("approval.long-window",))},
        )
    )
    cases.append(
        _c(
            "window-reversed",
            "over-long window",
            DENY,
            ("window.invalid",),
            q_start="2026-11-08T00:00:00Z",
            q_end="2026-11-03T00:00:00Z",
        )
    )
    cases.append(
        _c(
            "window-empty",
            "over-long window",
            DENY,
            ("window.invalid",),
            q_start="2026-11-08T00:00:00Z",
            q_end="2026-11-08T00:00:00Z",
        )
    )
    cases.append(
        _c(
            "window-future",
            "over-long window",
            DENY,
            ("window.future",),
            q_start="2026-11-09T00:00:00Z",
            q_end="2026-11-14T00:00:00Z",
        )
    )
    nh_type = {NH: (DENY, ("search-type.not-allowed",))}
    for i, basis in enumerate(["none", "hotlist", "exigent", "consent"]):
        cases.append(
            _c(
                f"area-{basis}",
                "area search without warrant",
                DENY,
                ("legal-basis.insufficient",),
                q_type="area",
                q_plate=None,
                q_cameras=["cam-12", "cam-13"],
                legal_basis=basis,
                q_start="2026-11-08T01:00:00Z",
                q_end="2026-11-08T03:00:00Z",
                purpose="violent_felony",
                offense_code="shooting",
                reason=f"shooting at Elm and 3rd, vehicles near the scene ({i})",
                only=nh_type,
            )
        )
    area_warrant = {
        "q_type": "area",
        "q_plate": None,
        "legal_basis": "warrant",
        "warrant_id": "SW-2026-77",
        "purpose": "violent_felony",
        "offense_code": "homicide",
        "reason": "homicide at Elm and 3rd, vehicles near the scene",
        "q_start": "2026-11-08T01:00:00Z",
        "q_end": "2026-11-08T03:00:00Z",
    }
    cases.append(
        _c(
            "area-all-cameras",
            "area search without warrant",
            DENY,
            ("scope.cameras",),
            **area_warrant,
            q_cameras=None,
            only=nh_type,
        )
    )
    cases.append(
        _c(
            "area-too-many-cameras",
            "area search without warrant",
            DENY,
            ("scope.cameras",),
            **area_warrant,
            q_cameras=[f"cam-{n}" for n in range(40)],
            only=nh_type,
        )
    )
    cases.append(
        _c(
            "area-too-long",
            "area search without warrant",
            DENY,
            ("window.search-type",),
            **{**area_warrant, "q_start": "2026-11-05T00:00:00Z"},
            q_cameras=["cam-1"],
            only=nh_type,
        )
    )
    cases.append(
        _c(
            "area-warrant-no-id",
            "area search without warrant",
            DENY,
            ("legal-basis.warrant-id",),
            **{**area_warrant, "warrant_id": None},
            q_cameras=["cam-1"],
            only=nh_type,
        )
    )
    for basis in ["none", "hotlist", "exigent"]:
        cases.append(
            _c(
                f"convoy-{basis}",
                "area search without warrant",
                DENY,
                ("legal-basis.insufficient",),
                q_type="convoy",
                legal_basis=basis,
                purpose="violent_felony",
                offense_code="armed_robbery",
                reason="armed robbery getaway car had a lookout car with it",
                only=nh_type,
            )
        )
    protected = [
        (
            "stolen_vehicle",
            "larceny_motor_vehicle",
            "stolen car registered to a confidential address",
        ),
        ("wanted_person", "felony_warrant", "warrant subject may drive relative's car"),
        (
            "missing_person",
            "missing_person",
            "missing adult, car registered in safe-at-home program",
        ),
        ("violent_felony", "aggravated_assault", "assault suspect borrowed a protected car"),
        ("felony_investigation", "burglary", "burglary witness car in address program"),
        ("stolen_plate", None, "stolen plate from a protected registrant's car"),
    ]
    for i, (purpose, offense, reason) in enumerate(protected):
        cases.append(
            _c(
                f"protected-{i}",
                "protected plate",
                HOLD,
                ("approval.protected-plate",),
                protected_plate=True,
                purpose=purpose,
                offense_code=offense,
                reason=reason,
            )
        )
    for i, pattern in enumerate(["AB12*", "?B12345", "AB*45", "A?C12*", "7*K9Z"]):
        cases.append(
            _c(
                f"partial-{i}",
                "partial plate",
                HOLD,
                ("approval.partial-plate",),
                q_type="partial",
                q_plate=None,
                q_pattern=pattern,
                only=nh_type,
            )
        )
    cases.append(
        _c(
            "partial-too-broad",
            "partial plate",
            DENY,
            ("query.pattern-too-broad",),
            q_type="partial",
            q_plate=None,
            q_pattern="A*",
            only=nh_type,
        )
    )
    for role in ["auditor", "admin"]:
        cases.append(
            _c(
                f"role-{role}",
                "role may not search",
                DENY,
                ("role.not-investigative",),
                r_role=role,
            )
        )
    for i in range(2):
        cases.append(
            _c(
                f"vendor-{i}",
                "vendor",
                DENY,
                ("sharing.vendor",),
                r_agency_type="vendor",
                r_agency_id=f"vendor-{i}",
            )
        )
    offense_cases = [
        ("violent-with-shoplifting", "violent_felony", "shoplifting", "offense.mismatch"),
        ("felony-with-speeding", "felony_investigation", "speeding", "offense.mismatch"),
        ("felony-without-offense", "felony_investigation", None, "offense.missing"),
        ("violent-without-offense", "violent_felony", None, "offense.missing"),
        ("unknown-offense", "stolen_vehicle", "jaywalking_in_space", "offense.unknown"),
        (
            "immigration-offense",
            "felony_investigation",
            "illegal_entry",
            "offense.prohibited-topic",
        ),
        (
            "abortion-offense",
            "felony_investigation",
            "abortion_related",
            "offense.prohibited-topic",
        ),
        (
            "gac-offense",
            "felony_investigation",
            "gender_affirming_care_related",
            "offense.prohibited-topic",
        ),
        ("repo-offense", "stolen_vehicle", "repossession", "offense.prohibited-topic"),
    ]
    for name, purpose, offense, rule in offense_cases:
        cases.append(
            _c(
                f"offense-{name}",
                "offense code",
                DENY,
                (rule,),
                purpose=purpose,
                offense_code=offense,
            )
        )
    cases.append(
        _c(
            "warrant-without-id",
            "legal basis",
            DENY,
            ("legal-basis.warrant-id",),
            legal_basis="warrant",
        )
    )
    cases.append(
        _c("exact-without-plate", "legal basis", DENY, ("query.plate-missing",), q_plate=None)
    )
    return cases


def _policy_specific_cases() -> list[Case]:
    """Requests whose decision differs by statute: the point of encoding each law."""
    notx = {p: (DENY, ("sharing.",)) for p in (NH, VA, CA, STRICT)}
    return [
        _c(
            "misdemeanor",
            "policy-specific",
            ALLOW,
            ("permit",),
            purpose="misdemeanor_investigation",
            offense_code="shoplifting",
            reason="repeat shoplifting at pharmacy, car seen leaving",
            only={p: (DENY, ("purpose.not-permitted",)) for p in (CT, NH, STRICT)},
        ),
        _c(
            "protective-order",
            "policy-specific",
            ALLOW,
            ("permit",),
            purpose="protective_order",
            offense_code="protective_order_violation",
            reason="respondent seen near the protected party's home again",
            only={NH: (DENY, ("purpose.not-permitted",))},
        ),
        _c(
            "area-with-warrant",
            "policy-specific",
            ALLOW,
            ("permit",),
            q_type="area",
            q_plate=None,
            q_cameras=["cam-3", "cam-4"],
            legal_basis="warrant",
            warrant_id="SW-26-9",
            purpose="violent_felony",
            offense_code="homicide",
            reason="homicide on Elm St, vehicles passing within the hour",
            q_start="2026-11-08T01:00:00Z",
            q_end="2026-11-08T02:00:00Z",
            only={NH: (DENY, ("search-type.not-allowed",))},
        ),
        _c(
            "convoy-with-warrant",
            "policy-specific",
            HOLD,
            ("approval.convoy",),
            q_type="convoy",
            legal_basis="warrant",
            warrant_id="SW-26-10",
            purpose="violent_felony",
            offense_code="armed_robbery",
            reason="armed robbery getaway car travelled with a lookout",
            q_start="2026-11-08T00:00:00Z",
            q_end="2026-11-08T12:00:00Z",
            only={NH: (DENY, ("search-type.not-allowed",))},
        ),
        _c(
            "attested-ma",
            "policy-specific",
            DENY,
            ("sharing.",),
            r_agency_state="MA",
            r_agency_id="boston-pd",
            r_attestation_on_file=True,
            only={CT: (ALLOW, ("permit",)), IL: (ALLOW, ("permit",))},
        ),
        _c(
            "unattested-ma",
            "policy-specific",
            DENY,
            ("sharing.",),
            r_agency_state="MA",
            r_agency_id="boston-pd",
        ),
        _c(
            "attested-tx",
            "policy-specific",
            DENY,
            ("sharing.",),
            r_agency_state="TX",
            r_agency_id="tx-sheriff",
            r_attestation_on_file=True,
            only={IL: (ALLOW, ("permit",))},
        ),
        _c(
            "tx-warrant-homicide",
            "policy-specific",
            ALLOW,
            ("permit",),
            r_agency_state="TX",
            r_agency_id="tx-sheriff",
            legal_basis="warrant",
            warrant_id="TX-SW-2026-5",
            purpose="violent_felony",
            offense_code="homicide",
            reason="homicide suspect believed to have driven north",
            only={**notx, IL: (DENY, ("sharing.attestation-missing",))},
        ),
        _c(
            "federal-warrant-homicide",
            "policy-specific",
            ALLOW,
            ("permit",),
            r_agency_type="federal",
            r_agency_id="fbi-field",
            r_agency_state="DC",
            legal_basis="warrant",
            warrant_id="FBI-SW-2026-2",
            purpose="violent_felony",
            offense_code="kidnapping",
            reason="interstate kidnapping, victim in suspect car",
            only={p: (DENY, ("sharing.federal",)) for p in (NH, VA, CA, STRICT)},
        ),
        _c(
            "federal-warrant-ice",
            "policy-specific",
            DENY,
            ("reason.immigration",),
            r_agency_type="federal",
            r_agency_id="ice-ero",
            r_agency_state="DC",
            legal_basis="warrant",
            warrant_id="ICE-2026-2",
            purpose="violent_felony",
            offense_code="homicide",
            reason="ICE ERO request, homicide suspect vehicle",
        ),
    ]


def all_cases() -> list[Case]:
    return _allow_cases() + _deny_cases() + _policy_specific_cases()
