"""Property tests of the screening normaliser (issue 12): a disguise never turns a refusal
into an allow.

Each seed is a refused reason with its prohibited term marked. Hypothesis disguises only the
term, the way a writer hiding it from a word filter would, while a person still reads it:
format characters (every Cf) and combining marks (every Mn and Me) inserted between its
letters, letters swapped for characters with the same UTS #39 skeleton (from ICU's data, all
of Unicode), case changed, letters spelt apart or words spaced differently. The one documented
exception: "ice" and "Ice" are the word, not the agency, so those two spellings of "ICE" are
not drawn (docs/policy.md, "Reason screening").
"""

from __future__ import annotations

import functools
import string
import sys
import unicodedata

import icu
from hypothesis import given, settings
from hypothesis import strategies as st

from trustlpr.core.search import Outcome
from trustlpr.policy import PolicyEngine
from trustlpr.policy.screening import screen

from .corpus import base_request

SEEDS = [
    ("stolen car, {} wants the driver located", "ICE", "reason.immigration"),
    ("stolen car, {} detainer on the driver", "ICE", "reason.immigration"),
    ("{} hearing for the registered owner", "deportation", "reason.immigration"),
    ("driver's {} status check", "immigration", "reason.immigration"),
    ("{} referral on the car", "HSI", "reason.immigration"),
    ("{} lookout on the pickup", "CBP", "reason.immigration"),
    ("{} partner request for the van", "287g", "reason.immigration"),
    ("{} lookout for the grey truck", "Homeland Security", "reason.immigration"),
    ("la {} busca al conductor", "migra", "reason.immigration"),
    ("{} clinic visit by the driver", "abortion", "reason.reproductive-health"),
    ("{} teen seen at the clinic", "transgender", "reason.gender-affirming-care"),
    ("{} at city hall last night", "protest", "reason.protest"),
    ("plate search {} the agent", "on behalf of", "reason.on-behalf"),
]

_SEPARATORS = [" ", ".", "-", "_", " . ", "  ", "*", "/", "\u00a0", "\u3000", "\t"]
_WORD_GAPS = [" ", "  ", "\t", "\n", " \n ", "\u00a0", "\u2003", "\u3000"]


def _category_members(pattern: str) -> list[str]:
    found = icu.UnicodeSet(pattern)
    return [chr(c) for a, b in found.ranges() for c in range(ord(a), ord(b) + 1)]


FORMAT = _category_members("[:Cf:]")
COMBINING = _category_members("[[:Mn:][:Me:]]")


@functools.cache
def confusables() -> dict[str, list[str]]:
    """ASCII letter or digit -> every other character with the same UTS #39 skeleton."""
    spoof = icu.SpoofChecker()
    wanted = {spoof.getSkeleton(0, c): c for c in string.ascii_letters + string.digits}
    by_letter: dict[str, list[str]] = {c: [] for c in wanted.values()}
    for code in range(0x21, sys.maxunicode + 1):
        ch = chr(code)
        if unicodedata.category(ch) in ("Cn", "Cs", "Co", "Cc"):
            continue
        skeleton = spoof.getSkeleton(0, ch)
        for letter in string.ascii_letters + string.digits:
            if letter != ch and spoof.getSkeleton(0, letter) == skeleton:
                by_letter.setdefault(letter, []).append(ch)
    return by_letter


@st.composite
def disguised(draw: st.DrawFn) -> tuple[str, str, str, str]:
    """(seed text, disguised text, the rule it must still raise, what was done)."""
    template, term, rule = draw(st.sampled_from(SEEDS))
    letters = list(term)
    done = []
    if draw(st.booleans()):  # change case
        cased = [c.swapcase() if draw(st.booleans()) else c for c in letters]
        if term != "ICE" or "".join(cased) not in ("ice", "Ice"):
            letters, done = cased, [*done, "case"]
    if draw(st.booleans()):  # swap look-alikes
        table = confusables()
        for i, c in enumerate(letters):
            if table.get(c) and draw(st.booleans()):
                letters[i] = draw(st.sampled_from(table[c]))
        done.append("confusables")
    if draw(st.booleans()):  # combining marks after letters
        letters = [c + (draw(st.sampled_from(COMBINING)) if draw(st.booleans()) else "")
                   for c in letters]  # fmt: skip
        done.append("combining")
    if draw(st.booleans()):  # format characters between letters
        letters = [c + (draw(st.sampled_from(FORMAT)) if draw(st.booleans()) else "")
                   for c in letters]  # fmt: skip
        done.append("format")
    spacing = draw(st.sampled_from(["none", "spelt", "gaps"]))
    if spacing == "spelt":
        sep = draw(st.sampled_from(_SEPARATORS))
        text = sep.join(c for c in letters if not c.startswith(" "))
        done.append(f"spelt {sep!r}")
    else:
        text = "".join(letters)
        if spacing == "gaps":
            text = text.replace(" ", draw(st.sampled_from(_WORD_GAPS)))
            done.append("gaps")
    return template.format(term), template.format(text), rule, ", ".join(done)


ENGINE = PolicyEngine("ct-pa-26-14")


def test_every_seed_is_refused_as_written() -> None:
    for template, term, rule in SEEDS:
        assert rule in screen(template.format(term)).flags, template


@settings(max_examples=1500, deadline=None)
@given(disguised())
def test_a_disguise_never_turns_a_refusal_into_an_allow(
    case: tuple[str, str, str, str],
) -> None:
    seed, text, rule, done = case
    assert rule in screen(text).flags, (seed, text, done)


@settings(max_examples=200, deadline=None)
@given(disguised())
def test_the_engine_denies_every_disguised_reason(case: tuple[str, str, str, str]) -> None:
    _, text, _, done = case
    request = base_request("CT")
    request["id"] = "p1"
    request["reason"] = text
    assert ENGINE.decide_json(request).outcome is Outcome.DENY, (text, done)
