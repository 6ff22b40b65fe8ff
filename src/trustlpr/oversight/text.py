"""What a free-text search reason says: banned purposes, vagueness, federal wording, cases.

Classification runs once per *distinct* reason string (a 10-million-row export has far fewer),
so the patterns can afford context. Where the open-source ``flock_flag.py`` regexes misfire,
this module reads context:

- ``in custody`` / ``taken into custody`` is an arrest, not a civil custody matter; only
  custody with a family or civil qualifier (``child custody``, ``custody dispute``) is civil.
- ``HSI``/``DHS`` next to a criminal offence (narcotics, trafficking, task force) is a federal
  assist (signal 10), not immigration enforcement; ``ICE`` next to drug words is meth slang.
- ``protester``, ``protestors``, ``counter-protest`` and obfuscations (``I.C.E.``, ``1CE``,
  ``imm1gration``, ``ICE+ERO``) are caught.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntFlag
from functools import lru_cache
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

Arr = np.ndarray[Any, Any]


class Tag(IntFlag):
    """What a reason (or text prompt) shows. Several may hold at once."""

    IMMIGRATION = 1 << 0
    REPRODUCTIVE = 1 << 1
    GENDER_CARE = 1 << 2
    PROTEST = 1 << 3
    RELIGION = 1 << 4
    PRESS = 1 << 5
    CIVIL = 1 << 6
    PERSONAL = 1 << 7
    FEDERAL_ASSIST = 1 << 8
    VAGUE = 1 << 9
    BLANK = 1 << 10
    CASE_ONLY = 1 << 11
    PII = 1 << 12
    MINOR = 1 << 13
    TEST = 1 << 14
    SENSITIVE_PLACE = 1 << 15
    WARRANT = 1 << 16
    SERIOUS = 1 << 17
    ALERT = 1 << 18
    URGENT = 1 << 19
    HAS_CASE = 1 << 20
    FEDERAL_AMBIGUOUS = 1 << 21  # HSI/DHS named with no offence: may be immigration
    OFFENCE = 1 << 22  # names an offence (theft, assault, narcotics, DUI, ...): S2.no-offense-type


BANNED = (
    Tag.IMMIGRATION | Tag.REPRODUCTIVE | Tag.GENDER_CARE | Tag.PROTEST | Tag.RELIGION
    | Tag.PRESS | Tag.CIVIL | Tag.PERSONAL
)  # fmt: skip

_I = re.IGNORECASE
_LEET = str.maketrans("013457@$", "oieastas")
_MIXED = re.compile(r"\b(?=\w*[a-z])(?=\w*[0134570-9@$])[\w@$]+\b")
_DOTTED = re.compile(r"\b([a-z])[.\s_*-]([a-z])[.\s_*-]([a-z])\b\.?")

_IMM_STRONG = re.compile(
    r"immigra\w*|deport\w*|\bero\b|\b287\s*\(?\s*g\s*\)?|\buscis\b|illegal\s+(?:alien|immigrant)s?"
    r"|\billegals\b|undocumented|\boverstay\w*|visa\s+(?:overstay|violation|status)"
    r"|removal\s+(?:order|proceeding)s?|\bla\s+migra\b|ice\s+(?:detainer|hold|ero)\b|green\s+card"
    r"|\balien\s+(?:registration|status)|\bcbp\b|border\s+patrol|\busbp\b"
)
_ICE_UPPER = re.compile(r"(?<![A-Za-z])I[.\s_*-]?C[.\s_*-]?E(?![A-Za-z])")
_ICE_LOWER = re.compile(r"\bice\b")
_ICE_CONTEXT = re.compile(
    r"\b(?:agents?|ero|hsi|detainer|removal|deport\w*|targets?|op|operation|fugitive|federal"
    r"|request\w*|assist\w*|per|officers?|enforcement|custody|hold|immigration)\b"
)
_DRUGS = re.compile(
    r"\b(?:meth\w*|narc\w*|drugs?|dope|crystal|sales?|sell\w*|deal\w*|possession|poss|cds"
    r"|controlled|substances?|fentanyl|cocaine|heroin|distribut\w*|pills?|grams?|oz)\b"
)
_FED_AMBIGUOUS = re.compile(r"\b(?:hsi|dhs|homeland\s+security|customs)\b")
_CRIME_CONTEXT = re.compile(
    r"traffick\w*|exploit\w*|\bcsam\b|child\s+(?:porn\w*|sex\w*|abuse)|fraud|launder\w*"
    r"|weapons?|firearms?|\bguns?\b|smuggl\w*|\bgangs?\b|task\s*force|\btfo\b|homicide|murder"
    r"|robber\w*|kidnap\w*|counterfeit\w*|cyber\w*|identity\s+theft|narc\w*|\bdrugs?\b"
    r"|fentanyl|cocaine|heroin|meth\w*|warrant|fugitive|felony|shooting|stolen"
)
_FEDERAL = re.compile(
    r"\b(?:fbi|dea|atf|usms|u\s?s\s+marshals?|marshals?\s+service|hsi|dhs|cbp|secret\s+service"
    r"|usss|irs|uspis|postal\s+inspect\w*|federal|feds?|tfo|task\s+force\s+officer"
    r"|special\s+agent|per\s+(?:agent|sa)\b|agent\s+request|ausa|u\s?s\s+attorney)\b"
)
_REPRO = re.compile(
    r"abortion\w*|\babort\b(?!\s+(?:mission|search|pursuit))|planned\s+parenthood|reproductive"
    r"|mifepristone|misoprostol|terminat\w*\s+(?:a\s+|her\s+|the\s+)?pregnan\w*"
)
_GENDER = re.compile(
    r"gender[\s-]*affirm\w*|transgender|\btrans\s+(?:care|youth|kids?|person|woman|man|clinic)"
    r"|\bgender\b|puberty\s+block\w*|hormone\s+(?:therapy|treatment|replacement)|\bhrt\b"
    r"|sex\s+change"
)
_PROTEST = re.compile(
    r"protest\w*|demonstrators?\b|activis[mt]s?\b|\brall(?:y|ies)\b|picket\w*|first\s+amendment"
    r"|civil\s+disobedience|\bno\s+kings\b|\bsit[\s-]in\b|\bmarch(?:ers|ing)\b"
)
_DEMONSTRATION = re.compile(r"\bdemonstrations?\b")
_PROTEST_CONTEXT = re.compile(
    r"\b(?:crowd|march\w*|city\s+hall|capitol|campus|political|riot\w*|rall\w*|group)\b"
)
_RELIGION = re.compile(r"religio\w+|\bmuslims?\b|\bjewish\b|\bsikhs?\b|\bworship\w*")
_PLACES = re.compile(
    r"\bmosques?\b|\bsynagogues?\b|place\s+of\s+worship|\b(?:church|temple)\b"
    r"(?!\s+(?:st|street|rd|road|ave|avenue|ln|lane|dr|drive|blvd|way|hill|ct|pl|terrace)\b)"
    r"|\bclinic\b|\bshelter\b|immigration\s+court|food\s+bank"
)
_PRESS = re.compile(
    r"journalis\w+|\breporters?\b|news\s*(?:paper|crew|van|station|media|outlet)"
    r"|\bpress\b(?!\s+(?:charges?|release))|(?<!social\s)\bmedia\b"
)
_CUSTODY = re.compile(r"\bcustody\b")
_CUSTODY_BEFORE = re.compile(r"\b(?:child|civil|parental|joint|shared|sole|temporary|physical)\s*$")
_CUSTODY_AFTER = re.compile(
    r"^\s*(?:dispute|exchange|issue|matter|battle|hearing|order|agreement|visit\w*|swap|case)"
)
_ARREST_BEFORE = re.compile(r"\b(?:in|into|protective|police|federal|ice|jail)\s*$")
_CIVIL = re.compile(
    r"civil\s+(?:matter|dispute|issue|standby|case|process|paper)|\bvisitation\b"
    r"|\brepo\b|repossess\w*|landlord|tenant|evict\w*|\bdebts?\b|collections?\s+agency|creditor"
    r"|divorce|child\s+support|property\s+dispute|process\s+serv\w*|small\s+claims"
)
_PERSONAL = re.compile(
    r"\bpersonal\b(?!\s+(?:property|injury|identif\w*|information|info|protection))"
    r"|\bmy\s+(?:own\s+)?(?:car|vehicle|truck|wife|husband|spouse|ex\b|ex[-\s]?\w+|girlfriend"
    r"|boyfriend|gf|bf|son|daughter|kids?|child|mom|mother|dad|father|brother|sister"
    r"|neighbou?rs?|friends?|family|house|home|partner|fianc\w*)"
    r"|curio(?:us|sity)|just\s+(?:checking|looking|curious)|\bfor\s+fun\b|\bbored\b|\bnosy\b"
)
_PII = re.compile(
    r"[\w.+-]+@[\w-]+\.[a-z]{2,}|(?<!\d)(?:\(\d{3}\)\s*|\d{3}[-.\s])\d{3}[-.]\d{4}(?!\d)"
    r"|\bssn\b|social\s+security\s+(?:number|no|#)|\bd\.?o\.?b\b|date\s+of\s+birth"
    r"|\bdl\s*#|driver'?s?\s+licen[sc]e\s*(?:#|number|no)"
)
_MINOR = re.compile(
    r"\bparking\b|school\s+(?:residency|enrollment|district)|\bresidency\b|code\s+enforcement"
    r"|animal\s+control|\bnoise\b|litter\w*|abandoned\s+(?:vehicle|car)|city\s+planning"
    r"|traffic\s+(?:analysis|study|count|infraction|violation|complaint)|\btolls?\b|\bspeeding\b"
    r"|expired\s+(?:tags?|registration)|\bcurfew\b|civil\s+infraction"
)
_TEST = re.compile(
    r"\btest(?:ing)?\b(?!\s+drive)|\btraining\b|\bdemo\b|\bpractice\b|\bsample\s+search\b"
)
_WARRANT = re.compile(r"\bwarrants?\b|court\s+order|subpoena")
_SERIOUS = re.compile(
    r"homicide|murder|shooting|shots?\s+fired|weapons?|firearm|\bguns?\b|\barmed\b|robbery"
    r"|carjack\w*|kidnap\w*|abduct\w*|\brape\b|sexual\s+assault|sex\s+offen\w*|traffick\w*"
    r"|burglary|arson|aggravated|\bagg\b|felony|stolen|vehicle\s+theft|\bmvt\b|amber|missing"
    r"|endangered|fugitive|\bwanted\b|\bdeath\b|stabbing|attempted|terroris\w*|\bbomb\w*"
    r"|explosive|extortion|child\s+(?:abuse|exploitation)"
)
_OFFENCE = re.compile(  # offences as the NIBRS list and Flock's offense drop-down name them
    r"theft|larceny|shoplift\w*|burglar\w*|robber\w*|carjack\w*|stolen|\bmvt\b|\buuv\b"
    r"|assault\w*|battery|domestic\s+(?:violence|assault|battery|disturbance)|\bdv\b"
    r"|homicide|murder|manslaughter|kidnap\w*|abduct\w*|\brape\b|sex\w*\s+(?:assault|offen\w*)"
    r"|traffick\w*|narc\w*|\bdrugs?\b|fentanyl|cocaine|heroin|\bmeth\b|weapons?|firearms?"
    r"|\bguns?\b|shooting|shots?\s+fired|arson|vandal\w*|criminal\s+(?:damage|mischief)"
    r"|fraud\w*|forgery|counterfeit\w*|embezzl\w*|extortion|brib\w*|hit\s*(?:and|&|-)\s*run"
    r"|\bh&r\b|\bdui\b|\bdwi\b|\bowi\b|\belud\w*|fleeing|reckless|trespass\w*|harass\w*"
    r"|stalk\w*|intimidat\w*|threats?\b|felony|misdemeanou?r|terroris\w*|\bbomb\w*|explosive"
    r"|child\s+(?:abuse|exploitation|porn\w*)|\bcsam\b|prostitut\w*|gambling|\boffen[cs]es?\b"
)
_ALERT = re.compile(
    r"alerts?\s+page|\balert:|hot\s?list|ncic\s+hit|\blpr\s+hit|flock\s+hit|alert\s+hit"
)
_URGENT = re.compile(r"missing|amber|endangered|kidnap\w*|abduct\w*|runaway|stolen|homicide|murder")
_CASE = re.compile(
    r"(?<![A-Za-z0-9])(?:[A-Za-z]{1,5}-?)?(?:(?:19|20)\d{2}-\d{3,8}|\d{2}-\d{4,8})(?![0-9])"
)
_CASE_KEYWORD = re.compile(
    r"\b(?:case|cr|rpt|report|incident|inc|ir|cad|event|cfs)\s*(?:no\.?|number|num|#)?\s*[:#]?\s*"
    r"([A-Za-z]{0,4}\d[\w-]{3,})",
    _I,
)
_FILLER = re.compile(
    r"\b(?:case|cases|cr|rpt|report|incident|inc|ir|cad|no|number|num|event|cfs|ref|re|for|per"
    r"|see|and|the)\b|[#:;,./()\[\]-]"
)
_VAGUE = """investigation investigations investigate investigative inv invest invst invg
    criminal other misc miscellaneous na none unknown crime check info information intel
    intelligence followup fu query lookup search lpr flock request assist ooa patrol proactive
    suspicious susp bolo atl locate vehicle car plate x xx xxx asdf abc 123 ok yes agent"""
_WORDS = re.compile(r"[a-z0-9]+")


def _vague_set() -> frozenset[str]:
    words = _VAGUE.split()
    phrases = {
        "criminal investigation", "ongoing investigation", "active investigation",
        "open investigation", "police investigation", "investigation purposes",
        "investigative purposes", "investigative purpose", "law enforcement",
        "law enforcement purpose", "law enforcement purposes", "le purpose", "official business",
        "police business", "official use", "n a", "criminal activity", "vehicle check",
        "veh check", "plate check", "tag check", "follow up", "per request", "per sgt",
        "per supervisor", "per lt", "per sergeant", "per detective", "per det", "per agent",
        "agency assist", "assist other agency", "assist outside agency", "proactive patrol",
        "suspicious vehicle", "suspicious activity", "suspicious person", "susp veh",
        "susp vehicle", "attempt to locate", "locate vehicle",
    }  # fmt: skip
    return frozenset(words) | frozenset(phrases)


VAGUE_WORDS = _vague_set()


@dataclass(frozen=True, slots=True)
class ReasonInfo:
    tags: Tag
    category: str
    case_numbers: tuple[str, ...]
    generic: bool = False  # says nothing specific: a bare dropdown pick, an alert, vague text


def deobfuscate(text: str) -> str:
    """Lower-case; ``1ce`` → ``ice``, ``imm1gration`` → ``immigration``, ``i.c.e`` → ``ice``."""
    low = text.lower().replace("+", " ")
    low = _MIXED.sub(
        lambda m: m.group(0).translate(_LEET) if not m.group(0).isdigit() else m.group(0), low
    )
    return _DOTTED.sub(lambda m: m.group(1) + m.group(2) + m.group(3), low)


def case_numbers(text: str) -> tuple[str, ...]:
    """Case numbers typed into free text (``25-12345``, ``CPD25-001234``, ``case 123456``)."""
    found = [m.group(0) for m in _CASE.finditer(text)]
    found += [m.group(1) for m in _CASE_KEYWORD.finditer(text)]
    return tuple(dict.fromkeys(f.upper().replace(" ", "") for f in found))


def _civil_custody(low: str) -> bool:
    for match in _CUSTODY.finditer(low):
        before, after = low[: match.start()], low[match.end() :]
        if _ARREST_BEFORE.search(before):
            continue
        if _CUSTODY_BEFORE.search(before) or _CUSTODY_AFTER.search(after):
            return True
    return False


def _immigration(raw: str, low: str) -> Tag:
    drugs = bool(_DRUGS.search(low))
    if _IMM_STRONG.search(low):
        if drugs and not re.search(r"immigra|deport|\bero\b|287|uscis|alien|undocumented", low):
            return Tag.FEDERAL_ASSIST  # CBP/border patrol on a drug case
        return Tag.IMMIGRATION
    if _ICE_UPPER.search(raw) or (_ICE_LOWER.search(low) and _ICE_CONTEXT.search(low)):
        return Tag(0) if drugs else Tag.IMMIGRATION
    if _FED_AMBIGUOUS.search(low):
        return Tag.FEDERAL_ASSIST if _CRIME_CONTEXT.search(low) else Tag.FEDERAL_AMBIGUOUS
    return Tag(0)


def _core(low: str, cases: tuple[str, ...]) -> str:
    """The reason with case numbers and filler words removed: what purpose is left?"""
    text = _CASE.sub(" ", low)
    text = _CASE_KEYWORD.sub(" ", text)
    return " ".join(_WORDS.findall(_FILLER.sub(" ", text)))


@lru_cache(maxsize=1 << 16)
def classify_reason(text: str) -> ReasonInfo:
    """Tags, a chart category and the case numbers of one reason string."""
    raw = text.strip()
    if not raw:
        return ReasonInfo(Tag.BLANK, "Blank reason", (), True)
    low = deobfuscate(raw)
    cases = case_numbers(raw)
    tags = _immigration(raw, low)
    for pattern, tag in (
        (_REPRO, Tag.REPRODUCTIVE), (_GENDER, Tag.GENDER_CARE), (_PROTEST, Tag.PROTEST),
        (_RELIGION, Tag.RELIGION), (_PLACES, Tag.SENSITIVE_PLACE), (_PRESS, Tag.PRESS),
        (_CIVIL, Tag.CIVIL), (_PERSONAL, Tag.PERSONAL), (_PII, Tag.PII), (_MINOR, Tag.MINOR),
        (_TEST, Tag.TEST), (_WARRANT, Tag.WARRANT), (_SERIOUS, Tag.SERIOUS),
        (_ALERT, Tag.ALERT), (_URGENT, Tag.URGENT), (_OFFENCE, Tag.OFFENCE),
    ):  # fmt: skip
        if pattern.search(low):
            tags |= tag
    if _DEMONSTRATION.search(low):
        tags |= Tag.PROTEST if _PROTEST_CONTEXT.search(low) else Tag.TEST
    if _civil_custody(low):
        tags |= Tag.CIVIL
    if _FEDERAL.search(low) or (tags & Tag.IMMIGRATION and re.search(r"assist|per\b|request", low)):
        tags |= Tag.FEDERAL_ASSIST
    if cases:
        tags |= Tag.HAS_CASE
    category, detail = _dropdown(raw)
    core = _core(raw.lower().replace("+", " "), cases)
    if category is None and not tags & (BANNED | Tag.ALERT | Tag.MINOR | Tag.TEST):
        if not core:
            tags |= Tag.CASE_ONLY if cases else Tag.VAGUE
        elif core in VAGUE_WORDS or len(core) <= 2:
            tags |= Tag.VAGUE
    elif (
        category is not None
        and category.lower() in ("other", "others", "misc")
        and (not detail or _core(detail.lower(), ()) in VAGUE_WORDS)
    ):
        tags |= Tag.VAGUE
    generic = bool(tags & (Tag.VAGUE | Tag.CASE_ONLY | Tag.ALERT)) or (
        category is not None and not detail
    )
    return ReasonInfo(tags, chart_category(low, tags, category), cases, generic)


_DROPDOWN = re.compile(r"^([A-Za-z][A-Za-z /&(),.'-]{1,80}?)\s+-\s*(.*)$", re.DOTALL)


def _dropdown(raw: str) -> tuple[str | None, str]:
    """``'Larceny/Theft Offenses - 25-123'`` → (``'Larceny/Theft Offenses'``, ``'25-123'``)."""
    if raw.lower().startswith("other image search from alerts"):
        return None, raw
    match = _DROPDOWN.match(raw)
    if match is None:
        return None, raw
    head = match.group(1).strip()
    if not head[:1].isupper() or len(head.split()) > 10:
        return None, raw
    return head, match.group(2).strip()


_CATEGORIES = (
    (re.compile(r"stolen|vehicle\s+theft|\bmvt\b|\buuv\b"), "Stolen vehicle or plate"),
    (re.compile(r"hit\s*(?:and|&|-)\s*run|\bcrash|accident|\bh&r\b"), "Hit and run / crash"),
    (re.compile(r"homicide|murder|death"), "Homicide / death"),
    (re.compile(r"shoot|shots|weapon|firearm|\bguns?\b"), "Weapons / shots fired"),
    (re.compile(r"robbery|carjack"), "Robbery"),
    (re.compile(r"burglar"), "Burglary"),
    (re.compile(r"theft|larceny|shoplift|retail"), "Theft"),
    (re.compile(r"assault|battery|domestic|\bdv\b"), "Assault / domestic"),
    (re.compile(r"narc|drug|fentanyl|meth|cocaine"), "Narcotics"),
    (re.compile(r"missing|endangered|runaway|amber|welfare"), "Missing person / welfare"),
    (re.compile(r"warrant|wanted|fugitive"), "Warrant / wanted person"),
    (re.compile(r"fraud|forgery|counterfeit|scam|identity"), "Fraud"),
    (re.compile(r"kidnap|abduct"), "Kidnapping"),
    (re.compile(r"sex|rape"), "Sex offence"),
    (re.compile(r"traffic|speed|reckless|dui|dwi|elud|flee"), "Traffic / fleeing"),
    (re.compile(r"vandal|damage|arson"), "Property damage / arson"),
)


def chart_category(low: str, tags: Tag, dropdown: str | None) -> str:
    """A coarse, readable category for the report's reason chart."""
    for tag, label in (
        (Tag.IMMIGRATION, "Immigration"), (Tag.REPRODUCTIVE, "Reproductive care"),
        (Tag.GENDER_CARE, "Gender-affirming care"), (Tag.PROTEST, "Protest"),
        (Tag.PERSONAL, "Personal"), (Tag.CIVIL, "Civil matter"), (Tag.PRESS, "Press"),
        (Tag.RELIGION, "Religion"),
    ):  # fmt: skip
        if tags & tag:
            return label
    if dropdown is not None:
        return dropdown
    if tags & Tag.ALERT:
        return "Hot-list alert follow-up"
    for pattern, label in _CATEGORIES:
        if pattern.search(low):
            return label
    if tags & Tag.CASE_ONLY:
        return "Case number only"
    if tags & Tag.VAGUE:
        return "Vague (no purpose stated)"
    if tags & (Tag.MINOR | Tag.TEST):
        return "Minor / non-criminal"
    return "Other stated purpose"


