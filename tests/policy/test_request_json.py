"""The request wire format: round trip, and a precise error for every kind of bad field."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from trustlpr.core.errors import InputError, PlateError
from trustlpr.core.search import SearchType
from trustlpr.policy import request_from_json, request_to_json

from .corpus import base_request


def _request(**change: Any) -> dict[str, Any]:
    request = base_request("CT")
    request["id"] = "r1"
    request.update(change)
    return request


def test_round_trip() -> None:
    obj = _request(warrant_id="SW-1", owner_agency_id="hartford-pd", protected_plate=True)
    obj["query"].update(cameras=["c1", "c2"], include_variants=True)
    parsed = request_from_json(obj)
    assert request_from_json(request_to_json(parsed)) == parsed
    assert parsed.query.cameras == ("c1", "c2") and parsed.query.plate == "AB12345"
    assert parsed.requester.agency_state == "CT" and parsed.now.tzinfo is not None


def test_values_are_normalised() -> None:
    obj = _request(purpose="Stolen_Vehicle", offense_code=" Larceny_Motor_Vehicle ", id=42)
    obj["requester"]["agency_state"] = "ct"
    obj["query"]["plate"] = "ab-123 45"
    parsed = request_from_json(obj)
    assert parsed.id == "42" and parsed.purpose.value == "stolen_vehicle"
    assert parsed.offense_code == "larceny_motor_vehicle"
    assert parsed.requester.agency_state == "CT" and parsed.query.plate == "AB12345"


def test_partial_pattern() -> None:
    obj = _request()
    obj["query"].update(type="partial", plate=None, pattern="ab-1?3*")
    parsed = request_from_json(obj)
    assert parsed.query.type is SearchType.PARTIAL and parsed.query.pattern == "AB1?3*"
    obj["query"]["pattern"] = "AB[12]"
    with pytest.raises(InputError) as caught:
        request_from_json(obj)
    assert caught.value.field == "query.pattern"


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        (("purpose",), None, "purpose"),
        (("purpose",), "pizza", "purpose"),
        (("legal_basis",), "probable_cause", "legal_basis"),
        (("reason",), ["a"], "reason"),
        (("reason",), "x" * 3000, "reason"),
        (("id",), "", "id"),
        (("id",), "has space", "id"),
        (("id",), True, "id"),
        (("now",), "2026-11-10 12:00", "now"),
        (("now",), None, "now"),
        (("protected_plate",), 1, "protected_plate"),
        (("requester", "agency_state"), "Connecticut", "requester.agency_state"),
        (("requester", "agency_type"), "tribal", "requester.agency_type"),
        (("requester", "user_id"), " ", "requester.user_id"),
        (("requester", "role"), None, "requester.role"),
        (("requester",), "hartford", "requester"),
        (("query",), [], "query"),
        (("query", "type"), "freeform", "query.type"),
        (("query", "cameras"), [1, 2], "query.cameras"),
        (("query", "window_start"), True, "query.window_start"),
        (("query", "include_variants"), "yes", "query.include_variants"),
    ],
)
def test_bad_field_is_named(path: tuple[str, ...], value: Any, field: str) -> None:
    obj = _request()
    target = obj
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    with pytest.raises(InputError) as caught:
        request_from_json(obj)
    assert caught.value.field == field


@pytest.mark.parametrize(
    "key", ["id", "requester", "purpose", "case_number", "legal_basis", "reason", "query", "now"]
)
def test_missing_required_field_is_named(key: str) -> None:
    obj = _request()
    del obj[key]
    with pytest.raises(InputError, match="is missing") as caught:
        request_from_json(obj)
    assert caught.value.field == key


def test_unknown_fields_are_refused() -> None:
    with pytest.raises(InputError, match="unknown field") as caught:
        request_from_json(_request(urgent=True))
    assert caught.value.field == "urgent"
    obj = _request()
    obj["query"]["radius_km"] = 50
    with pytest.raises(InputError) as caught:
        request_from_json(obj)
    assert caught.value.field == "query.radius_km"


def test_bad_plate_is_a_plate_error() -> None:
    obj = copy.deepcopy(_request())
    obj["query"]["plate"] = "AB$1"
    with pytest.raises(PlateError):
        request_from_json(obj)


def test_not_an_object() -> None:
    for value in ([], "request", 3, None):
        with pytest.raises(InputError, match="JSON object"):
            request_from_json(value)


def test_attribute_query_round_trips_in_canonical_words() -> None:
    obj = _request()
    obj["query"].update(type="attribute", plate=None, make="Chevy", colour="gray", pattern="7k*")
    parsed = request_from_json(obj)
    assert parsed.query.type is SearchType.ATTRIBUTE and parsed.query.vehicle is not None
    assert (parsed.query.vehicle.make, parsed.query.vehicle.colour) == ("chevrolet", "grey")
    assert parsed.query.vehicle.vehicle_type is None and parsed.query.pattern == "7K*"
    assert request_from_json(request_to_json(parsed)) == parsed


@pytest.mark.parametrize(
    ("change", "field", "words"),
    [
        ({"type": "attribute", "colour": "mauve"}, "query.colour", "accepted: black, blue"),
        ({"type": "attribute", "vehicle_type": "hovercraft"}, "query.vehicle_type", "sedan"),
        ({"type": "attribute"}, "query.make", "at least one of make, colour"),
        ({"type": "exact", "make": "ford"}, "query.make", "only an attribute search"),
    ],
)
def test_bad_attribute_query_is_named(change: dict[str, Any], field: str, words: str) -> None:
    obj = _request()
    obj["query"].update(change)
    with pytest.raises(InputError) as caught:
        request_from_json(obj)
    assert caught.value.field == field and words in str(caught.value)
