"""The helpers of ``normalize`` that run once, at import: the character sets removed, the
patterns that join letters spelt apart, and the look-alike form of a screening pattern.

Screening uses what they built at import, so a bug in one of them changes every screening;
but ``make mutate`` switches a mutant on after the import, so only a direct call notices it.
"""

from __future__ import annotations

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


SAME, MIXED = _spelled("[A-Za-z0-9]")


@pytest.mark.parametrize("text", ["I . C . E", "h-s-i", "I  C  E", "I.C.E."])
def test_letters_spelt_apart_with_one_separator(text: str) -> None:
    assert SAME.fullmatch(text), text


@pytest.mark.parametrize("text", ["I.C-E", "I.C-E.", "H -S.I"])
def test_letters_spelt_apart_with_mixed_separators(text: str) -> None:
    assert MIXED.fullmatch(text), text
    assert not SAME.fullmatch(text), text


@pytest.mark.parametrize("text", ["ICE", "AXBXC", "ice cream", "I . CE", "IC . E"])
def test_words_are_not_letters_spelt_apart(text: str) -> None:
    assert not SAME.search(text), text
    assert not MIXED.fullmatch(text), text


def test_a_run_inside_a_word_is_not_joined() -> None:
    # "a" and "z" belong to the words around them, so the run does not start or end there
    assert SAME.search("xa.b.c") is None and MIXED.search("xa.b-c") is None
    assert SAME.search("a.b.cz") is None and MIXED.search("a.b-cz") is None


def test_the_look_alike_variant_takes_a_bar_for_a_letter() -> None:
    same, _ = _spelled("[A-Za-z0-9|]")
    assert same.fullmatch("| . C . E")
    assert not SAME.fullmatch("| . C . E")


def test_canonical_pattern_rewrites_letters_as_their_look_alike_reading() -> None:
    assert canonical_pattern("illegal alien") == "iiiegai aiien"
    assert canonical_pattern("rnigrant|(?:l)") == "migrant|(?:i)"
    assert canonical_pattern("turn") == "tum"