# -- many reasons, fast -------------------------------------------------------------------

_RUN = re.compile(r"\d{2,}")
_ALERT_PREFIX = "other image search from alerts page"


def _zeros(match: re.Match[str]) -> str:
    return "0" * (match.end() - match.start())


_ZERO_DIGITS = bytes.maketrans(b"123456789", b"000000000")
_LONE_ZERO = re.compile(r"(?<!0)0(?!0)")


def _template(text: str) -> tuple[str, int]:
    """``reason_template`` and where the first digit of ``text`` is (-1: none; 0 when not
    looked for). An ASCII reason whose digit runs are all two or more long (the usual case
    number) is zeroed with one byte translation instead of a regex callback per run."""
    head = text.rsplit(" ", 1)[0] if text[:35].lower() == _ALERT_PREFIX else text
    if not text.isascii():
        return _RUN.sub(_zeros, head), 0
    zeroed = text.encode("ascii").translate(_ZERO_DIGITS)
    first = zeroed.find(b"0")
    template = zeroed[: len(head)].decode("ascii")
    if first >= 0 and _has_lone_zero(template):
        template = _RUN.sub(_zeros, head)  # a single digit stays (leet spellings)
    return template, first


@lru_cache(maxsize=1 << 12)
def _has_lone_zero(zeroed: str) -> bool:
    """Cached: millions of reasons zero to a few shapes (``CPD00-000000``)."""
    return _LONE_ZERO.search(zeroed) is not None


