"""The acceptance corpus, as readable cases: what each request is and what each policy must say.

Each case is a change to a legitimate in-state base request plus the expected decision
(``allow``, ``deny`` or ``needs_approval``) and the rule ids that must be among the reasons;
``only`` overrides both for particular policies. ``corpus.py`` instantiates every case for
every shipped policy (the requester's state becomes the policy's jurisdiction) and writes
``tests/data/policy_requests_<policy>.jsonl`` plus the expectations file.
"""

from __future__ import annotations

from typing import Any

from .corpus_areas import area_cases
from .corpus_attributes import attribute_cases
from .corpus_base import ALLOW, CA, CT, DENY, HOLD, IL, NH, STRICT, VA, Case, _c
from .corpus_denials import deny_cases
from .corpus_warrants import warrant_cases

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


def _nibrs_cases() -> list[Case]:
    """Requests coded with FBI NIBRS offense codes or statute names (issue 15)."""
    allowed = [
        ("240", "stolen_vehicle", "240", "stolen white Honda Civic reported by owner 11/2"),
        ("name", "stolen_vehicle", "Motor Vehicle Theft", "grey Tacoma taken from driveway"),
        ("statute", "stolen_vehicle", "larceny of a motor vehicle", "keys taken, car driven off"),
        ("23H", "stolen_plate", "23H", "rear plate stolen from parked minivan at the mall"),
        ("100", "amber_alert", "100", "child taken from school pickup line by stranger"),
        ("90I", "missing_person", "90I", "runaway 14-year-old seen getting into grey Nissan"),
    ]
    cases = [
        _c(f"nibrs-allow-{name}", "NIBRS", ALLOW, ("permit",), purpose=purpose,
           offense_code=code, reason=reason)
        for name, purpose, code, reason in allowed
    ]  # fmt: skip
    denied = [
        ("unknown-13Z", "stolen_vehicle", "13Z", "offense.unknown"),
        ("unknown-name", "stolen_vehicle", "grand theft spaceship", "offense.unknown"),
        ("30A", "felony_investigation", "30A", "offense.prohibited-topic"),
        ("49C", "stolen_vehicle", "49C", "offense.prohibited-topic"),
        ("35A-felony", "felony_investigation", "35A", "offense.mismatch"),
        ("13B-violent", "violent_felony", "13B", "offense.mismatch"),
        ("assault-3-violent", "violent_felony", "assault in the third degree", "offense.mismatch"),
    ]  # fmt: skip
    cases += [
        _c(f"nibrs-deny-{name}", "NIBRS", DENY, (rule,), purpose=purpose, offense_code=code)
        for name, purpose, code, rule in denied
    ]
    cases.append(
        _c(
            "nibrs-federal-warrant-100",
            "NIBRS",
            ALLOW,
            ("permit",),
            r_agency_type="federal",
            r_agency_id="fbi-field",
            r_agency_state="DC",
            legal_basis="warrant",
            warrant_id="FBI-SW-2026-7",
            purpose="violent_felony",
            offense_code="100",  # NIBRS Kidnapping/Abduction: on the warrant lists as kidnapping
            reason="interstate kidnapping, victim in suspect car",
            only={p: (DENY, ("sharing.federal",)) for p in (NH, VA, CA, STRICT)},
        )
    )
    return cases


def all_cases() -> list[Case]:
    return (
        _allow_cases()
        + deny_cases()
        + _policy_specific_cases()
        + _nibrs_cases()
        + warrant_cases()
        + attribute_cases()
        + area_cases()
    )
