"""The reason classifier: the flock_flag.py misfires we must not repeat, and what we catch."""

from __future__ import annotations

import pytest

from trustlpr.oversight.rules.agencies import classify_org
from trustlpr.oversight.text import Tag, case_numbers, classify_reason, is_case_number


def tags(text: str) -> Tag:
    return classify_reason(text).tags


@pytest.mark.parametrize(
    "reason",
    ["in custody", "suspect taken into custody", "protective custody hold", "jail custody"],
)
def test_in_custody_is_an_arrest_not_a_civil_matter(reason: str) -> None:
    assert not tags(reason) & Tag.CIVIL


@pytest.mark.parametrize(
    "reason", ["child custody dispute", "custody exchange went wrong", "parental custody"]
)
def test_civil_custody_is_caught(reason: str) -> None:
    assert tags(reason) & Tag.CIVIL


@pytest.mark.parametrize(
    "reason",
    [
        "HSI narcotics task force",
        "assist HSI on fentanyl trafficking case",
        "DHS child exploitation",
    ],
)
def test_hsi_on_a_criminal_case_is_a_federal_assist_not_immigration(reason: str) -> None:
    found = tags(reason)
    assert found & Tag.FEDERAL_ASSIST
    assert not found & Tag.IMMIGRATION


def test_hsi_with_no_offence_is_marked_ambiguous() -> None:
    assert tags("HSI request") & Tag.FEDERAL_AMBIGUOUS
    assert not tags("HSI request") & Tag.IMMIGRATION


@pytest.mark.parametrize(
    "reason",
    ["ICE", "ICE+ERO", "I.C.E. assist", "per 1CE agent", "imm1gration check", "deportation",
     "287(g) detainer", "CBP request", "illegal alien", "per ice agent"],
)  # fmt: skip
def test_immigration_including_obfuscations(reason: str) -> None:
    assert tags(reason) & Tag.IMMIGRATION


@pytest.mark.parametrize("reason", ["ice sale meth", "theft of ice machine", "police", "office"])
def test_ice_that_is_not_immigration(reason: str) -> None:
    assert not tags(reason) & Tag.IMMIGRATION


@pytest.mark.parametrize(
    "reason", ["protester", "protestors at city hall", "counter-protest", "activists", "rally"]
)
def test_protest_words_including_protester(reason: str) -> None:
    assert tags(reason) & Tag.PROTEST


@pytest.mark.parametrize(
    ("reason", "tag"),
    [
        ("abortion", Tag.REPRODUCTIVE),
        ("planned parenthood visit", Tag.REPRODUCTIVE),
        ("gender affirming care", Tag.GENDER_CARE),
        ("my ex girlfriend", Tag.PERSONAL),
        ("curious", Tag.PERSONAL),
        ("journalist", Tag.PRESS),
        ("repossession", Tag.CIVIL),
        ("parking complaint", Tag.MINOR),
        ("school residency check", Tag.MINOR),
        ("test", Tag.TEST),
        ("vehicle at the mosque", Tag.SENSITIVE_PLACE),
        ("DOB 01/02/1980", Tag.PII),
        ("call 555-123-4567", Tag.PII),
        ("Other image search from alerts page associated with Alert: Stolen", Tag.ALERT),
    ],
)
def test_categories(reason: str, tag: Tag) -> None:
    assert tags(reason) & tag


@pytest.mark.parametrize(
    "reason",
    ["press charges", "social media threats", "personal property stolen", "church st burglary"],
)
def test_common_false_friends_are_not_flagged(reason: str) -> None:
    assert not tags(reason) & (Tag.PRESS | Tag.PERSONAL | Tag.SENSITIVE_PLACE)


@pytest.mark.parametrize(
    "reason", ["investigation", "Investigation", "inv", "other", "per agent", "."]
)
def test_vague(reason: str) -> None:
    assert tags(reason) & Tag.VAGUE


def test_blank_and_case_only() -> None:
    assert tags("   ") & Tag.BLANK
    assert tags("25-12345") & Tag.CASE_ONLY
    assert tags("CPD25-001234") & Tag.CASE_ONLY
    assert tags("Case 2025-000123") & Tag.CASE_ONLY
    assert not tags("Robbery 25-12345") & (Tag.VAGUE | Tag.CASE_ONLY)


def test_dropdown_reasons() -> None:
    info = classify_reason("Motor Vehicle Theft/Stolen - 25-1234")
    assert info.category == "Motor Vehicle Theft/Stolen"
    assert info.tags & Tag.SERIOUS and info.case_numbers == ("25-1234",)
    assert classify_reason("Other - ").tags & Tag.VAGUE
    assert classify_reason("Hit and Run/Car Accident - ").generic


def test_case_numbers() -> None:
    assert case_numbers("CPD25-001234 and 2025-000123") == ("CPD25-001234", "2025-000123")
    assert case_numbers("case # 123456") == ("123456",)
    assert case_numbers("10-851 stolen, call 555-1234, 1/9/2025") == ()
    assert is_case_number("25-1234") and not is_case_number("N/A") and not is_case_number("0")


def test_orgs() -> None:
    assert classify_org("Springfield CT PD").state == "CT"
    assert classify_org("Texas Department of Public Safety").state == "TX"
    assert classify_org("Washington County Sheriff").state is None
    assert classify_org("HSI Hartford").federal
    assert classify_org("U.S. Immigration and Customs Enforcement").federal
    assert not classify_org("Police Department of Iceland Park NJ").federal
