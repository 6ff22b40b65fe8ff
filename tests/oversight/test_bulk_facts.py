"""The bulk classifiers agree with the one-string ones: ``reason_infos`` (every distinct reason
of a chunk joined and classified in C-level passes, the fast path) must give, item by item,
what ``reason_info`` gives, and ``case_keys`` what ``case_key`` gives.

Reasons are drawn from the pieces real exports are made of: dropdown picks with case numbers,
bare and prefixed case numbers, single digits (leet spellings), the alert-page prefix with a
plate, keyword case numbers (``case 123456``), non-ASCII text, a NUL, blanks and spaces.
"""

from __future__ import annotations

from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from trustlpr.oversight import import_files
from trustlpr.oversight.table.facts import ReasonFacts, case_key, case_keys
from trustlpr.oversight.text import reason_info, reason_infos

PIECES = [
    "Larceny/Theft Offenses - ", "Motor Vehicle Theft/Stolen - ", "Other - ", "CPD", "SO",
    "25-001234", "2025-00123", "24-12", "1CE", "imm1gration", "ICE assist", "case 123456",
    "rpt# A12345", "Other image search from alerts page associated with Alert: Stolen Vehicle ",
    "OTHER IMAGE SEARCH FROM ALERTS PAGE", "ABC1234", "stolen vehicle", "BOLO", "inv", " ",
    "-", "/", "0", "7", "00", "José", "€", "\x00", "protest", "abortion", "", "\t", "#",
    "per agent", "warrant", "12", "x9", "2020-1234567",
]  # fmt: skip
reason = st.lists(st.sampled_from(PIECES), max_size=5).map("".join)
ASCII_PIECES = [p for p in PIECES if p.isascii() and "\x00" not in p]
ascii_reason = st.lists(st.sampled_from(ASCII_PIECES), min_size=1, max_size=5).map("".join)


def _one_by_one(reasons: list[str]) -> list[tuple[int, str, str]]:
    return [reason_info(r) for r in reasons]


def _bulk(reasons: list[str]) -> list[tuple[int, str, str]]:
    tags, codes, names, cases = reason_infos(reasons)
    assert len(tags) == len(codes) == len(cases) == len(reasons)
    return [(int(t), names[int(c)], case) for t, c, case in zip(tags, codes, cases, strict=True)]


@settings(max_examples=60, deadline=None)
@given(st.lists(reason, min_size=0, max_size=200, unique=True))
def test_reason_infos_equals_reason_info_item_by_item(reasons: list[str]) -> None:
    assert _bulk(reasons) == _one_by_one(reasons)


@settings(max_examples=40, deadline=None)
@given(st.lists(ascii_reason, min_size=40, max_size=200, unique=True))
def test_the_all_ascii_path_agrees_too(reasons: list[str]) -> None:
    """Without NUL or non-ASCII text every reason goes through the joined passes."""
    assert _bulk(reasons) == _one_by_one(reasons)


def test_categories_are_numbered_in_first_seen_order() -> None:
    reasons = [f"{kind} - 25-{k:06d}" for k in range(40) for kind in ("Robbery", "Drugs")]
    _, codes, names, _ = reason_infos(reasons)
    assert names == [reason_info(reasons[0])[1], reason_info(reasons[1])[1]]
    assert codes.tolist() == [0, 1] * 40


CASE_PIECES = ["25-001234", "0", "00", " ", "N/A", "none", "-", "abc", "CR", "7", "x", "é", "\x00"]
case_value = st.lists(st.sampled_from(CASE_PIECES), max_size=4).map("".join)
ascii_case = st.lists(st.sampled_from(CASE_PIECES[:-2]), max_size=4).map("".join)


@settings(max_examples=60, deadline=None)
@given(st.lists(case_value, max_size=200))
def test_case_keys_equals_case_key_item_by_item(values: list[str]) -> None:
    assert case_keys(values) == [case_key(v) for v in values]


@settings(max_examples=40, deadline=None)
@given(st.lists(ascii_case, min_size=40, max_size=200))
def test_case_keys_all_ascii_path(values: list[str]) -> None:
    assert case_keys(values) == [case_key(v) for v in values]


def test_real_exports_reasons_classify_the_same_both_ways(shared_dir: Path) -> None:
    """Every distinct reason and ``Case #`` value of the released files, both ways (compared,
    never copied)."""
    paths = sorted((shared_dir / "data" / "flock_audit").glob("*/*"))
    table = import_files(paths).table
    reasons, cases = list(table.pools["reason"]), list(table.pools["case"])
    assert len(reasons) > 1000
    assert _bulk(reasons) == _one_by_one(reasons)
    assert case_keys(cases) == [case_key(v) for v in cases]
    facts = ReasonFacts.of(reasons)
    assert list(facts.case) == [info[2] for info in _one_by_one(reasons)]
