"""Possible matches only where a misread is plausible, ranked; checked against a plain judge.

The matcher finds candidates through one confusion-key lookup and judges them with ``Doubt``;
``plain_possibles`` below judges every entry of the list one by one from the rule as written
in docs/hotlist.md ("Possible matches"), so the two must agree on any list and any read.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import FakeClock
from trustlpr import assets
from trustlpr.core.errors import InputError
from trustlpr.core.plateformats import PlateFormats
from trustlpr.core.plates import confusion_key
from trustlpr.core.reads import Read, read_from_mapping
from trustlpr.hotlist import HotlistMatcher, Why
from trustlpr.hotlist.matcher import CHAR_DOUBT, STATE_DOUBT, ListIndex

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
LATER = (T0 + timedelta(days=1)).timestamp()
FORMATS = assets.plate_formats()
SURE, DOUBTFUL = 0.97, 0.55


def read(plate: str, state: str | None, chars: tuple[float, ...] | None = None,
         state_conf: float | None = None) -> Read:  # fmt: skip
    return Read(plate, state, 0.9, T0, "cam-1", "ag", 41.3, -72.9,
                char_confidences=chars, state_confidence=state_conf)  # fmt: skip


def matcher(*entries: tuple[str, str], formats: PlateFormats | None = FORMATS) -> HotlistMatcher:
    m = HotlistMatcher(FakeClock(T0), formats=formats)
    index = ListIndex("ncic")
    for i, (plate, state) in enumerate(entries, start=1):
        index.add(i, plate, state, "V", LATER)
    m.install(index)
    return m


def sure(plate: str, *doubtful: int) -> tuple[float, ...]:
    return tuple(DOUBTFUL if i in doubtful else SURE for i in range(len(plate)))


# -- other state ------------------------------------------------------------------------------


def test_confident_state_read_of_a_fitting_plate_raises_no_other_state_possible() -> None:
    # ABC1234 fits both NY and PA formats: a confident NY read is a NY car.
    m = matcher(("ABC1234", "PA"))
    assert not m.match(read("ABC1234", "NY", state_conf=SURE))
    (cand,) = m.match(read("ABC1234", "NY", state_conf=DOUBTFUL)).possible
    assert cand.why is Why.STATE_DIFFERS and cand.plausibility == pytest.approx(1 - DOUBTFUL)


def test_plate_that_fits_no_format_of_the_read_state_is_possible_however_confident() -> None:
    assert FORMATS.fits("AB12345", "NY") is False  # a CT series, not a NY one
    (cand,) = matcher(("AB12345", "CT")).match(read("AB12345", "NY", state_conf=0.99)).possible
    assert cand.why is Why.STATE_DIFFERS


def test_without_state_confidence_every_other_state_is_possible_as_before() -> None:
    (cand,) = matcher(("ABC1234", "PA")).match(read("ABC1234", "NY")).possible
    assert cand.why is Why.STATE_DIFFERS


def test_no_state_read_stays_possible_whatever_the_confidences() -> None:
    (cand,) = matcher(("ABC1234", "PA")).match(read("ABC1234", None, sure("ABC1234"))).possible
    assert cand.why is Why.STATE_UNKNOWN


# -- confusion --------------------------------------------------------------------------------


def test_confusion_needs_every_differing_character_doubtful() -> None:
    m = matcher(("8OS1234", "CT"))
    assert not m.match(read("BOS1234", "CT", sure("BOS1234"), SURE))
    (cand,) = m.match(read("BOS1234", "CT", sure("BOS1234", 0), SURE)).possible
    assert cand.why is Why.CONFUSION
    # two differing characters, only one of them doubtful: read confidently, not a misread
    m2 = matcher(("8O51234", "CT"))
    assert not m2.match(read("BOS1234", "CT", sure("BOS1234", 0), SURE))
    assert m2.match(read("BOS1234", "CT", sure("BOS1234", 0, 2), SURE)).possible


def test_doubt_on_a_character_that_is_the_same_does_not_count() -> None:
    # position 3 is doubtful but equal; the differing position 0 was read confidently
    assert not matcher(("8OS1234", "CT")).match(read("BOS1234", "CT", sure("BOS1234", 3), SURE))


def test_without_character_confidences_every_sibling_is_possible_as_before() -> None:
    (cand,) = matcher(("8OS1234", "CT")).match(read("BOS1234", "CT", state_conf=SURE)).possible
    assert cand.why is Why.CONFUSION


def test_sibling_in_another_state_needs_the_state_doubtful_too() -> None:
    m = matcher(("8OS1234", "PA"))
    assert not m.match(read("BOS1234", "NY", sure("BOS1234", 0), SURE))
    assert m.match(read("BOS1234", "NY", sure("BOS1234", 0), DOUBTFUL)).possible


def test_non_confusable_characters_never_match() -> None:
    # A/4 look alike to no font here: different confusion keys, nothing found
    assert not matcher(("4BC1234", "CT")).match(read("ABC1234", "CT", sure("ABC1234", 0)))


def test_possibles_are_ranked_most_plausible_first() -> None:
    m = matcher(("ABC1234", "PA"), ("A8C1234", "NY"), ("ABC1234", "CT"))
    chars = (SURE, 0.3, SURE, SURE, SURE, SURE, SURE)
    result = m.match(read("ABC1234", "NY", chars, 0.8))
    plaus = [c.plausibility for c in result.possible]
    assert plaus == sorted(plaus, reverse=True) and len(plaus) == 3
    assert result.possible[0].plate == "A8C1234"  # 1 - 0.3 = 0.7 beats 1 - 0.8 = 0.2


# -- differential: the matcher against a plain judge of every entry -----------------------------


def plain_possibles(
    entries: list[tuple[str, str]], r: Read, formats: PlateFormats | None
) -> set[tuple[int, Why]]:
    """Every entry judged on its own from the written rule (no index, no shortcuts)."""
    out: set[tuple[int, Why]] = set()
    state_ok = (
        r.state_confidence is None
        or r.state_confidence < STATE_DOUBT
        or (formats is not None and r.state is not None and formats.fits(r.plate, r.state) is False)
    )
    for i, (plate, state) in enumerate(entries, start=1):
        if len(plate) != len(r.plate) or confusion_key(plate) != confusion_key(r.plate):
            continue
        if plate == r.plate:
            if state == r.state:
                continue  # an alert, not a possible
            if r.state is None:
                out.add((i, Why.STATE_UNKNOWN))
            elif state_ok:
                out.add((i, Why.STATE_DIFFERS))
            continue
        differ = [k for k in range(len(plate)) if plate[k] != r.plate[k]]
        chars_ok = r.char_confidences is None or all(
            r.char_confidences[k] < CHAR_DOUBT for k in differ
        )
        if chars_ok and (r.state is None or state == r.state or state_ok):
            out.add((i, Why.CONFUSION))
    return out


CONFUSABLE = "ABO0Q8S5Z2I1C"
plates = st.text(alphabet=CONFUSABLE, min_size=4, max_size=7)
states = st.sampled_from(["CT", "NY", "PA", "MA"])
confidence = st.sampled_from([0.2, 0.6, 0.89, 0.9, 0.95, 1.0])


@settings(max_examples=300, deadline=None)
@given(
    entries=st.lists(st.tuples(plates, states), min_size=1, max_size=12),
    pick=st.integers(0, 11),
    flips=st.lists(st.integers(0, 6), max_size=3),
    state=st.one_of(st.none(), states),
    chars=st.one_of(st.none(), st.lists(confidence, min_size=7, max_size=7)),
    state_conf=st.one_of(st.none(), confidence),
    with_formats=st.booleans(),
)
def test_matcher_agrees_with_the_plain_judge(
    entries: list[tuple[str, str]],
    pick: int,
    flips: list[int],
    state: str | None,
    chars: list[float] | None,
    state_conf: float | None,
    with_formats: bool,
) -> None:
    base = list(entries[pick % len(entries)][0])  # a read near a listed plate, siblings swapped
    swap = {"O": "0", "0": "O", "B": "8", "8": "B", "S": "5", "5": "S", "Z": "2", "2": "Z",
            "I": "1", "1": "I", "Q": "O"}  # fmt: skip
    for k in flips:
        if k < len(base):
            base[k] = swap.get(base[k], base[k])
    plate = "".join(base)
    r = read(plate, state, None if chars is None else tuple(chars[: len(plate)]), state_conf)
    formats = FORMATS if with_formats else None
    result = matcher(*entries, formats=formats).match(r)
    assert {(c.entry_id, c.why) for c in result.possible} == plain_possibles(entries, r, formats)
    assert {c.entry_id for c in result.alerts} == {
        i for i, e in enumerate(entries, start=1) if e == (plate, state)
    }
    plaus = [c.plausibility for c in result.possible]
    assert plaus == sorted(plaus, reverse=True) and all(p > 0 for p in plaus)


# -- the read's fields -------------------------------------------------------------------------


def test_read_refuses_confidences_that_do_not_fit_the_plate() -> None:
    with pytest.raises(InputError) as info:
        read("ABC123", "CT", (0.9, 0.9))
    assert info.value.field == "char_confidences"
    with pytest.raises(InputError) as info:
        read("ABC123", "CT", state_conf=1.5)
    assert info.value.field == "state_confidence"


def test_read_from_mapping_takes_the_confidences() -> None:
    raw = {"plate": "abc-123", "state": "CT", "observed_at": "2026-11-01T12:00:00Z",
           "camera_id": "c", "confidence": 0.9, "lat": 41.0, "lon": -72.0,
           "char_confidences": [0.9, 0.8, 1, 0.7, 0.95, 0.99], "state_confidence": 0.6}  # fmt: skip
    r = read_from_mapping(raw)
    assert r.char_confidences == (0.9, 0.8, 1.0, 0.7, 0.95, 0.99) and r.state_confidence == 0.6
    with pytest.raises(InputError) as info:
        read_from_mapping({**raw, "char_confidences": [0.9] * 7})  # normalised plate has 6
    assert info.value.field == "char_confidences"
    with pytest.raises(InputError):
        read_from_mapping({**raw, "char_confidences": [0.9, 0.8, 2, 0.7, 0.95, 0.99]})
