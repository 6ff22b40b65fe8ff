"""``ReasonFacts.of`` (pyarrow over a whole column of distinct reasons) gives exactly what
``ReasonFacts.one_by_one`` (``reason_info`` per reason) gives: the same tags, chart categories
in the same first-seen order, the same case numbers and digests. Reasons are drawn from the
forms departments write (drop-down plus case number, prefixed case numbers, free text, alert
page reasons ending in a plate, leet spellings with lone digits, non-ASCII text) and padded
past ``_FAST_MIN`` so the columnar path is the one taken.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from trustlpr.oversight.table.facts import ReasonFacts
from trustlpr.oversight.text import _FAST_MIN

from .clean_corpus import ALERTS, DROPDOWN, FREE_TEXT, RARE_VAGUE

WORDS = [
    *DROPDOWN, *FREE_TEXT, *RARE_VAGUE, *ALERTS, "ICE assist", "1CE hold", "imm1gration",
    "abortion clinic", "protest", "Case", "case #", "rpt", "CAD", "inc", "Other", "Ñandú",
    "Other image search from alerts page associated with Alert: Stolen Vehicle",
    "OTHER IMAGE SEARCH FROM ALERTS PAGE associated with Alert:", "-", "/", " ", "", "N/A",
]  # fmt: skip


@st.composite
def _reason(d: st.DrawFn) -> str:
    parts = []
    for _ in range(d(st.integers(1, 4))):
        kind = d(st.sampled_from(["word", "case", "number", "plate"]))
        if kind == "word":
            parts.append(d(st.sampled_from(WORDS)))
        elif kind == "case":
            prefix = d(st.sampled_from(["", "CPD", "cpd", "ab-", "ABCDEF", "x"]))
            year = d(st.sampled_from(["25", "2025", "1999", "2100", "7"]))
            digits = d(st.integers(0, 10**10))
            parts.append(f"{prefix}{year}-{digits:0{d(st.integers(1, 10))}d}")
        elif kind == "number":
            parts.append(str(d(st.integers(0, 10**9))))
        else:
            parts.append(d(st.text("ABCDEFGHJKLMNPRSTUVWXYZ0123456789", min_size=5, max_size=8)))
    return d(st.sampled_from([" ", " - ", ": ", "", "#"])).join(parts)


def _same(reasons: list[str]) -> None:
    fast, slow = ReasonFacts.of(reasons), ReasonFacts.one_by_one(reasons)
    assert list(fast.tags) == list(slow.tags)
    assert fast.names == slow.names
    assert np.array_equal(fast.codes, slow.codes)
    assert fast.case.blob == slow.case.blob
    assert np.array_equal(fast.case.offsets, slow.case.offsets)
    assert np.array_equal(fast.case_digests, slow.case_digests)


@settings(max_examples=60, deadline=None)
@given(st.lists(_reason(), min_size=1, max_size=80))
def test_columnar_reason_facts_match_one_by_one(drawn: list[str]) -> None:
    filler = [f"{DROPDOWN[k % len(DROPDOWN)]} - 25-{k:06d}" for k in range(_FAST_MIN)]
    _same(list(dict.fromkeys(drawn + filler)))


def test_every_word_and_case_form() -> None:
    cases = ["25-1234", "CPD25-001234", "2025-123", "x25-12345678", "25-123456789", "AB 25-1234"]
    reasons = [f"{w} {c}" for w in WORDS for c in cases] + WORDS
    _same(list(dict.fromkeys(reasons * 3))[: max(_FAST_MIN, len(reasons))])
    assert len(set(reasons)) >= _FAST_MIN
