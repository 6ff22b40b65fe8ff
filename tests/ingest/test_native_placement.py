"""A fixed camera's native reads are built once at its registered place (the fast path) and are
exactly the reads of building them where the sender said and then moving them there: the same
``Read``s, the same reported positions, the same refusals naming the same field."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from trustlpr.core.errors import InputError
from trustlpr.core.identity import Camera
from trustlpr.core.reads import read_from_mapping
from trustlpr.ingest.native import NativeJSONAdapter
from trustlpr.ingest.parsing import Position, Rejection, relocate

FIXED = Camera("elm", "nhpd", "Elm St", 41.3081, -72.9282, direction=270.0)
NOW = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)

coordinates = st.one_of(
    st.none(),
    st.just(""),
    st.floats(),  # with NaN, infinities and out-of-range values
    st.integers(-400, 400),
    st.integers(),
    st.booleans(),
    st.sampled_from(["41.3", "-72.9", "north", "1e999"]),
)


def _reference(raw: dict[str, Any]) -> tuple[Any, Position | None, Rejection | None]:
    """The read as it was built before the fast path: where the sender said, then moved."""
    fields = dict(raw)
    lat, lon = fields.get("lat", fields.get("latitude")), fields.get("lon", fields.get("longitude"))
    if lat in (None, "") and lon in (None, ""):
        fields["lat"], fields["lon"] = FIXED.latitude, FIXED.longitude
    if fields.get("direction") in (None, ""):
        fields["direction"] = FIXED.direction
    try:
        read = read_from_mapping(fields, agency_id=FIXED.agency_id, camera_id=FIXED.id)
    except InputError as exc:
        moved = relocate(exc, "reads[0]")
        return None, None, Rejection("reads[0]", moved.field, moved.reason)
    reported = Position(read.latitude, read.longitude, "lat")
    return replace(read, latitude=FIXED.latitude, longitude=FIXED.longitude), reported, None


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    lat=coordinates,
    lon=coordinates,
    long_names=st.booleans(),
    direction=st.sampled_from([None, 90, 45.5, 400, "x"]),
    plate=st.sampled_from(["AB 1234", "XY987", "", "!!"]),
)
@example(lat=41.31, lon=-72.93, long_names=False, direction=None, plate="AB1234")
@example(lat=91.0, lon=-72.93, long_names=False, direction=400, plate="AB1234")
@example(lat=41, lon=-73, long_names=True, direction=None, plate="AB1234")
@example(lat=None, lon=None, long_names=False, direction=None, plate="AB1234")
def test_a_fixed_cameras_read_is_the_read_moved_to_its_place(
    lat: Any, lon: Any, long_names: bool, direction: Any, plate: str
) -> None:
    raw: dict[str, Any] = {"plate": plate, "observed_at": NOW.isoformat(), "confidence": 0.9}
    names = ("latitude", "longitude") if long_names else ("lat", "lon")
    for name, value in zip(names, (lat, lon), strict=True):
        if value is not None:
            raw[name] = value
    if direction is not None:
        raw["direction"] = direction
    plain = {"plate": "ZZ111", "observed_at": NOW.isoformat(), "confidence": 0.9}
    parsed = NativeJSONAdapter().parse({"reads": [raw, plain]}, FIXED)
    read, reported, rejection = _reference(raw)
    if rejection is not None:
        assert parsed.rejected == [rejection]
        assert [r.plate for r in parsed.reads] == ["ZZ111"]
    else:
        assert not parsed.rejected
        assert parsed.reads[0] == read
        assert type(parsed.reads[0].latitude) is type(read.latitude)
        assert parsed.positions[0] == reported
        assert parsed.reads[0].latitude == FIXED.latitude
