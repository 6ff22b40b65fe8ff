"""The helpers of ``normalize`` that run once, at import: the character sets removed, the
patterns that join letters spelt apart, and the look-alike form of a screening pattern.

Screening uses what they built at import, so a bug in one of them changes every screening;
but ``make mutate`` switches a mutant on after the import, so only a direct call notices it.
"""

from __future__ import annotations

import re

import pytest

from trustlpr.policy.normalize import (
    _REMOVED,
    _SPACING_MARKS,
    _code_points,
    _spelled,
    canonical_pattern,
)


def test_code_points_lists_every_character_of_every_range_once() -> None:
    assert _code_points("[a-c]") == {0x61: None, 0x62: None, 0x63: None}
    assert _code_points("[ax-z]") == dict.fromkeys([0x61, 0x78, 0x79, 0x7A])
    assert _code_points("[x]") == {0x78: None}


def test_the_removed_characters_are_the_invisible_and_combining_ones() -> None:
    for invisible in ("\u200b", "\u00ad", "\u0301", "\u20dd", "\ufe0f", "\u2060"):
        assert ord(invisible) in _REMOVED, hex(ord(invisible))
    assert not {ord(c) for c in "aZ09 .-|"} & _REMOVED.keys()
    assert ord("\u0982") in _SPACING_MARKS and ord("a") not in _SPACING_MARKS


def _plain() -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Built inside each test, never at import: a mutant is switched on only while a test runs
    (and mutmut runs only the tests that call the function)."""
    return _spelled("[A-Za-z0-9]")


@pytest.mark.parametrize("text", ["I . C . E", "h-s-i", "I  C  E", "I.C.E.", "2 8 7"])
def test_letters_spelt_apart_with_one_separator(text: str) -> None:
    same, _ = _plain()
    assert same.fullmatch(text), text


@pytest.mark.parametrize("text", ["I.C-E", "I.C-E.", "H -S.I"])
def test_letters_spelt_apart_with_mixed_separators(text: str) -> None:
    same, mixed = _plain()
    assert mixed.fullmatch(text), text
    assert not same.fullmatch(text), text


# every letter and digit is a letter of the run, never a gap between two: "AXBXC" is a word,
# "A1B1C" a plate, neither "A B C" spelt apart
@pytest.mark.parametrize(
    "text", ["ICE", "AXBXC", "ice cream", "I . CE", "IC . E", "A1B1C", "A9B9C", "AB12345"]
)
def test_words_are_not_letters_spelt_apart(text: str) -> None:
    same, mixed = _plain()
    assert not same.search(text), text
    assert not mixed.search(text), text


def test_a_run_inside_a_word_is_not_joined() -> None:
    # "a" and "z" belong to the words around them, so the run does not start or end there
    same, mixed = _plain()
    assert same.search("xa.b.c") is None and mixed.search("xa.b-c") is None
    assert same.search("a.b.cz") is None and mixed.search("a.b-cz") is None


def test_a_trailing_dot_belongs_to_the_run() -> None:
    same, mixed = _plain()
    assert (same.search("see I.C.E. now") or pytest.fail("no run")).group(0) == "I.C.E."
    assert (mixed.search("see I.C-E. now") or pytest.fail("no run")).group(0) == "I.C-E."


def test_the_look_alike_variant_takes_a_bar_for_a_letter() -> None:
    same, mixed = _spelled("[A-Za-z0-9|]")
    assert same.fullmatch("| . C . E") and mixed.fullmatch("|.C-E")
    assert not same.search("A|B|C") and not mixed.search("A|B|C")
    assert not _plain()[0].fullmatch("| . C . E")


def test_canonical_pattern_rewrites_letters_as_their_look_alike_reading() -> None:
    assert canonical_pattern("illegal alien") == "iiiegai aiien"
    assert canonical_pattern("rnigrant|(?:l)") == "migrant|(?:i)"
    assert canonical_pattern("turn") == "tum"