def reason_template(text: str) -> str:
    """The reason with every run of two or more digits zeroed (``CPD25-001234`` →
    ``CPD00-000000``): tags never depend on which number was typed, and single digits stay
    so leet spellings (``1CE``, ``imm1gration``) are still read. Exports hold millions of
    distinct reasons but few distinct templates."""
    return _template(text)[0]


@lru_cache(maxsize=1 << 16)
def _template_info(template: str) -> tuple[int, str]:
    info = classify_reason(template)
    return int(info.tags) | (GENERIC if info.generic else 0), info.category


_HAS_CASE = int(Tag.HAS_CASE)


def reason_info(text: str) -> tuple[int, str, str]:
    """(tags, chart category, first case number or "") of one reason, via its template."""
    template, first = _template(text)
    tags, category = _template_info(template)
    case = ""
    if tags & _HAS_CASE:
        # a case number's optional letter prefix is at most 6 characters before its first
        # digit; the look-behind still sees the text before ``pos``
        match = _CASE.search(text, max(first - 6, 0)) if first != -1 else None
        if match is not None:
            case = match.group(0).upper().replace(" ", "")
        else:
            found = case_numbers(text)
            case = found[0] if found else ""
    return tags, category, case


GENERIC = 1 << 40
"""Bit set in ``reason_info`` tags when the reason says nothing specific."""


