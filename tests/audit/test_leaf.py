"""The public leaf: canonical bytes, minute times, salted commitments, and the guard that keeps
names, plates and free text out of the public log."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, date, datetime

import pytest

from tests.audit.conftest import PLATE, REASON, USER, search_event
from trustlpr.audit.leaf import (
    PUBLIC_FIELDS,
    canonical_json,
    check_public,
    commitment,
    parse_leaf,
    prepare,
)
from trustlpr.core.errors import FormatError, InputError
from trustlpr.core.events import AuditEvent, EventType

SALT = bytes(range(32))


def test_canonical_json_is_sorted_compact_utf8() -> None:
    assert (
        canonical_json({"b": 1, "a": [True, None, "é"]}) == '{"a":[true,null,"é"],"b":1}'.encode()
    )
    assert canonical_json({"t": datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)}) == (
        b'{"t":"2026-01-02T03:04:05Z"}'
    )
    assert canonical_json({"d": date(2026, 1, 2)}) == b'{"d":"2026-01-02"}'
    with pytest.raises(InputError):
        canonical_json({"x": float("nan")})
    with pytest.raises(InputError):
        canonical_json({"x": object()})
    cycle: dict[str, object] = {}
    cycle["self"] = cycle
    with pytest.raises(InputError):
        canonical_json(cycle)
    nested = {"z": {"b": [1.5, -0.0, 10**20], "a": '\u2028"q"'}, "a": None}
    assert (
        canonical_json(nested)
        == json.dumps(nested, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    )


def test_leaf_shape_and_commitment_opens() -> None:
    entry = prepare(search_event(7), SALT)
    leaf = parse_leaf(entry.leaf)
    assert entry.leaf == canonical_json(leaf)
    assert set(leaf) == {"v", "type", "agency", "time", "public", "commitment"}
    assert leaf["type"] == "search_decided" and leaf["agency"] == "ct-nhpd"
    assert leaf["time"] == "2026-11-01T12:00:00Z"  # 12:00:14.123456 floored to the minute
    assert entry.at == "2026-11-01T12:00:14.123456Z"
    digest = hashlib.sha256(SALT + entry.private_json).digest()
    assert (
        leaf["commitment"]
        == base64.b64encode(digest).decode()
        == commitment(SALT, entry.private_json)
    )
    assert json.loads(entry.private_json)["plate"] == PLATE


def test_fast_envelope_equals_canonical_json() -> None:
    purge = AuditEvent(
        EventType.PURGE,
        datetime(2026, 11, 1, 0, 3, 59, tzinfo=UTC),
        public={"days": ["nonhit:2026-10-10"], "key_ids": ["k1"], "count": 12},
    )
    for event in (purge, search_event(3)):
        entry = prepare(event, SALT)
        assert entry.leaf == canonical_json(parse_leaf(entry.leaf))
    assert parse_leaf(prepare(purge, SALT).leaf)["agency"] is None


def test_no_personal_data_in_the_public_leaf() -> None:
    leaf = prepare(search_event(7), SALT).leaf
    for secret in (PLATE, USER, REASON, "2026-00007"):
        assert secret.encode() not in leaf


def test_fresh_salt_hides_equal_detail() -> None:
    first = prepare(search_event(1), bytes(32))
    second = prepare(search_event(1), bytes([1]) * 32)
    assert parse_leaf(first.leaf)["commitment"] != parse_leaf(second.leaf)["commitment"]


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("name", "Jane Doe"),  # not an allowed key at all
        ("plate", PLATE),
        ("reason", REASON),
        ("purpose", "Stolen Vehicle"),  # free text where a code belongs
        ("purpose", PLATE),  # upper case: looks like a plate, not a code
        ("decision", "allow\n"),  # a trailing newline is text, not a code
        ("list_id", "ncic\n"),
        ("decision", "deny because of reasons"),
        ("reasons", ["vague reason text"]),
        ("reasons", "rule.one"),  # a list is required
        ("requester_state", "Connecticut"),
        ("result_count", -1),
        ("result_count", True),
        ("count", 1.5),
        ("out_of_agency", "no"),
        ("camera_counts", {"Main St camera": 3}),
        ("camera_counts", {"cam-1": "three"}),
        ("days", ["last tuesday"]),
        ("expires_at", "soon"),
        ("list_id", "a" * 65),
    ],
)
def test_guard_refuses_personal_or_free_text(key: str, value: object) -> None:
    with pytest.raises(InputError) as caught:
        check_public({key: value})
    assert caught.value.field == key


def test_guard_accepts_the_documented_shapes() -> None:
    ok = {
        "purpose": "stolen_vehicle",
        "decision": "needs_approval",
        "reasons": ["trust_act.federal", "R-12"],
        "camera_counts": {"cam-1": 10, "north.gate": 0},
        "days": ["nonhit:2026-11-01", "2026-10-31"],
        "key_ids": ["k-2026-11-01"],
        "category": "V",
        "requester_state": "CT",
        "out_of_agency": True,
        "expires_at": "2027-01-01T00:00:00Z",
        "purposes": ["stolen_vehicle", "amber_alert"],
        "list_id": None,  # absent values are dropped
    }
    checked = check_public(ok)
    assert "list_id" not in checked and checked["days"] == ok["days"]
    assert check_public({"days": 3}) == {"days": 3}
    assert check_public({"days": date(2026, 11, 1)}) == {"days": "2026-11-01"}


def test_documented_keys_of_contributing_md_are_all_allowed() -> None:
    listed = ("purpose decision reasons search_type result_count requester_agency requester_state "
              "requester_type out_of_agency camera_counts list_id category outcome action count "
              "days key_ids request_id window_hours").split()  # fmt: skip
    assert set(listed) <= set(PUBLIC_FIELDS)


def test_event_level_checks() -> None:
    naive = AuditEvent(EventType.PURGE, datetime(2026, 11, 1, 12, 0))
    with pytest.raises(InputError, match="aware"):
        prepare(naive, SALT)
    with pytest.raises(InputError, match="unknown audit event type"):
        prepare(AuditEvent("made_up", datetime(2026, 11, 1, tzinfo=UTC)), SALT)  # type: ignore[arg-type]
    with pytest.raises(InputError) as caught:
        prepare(AuditEvent(EventType.PURGE, datetime(2026, 11, 1, tzinfo=UTC), "Town PD"), SALT)
    assert caught.value.field == "agency_id"
    with pytest.raises(InputError):
        prepare("not an event", SALT)  # type: ignore[arg-type]


def test_parse_leaf_refuses_foreign_bytes() -> None:
    with pytest.raises(FormatError):
        parse_leaf(b"\xff\xfe")
    with pytest.raises(FormatError):
        parse_leaf(b'{"v": 2}')
    with pytest.raises(FormatError):
        parse_leaf(b"[1, 2]")
