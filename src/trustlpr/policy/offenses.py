"""Offense codes: TrustLPR's vocabulary, the FBI's NIBRS codes, and common statute names.

A request names its offense in any of three ways, all resolved here to one of the classes the
policies reason about (violent_felony, felony, misdemeanor, infraction, civil, noncriminal):

- a code of our vocabulary (``larceny_motor_vehicle``), the names the policy files use;
- a NIBRS offense code or its name (``240``, ``13A``, "Motor Vehicle Theft"; Group A and B,
  federal-only codes included), each mapped onto the vocabulary code it stands for, so a
  policy's ``warrant_offenses`` and purpose checks see the same thing;
- a statute name common in requests ("assault in the first degree", "larceny of a motor
  vehicle", "DUI").

NIBRS does not grade severity (``35A`` is possession and sale alike; ``23H`` any larceny), so
a code maps to the *lower* grade where its offenses differ: it can never unlock a search that
only a graver offense allows. Anything else is ``unknown`` — denied with the nearest valid
codes (:func:`nearest_offenses`), never read as "no offense". Codes tied to a prohibited
purpose (``30A`` Illegal Entry into the United States) are recognised in order to refuse them.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from ..core.search import Purpose

# Vocabulary code -> class. Codes tied to a prohibited purpose are listed in OFFENSE_TOPICS;
# they exist so that a request coded the way another state's law would code it
# (``abortion_related`` as a felony) is recognised and refused, not so such searches happen.
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


@dataclass(frozen=True, slots=True)
class Nibrs:
    """One NIBRS offense: its code, the FBI's name, its group, and what it stands for here:
    a vocabulary code, or (where none fits) just a class."""

    code: str
    name: str
    group: str
    offense: str | None
    kind: str

    @property
    def label(self) -> str:
        return f"{self.code} {self.name}"


def _n(group: str, rows: str) -> dict[str, Nibrs]:
    table = {}
    for row in rows.strip().splitlines():
        code, name, target = (part.strip() for part in row.split("|"))
        offense = target if target in OFFENSES else None
        table[code] = Nibrs(code, name, group, offense, OFFENSES.get(target, target))
    return table


# FBI NIBRS offense codes (NIBRS User Manual, 2021.0; federal-only codes included).
# "|" separates code, name, and the vocabulary code (or class) it maps onto.
NIBRS: dict[str, Nibrs] = {
    **_n(
        "A",
        """
        09A | Murder and Nonnegligent Manslaughter | homicide
        09B | Negligent Manslaughter | manslaughter
        09C | Justifiable Homicide | noncriminal
        100 | Kidnapping/Abduction | kidnapping
        101 | Treason | felony
        103 | Espionage | felony
        11A | Rape | rape
        11B | Sodomy | sexual_assault
        11C | Sexual Assault With An Object | sexual_assault
        11D | Fondling | felony
        120 | Robbery | robbery
        13A | Aggravated Assault | aggravated_assault
        13B | Simple Assault | simple_assault
        13C | Intimidation | misdemeanor
        200 | Arson | arson
        210 | Extortion/Blackmail | extortion
        220 | Burglary/Breaking & Entering | burglary
        23A | Pocket-picking | larceny
        23B | Purse-snatching | larceny
        23C | Shoplifting | shoplifting
        23D | Theft From Building | larceny
        23E | Theft From Coin-Operated Machine or Device | larceny
        23F | Theft From Motor Vehicle | larceny
        23G | Theft of Motor Vehicle Parts or Accessories | larceny
        23H | All Other Larceny | larceny
        240 | Motor Vehicle Theft | larceny_motor_vehicle
        250 | Counterfeiting/Forgery | counterfeiting
        26A | False Pretenses/Swindle/Confidence Game | fraud
        26B | Credit Card/Automated Teller Machine Fraud | fraud
        26C | Impersonation | fraud
        26D | Welfare Fraud | fraud
        26E | Wire Fraud | fraud
        26F | Identity Theft | identity_theft
        26G | Hacking/Computer Invasion | fraud
        26H | Money Laundering | felony
        270 | Embezzlement | felony
        280 | Stolen Property Offenses | receiving_stolen_property
        290 | Destruction/Damage/Vandalism of Property | vandalism
        30A | Illegal Entry into the United States | illegal_entry
        30B | False Citizenship | immigration_violation
        30C | Smuggling Aliens | immigration_violation
        30D | Re-entry after Deportation | immigration_violation
        35A | Drug/Narcotic Violations | drug_possession
        35B | Drug Equipment Violations | drug_possession
        360 | Failure to Register as a Sex Offender | misdemeanor
        36A | Incest | felony
        36B | Statutory Rape | felony
        370 | Pornography/Obscene Material | misdemeanor
        39A | Betting/Wagering | misdemeanor
        39B | Operating/Promoting/Assisting Gambling | misdemeanor
        39C | Gambling Equipment Violations | misdemeanor
        39D | Sports Tampering | misdemeanor
        40A | Prostitution | misdemeanor
        40B | Assisting or Promoting Prostitution | misdemeanor
        40C | Purchasing Prostitution | misdemeanor
        49A | Harboring Escapee/Concealing from Arrest | misdemeanor
        49B | Flight to Avoid Prosecution | felony_warrant
        49C | Flight to Avoid Deportation | immigration_violation
        510 | Bribery | felony
        520 | Weapon Law Violations | misdemeanor
        521 | Violation of National Firearm Act of 1934 | firearm_offense
        522 | Weapons of Mass Destruction | terrorism
        526 | Explosives | felony
        58A | Import Violations | misdemeanor
        58B | Export Violations | misdemeanor
        61A | Federal Liquor Offenses | misdemeanor
        61B | Federal Tobacco Offenses | misdemeanor
        620 | Wildlife Trafficking | misdemeanor
        64A | Human Trafficking, Commercial Sex Acts | human_trafficking
        64B | Human Trafficking, Involuntary Servitude | human_trafficking
        720 | Animal Cruelty | misdemeanor
        """,
    ),
    **_n(
        "B",
        """
        90A | Bad Checks | misdemeanor
        90B | Curfew/Loitering/Vagrancy Violations | infraction
        90C | Disorderly Conduct | disorderly_conduct
        90D | Driving Under the Influence | dui
        90E | Drunkenness | infraction
        90F | Family Offenses, Nonviolent | misdemeanor
        90G | Liquor Law Violations | misdemeanor
        90H | Peeping Tom | misdemeanor
        90I | Runaway | runaway_juvenile
        90J | Trespass of Real Property | trespass
        90K | Failure to Appear | misdemeanor
        90L | Federal Resource Violations | misdemeanor
        90M | Perjury | felony
        90Z | All Other Offenses | misdemeanor
        """,
    ),
}

# Statute wording common in requests -> vocabulary code. "<crime> in the <n> degree" is read
# by _DEGREES; the rest are names as officers write them.
_DEGREES: dict[str, tuple[str, ...]] = {  # first, second, third, ... degree
    "murder": ("murder", "murder", "homicide"),
    "manslaughter": ("manslaughter", "manslaughter"),
    "assault": ("aggravated_assault", "aggravated_assault", "simple_assault"),
    "sexual assault": ("sexual_assault", "sexual_assault", "sexual_assault", "sexual_assault"),
    "robbery": ("armed_robbery", "robbery", "robbery"),
    "burglary": ("burglary", "burglary", "burglary"),
    "kidnapping": ("kidnapping", "kidnapping"),
    "arson": ("arson", "arson", "arson"),
    "larceny": ("grand_larceny", "grand_larceny", "grand_larceny", "larceny", "larceny",
                "petty_larceny"),
    "criminal mischief": ("criminal_mischief", "criminal_mischief", "criminal_mischief"),
    "stalking": ("stalking", "stalking", "stalking"),
    "identity theft": ("identity_theft", "identity_theft", "identity_theft"),
    "trespass": ("trespass", "trespass", "trespass"),
    "criminal trespass": ("trespass", "trespass", "trespass"),
}  # fmt: skip
STATUTE_NAMES: dict[str, str] = {
    "larceny of a motor vehicle": "larceny_motor_vehicle",
    "theft of a motor vehicle": "larceny_motor_vehicle",
    "motor vehicle theft": "larceny_motor_vehicle",
    "auto theft": "larceny_motor_vehicle",
    "grand theft auto": "larceny_motor_vehicle",
    "stolen vehicle": "larceny_motor_vehicle",
    "unauthorized use of a motor vehicle": "larceny_motor_vehicle",
    "carjacking": "carjacking",
    "armed robbery": "armed_robbery",
    "home invasion": "home_invasion",
    "aggravated assault": "aggravated_assault",
    "simple assault": "simple_assault",
    "assault with a deadly weapon": "aggravated_assault",
    "strangulation": "aggravated_assault",
    "attempted murder": "attempted_murder",
    "criminal attempt murder": "attempted_murder",
    "vehicular homicide": "vehicular_homicide",
    "misconduct with a motor vehicle": "vehicular_homicide",
    "operating under the influence": "dui",
    "driving under the influence": "dui",
    "driving while intoxicated": "dui",
    "dui": "dui",
    "dwi": "dui",
    "oui": "dui",
    "owi": "dui",
    "hit and run": "hit_and_run_property",
    "evading responsibility": "evading_responsibility",
    "breach of peace": "breach_of_peace",
    "breach of the peace": "breach_of_peace",
    "disorderly conduct": "disorderly_conduct",
    "reckless driving": "reckless_driving",
    "shoplifting": "shoplifting",
    "retail theft": "shoplifting",
    "receiving stolen property": "receiving_stolen_property",
    "possession of stolen property": "receiving_stolen_property",
    "credit card fraud": "fraud",
    "forgery": "counterfeiting",
    "violation of a protective order": "protective_order_violation",
    "violation of a restraining order": "protective_order_violation",
    "criminal violation of a protective order": "protective_order_violation",
    "human trafficking": "human_trafficking",
    "trafficking in persons": "human_trafficking",
    "sale of narcotics": "drug_trafficking",
    "possession of narcotics": "drug_possession",
    "missing person": "missing_person",
    "amber alert": "child_abduction",
}


@dataclass(frozen=True, slots=True)
class Offense:
    """What a request's offense resolved to: the code the rules see (a vocabulary code, or the
    NIBRS code where none fits), its class, the NIBRS offense if one was named, and the purpose
    it is tied to (prohibited ones are refused)."""

    code: str
    kind: str
    nibrs: Nibrs | None = None
    topic: Purpose | None = None


NO_OFFENSE = Offense("", "none")
_ORDINALS = {
    "first": 1, "1st": 1, "second": 2, "2nd": 2, "third": 3, "3rd": 3, "fourth": 4, "4th": 4,
    "fifth": 5, "5th": 5, "sixth": 6, "6th": 6,
}  # fmt: skip
_DEGREE = re.compile(r"(?P<crime>[a-z ]+?) (?:in the )?(?P<n>\w+) degree")
_NIBRS_BY_NAME = {re.sub(r"[^a-z0-9]+", " ", n.name.lower()).strip(): n for n in NIBRS.values()}


def _words(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", " ", text.lower()).strip()


def resolve_offense(raw: str | None) -> Offense:
    """The offense ``raw`` names: a vocabulary code, a NIBRS code or name, or a statute
    name; ``kind`` is ``unknown`` for anything else and ``none`` when nothing was given."""
    text = (raw or "").strip()
    if not text:
        return NO_OFFENSE
    if text in OFFENSES:
        return _vocabulary(text)
    nibrs = NIBRS.get(text.upper()) or _NIBRS_BY_NAME.get(_words(text))
    if nibrs is not None:
        if nibrs.offense is not None:
            return Offense(nibrs.offense, nibrs.kind, nibrs, OFFENSE_TOPICS.get(nibrs.offense))
        return Offense(nibrs.code, nibrs.kind, nibrs)
    words = _words(text)
    named = STATUTE_NAMES.get(words) or _by_degree(words)
    return _vocabulary(named) if named is not None else Offense(text, "unknown")


def _vocabulary(code: str) -> Offense:
    return Offense(code, OFFENSES[code], None, OFFENSE_TOPICS.get(code))


def _by_degree(words: str) -> str | None:
    match = _DEGREE.fullmatch(words)
    if not match:
        return None
    grades = _DEGREES.get(match.group("crime").strip())
    n = _ORDINALS.get(match.group("n"))
    if grades is None or n is None:
        return None
    return grades[min(n, len(grades)) - 1]


def nearest_offenses(raw: str, limit: int = 5) -> list[str]:
    """The valid offenses closest to ``raw``, as a person would type them (codes with the
    NIBRS name), for an error message."""
    wanted = _words(raw)
    names: dict[str, str] = {name: name for name in STATUTE_NAMES}
    names |= {code.replace("_", " "): code for code in OFFENSES if code not in OFFENSE_TOPICS}
    for nibrs in NIBRS.values():  # last: a NIBRS code with its name is the clearest answer
        if nibrs.offense not in OFFENSE_TOPICS:
            names[_words(nibrs.name)] = names[nibrs.code.lower()] = nibrs.label
    close = difflib.get_close_matches(wanted, list(names), n=limit * 3, cutoff=0.5)
    if not close:  # a word in common ("theft" -> "Motor Vehicle Theft", ...)
        close = [n for n in names if set(wanted.split()) & set(n.split())]
    return list(dict.fromkeys(names[c] for c in close))[:limit]


def offense_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """(group, [(value, label)]) for a form's drop-down: our codes by class, then NIBRS Group A
    and B. Codes that only exist to recognise a prohibited purpose are left out."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for code, kind in OFFENSES.items():
        if code not in OFFENSE_TOPICS:
            groups.setdefault(kind.replace("_", " "), []).append((code, code.replace("_", " ")))
    choices = [(kind, sorted(codes)) for kind, codes in groups.items()]
    for group in ("A", "B"):
        codes = [
            (n.code, n.label)
            for n in NIBRS.values()
            if n.group == group and n.offense not in OFFENSE_TOPICS
        ]
        choices.append((f"NIBRS Group {group}", codes))
    return choices