_PLACEHOLDER_CASE = re.compile(r"^(?:n/?a|none|unknown|tbd|pending|0+|-+|\.+|x+|\?+|no|na)$", _I)


def is_case_number(text: str) -> bool:
    """A ``Case #`` cell that holds a real number, not ``N/A``, ``0`` or ``-``."""
    s = text.strip()
    return bool(s) and not _PLACEHOLDER_CASE.match(s) and any(ch.isdigit() for ch in s)


# ``_CASE`` in RE2 (pyarrow's regex engine has no look-around): the character before is
# consumed instead of looked behind at, the one after instead of looked ahead at; the group is
# the match ``_CASE.search`` finds (same leftmost start, same preference among alternatives).
_CASE_RE2 = (
    r"(?:^|[^A-Za-z0-9])(?P<case>(?:[A-Za-z]{1,5}-?)?"
    r"(?:(?:19|20)[0-9]{2}-[0-9]{3,8}|[0-9]{2}-[0-9]{4,8}))(?:[^0-9]|$)"
)
_LONE_DIGIT = r"(?:^|[^0-9])[0-9](?:[^0-9]|$)"
_FAST_MIN = 256


def reason_infos(reasons: Sequence[str]) -> tuple[Arr, Arr, list[str], list[str]]:
    """``reason_info`` of many reasons at once: (tags, each one's category as a code into
    the category names in first-seen order, those names, first case numbers).

    A chunk holds hundreds of thousands of distinct reasons and ``reason_info``'s byte
    translation, template lookup and case search per reason were the largest cost left in
    a worker. Here pyarrow does them for whole columns in C: digits zeroed by one regex
    replace, templates dictionary-encoded so each is classified once, the case number
    extracted by ``_CASE_RE2``. A reason it cannot vouch for (not ASCII, an alert-page
    reason, a lone digit, a case tag without a ``_CASE`` match) goes to ``reason_info``."""
    n = len(reasons)
    if n < _FAST_MIN:
        infos = [reason_info(text) for text in reasons]
        tags = np.fromiter((i[0] for i in infos), dtype=np.int64, count=n)
        return (tags, *_codes([i[1] for i in infos]), [i[2] for i in infos])
    column = pa.array(reasons, type=pa.string())
    slow = pc.invert(pc.string_is_ascii(column))
    slow = pc.or_(slow, pc.starts_with(column, _ALERT_PREFIX, ignore_case=True))
    slow = pc.or_(slow, pc.match_substring_regex(column, _LONE_DIGIT))
    need = np.asarray(slow.to_numpy(zero_copy_only=False), dtype=bool)
    # templates only of the reasons taken here: alert-page reasons end in a plate, one
    # template each, and go to ``reason_info`` anyway
    encoded = pc.dictionary_encode(_zeroed(pc.if_else(slow, "", column)))
    template_tags = np.empty(len(encoded.dictionary), dtype=np.int64)
    template_cats: list[str] = []
    for k, template in enumerate(encoded.dictionary.to_pylist()):
        template_tags[k], category = _template_info(template)
        template_cats.append(category)
    index = np.asarray(encoded.indices.to_numpy(zero_copy_only=False), dtype=np.intp)
    tags = template_tags[index]
    categories = np.array(template_cats, dtype=object)[index]
    found = pc.struct_field(pc.extract_regex(column, _CASE_RE2), [0])
    cases_arr = pc.if_else(
        pc.and_(pc.is_valid(found), pa.array((tags & _HAS_CASE) != 0)),
        pc.utf8_upper(found),
        "",
    )
    cases: list[str] = cases_arr.to_pylist()
    need |= ((tags & _HAS_CASE) != 0) & ~np.asarray(
        pc.is_valid(found).to_numpy(zero_copy_only=False), dtype=bool
    )
    for k in np.flatnonzero(need).tolist():
        tags[k], categories[k], cases[k] = reason_info(reasons[k])
    return (tags, *_codes(categories.tolist()), cases)


def _zeroed(column: pa.StringArray) -> pa.StringArray:
    """Every digit of an ASCII column replaced by ``0`` (``_ZERO_DIGITS``), on its bytes."""
    column = column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column
    validity, offsets, data = column.buffers()[:3]
    if data is None:
        return column
    raw = np.frombuffer(data, dtype=np.uint8).copy()
    raw[(raw >= ord("1")) & (raw <= ord("9"))] = ord("0")
    return pa.StringArray.from_buffers(
        len(column), offsets, pa.py_buffer(raw), validity, column.null_count, column.offset
    )


def _codes(categories: list[str]) -> tuple[Arr, list[str]]:
    """Each category's code into the distinct categories in first-seen order."""
    names: dict[str, int] = {}
    codes = np.fromiter(
        (names.setdefault(c, len(names)) for c in categories), dtype=np.int32, count=len(categories)
    )
    return codes, list(names)
