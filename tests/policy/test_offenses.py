"""Offense codes: every NIBRS Group A and B code accepted and classified, statute names mapped,
unknown offenses refused with the nearest valid codes, never read as no offense (issue 15)."""

from __future__ import annotations

import pytest

from trustlpr.core.search import Outcome
from trustlpr.policy import PolicyEngine
from trustlpr.policy.offenses import (
    NIBRS,
    OFFENSE_TOPICS,
    OFFENSES,
    STATUTE_NAMES,
    nearest_offenses,
    offense_choices,
    resolve_offense,
)

from .corpus import base_request

CLASSES = {"violent_felony", "felony", "misdemeanor", "infraction", "civil", "noncriminal"}
# REFERENCE.md §7 and the FBI's NIBRS offense list: Group A and Group B.
GROUP_A = (
    "09A 09B 09C 100 11A 11B 11C 11D 120 13A 13B 13C 200 210 220 23A 23B 23C 23D 23E 23F 23G "
    "23H 240 250 26A 26B 26C 26D 26E 26F 26G 26H 270 280 290 35A 35B 36A 36B 370 39A 39B 39C "
    "39D 40A 40B 40C 510 520 64A 64B 720"
).split()
GROUP_B = "90A 90B 90C 90D 90E 90F 90G 90H 90I 90J 90Z".split()


def test_every_nibrs_code_of_groups_a_and_b_is_known() -> None:
    assert set(GROUP_A) <= {c for c, n in NIBRS.items() if n.group == "A"}
    assert set(GROUP_B) <= {c for c, n in NIBRS.items() if n.group == "B"}


@pytest.mark.parametrize("code", sorted(NIBRS))
def test_every_nibrs_code_is_classified(code: str) -> None:
    nibrs = NIBRS[code]
    for given in (code, code.lower(), nibrs.name, nibrs.name.upper()):
        offense = resolve_offense(given)
        assert offense.kind in CLASSES and offense.nibrs is nibrs, given
    if nibrs.offense is not None:
        assert resolve_offense(code).code == nibrs.offense
        assert OFFENSES[nibrs.offense] == nibrs.kind


@pytest.mark.parametrize(
    ("named", "code"),
    [
        ("240", "larceny_motor_vehicle"),
        ("13A", "aggravated_assault"),
        ("09A", "homicide"),
        ("100", "kidnapping"),
        ("90D", "dui"),
        ("assault in the first degree", "aggravated_assault"),
        ("Assault 1st Degree", "aggravated_assault"),
        ("assault in the third degree", "simple_assault"),
        ("larceny of a motor vehicle", "larceny_motor_vehicle"),
        ("larceny in the sixth degree", "petty_larceny"),
        ("robbery in the first degree", "armed_robbery"),
        ("Operating Under the Influence", "dui"),
        ("breach of peace", "breach_of_peace"),
        ("larceny_motor_vehicle", "larceny_motor_vehicle"),
    ],
)
def test_codes_names_and_statutes_resolve(named: str, code: str) -> None:
    assert resolve_offense(named).code == code


def test_statute_names_only_name_known_codes() -> None:
    assert set(STATUTE_NAMES.values()) <= set(OFFENSES)


def test_the_lower_grade_is_read_where_nibrs_does_not_grade() -> None:
    assert resolve_offense("35A").kind == "misdemeanor"  # possession and sale alike
    assert resolve_offense("23H").kind == "misdemeanor"  # any larceny


@pytest.mark.parametrize("raw", ["13Z", "jaywalking_in_space", "24O", "grand theft spaceship"])
def test_an_unknown_offense_is_never_no_offense(raw: str) -> None:
    assert resolve_offense(raw).kind == "unknown"
    assert resolve_offense("  ").kind == resolve_offense(None).kind == "none"


def test_the_nearest_codes_are_suggested() -> None:
    assert "13A Aggravated Assault" in nearest_offenses("13Z")
    assert nearest_offenses("agravated assault")[0] == "13A Aggravated Assault"
    assert "240 Motor Vehicle Theft" in nearest_offenses("motor vehical theft")
    assert not any("Illegal Entry" in s for s in nearest_offenses("illegal entry"))


ENGINE = PolicyEngine("ct-pa-26-14")


@pytest.mark.parametrize("code", sorted(NIBRS))
def test_the_engine_reads_every_code(code: str) -> None:
    request = base_request("CT")
    request.update(id="n1", purpose="stolen_vehicle", offense_code=code)
    decision = ENGINE.decide_json(request)
    rules = {r.rule for r in decision.reasons}
    assert "offense.unknown" not in rules
    if NIBRS[code].offense in OFFENSE_TOPICS:
        assert decision.outcome is Outcome.DENY and "offense.prohibited-topic" in rules
    else:
        assert decision.allowed, (code, decision.reasons)


def test_a_denial_names_the_nibrs_offense_and_suggests_codes() -> None:
    request = base_request("CT")
    request.update(id="n2", purpose="violent_felony", offense_code="13B")
    mismatch = ENGINE.decide_json(request).reasons
    assert any("NIBRS 13B Simple Assault" in r.text for r in mismatch)
    request["offense_code"] = "13Z"
    [unknown] = [r for r in ENGINE.decide_json(request).reasons if r.rule == "offense.unknown"]
    assert "nearest valid: 13C Intimidation" in unknown.text


def test_the_drop_down_offers_nibrs_but_not_prohibited_codes() -> None:
    choices = dict(offense_choices())
    assert ("13A", "13A Aggravated Assault") in choices["NIBRS Group A"]
    assert ("90Z", "90Z All Other Offenses") in choices["NIBRS Group B"]
    offered = {value for codes in choices.values() for value, _ in codes}
    assert not offered & {"30A", "30B", "30C", "30D", "49C", *OFFENSE_TOPICS}
