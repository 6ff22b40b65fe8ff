"""``span_times`` (the numpy check of Flock-form times) agrees with ``parse_time``: every span
it accepts parses to the same second, and it accepts every span written exactly in the Flock
form with a real date. Spans are drawn near that form (one- and two-digit fields, out-of-range
values, one byte replaced, cut short) and packed into one buffer the way the readers pack a
column, the first span starting at byte 0 so the reads before and after a span are exercised
at the buffer's edges.
"""

from __future__ import annotations

import re

import numpy as np
from hypothesis import example, given, settings
from hypothesis import strategies as st

from trustlpr.core.errors import InputError
from trustlpr.oversight.reading.batch import PAD, span_times
from trustlpr.oversight.reading.cells import parse_time

FLOCK = re.compile(r"\d{1,2}/\d{1,2}/[1-9]\d{3}, (\d{1,2}):\d\d:\d\d [AP]M UTC")


@st.composite
def _near_flock(d: st.DrawFn) -> str:
    def num(low: int, high: int) -> str:
        value = d(st.integers(low, high))
        return d(st.sampled_from([str(value), f"{value:02d}"]))

    year = d(st.sampled_from(["2025", "2024", "2000", "1900", "0999", "1600"]))
    text = (
        f"{num(0, 13)}/{num(0, 32)}/{year}{d(st.sampled_from([', ', ' ', ',  ']))}"
        f"{num(0, 13)}:{num(0, 61)}:{num(0, 61)} {d(st.sampled_from(['AM', 'PM', 'XM', 'pm']))}"
        f"{d(st.sampled_from([' UTC', ' EST', ' UTC ', '']))}"
    )
    edit = d(st.sampled_from(["none", "none", "replace", "cut"]))
    if edit == "replace" and text:
        at = d(st.integers(0, len(text) - 1))
        text = text[:at] + d(st.sampled_from(list("0123456789/:, APMUTCx\n"))) + text[at + 1 :]
    elif edit == "cut":
        text = text[: d(st.integers(0, len(text)))]
    return text


def _parsed(text: str) -> int | None:
    try:
        return parse_time(text)
    except InputError:
        return None


@settings(max_examples=120, deadline=None)
@given(st.lists(_near_flock(), min_size=1, max_size=40))
@example(["1/1/20250 1:00:00 AM UTC"])  # parse_time raised ValueError, not InputError, here
def test_span_times_matches_parse_time(cells: list[str]) -> None:
    data = "".join(cells).encode()
    lengths = np.array([len(c.encode()) for c in cells], dtype=np.int64)
    ends = np.cumsum(lengths)
    buf = np.frombuffer(data + bytes(PAD), dtype=np.uint8)
    ok, seconds = span_times(buf, ends - lengths, ends)
    for cell, accepted, value in zip(cells, ok.tolist(), seconds.tolist(), strict=True):
        expected = _parsed(cell)
        if accepted:
            assert value == expected, cell
        else:  # a Flock-form cell is refused only when its date itself is impossible
            flock = FLOCK.fullmatch(cell)
            assert not (flock and 1 <= int(flock[1]) <= 12 and expected is not None), cell
