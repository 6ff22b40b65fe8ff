"""Facts about each distinct string, computed where a chunk is parsed and carried with its pool.

Exports hold millions of rows but far fewer distinct reasons and case numbers, so whatever
the rules need to know about a string (a reason's tags and chart category, the case number
typed into it, the case number a ``Case #`` cell holds) is worked out once per distinct string
in the process that parsed it (the worker processes, for big files), next to a 64-bit digest
of the case number. The main process then finds distinct case numbers with one ``np.unique``
over digests instead of decoding and hashing millions of strings itself.
"""

from __future__ import annotations

import re
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, overload

import numpy as np

from ..text import is_case_number, reason_info, reason_infos
from .grouping import first_seen
from .pool import StringPool

Arr = np.ndarray[Any, Any]

DIGEST_DOMAIN = hash("trustlpr.oversight: which string-hash key this process uses")
"""Digests (below) made by processes with the same value are comparable."""


def digests(strings: Sequence[str]) -> Arr:
    """A 64-bit digest per string, to merge pools by digest instead of by string.

    It is Python's own string hash (SipHash with a random per-process key, so an export
    cannot be crafted to make two strings collide; accidental collisions among ten million
    distinct strings: about 3 in a million million). The dict that interned the strings has
    already computed and cached it, so this costs next to nothing. Worker processes forked
    from one forkserver share the key; the main process has another, which is why digests
    travel with their ``DIGEST_DOMAIN`` and are recomputed when domains differ."""
    return np.fromiter(map(hash, strings), dtype=np.int64, count=len(strings)).view(np.uint64)


def _key_digests(keys: Sequence[str]) -> Arr:
    """Digests of case keys; 0 for no key (never compared: callers mask empty keys)."""
    return np.fromiter((hash(k) if k else 0 for k in keys), dtype=np.int64, count=len(keys)).view(
        np.uint64
    )


_ASCII_DIGIT = re.compile("[0-9]")


def case_key(text: str) -> str:
    """The case number a ``Case #`` cell holds, as compared (upper-case, spaces removed), or
    "" for a placeholder (``N/A``, ``0``, ``-``) or no number at all (``is_case_number``)."""
    s = text.strip()
    if s.isascii():  # the usual cell: only the "0+" placeholder has a digit
        if _ASCII_DIGIT.search(s) is None or not s.strip("0"):
            return ""
        return text.upper().replace(" ", "")
    return text.upper().replace(" ", "") if is_case_number(text) else ""


@dataclass
class ReasonFacts:
    """Per distinct reason: tag bits, chart category (a code into ``names``: a few dozen
    distinct categories, millions of reasons), first case number (or "") and its digest
    (in ``domain``)."""

    tags: array[Any] = field(default_factory=lambda: array("q"))
    codes: Arr = field(default_factory=lambda: np.zeros(0, dtype=np.int32))
    names: list[str] = field(default_factory=list)
    case: StringPool = field(default_factory=StringPool)
    case_digests: Arr = field(default_factory=lambda: np.zeros(0, dtype=np.uint64))
    domain: int = DIGEST_DOMAIN

    @property
    def category(self) -> CategoryView:
        """The chart category of each reason, as a read-only sequence."""
        return CategoryView(self.codes, self.names)

    @classmethod
    def of(cls, reasons: Iterable[str]) -> ReasonFacts:
        items = reasons if isinstance(reasons, list) else list(reasons)
        tags, codes, names, cases = reason_infos(items)
        facts = cls()
        facts.tags = array("q", tags.tobytes())
        facts.codes = codes
        facts.names = names
        facts.case = StringPool.of(cases)
        facts.case_digests = _key_digests(cases)
        return facts

    @classmethod
    def one_by_one(cls, reasons: Iterable[str]) -> ReasonFacts:
        """``of`` with ``reason_info`` per reason: the reference the tests compare ``of``
        (pyarrow over whole columns) against."""
        facts = cls()
        cases: list[str] = []
        codes: dict[str, int] = {}
        numbers = array("i")
        for text in reasons:
            tags, category, case = reason_info(text)
            facts.tags.append(tags)
            numbers.append(codes.setdefault(category, len(codes)))
            cases.append(case)
        facts.codes = np.frombuffer(numbers, dtype=np.int32).copy()
        facts.names = list(codes)
        facts.case = StringPool.of(cases)
        facts.case_digests = _key_digests(cases)
        return facts


