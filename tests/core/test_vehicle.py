from __future__ import annotations

import pytest

from trustlpr.core import InputError
from trustlpr.core.vehicle import BODY_TYPES, COLOURS, MAKES, VehicleAttributes, canonical, checked


def test_aliases_and_spellings_meet_in_one_canonical_value() -> None:
    assert canonical("make", "Chevy") == canonical("make", "CHEVROLET") == "chevrolet"
    assert canonical("make", "VW") == "volkswagen"
    assert canonical("make", "Mercedes Benz") == "mercedes-benz"
    assert canonical("colour", "Gray") == canonical("colour", "grey") == "grey"
    assert canonical("vehicle_type", "pickup-truck") == canonical("vehicle_type", "Truck")
    assert canonical("vehicle_type", "suv-crossover") == "suv"
    assert canonical("colour", None) is None
    assert canonical("colour", "mauve") is None


def test_every_canonical_value_is_its_own_canonical_form() -> None:
    for kind, vocabulary in (("make", MAKES), ("colour", COLOURS), ("vehicle_type", BODY_TYPES)):
        for value in vocabulary:
            assert checked(kind, value) == value


def test_an_unknown_value_is_refused_with_the_accepted_values() -> None:
    with pytest.raises(InputError) as caught:
        VehicleAttributes.parse(colour="mauve")
    assert caught.value.field == "colour"
    assert "'mauve'" in str(caught.value) and "grey" in str(caught.value)


def test_an_attribute_search_names_at_least_one_attribute() -> None:
    with pytest.raises(InputError):
        VehicleAttributes.parse(make="  ", colour=None)


def test_matches_compares_canonical_values() -> None:
    blue_chevy = VehicleAttributes.parse(make="chevy", colour="blue")
    assert blue_chevy.matches("Chevrolet", "Navy", None)
    assert not blue_chevy.matches("Chevrolet", None, None)
    assert not blue_chevy.matches("Ford", "blue", "sedan")
