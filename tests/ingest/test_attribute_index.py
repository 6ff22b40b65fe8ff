"""The senders' vehicle attributes reach the store's attribute indexes (issue 15 item 2)."""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

from trustlpr.core.vehicle import VehicleAttributes
from trustlpr.ingest import ADAPTERS
from trustlpr.store import SQLiteReadStore
from trustlpr.store.factory import key_rings

from . import payloads as p
from .test_adapters import CAMERA, WHEN


def test_openalpr_and_plate_recognizer_attributes_are_searchable(tmp_path: Path) -> None:
    group = p.openalpr_group(7, "AB1234", WHEN, WHEN + timedelta(seconds=2), ["u1"])
    snapshot = p.pr_snapshot("elm-nb", WHEN, [p.pr_result("CD5678", 0.9)])
    reads = [
        *ADAPTERS["openalpr"].parse(group, CAMERA).reads,
        *ADAPTERS["platerecognizer"].parse(snapshot, CAMERA).reads,
    ]
    assert [(r.make, r.colour, r.vehicle_type) for r in reads] == [
        ("toyota", "silver-gray", "sedan-standard"),
        ("Honda", "black", "Sedan"),
    ]
    store = SQLiteReadStore(tmp_path / "reads", key_rings(tmp_path, secrets.token_bytes(32)))
    try:
        store.append(reads)
        start, end = WHEN - timedelta(hours=1), WHEN + timedelta(hours=1)

        def plates(**words: str) -> list[str]:
            found = store.find_vehicles(VehicleAttributes.parse(**words), start, end)
            return sorted(s.read.plate for s in found)

        assert plates(make="Toyota", colour="silver", vehicle_type="sedan") == ["AB1234"]
        assert plates(make="honda", colour="black") == ["CD5678"]
        assert plates(vehicle_type="car") == ["AB1234", "CD5678"]
        assert plates(colour="white") == []  # the runner-up colour is not indexed
    finally:
        store.close()
