"""Native JSON reads carry the plate image and the sender's read id (issue 16: the camera
agent sends its crops, and a retried batch stores nothing twice)."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest

from trustlpr.core.errors import InputError
from trustlpr.core.identity import Camera
from trustlpr.ingest import ADAPTERS
from trustlpr.ingest.dedupe import Deduper

from .helpers import plate_crops

CAMERA = Camera(id="cam1", agency_id="nhpd", name="Elm", latitude=41.3, longitude=-72.9)


def _read(uuid: str, crop: bytes | None, when: str = "2026-11-01T11:59:00Z") -> dict:
    read = {"plate": "ABC1234", "observed_at": when, "confidence": 0.9, "uuid": uuid}
    if crop is not None:
        read["plate_crop_jpeg"] = base64.b64encode(crop).decode()
    return read


def test_native_reads_keep_their_crop_and_read_id(shared_dir) -> None:
    _plate, crop = plate_crops(shared_dir, 1)[0]
    body = {"reads": [_read("r-1", crop), _read("r-2", None)]}
    parsed = ADAPTERS["native"].parse(body, CAMERA)
    assert parsed.images == {0: crop}
    assert parsed.links == {0: ("native:r-1",), 1: ("native:r-2",)}


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("plate_crop_jpeg", "%%%", "base64"),
        ("plate_crop_jpeg", base64.b64encode(b"GIF89a....").decode(), "JPEG or PNG"),
        ("uuid", "x" * 300, "at most"),
    ],
)
def test_bad_images_and_ids_name_the_field(field: str, value: str, message: str) -> None:
    read = _read("r-1", None)
    read[field] = value
    with pytest.raises(InputError, match=message) as caught:
        ADAPTERS["native"].parse({"reads": [read]}, CAMERA)
    assert caught.value.field == f"reads[0].{field}"


def test_a_resent_read_id_is_a_duplicate_even_outside_the_window() -> None:
    parsed = ADAPTERS["native"].parse({"reads": [_read("r-1", None)]}, CAMERA)
    later = _read("r-1", None, (datetime(2026, 11, 1, 12, 30, tzinfo=UTC)).isoformat())
    again = ADAPTERS["native"].parse({"reads": [later]}, CAMERA)
    deduper = Deduper(timedelta(seconds=5))
    assert deduper.check(parsed.reads, parsed.links)[0] == [True]
    assert deduper.check(again.reads, again.links)[0] == [False]
