"""Undoing the disguises of a free-text reason before it is screened (REFERENCE.md §7).

A word filter is got round by writing the word so that a person still reads it and the filter
does not: look-alike letters from other scripts (Greek ``Ι``, Cyrillic ``С``), invisible or
combining characters inside the word, accents (``dëportation``), letters spelt apart
(``I.C.E.``, ``2 8 7 g``). :func:`readings` turns a text into the few plain-ASCII token lists a
person would read in it, and screening matches its words against every one of them:

1. Every format character (Cf), nonspacing or enclosing mark (Mn, Me) and default-ignorable
   code point is removed: invisible inside a word, it only hides the word.
2. Every other non-ASCII character is replaced by the ASCII character with the same UTS #39
   confusables skeleton (ICU's ``SpoofChecker``; the Unicode data, not a table of ours),
   keeping its case: Greek ``Ι`` → ``I``, Cyrillic ``с`` → ``c``, Lisu ``ꓲ`` → ``l``, a
   Sinhala sign that looks like ``o`` → ``o``; accents go with the marks the skeleton splits
   off. A character without one is read in its compatibility form (NFKD: circled ``Ⓒ``,
   superscripts), whose parts are read the same way.
3. Apostrophes split words in the plain reading (``ICE's`` → ``ICE s``) and join them in the
   look-alike one (``driver's`` → ``drivers``); letters and digits spelt apart one by one are
   joined (``I C E``, ``h-s-i``, ``2 8 7 g``), and so are capital fragments that make a known
   acronym (``I CE``).

The *look-alike reading* also merges the ASCII characters that UTS #39 confuses with each
other in some case (:func:`canonical`): ``I``, ``l``, ``1`` and ``|`` are one letter (``lCE``,
``HSl``, ``|mmigration``), so are ``O`` and ``0``, and ``rn`` is ``m``; screening's patterns are
rewritten the same way (:func:`canonical_pattern`). The *digit reading* (``1mm1gr@t10n``) is
screening's, for long words only.
"""

from __future__ import annotations

import functools
import re
import string
import unicodedata

import icu

_SPOOF = icu.SpoofChecker()
_NFKD = icu.Normalizer2.getNFKDInstance()


def _code_points(pattern: str) -> dict[int, None]:
    found = icu.UnicodeSet(pattern).ranges()
    return {code: None for first, last in found for code in range(ord(first), ord(last) + 1)}


# Removed: an invisible or combining character inside a word only hides it. Spacing marks
# (Mc) are glyphs of their own; one that looks like a letter ("ං" is an o) is read as one.
_REMOVED = _code_points("[[:Cf:][:Mn:][:Me:][:Default_Ignorable_Code_Point:]]")
_SPACING_MARKS = _code_points("[:Mc:]")
_SEPARATOR_CATEGORIES = frozenset({"Cc", "Zs", "Zl", "Zp"})
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _skeleton(text: str) -> str:
    return str(_SPOOF.getSkeleton(0, text))


def _strip_marks(text: str) -> str:
    return str(_NFKD.normalize(text)).translate(_REMOVED).translate(_SPACING_MARKS)


# ASCII characters by their skeleton: "l" <- I, l, 1, |; "O" <- O, 0; "rn" <- m.
_BY_SKELETON: dict[str, str] = {}
for _ch in string.ascii_letters + string.digits + "|":
    _BY_SKELETON.setdefault(_skeleton(_ch), "")
    _BY_SKELETON[_skeleton(_ch)] += _ch


@functools.lru_cache(maxsize=65536)
def ascii_prototype(ch: str) -> str:
    """The ASCII a person reads for one non-ASCII character ("" if it is invisible); a
    character with no ASCII look-alike stays as it is (and later separates words).

    The skeleton of the character itself comes first: its compatibility form may look like
    something else (NFKD turns the lunate sigma ``Ϲ``, a C to the eye, into ``Σ``).
    """
    if ord(ch) in _REMOVED:
        return ""
    if unicodedata.category(ch) in _SEPARATOR_CATEGORIES:
        return " "
    looks = _by_skeleton(ch)
    if looks is not None:
        return looks
    if ord(ch) in _SPACING_MARKS:
        return ""
    compat = _strip_marks(ch)
    if compat != ch:
        return "".join(c if c.isascii() else ascii_prototype(c) for c in compat)
    return ch


def _by_skeleton(ch: str) -> str | None:
    folded = _strip_marks(_skeleton(ch))
    if not folded or not folded.isascii():
        return None
    same = [c for c in _BY_SKELETON.get(folded, "") if c.isalpha()]
    if not same:
        return folded
    if ch.isupper():
        return next((c for c in same if c.isupper()), same[0])
    return next((c for c in same if c.islower()), same[0])


