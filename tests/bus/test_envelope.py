"""The bus envelope: a batch survives encoding and sealing exactly; anything else is refused
with the error the writer dead-letters on; the id names the payload, not the plates."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from trustlpr.bus import Batch, BusCipher, decode, encode
from trustlpr.bus.envelope import Sealed
from trustlpr.core.errors import InputError, KeyDestroyedError, VerificationError
from trustlpr.core.reads import Read
from trustlpr.keys import KeyRing

from ..conftest import FakeClock

ROOT = b"r" * 32


def _read(plate: str = "AB1234", **kw: object) -> Read:
    values: dict[str, object] = {
        "plate": plate,
        "state": "CT",
        "confidence": 0.91,
        "observed_at": datetime(2026, 3, 4, 5, 6, 7, 891011, tzinfo=UTC),
        "camera_id": "elm",
        "agency_id": "nhpd",
        "latitude": 41.3,
        "longitude": -72.9,
        "direction": 270.0,
        "make": "Honda",
        "country": "US",
    }
    values.update(kw)
    return Read(**values)  # type: ignore[arg-type]


def _batch() -> Batch:
    return Batch(
        "elm",
        [_read(), _read("XY987", state=None, make=None, direction=None)],
        images={1: b"\xff\xd8jpeg\x00bytes"},
        links={0: ["uuid-1#0", "uuid-1#1"]},
        consensus=frozenset({1}),
    )


def test_a_batch_round_trips_exactly() -> None:
    batch = _batch()
    again = decode(encode(batch))
    assert again == batch
    assert encode(again) == encode(batch)  # canonical: equal batches, equal bytes


@pytest.mark.parametrize(
    "data",
    [
        b"not json",
        b"[]",
        json.dumps({"v": 2, "camera_id": "elm", "reads": []}).encode(),
        json.dumps({"v": 1, "camera_id": "elm"}).encode(),
    ],
)
def test_what_is_not_a_batch_is_an_input_error(data: bytes) -> None:
    with pytest.raises(InputError):
        decode(data)


def test_a_read_that_breaks_the_read_invariants_is_refused() -> None:
    doc = json.loads(encode(_batch()))
    doc["reads"][0]["confidence"] = 7.0
    with pytest.raises(InputError):
        decode(json.dumps(doc).encode())
    doc = json.loads(encode(_batch()))
    doc["images"] = {"5": "AAAA"}  # an image of a read the batch does not have
    with pytest.raises(InputError, match="outside"):
        decode(json.dumps(doc).encode())


def test_sealing_round_trips_and_the_id_names_the_payload(tmp_path: Path) -> None:
    clock = FakeClock(datetime(2026, 3, 4, 12, tzinfo=UTC))
    cipher = BusCipher(KeyRing(tmp_path, ROOT, "nonhit"), "S1", clock=clock)
    plain = encode(_batch())
    sealed = cipher.seal(plain)
    assert sealed.key_id == "nonhit:2026-03-04"
    assert cipher.open(sealed) == plain
    assert b"AB1234" not in sealed.data and "AB1234" not in sealed.msg_id
    again = cipher.seal(plain)
    assert again.msg_id == sealed.msg_id  # a camera's retry is the same message
    assert again.data != sealed.data  # with a fresh nonce
    other = cipher.seal(encode(Batch("elm", [_read("AB1235")])))
    assert other.msg_id != sealed.msg_id


def test_a_message_moved_or_changed_does_not_open(tmp_path: Path) -> None:
    clock = FakeClock(datetime(2026, 3, 4, 12, tzinfo=UTC))
    ring = KeyRing(tmp_path, ROOT, "nonhit")
    cipher = BusCipher(ring, "S1", clock=clock)
    sealed = cipher.seal(encode(_batch()))
    flipped = bytearray(sealed.data)
    flipped[20] ^= 1
    for bad in (
        Sealed(sealed.msg_id, sealed.key_id, bytes(flipped)),
        Sealed("0" * 36, sealed.key_id, sealed.data),  # another id
        Sealed(sealed.msg_id, "hit:2026-03-04", sealed.data),  # another ring
        Sealed(sealed.msg_id, "nonhit:yesterday", sealed.data),
    ):
        with pytest.raises(VerificationError):
            cipher.open(bad)
    with pytest.raises(VerificationError):  # another node's stream
        BusCipher(ring, "S2", clock=clock).open(sealed)


def test_a_destroyed_day_cannot_be_opened_and_a_front_end_forgets_old_days(
    tmp_path: Path,
) -> None:
    clock = FakeClock(datetime(2026, 3, 4, 23, 59, tzinfo=UTC))
    ring = KeyRing(tmp_path, ROOT, "nonhit")
    front = BusCipher(ring, "S1", clock=clock)
    sealed = front.seal(encode(_batch()))
    clock.advance(minutes=2)
    front.seal(encode(_batch()))  # the next day
    assert ring._cache.keys() == {clock().date()}  # the old day's key left memory
    writer = BusCipher(KeyRing(tmp_path, ROOT, "nonhit"), "S1", clock=clock)
    assert writer.open(sealed) == encode(_batch())
    writer_ring = writer._ring
    writer_ring.destroy(clock().date() - timedelta(days=1))
    with pytest.raises(KeyDestroyedError):
        writer.open(sealed)


def test_a_batch_from_a_front_end_older_than_speed_still_decodes() -> None:
    """A rolling upgrade: a batch published before ``Read.speed`` existed has reads without
    the field; the new writer takes them (speed None) instead of dead-lettering them."""
    doc = json.loads(encode(_batch()))
    for row in doc["reads"]:
        del row["speed"]
    old = json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()
    assert b'"speed"' not in old
    again = decode(old)
    assert again == _batch()
    assert [r.speed for r in again.reads] == [None, None]


def test_a_read_with_a_missing_required_or_an_unknown_field_is_still_refused() -> None:
    doc = json.loads(encode(_batch()))
    del doc["reads"][0]["latitude"]
    with pytest.raises(InputError, match="unexpected fields"):
        decode(json.dumps(doc).encode())
    doc = json.loads(encode(_batch()))
    doc["reads"][0]["owner"] = "someone"
    with pytest.raises(InputError, match="unexpected fields"):
        decode(json.dumps(doc).encode())


def test_not_collected_counts_travel_with_a_batch_or_alone() -> None:
    counts = {"spd": {"school": 2, "place_of_worship": 1}}
    with_reads = Batch("elm", [_read()], not_collected=counts)
    assert decode(encode(with_reads)) == with_reads
    alone = Batch("", [], not_collected={"spd": {"school": 1}}, nonce="ab" * 16)
    assert decode(encode(alone)) == alone
    # a batch without counts encodes exactly as before they existed (the same message id)
    assert b"not_collected" not in encode(_batch())
    assert b"nonce" not in encode(_batch())


@pytest.mark.parametrize(
    "counts",
    [[1], {"spd": 3}, {"spd": {"school": 0}}, {"spd": {"school": -2}}, {"spd": {"school": 1.5}},
     {"spd": {"school": True}}],
)  # fmt: skip
def test_bad_not_collected_counts_are_refused(counts: object) -> None:
    doc = json.loads(encode(_batch()))
    doc["not_collected"] = counts
    with pytest.raises(InputError, match="not-collected"):
        decode(json.dumps(doc).encode())


def test_a_batch_with_neither_reads_nor_counts_is_refused() -> None:
    doc = {"v": 1, "camera_id": "elm", "reads": [], "images": {}, "links": {}, "consensus": []}
    with pytest.raises(InputError, match="neither"):
        decode(json.dumps(doc).encode())
