"""Reason screening: the free-text reason is read for what the declared purpose may hide.

Misuse signals 1, 2 and 10 (REFERENCE.md §3): words of a prohibited purpose (immigration,
reproductive or gender-affirming care, protest, personal or civil use) in English or Spanish,
however disguised (``normalize`` undoes look-alikes, invisible and combining characters,
accents and letters spelt apart); vague reasons ("investigation", "test", "per agent",
blank); and wording that shows the search is done for someone else, above all a federal
agency ("on behalf of", "assist FBI", "TFO"). The engine turns each flag into a rule of the
policy; a declared allowed purpose with a prohibited reason is denied.

The whole reason is screened, however long; a reason longer than :data:`MAX_REASON_LENGTH`
is refused before that by :func:`check_reason_length`, the one cap every face goes through.

Deliberate choices (docs/policy.md explains each): "ice" in lower or title case counts only
next to immigration context ("ice agents", "ice hold") so "slid on ice" passes, while "ICE"
written with any other capitals, spelt apart or with look-alikes counts unless followed by a
harmless noun ("ICE cream"); "HSI" and "CBP" always count, because both are components of
immigration enforcement even on drug cases; "DHS" counts although some states name a
human-services department so (spell it out); "in custody", "Price St", "Trans Am", "aborted
pursuit", "personal property", "migraine" do not count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..core.errors import InputError
from ..core.search import Purpose, Reason
from .normalize import canonical, canonical_pattern, readings
from .terms import (
    ACRONYMS,
    HARMLESS_AFTER_ICE,
    LEET_FLAG,
    LEET_TERMS,
    STOP_WORDS,
    TERMS,
    VAGUE_WORDS,
)

MAX_REASON_LENGTH = 2000
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
# Every rule id screening itself can put in a reason (flags and the size checks).
SCREENING_RULES = (*ALL_FLAGS, "reason.too-short", "reason.too-few-words")

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

_W = r"(?:^|(?<= ))"  # start of a token in a reading
_E = r"(?=$| )"  # end of a token
_PATTERNS = {rule: re.compile(_W + f"(?:{terms})" + _E) for rule, terms in TERMS.items()}
_ALIKE_PATTERNS = {
    rule: re.compile(_W + f"(?:{canonical_pattern(terms)})" + _E) for rule, terms in TERMS.items()
}
_ACRONYMS = frozenset(canonical(a) for a in ACRONYMS)
_LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s"}
)
_LEET_WORD = re.compile(r"[a-z0-9@$]*[0-9@$][a-z0-9@$]*")


@dataclass(frozen=True, slots=True)
class Screening:
    """What screening found in one reason: flags (rule ids), their reasons, and its size."""

    flags: frozenset[str]
    reasons: tuple[Reason, ...]
    length: int
    content_words: int


def check_reason_length(text: str, *, field: str = "reason") -> str:
    """``text`` if it is within :data:`MAX_REASON_LENGTH` characters; else ``InputError``.

    The one cap on a reason's length: the search service, the JSON request parser and the
    hot list call it, so the API, console, CLI and ``policy evaluate`` refuse alike.
    """
    if len(text) > MAX_REASON_LENGTH:
        raise InputError(
            f"is {len(text):,} characters long; at most {MAX_REASON_LENGTH:,} are accepted",
            field=field,
        )
    return text


def normalize_reason(text: str) -> str:
    """The plain reading of ``text``: lower-case ASCII words joined by single spaces."""
    return " ".join(readings(text, _ACRONYMS)[0]).lower()


def screen(
    text: str, *, min_length: int = DEFAULT_MIN_LENGTH, min_words: int = DEFAULT_MIN_WORDS
) -> Screening:
    """Screens all of ``text``; the flags are what the engine's rules test, the reasons say
    why."""
    plain, alike = readings(text, _ACRONYMS)
    norm = " ".join(plain).lower()
    found: dict[str, str] = {}
    views = ((norm, _PATTERNS, plain), (" ".join(map(canonical, alike)), _ALIKE_PATTERNS, alike))
    for view, patterns, tokens in views:
        for rule, pattern in patterns.items():
            if rule not in found:
                match = pattern.search(view)
                if match:
                    found[rule] = match.group(0)
        if "reason.immigration" not in found:
            word = _ice_acronym(tokens)
            if word:
                found["reason.immigration"] = word
    leet = " ".join(w.translate(_LEET) for w in _LEET_WORD.findall(norm))
    for match in LEET_TERMS.finditer(leet):
        found.setdefault(LEET_FLAG[match.group(0)[:2]], match.group(0))

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


def prohibited_topics(text: str) -> list[Reason]:
    """The purposes screening finds in ``text`` (a hot-list entry's reason), each one refused:
    what every shipped policy does; ``PolicyEngine.reason_refusals`` follows the policy."""
    found = screen(text)
    return [r for r in found.reasons if r.rule in TOPIC_FLAGS]


def _ice_acronym(tokens: list[str]) -> str:
    """ "ICE" the agency: any capitals but the word's ("ice", "Ice"), not before "cream"."""
    for i, token in enumerate(tokens):
        if canonical(token) == "ice" and token not in ("ice", "Ice"):
            after = tokens[i + 1].lower() if i + 1 < len(tokens) else ""
            if after not in HARMLESS_AFTER_ICE:
                return token
    return ""


def _content_words(norm: str) -> int:
    count = 0
    for token in norm.split(" "):
        if len(token) < 3 or not any(c.isalpha() for c in token):
            continue
        if token in VAGUE_WORDS or token in STOP_WORDS:
            continue
        count += 1
    return count


def _quote(word: str) -> str:
    word = word.strip()
    return f'"{word[:40]}"' if word else "blank"
