"""The typed fast path of ``read_from_mapping`` against the general path: for any mapping,
both give the same ``Read`` (field by field, types included) or the same error."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from trustlpr.core import read_from_mapping
from trustlpr.core.errors import InputError
from trustlpr.core.reads import Read, _checked_read, _typed_read

TYPICAL = {
    "plate": "AB12345",
    "state": "CT",
    "observed_at": "2026-11-01T12:00:01.250000+00:00",
    "camera_id": "cam-1",
    "confidence": 0.9,
    "lat": 41.3,
    "lon": -72.9,
}

_texts = st.one_of(
    st.none(),
    st.sampled_from(
        ["", " ", "cam-1", " cam-1", "cam-1 ", "cam\x001", "nhpd", "x" * 201, "\u200b"]
    ),
    st.text(max_size=8),
    st.integers(-5, 5),
    st.booleans(),
    st.lists(st.integers(), max_size=1),
)
_numbers = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(-200.0, 200.0),
    st.integers(-200, 200),
    st.sampled_from(["0.9", "", "x", None, True, 10**400]),
)
_plates = st.one_of(
    st.sampled_from(["AB12345", "ab12345", "AB-123", "A", "A" * 11, "AB 12", "ÅB123", "", "1O0"]),
    st.from_regex(r"[A-Z0-9]{1,11}", fullmatch=True),
    st.text(max_size=12),
    st.none(),
    st.integers(),
)
_states = st.one_of(
    st.sampled_from(["CT", "ct", " CT", "US-CT", "ON", "ZZ", "", "CTX"]),
    st.none(),
    st.integers(),
    st.lists(st.text(max_size=2), max_size=1),
)
_times = st.one_of(
    st.sampled_from(
        [
            "2026-11-01T12:00:01Z",
            "2026-11-01T12:00:01.250000+00:00",
            "2026-11-01T14:00:01+02:00",
            "2026-11-01T12:00:01",
            "2026-11-01",
            "yesterday",
            "",
            "2026-11-01T12:00:01" + " " * 40 + "Z",
        ]
    ),
    st.none(),
    st.integers(0, 2_000_000_000),
    st.floats(allow_nan=True),
    st.booleans(),
)
_fields = {
    "plate": _plates,
    "state": _states,
    "observed_at": _times,
    "camera_id": _texts,
    "confidence": _numbers,
    "lat": _numbers,
    "lon": _numbers,
    "agency_id": _texts,
    "make": _texts,
    "latitude": _numbers,
    "confidence_scale": st.sampled_from(["percent", "unit"]),
}


@st.composite
def _mappings(draw: st.DrawFn) -> dict[str, Any]:
    raw = dict(TYPICAL)
    for name in draw(st.lists(st.sampled_from(sorted(_fields)), max_size=4, unique=True)):
        raw[name] = draw(_fields[name])
    for name in draw(st.lists(st.sampled_from(sorted(TYPICAL)), max_size=2, unique=True)):
        if draw(st.booleans()):
            del raw[name]
    return raw


def _outcome(build: Any) -> tuple[object, ...]:
    try:
        read = build()
    except InputError as exc:
        return ("error", type(exc), str(exc), exc.field)
    assert isinstance(read, Read)
    return ("read", *((type(v), v) for v in (getattr(read, f.name) for f in fields(Read))))


@settings(max_examples=600, deadline=None)
@given(
    raw=_mappings(),
    agency_id=st.sampled_from([None, "", "elm"]),
    camera_id=st.sampled_from([None, "", "cam-9"]),
)
def test_the_typed_path_answers_as_the_general_path(
    raw: dict[str, Any], agency_id: str | None, camera_id: str | None
) -> None:
    fast = _outcome(lambda: read_from_mapping(raw, agency_id=agency_id, camera_id=camera_id))
    plain = _outcome(lambda: _checked_read(raw, agency_id, camera_id))
    assert fast == plain


def test_typical_camera_mappings_take_the_typed_path() -> None:
    """Otherwise the differential test above would compare the general path with itself."""
    for raw in (TYPICAL, {**TYPICAL, "observed_at": "2026-11-01T12:00:01Z", "state": None}):
        typed = _typed_read(raw, None, None)
        assert typed is not None
        assert typed == _checked_read(raw, None, None)
    assert _typed_read({**TYPICAL, "plate": "ab12345"}, None, None) is None


def test_a_blank_camera_id_is_refused_as_input() -> None:
    """It raised AssertionError (a 500) before: ``_text`` strips "  " to nothing."""
    with pytest.raises(InputError, match="is required") as caught:
        read_from_mapping({**TYPICAL, "camera_id": "   "})
    assert caught.value.field == "camera_id"