class CategoryView(Sequence[str]):
    """``names[codes[i]]`` for each reason, without a list of millions of references."""

    def __init__(self, codes: Arr, names: list[str], extra: tuple[str, ...] = ()) -> None:
        self.codes, self.names, self.extra = codes, names, extra

    def __len__(self) -> int:
        return len(self.codes) + len(self.extra)

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> list[str]: ...

    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if index >= len(self.codes):
            return self.extra[index - len(self.codes)]
        return self.names[int(self.codes[index])]

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Sequence) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]


@dataclass
class CaseKeys:
    """Per distinct ``Case #`` value: ``case_key`` and its digest (in ``domain``)."""

    keys: StringPool = field(default_factory=StringPool)
    digests: Arr = field(default_factory=lambda: np.zeros(0, dtype=np.uint64))
    domain: int = DIGEST_DOMAIN

    @classmethod
    def of(cls, values: Iterable[str]) -> CaseKeys:
        keys = [case_key(v) for v in values]
        return cls(StringPool.of(keys), _key_digests(keys))


def split_positions(sizes: list[int], keep: Arr) -> list[Arr]:
    """Ascending positions in a concatenation of parts of these sizes, as local positions
    per part (so each part can be gathered from, and dropped, on its own)."""
    edges = np.cumsum([0, *sizes])
    cuts = np.searchsorted(keep, edges)
    return [keep[cuts[k] : cuts[k + 1]] - edges[k] for k in range(len(sizes))]


def take_facts(parts: list[ReasonFacts], keep: Arr) -> ReasonFacts:
    """The facts of concatenated reason pools at ascending positions ``keep``."""
    facts = ReasonFacts()
    local = split_positions([len(p.tags) for p in parts], keep)
    tags = [np.frombuffer(p.tags, dtype=np.int64)[k] for p, k in zip(parts, local, strict=True)]
    if tags:
        facts.tags.frombytes(np.concatenate(tags).tobytes())
    names: dict[str, int] = {}
    codes = []
    for part, k in zip(parts, local, strict=True):  # one code table for all the parts
        renumber = np.array([names.setdefault(n, len(names)) for n in part.names], dtype=np.int32)
        codes.append(renumber[part.codes[k]] if len(k) else np.zeros(0, dtype=np.int32))
    facts.codes = np.concatenate(codes) if codes else np.zeros(0, dtype=np.int32)
    facts.names = list(names)
    facts.case = StringPool.concat([p.case.take(k) for p, k in zip(parts, local, strict=True)])
    if len({p.domain for p in parts}) > 1:
        facts.case_digests = _key_digests(list(facts.case))
    else:
        picked = [p.case_digests[k] for p, k in zip(parts, local, strict=True)]
        facts.case_digests = _concat(picked)
        facts.domain = parts[0].domain if parts else DIGEST_DOMAIN
    return facts


def take_case_keys(parts: list[CaseKeys], keep: Arr) -> CaseKeys:
    """The case keys of concatenated ``Case #`` pools at ascending positions ``keep``."""
    local = split_positions([len(p.keys) for p in parts], keep)
    keys = StringPool.concat([p.keys.take(k) for p, k in zip(parts, local, strict=True)])
    if len({p.domain for p in parts}) > 1:
        return CaseKeys(keys, _key_digests(list(keys)))
    domain = parts[0].domain if parts else DIGEST_DOMAIN
    picked = [p.digests[k] for p, k in zip(parts, local, strict=True)]
    return CaseKeys(keys, _concat(picked), domain)


def _concat(arrays: list[Arr]) -> Arr:
    return np.concatenate(arrays) if arrays else np.zeros(0, dtype=np.uint64)


def case_ids(reasons: ReasonFacts, cases: CaseKeys) -> tuple[Arr, Arr, StringPool]:
    """One id per distinct case number, whether typed into Reason or given in ``Case #``:
    per reason, per ``Case #`` value (-1: none; a trailing -1 for "missing"), and the names
    in first-seen order. Found by digest, so no dictionary of millions of strings."""
    r_digests, c_digests = reasons.case_digests, cases.digests
    if reasons.domain != cases.domain:
        r_digests, c_digests = _key_digests(list(reasons.case)), _key_digests(list(cases.keys))
    keys = StringPool.concat([reasons.case, cases.keys])
    hashed = np.concatenate([r_digests, c_digests])
    del r_digests, c_digests
    valid = keys.lengths() > 0
    ids = np.full(len(keys) + 1, -1, dtype=np.int32)
    names = StringPool()
    if valid.any():
        first, number = first_seen(hashed[valid])
        ids[:-1][valid] = number
        names = keys.take(np.flatnonzero(valid)[first])
    split = len(reasons.case)
    return np.append(ids[:split], np.int32(-1)), np.append(ids[split:-1], np.int32(-1)), names
