"""Requests every shipped policy must deny or hold for approval, one list per misuse category."""

from __future__ import annotations

from .corpus_base import (
    _BAD_CASE_NUMBERS,
    _BANNED_REASONS,
    _FEDERAL_AGENCIES,
    _INVALID,
    _ON_BEHALF,
    _OTHER_STATES,
    _PROHIBITED_PURPOSES,
    _VAGUE,
    CA,
    DENY,
    HOLD,
    MN_TRACKING,
    NH,
    Case,
    _c,
)


def deny_cases() -> list[Case]:
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
                only=MN_TRACKING if expect == HOLD else {},
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
            only={CA: (HOLD, ("approval.long-window",)), **MN_TRACKING},
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
