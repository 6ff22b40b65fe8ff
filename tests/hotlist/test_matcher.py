"""Matching: exact plate and state alert; confusion, other or unknown state are only possible."""

from __future__ import annotations

import random
import string
from datetime import UTC, datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from tests.conftest import FakeClock
from tests.hotlist.conftest import make_read
from trustlpr.core.plates import confusion_key
from trustlpr.hotlist import HotlistMatcher, Match, Why
from trustlpr.hotlist.matcher import NO_MATCH, ListIndex

T0 = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)
LATER = (T0 + timedelta(days=1)).timestamp()


def matcher(*entries: tuple[str, str, str], clock: FakeClock | None = None) -> HotlistMatcher:
    m = HotlistMatcher(clock or FakeClock(T0))
    index = ListIndex("ncic")
    for i, (plate, state, category) in enumerate(entries, start=1):
        index.add(i, plate, state, category, LATER)
    m.install(index)
    return m


def test_exact_plate_and_state_is_an_alert() -> None:
    result = matcher(("ABC1234", "CT", "V")).match(make_read("ABC1234", "CT", T0))
    assert result.hit
    (cand,) = result.alerts
    assert (cand.entry_id, cand.list_id, cand.category, cand.why) == (1, "ncic", "V", Why.EXACT)
    assert result.possible == ()


def test_confusion_sibling_is_only_possible() -> None:
    m = matcher(("8OS1234", "CT", "V"))
    for seen in ("BOS1234", "8051234", "B0S1234", "BQ51234"):
        result = m.match(make_read(seen, "CT", T0))
        assert not result.hit, seen
        assert [c.why for c in result.possible] == [Why.CONFUSION], seen


def test_other_or_unknown_state_is_only_possible() -> None:
    m = matcher(("ABC1234", "CT", "V"))
    other = m.match(make_read("ABC1234", "NY", T0))
    assert not other.hit and [c.why for c in other.possible] == [Why.STATE_DIFFERS]
    unknown = m.match(make_read("ABC1234", None, T0))
    assert not unknown.hit and [c.why for c in unknown.possible] == [Why.STATE_UNKNOWN]


def test_edit_distance_one_outside_the_confusion_map_does_not_match() -> None:
    m = matcher(("ABC1234", "CT", "V"))
    for seen in ("ABC1235", "ABD1234", "ABC123", "XABC1234", "A8C1234X"):
        assert m.match(make_read(seen, "CT", T0)) is NO_MATCH, seen


def test_same_plate_in_two_states_gives_one_alert_and_one_possible() -> None:
    result = matcher(("ABC1234", "CT", "V"), ("ABC1234", "NY", "W")).match(
        make_read("ABC1234", "NY", T0)
    )
    assert [(c.state, c.why) for c in result.alerts] == [("NY", Why.EXACT)]
    assert [(c.state, c.why) for c in result.possible] == [("CT", Why.STATE_DIFFERS)]


def test_expired_entries_never_match() -> None:
    clock = FakeClock(T0)
    m = matcher(("ABC1234", "CT", "V"), clock=clock)
    assert m.match(make_read("ABC1234", "CT", T0)).hit
    clock.advance(days=1)
    assert not m.match(make_read("ABC1234", "CT", T0))
    assert not m.match(make_read("ABC1234", "CT", T0), at=T0 + timedelta(days=2))


def test_retired_entry_stops_matching_and_install_swaps_lists() -> None:
    m = matcher(("ABC1234", "CT", "V"), ("ABC1234", "MA", "V"))
    index = m.get("ncic")
    assert index is not None and index.retire(1, "ABC1234")
    assert not index.retire(99, "ABC1234")
    assert not m.match(make_read("ABC1234", "CT", T0)).hit
    replacement = ListIndex("ncic")
    replacement.add(5, "XYZ9", "CT", "A", LATER)
    assert m.install(replacement) is index
    assert m.match(make_read("XYZ9", "CT", T0)).hit
    assert not m.match(make_read("ABC1234", "MA", T0))
    assert m.remove("ncic") is replacement and m.lists == ()


def test_lists_are_matched_together() -> None:
    m = matcher(("ABC1234", "CT", "V"))
    local = ListIndex("local")
    local.add(10, "ABC1234", "CT", "BOLO", LATER)
    m.install(local)
    result = m.match(make_read("ABC1234", "CT", T0))
    assert sorted((c.list_id, c.category) for c in result.alerts) == [
        ("local", "BOLO"),
        ("ncic", "V"),
    ]
    assert m.active_count(T0) == 2


def test_reprs_mask_plates() -> None:
    result = matcher(("ABC1234", "CT", "V")).match(make_read("ABC1234", "CT", T0))
    assert "ABC1234" not in repr(result)
    assert "ABC1234" not in repr(result.alerts[0])


PLATE = st.text(alphabet=string.ascii_uppercase + string.digits, min_size=2, max_size=8)


@given(listed=PLATE, seen=PLATE)
def test_property_alert_iff_equal_and_possible_iff_same_confusion_key(
    listed: str, seen: str
) -> None:
    m = matcher((listed, "CT", "V"))
    result: Match = m.match(make_read(seen, "CT", T0))
    assert result.hit == (seen == listed)
    assert bool(result.possible) == (
        seen != listed and confusion_key(seen) == confusion_key(listed)
    )


def test_false_possible_rate_on_random_innocent_plates_is_small() -> None:
    rng = random.Random(7)
    alphabet = string.ascii_uppercase + string.digits
    listed = {"".join(rng.choices(alphabet, k=7)) for _ in range(20_000)}
    m = matcher(*((p, "CT", "V") for p in listed))
    innocent = ["".join(rng.choices(alphabet, k=7)) for _ in range(20_000)]
    flagged = sum(1 for p in innocent if p not in listed and m.match_plate(p, "CT", T0.timestamp()))
    assert flagged / len(innocent) < 0.001
