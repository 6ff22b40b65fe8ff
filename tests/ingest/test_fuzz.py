"""Hypothesis on every adapter: arbitrary and mutated payloads never crash a parser, and
every rejection is an ``InputError`` that names where (a field; for CSV a line or field)."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trustlpr.core.errors import InputError
from trustlpr.core.identity import Camera
from trustlpr.ingest import ADAPTERS, FormPayload

from . import payloads as p

CAMERA = Camera(id="c1", agency_id="a1", name="Cam", latitude=41.3, longitude=-72.9)
WHEN = datetime(2026, 11, 1, 12, 0, tzinfo=UTC)

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.sampled_from(
        [
            "",
            "AB12345",
            "ct",
            "us-ct",
            "2026-11-01T12:00:00Z",
            "lpr",
            "alpr_group",
            "/9j/4AAQ",
            "recognition",
            "x" * 300,
            "\x00",
            "1e400",
        ]
    ),
)
json_values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=12), inner, max_size=4)
    ),
    max_leaves=12,
)

BASES: dict[str, list[Any]] = {
    "openalpr": [
        p.openalpr_results(1, "u", WHEN, [p.openalpr_result("AB12345", 90.0, None)]),
        p.openalpr_group(1, "AB12345", WHEN, WHEN, ["u1", "u2"]),
        p.openalpr_alert(p.openalpr_group(1, "AB12345", WHEN, WHEN, ["u1"])),
        p.openalpr_heartbeat([(1, "Cam")], WHEN),
    ],
    "platerecognizer": [
        p.pr_snapshot("c1", WHEN, [p.pr_result("ab1234", 0.9)]),
        p.pr_stream("c1", WHEN, [p.pr_result("ab1234", 0.9, direction=90)]),
    ],
    "frigate": [
        p.frigate_event("c1", "1.2-x", "AB1234", 0.9, WHEN),
        p.frigate_lpr("c1", "1.2-x", "AB1234", 0.9, WHEN),
    ],
    "native": [
        {
            "reads": [
                {
                    "plate": "AB1234",
                    "observed_at": "2026-11-01T12:00:00Z",
                    "confidence": 0.9,
                    "state": "CT",
                    "make": "Ford",
                    "direction": 90,
                }
            ]
        },
    ],
}


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += _paths(item, (*prefix, i))
    return found


def _mutate(base: Any, path: tuple[Any, ...], new: Any) -> Any:
    if not path:
        return new
    copied = copy.deepcopy(base)
    target = copied
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = new
    return copied


@st.composite
def mutated(draw: st.DrawFn, adapter: str) -> Any:
    base = draw(st.sampled_from(BASES[adapter]))
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(_paths(base)))
        base = _mutate(base, path, draw(json_values))
    return base


def _check(adapter: str, payload: Any) -> None:
    try:
        parsed = ADAPTERS[adapter].parse(payload, CAMERA)
    except InputError as exc:
        assert exc.field, f"{adapter} rejected without naming a field: {exc.message}"
        return
    for read in parsed.reads:
        assert 0.0 <= read.confidence <= 1.0
        assert read.observed_at.tzinfo is not None
        assert read.camera_id == "c1"
    assert all(0 <= i < len(parsed.reads) for i in parsed.images)


FUZZ = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(st.data())
def test_openalpr_never_crashes(data: st.DataObject) -> None:
    _check("openalpr", data.draw(st.one_of(mutated("openalpr"), json_values)))


@FUZZ
@given(st.data())
def test_platerecognizer_never_crashes(data: st.DataObject) -> None:
    payload = data.draw(st.one_of(mutated("platerecognizer"), json_values))
    _check("platerecognizer", payload)
    as_form = FormPayload(
        {"json": json.dumps(payload, allow_nan=True)},
        {"upload": data.draw(st.one_of(st.binary(max_size=64), st.just(b"\xff\xd8\xff\xe0")))},
    )
    _check("platerecognizer", as_form)


@FUZZ
@given(st.data())
def test_frigate_never_crashes(data: st.DataObject) -> None:
    _check("frigate", data.draw(st.one_of(mutated("frigate"), json_values)))


@FUZZ
@given(st.data())
def test_native_json_never_crashes(data: st.DataObject) -> None:
    _check("native", data.draw(st.one_of(mutated("native"), json_values)))


@FUZZ
@given(
    st.one_of(
        st.binary(max_size=300),
        st.lists(
            st.lists(
                st.one_of(
                    st.text(max_size=12),
                    st.sampled_from(["AB12", "0.5", "2026-11-01T12:00:00Z", '"', ","]),
                ),
                max_size=6,
            ),
            max_size=5,
        ).map(
            lambda rows: "\n".join(
                ["plate,observed_at,confidence,state"] + [",".join(r) for r in rows]
            ).encode()
        ),
    )
)
def test_native_csv_never_crashes(content: bytes) -> None:
    try:
        parsed = ADAPTERS["native_csv"].parse(content, CAMERA)
    except InputError as exc:
        assert exc.field or exc.line, f"csv rejected without a field or line: {exc.message}"
        return
    assert all(read.camera_id == "c1" for read in parsed.reads)