def fold(text: str) -> str:
    """Steps 1 and 2 of the module docstring: case kept, ASCII out (but for characters that
    look like no ASCII letter), same words; every apostrophe is ``'``."""
    if not text.isascii():
        text = "".join(ch if ch.isascii() else ascii_prototype(ch) for ch in text)
    return _CONTROL.sub(" ", text).replace("`", "'")


def _spelled(letter: str) -> tuple[re.Pattern[str], re.Pattern[str]]:
    """Single letters spelt apart ("I . C . E", "h-s-i"): with one separator of up to five
    characters repeated, or with any separators of up to three ("I.C-E")."""
    gap = f"[^{letter[1:-1]}\\n]"
    alone_before, alone_after = f"(?<!{letter})", f"(?!{letter})"
    same = f"{alone_before}{letter}(?P<gap>{gap}{{1,5}})(?:{letter}(?P=gap))+{letter}{alone_after}"
    mixed = f"{alone_before}(?:{letter}{gap}{{1,3}}){{2,}}{letter}{alone_after}"
    return re.compile(same + r"\.?"), re.compile(mixed + r"\.?")


_SPELLED = _spelled("[A-Za-z0-9]")
_SPELLED_ALIKE = _spelled("[A-Za-z0-9|]")  # where "|" is a letter (an I)
_G287 = re.compile(r"287\s*[-(]?\s*g\)?", re.IGNORECASE)
_TOKEN = re.compile(r"[A-Za-z0-9@$]+")
_TOKEN_ALIKE = re.compile(r"[A-Za-z0-9@$|]+")
_CAPITALS = frozenset(string.ascii_uppercase + "l1|0")
# ASCII characters that share a skeleton with another in some case (I/l/1/|, O/0, m/rn),
# merged: the look-alike reading of a word is its case-folded skeleton.
_MERGE = str.maketrans({"l": "i", "1": "i", "|": "i", "0": "o"})


def canonical(word: str) -> str:
    """The look-alike form of an ASCII word or pattern text: lower case, ``l``, ``1``, ``|``
    as ``i``, ``0`` as ``o``, ``rn`` as ``m`` (what UTS #39 confuses, case aside)."""
    return word.lower().translate(_MERGE).replace("rn", "m")


def canonical_pattern(source: str) -> str:
    """A screening pattern's source, rewritten to match look-alike readings (letters only:
    digits and ``|`` are regex syntax there)."""
    return source.replace("l", "i").replace("rn", "m")


def _join_spelled(
    text: str, spelled: tuple[re.Pattern[str], re.Pattern[str]], letters: str, *, trim: bool
) -> str:
    """Joins letters spelt apart, in capitals (an acronym spelt apart is still the acronym).
    With ``trim``, the run without its first or last letter comes too: a one-letter word
    next to it ("driver s i m m i g r a t i o n", "a d e p o r t") would join in."""

    def join(match: re.Match[str]) -> str:
        run = re.sub(letters, "", match.group(0)).upper()
        if trim and len(run) >= 4:
            return f" {run[1:]} {run[:-1]} {run} "
        return f" {run} "

    text = _G287.sub(" 287G ", text)
    for pattern in spelled:
        text = pattern.sub(join, text)
    return _G287.sub(" 287G ", text)  # "2-8-7(g)" is "287 (g)" now


def _join_acronyms(tokens: list[str], acronyms: frozenset[str]) -> list[str]:
    """Capital fragments of at most three letters that together make a known acronym."""
    out: list[str] = []
    i = 0
    while i < len(tokens):
        for size in (3, 2):
            parts = tokens[i : i + size]
            if len(parts) == size and all(
                len(p) <= 3 and all(c in _CAPITALS for c in p) for p in parts
            ):
                joined = "".join(parts)
                if canonical(joined) in acronyms:
                    out.append(joined)
                    i += size
                    break
        else:
            out.append(tokens[i])
            i += 1
    return out


def readings(text: str, acronyms: frozenset[str] = frozenset()) -> tuple[list[str], list[str]]:
    """The plain and the look-alike reading of ``text``, as case-kept ASCII tokens (letters,
    digits, ``@``, ``$``; the look-alike one also ``|``), after undoing the disguises of the
    module docstring. ``acronyms`` (canonical forms) are joined from capital fragments."""
    folded = fold(text)
    spelled = _join_spelled(folded.replace("'", " "), _SPELLED, r"[^A-Za-z0-9]", trim=False)
    plain = _join_acronyms(_TOKEN.findall(spelled), acronyms)
    spelled = _join_spelled(folded.replace("'", ""), _SPELLED_ALIKE, r"[^A-Za-z0-9|]", trim=True)
    alike = _join_acronyms(_TOKEN_ALIKE.findall(spelled), acronyms)
    return plain, alike
