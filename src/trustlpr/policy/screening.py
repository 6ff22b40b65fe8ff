"""Reason screening: the free-text reason is read for what the declared purpose may hide.

Misuse signals 1, 2 and 10 (REFERENCE.md §3): words of a prohibited purpose (immigration,
reproductive or gender-affirming care, protest, personal or civil use), including obfuscated
spellings ("I.C.E.", "1mm1gration", Cyrillic look-alikes); vague reasons ("investigation",
"test", "per agent", blank); and wording that shows the search is done for someone else,
above all a federal agency ("on behalf of", "assist FBI", "TFO"). The engine turns each flag
into a rule of the policy; a declared allowed purpose with a prohibited reason is denied.

Deliberate choices (docs/policy.md explains each): lower-case "ice" counts only next to
immigration context ("ice agents", "ice hold") so "slid on ice" passes, while upper-case or
dotted "ICE"/"I.C.E." counts unless followed by a harmless noun ("ICE cream"); "HSI" and
"CBP" always count, because both are components of immigration enforcement even on drug cases;
"DHS" counts although some states name a human-services department so (spell it out);
"in custody", "Price St", "Trans Am", "aborted pursuit", "personal property" do not count.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

from ..core.search import Purpose, Reason

MAX_SCREENED_CHARS = 2000
DEFAULT_MIN_LENGTH = 12
DEFAULT_MIN_WORDS = 2

# Reason-flag rule ids whose words reveal a purpose: the flag counts when that purpose is not
# permitted by the policy.
TOPIC_FLAGS: dict[str, Purpose] = {
    "reason.immigration": Purpose.IMMIGRATION_ENFORCEMENT,
    "reason.reproductive-health": Purpose.REPRODUCTIVE_HEALTH,
    "reason.gender-affirming-care": Purpose.GENDER_AFFIRMING_CARE,
    "reason.protest": Purpose.PROTEST_MONITORING,
    "reason.personal": Purpose.PERSONAL,
    "reason.civil": Purpose.CIVIL_MATTER,
}
VAGUE_FLAG = "reason.vague"
OUTSIDE_FLAGS = ("reason.federal", "reason.on-behalf")
ALL_FLAGS = (*TOPIC_FLAGS, VAGUE_FLAG, *OUTSIDE_FLAGS)

_TOPIC_TEXT = {
    "reason.immigration": "immigration enforcement",
    "reason.reproductive-health": "reproductive health care",
    "reason.gender-affirming-care": "gender-affirming care",
    "reason.protest": "protest or other protected First Amendment activity",
    "reason.personal": "a personal matter",
    "reason.civil": "a civil matter (repossession, debt, custody dispute)",
    "reason.federal": "a federal agency, so the search would serve that agency",
    "reason.on-behalf": "searching on behalf of another agency",
}

_W = r"(?:^|(?<= ))"  # start of a token in the normalised text
_E = r"(?=$| )"  # end of a token

_TERMS: dict[str, str] = {
    "reason.immigration": (
        r"imm?[ia]?gra\w*|imm|immig|deport\w*|287g|hsi|cbp|ero|dhs|uscis|usbp|"
        r"undocumented|illegals|illegal aliens?|aliens? registration|unlawful(ly)? presen\w*|"
        r"visa overstay\w*|overstay\w*|border patrol|customs and border\w*|green card|"
        r"removal (order|proceedings?|case|hearing)|detainers?|"
        r"ice (ero|hsi|agents?|officers?|detainers?|holds?|raids?|enforcement|custody|requests?|"
        r"warrants?|field office|tfo|operations?|arrest\w*)|"
        r"(agents?|officers?|raids?) (from |with )?ice"
    ),
    "reason.reproductive-health": (
        r"abortion\w*|abortifacient\w*|repro|reproductive\w*|mifepristone|misoprostol|"
        r"planned parenthood|family planning|(terminat\w+|end\w*) (\w+ ){0,2}pregnan\w*|"
        r"pregnancy terminat\w*|womens? health clinic|women s health clinic"
    ),
    "reason.gender-affirming-care": (
        r"gender (affirm\w*|clinic\w*|care|transition\w*|identity|reassignment)|transgender\w*|"
        r"nonbinary|non binary|gac|sex change|hormone (therapy|treatment|blockers?)|"
        r"puberty blockers?|top surgery|trans (care|youth|kids?|child|children|minors?|"
        r"patients?|healthcare|health|clinic|persons?|people|woman|women|man|men|teens?)"
    ),
    "reason.protest": (
        r"protest\w*|counterprotest\w*|counter protest\w*|demonstrations?|demonstrators?|"
        r"rally(?! sport)|rallies|activists?|activism|marchers|picket\w*|sit in|antifa|blm|"
        r"journalists?|"
        r"organizers? of (the )?(march|rally)|vigil attendees?"
    ),
    "reason.personal": (
        r"my (ex|exes|wife|husband|girlfriend|boyfriend|partner|spouse|neighbou?rs?|daughter\w*|"
        r"sons?|friends?|sister|brother|mother|father|mom|dad|family|kids?|relatives?|"
        r"landlord|tenant|own car|car|truck|vehicle)|curiosity|curious|nosy|just checking|"
        r"for fun|personal (reasons?|matter|business|interest|use)|for a friend|"
        r"friend asked|off duty interest"
    ),
    "reason.civil": (
        r"repo|repos|repossess\w*|debt\w*|collections?|bill collect\w*|skip ?trac\w*|"
        r"(child )?custody (dispute|battle|exchange|fight|matter)|child custody|"
        r"civil (matter|dispute|suit|case|issue)|lawsuit|eviction\w*|divorce\w*|child support|"
        r"process serv\w*|serve (papers|summons)"
    ),
    "reason.federal": (
        r"fbi|atf|dea|usms|usss|uspis|secret service|u ?s marshal\w*|united states marshal\w*|"
        r"federal (agents?|agency|agencies|partners?|requests?|task force|tfo|case|officers?)|"
        r"fed (request|case|agents?)|feds|special agents?|tfo|tfos|task force officers?|"
        r"joint terrorism task force|jttf"
    ),
    "reason.on-behalf": (
        r"on behalf( of)?|behalf of|obo|per (agent|sa|special agent|request of|the request of)|"
        r"requested by (an? )?(agent|sa|feds?|outside agency|other agency)|"
        r"agent request\w*|for (agent|sa|an outside agency|another agency|other agency)|"
        r"outside agency|other agency request|"
        r"assist\w* (\w+ ){0,3}(fbi|atf|dea|usms|feds?|federal|agents?|outside agency|"
        r"other agency|another agency|task force|marshals?)"
    ),
}
_PATTERNS = {rule: re.compile(_W + f"(?:{terms})" + _E) for rule, terms in _TERMS.items()}

# Long words only for the leet-speak pass: short acronyms would hit plates ("1CE" -> "ice").
_LEET_TERMS = re.compile(
    _W + r"(?:imm?[ia]?gra\w*|deport\w*|abortion\w*|transgender\w*|protest\w*|reproductive\w*)" + _E
)
_LEET_FLAG = {  # by the first two letters of the long words above
    "im": "reason.immigration",
    "de": "reason.immigration",
    "ab": "reason.reproductive-health",
    "re": "reason.reproductive-health",
    "tr": "reason.gender-affirming-care",
    "pr": "reason.protest",
}
_LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"}
)
_LOOKALIKE = str.maketrans("АВЕКМНОРСТХІЈаеорсхіјѕ", "ABEKMHOPCTXIJaeopcxijs")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"))

# "I.C.E.", "I C E", "h-s-i": single letters split by dots, spaces or dashes are joined and
# upper-cased, since spelling an acronym apart is how one hides it from a word filter.
_SPELLED = re.compile(r"(?<![A-Za-z0-9])(?:[A-Za-z][.\s\-_*/]{1,3}){2,}[A-Za-z](?![A-Za-z0-9])\.?")
_UPPER_ICE = re.compile(r"(?<![A-Za-z0-9])ICE(?![A-Za-z0-9])(?:\W+([A-Za-z]+))?")
_HARMLESS_AFTER_ICE = frozenset(
    "cream creams rink rinks storm storms machine machines maker makers skating skate hockey "
    "fishing chest cube cubes pack packs road roads patch dam scraper melt".split()
)
_TOKEN = re.compile(r"[a-z0-9@$]+")
_LEET_WORD = re.compile(r"[a-z0-9@$]*[0-9@$][a-z0-9@$]*")
_G287 = re.compile(r"287\s*[-(]?\s*g\)?", re.IGNORECASE)

_VAGUE_WORDS = frozenset(
    "investigation investigations investigative investigate investigating inv invest invst "
    "other others test testing tst info information check checking lookup look query search "
    "searching case report ongoing general misc miscellaneous training demo none agent per see "
    "officer request req follow followup lead leads intel intelligence activity possible poss "
    "etc lpr alpr flock data plate tag unknown pending tbd reason purpose".split()
)
_STOP_WORDS = frozenset(
    "the and for with from that this was were are has have had not but its into onto per via "
    "our their his her him she they them who what when where why how any all can may".split()
)


@dataclass(frozen=True, slots=True)
class Screening:
    """What screening found in one reason: flags (rule ids), their reasons, and its size."""

    flags: frozenset[str]
    reasons: tuple[Reason, ...]
    length: int
    content_words: int


def normalize_reason(text: str) -> str:
    """Lower-case tokens joined by single spaces, after undoing common obfuscations."""
    return " ".join(_TOKEN.findall(_prepare(text).lower()))


def _prepare(text: str) -> str:
    text = unicodedata.normalize("NFKC", text[:MAX_SCREENED_CHARS]).translate(_INVISIBLE)
    text = text.translate(_LOOKALIKE)
    text = _G287.sub(" 287g ", text)
    text = text.replace("'", "").replace("\u2019", "")
    return _SPELLED.sub(lambda m: " " + re.sub(r"[^A-Za-z]", "", m.group(0)).upper() + " ", text)


def screen(
    text: str, *, min_length: int = DEFAULT_MIN_LENGTH, min_words: int = DEFAULT_MIN_WORDS
) -> Screening:
    """Screens ``text``; the flags are what the engine's rules test, the reasons say why."""
    prepared = _prepare(text)
    norm = " ".join(_TOKEN.findall(prepared.lower()))
    found: dict[str, str] = {}
    for rule, pattern in _PATTERNS.items():
        match = pattern.search(norm)
        if match:
            found[rule] = match.group(0)
    if "reason.immigration" not in found:
        for match in _UPPER_ICE.finditer(prepared):
            after = (match.group(1) or "").lower()
            if after not in _HARMLESS_AFTER_ICE:
                found["reason.immigration"] = match.group(0).split()[0]
                break
    leet = " ".join(w.translate(_LEET) for w in _LEET_WORD.findall(prepared.lower()))
    for match in _LEET_TERMS.finditer(leet):
        found.setdefault(_LEET_FLAG[match.group(0)[:2]], match.group(0))

    reasons = [
        Reason(rule, f"the reason points to {_TOPIC_TEXT[rule]} ({_quote(word)})")
        for rule, word in found.items()
    ]
    stripped = text.strip()
    content = _content_words(norm)
    if not stripped:
        found[VAGUE_FLAG] = ""
        reasons.append(Reason(VAGUE_FLAG, "the reason is blank"))
    elif content == 0:
        found[VAGUE_FLAG] = norm
        reasons.append(
            Reason(
                VAGUE_FLAG,
                f"the reason ({_quote(norm)}) says nothing specific; say what happened and "
                "why this vehicle",
            )
        )
    if stripped and len(stripped) < min_length:
        reasons.append(
            Reason(
                "reason.too-short",
                f"the reason has {len(stripped)} characters; at least {min_length} are required",
            )
        )
    if stripped and 0 < content < min_words:
        reasons.append(
            Reason(
                "reason.too-few-words",
                f"the reason has {content} specific word(s); at least {min_words} are required",
            )
        )
    return Screening(frozenset(found), tuple(reasons), len(stripped), content)


def screen_reason(
    text: str, *, min_length: int = DEFAULT_MIN_LENGTH, min_words: int = DEFAULT_MIN_WORDS
) -> list[Reason]:
    """Every problem screening finds in a search reason; an empty list means none was found."""
    return list(screen(text, min_length=min_length, min_words=min_words).reasons)


def _content_words(norm: str) -> int:
    count = 0
    for token in norm.split(" "):
        if len(token) < 3 or not any(c.isalpha() for c in token):
            continue
        if token in _VAGUE_WORDS or token in _STOP_WORDS:
            continue
        count += 1
    return count


def _quote(word: str) -> str:
    word = word.strip()
    return f'"{word[:40]}"' if word else "blank"
