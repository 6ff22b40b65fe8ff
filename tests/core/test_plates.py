from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from trustlpr.core import PlateError, confusion_key, normalize_plate, normalize_region


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("ab 123", "AB123"), ("7-ABC.123", "7ABC123"), ("  xy\t9 ", "XY9"), ("A1", "A1")],
)
def test_normalize_strips_separators_and_uppercases(raw: str, expected: str) -> None:
    assert normalize_plate(raw) == expected


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("", "empty"),
        (" - . ", "empty"),
        ("A", "at least 2"),
        ("ABCDEFGHIJK", "at most 10"),
        ("AB_12", "'_'"),
        ("ÄB12", "U+00C4"),
        ("AB12\x00", "U+0000"),
        ("x" * 100, "before normalisation"),
    ],
)
def test_normalize_rejects_with_precise_reason(raw: str, fragment: str) -> None:
    with pytest.raises(PlateError) as info:
        normalize_plate(raw)
    assert fragment in info.value.message
    assert info.value.field == "plate"


def test_confusion_key_maps_only_the_narrow_classes() -> None:
    assert confusion_key("OQIBSZ") == "001852"
    assert confusion_key("ACDEFG") == "ACDEFG"


@given(st.text(max_size=20))
def test_normalize_either_returns_canonical_or_raises(raw: str) -> None:
    try:
        plate = normalize_plate(raw)
    except PlateError:
        return
    assert plate == normalize_plate(plate)
    assert 2 <= len(plate) <= 10 and plate.isalnum() and plate.isascii() and plate.upper() == plate


def test_region_accepts_iso_prefixes_and_rejects_unknown() -> None:
    assert normalize_region("us-ct") == "CT"
    assert normalize_region("") is None
    with pytest.raises(PlateError, match="unknown issuing"):
        normalize_region("XX")
