"""The bus envelope: a batch survives encoding and sealing exactly; anything else is refused
with the error the writer dead-letters on; the id names the payload, not the plates."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import msgpack
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from trustlpr.bus import Batch, BusCipher, decode, encode
from trustlpr.bus.envelope import Sealed
from trustlpr.core.errors import InputError, KeyDestroyedError, VerificationError
from trustlpr.core.reads import Read
from trustlpr.keys import KeyRing

from ..conftest import FakeClock
from .format1 import encode_v1

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
        json.dumps({"v": 3, "camera_id": "elm", "reads": []}).encode(),
        b"",
        msgpack.packb([3, [], "elm", [], [], [], [], {}, ""]),
        msgpack.packb([2, [], "elm"]),
        msgpack.packb({"v": 2}),
        encode(_batch())[:-3],  # cut short
        encode(_batch()) + b"\x00",  # trailing bytes
        json.dumps({"v": 1, "camera_id": "elm"}).encode(),
    ],
)
def test_what_is_not_a_batch_is_an_input_error(data: bytes) -> None:
    with pytest.raises(InputError):
        decode(data)


def test_a_read_that_breaks_the_read_invariants_is_refused() -> None:
    doc = json.loads(encode_v1(_batch()))
    doc["reads"][0]["confidence"] = 7.0
    with pytest.raises(InputError):
        decode(json.dumps(doc).encode())
    doc = json.loads(encode_v1(_batch()))
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
    doc = json.loads(encode_v1(_batch()))
    for row in doc["reads"]:
        del row["speed"]
    old = json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()
    assert b'"speed"' not in old
    again = decode(old)
    assert again == _batch()
    assert [r.speed for r in again.reads] == [None, None]


def test_a_read_with_a_missing_required_or_an_unknown_field_is_still_refused() -> None:
    doc = json.loads(encode_v1(_batch()))
    del doc["reads"][0]["latitude"]
    with pytest.raises(InputError, match="unexpected fields"):
        decode(json.dumps(doc).encode())
    doc = json.loads(encode_v1(_batch()))
    doc["reads"][0]["owner"] = "someone"
    with pytest.raises(InputError, match="unexpected fields"):
        decode(json.dumps(doc).encode())


def test_not_collected_counts_travel_with_a_batch_or_alone() -> None:
    counts = {"spd": {"school": 2, "place_of_worship": 1}}
    with_reads = Batch("elm", [_read()], not_collected=counts)
    assert decode(encode(with_reads)) == with_reads
    alone = Batch("", [], not_collected={"spd": {"school": 1}}, nonce="ab" * 16)
    assert decode(encode(alone)) == alone
    # and in format 1, from a front-end before format 2
    assert decode(encode_v1(with_reads)) == with_reads
    assert decode(encode_v1(alone)) == alone


@pytest.mark.parametrize(
    "counts",
    [[1], {"spd": 3}, {"spd": {"school": 0}}, {"spd": {"school": -2}}, {"spd": {"school": 1.5}},
     {"spd": {"school": True}}],
)  # fmt: skip
def test_bad_not_collected_counts_are_refused(counts: object) -> None:
    doc = json.loads(encode_v1(_batch()))
    doc["not_collected"] = counts
    with pytest.raises(InputError, match="not-collected"):
        decode(json.dumps(doc).encode())


def test_a_batch_with_neither_reads_nor_counts_is_refused() -> None:
    doc = {"v": 1, "camera_id": "elm", "reads": [], "images": {}, "links": {}, "consensus": []}
    with pytest.raises(InputError, match="neither"):
        decode(json.dumps(doc).encode())


# -- format 2 (MessagePack) against format 1 (JSON) -----------------------------------------------

V1_MESSAGE = (
    b'{"camera_id":"elm","consensus":[1],"images":{"1":"/9hqcGVnAGJ5dGVz"},"links":{"0":["uuid-1#0",'
    b'"uuid-1#1"]},"reads":[{"agency_id":"nhpd","camera_id":"elm","char_confidences":null,'
    b'"colour":null,"confidence":0.91,"country":"US","direction":270.0,"image_ref":null,'
    b'"latitude":41.3,"longitude":-72.9,"make":"Honda","observed_at":"2026-03-04T05:06:07.891011'
    b'+00:00","plate":"AB1234","speed":null,"state":"CT","state_confidence":null,'
    b'"vehicle_type":null},{"agency_id":"nhpd","camera_id":"elm","char_confidences":null,'
    b'"colour":null,"confidence":0.91,"country":"US","direction":null,"image_ref":null,'
    b'"latitude":41.3,"longitude":-72.9,"make":null,"observed_at":"2026-03-04T05:06:07.891011'
    b'+00:00","plate":"XY987","speed":null,"state":null,"state_confidence":null,'
    b'"vehicle_type":null}],"v":1}'
)
"""``_batch()`` as a format-1 front-end published it (bytes kept from before format 2)."""


def test_a_format_1_message_of_an_older_front_end_still_decodes() -> None:
    assert decode(V1_MESSAGE) == _batch()
    assert encode_v1(_batch()) == V1_MESSAGE  # the test's format-1 encoder is that format


def test_format_2_is_canonical_compact_and_names_the_same_batch_by_one_id(tmp_path: Path) -> None:
    batch = _batch()
    reordered = Batch(
        "elm",
        list(batch.reads),
        images=dict(reversed(list({0: b"a", 1: b"b"}.items()))),
        links={1: ["x"], 0: ["y"]},
        consensus=frozenset({1, 0}),
        not_collected={"b": {"z": 1, "a": 2}, "a": {"q": 3}},
    )
    same = Batch(
        "elm",
        list(batch.reads),
        images={0: b"a", 1: b"b"},
        links={0: ["y"], 1: ["x"]},
        consensus=frozenset({0, 1}),
        not_collected={"a": {"q": 3}, "b": {"a": 2, "z": 1}},
    )
    assert encode(reordered) == encode(same)
    assert decode(encode(reordered)) == same
    assert encode(batch)[:1] != b"{" and len(encode(batch)) < len(encode_v1(batch)) / 2
    cipher = BusCipher(KeyRing(tmp_path, ROOT, "nonhit"), "S1",
                       clock=FakeClock(datetime(2026, 3, 4, 12, tzinfo=UTC)))  # fmt: skip
    assert cipher.seal(encode(batch)).msg_id == cipher.seal(encode(_batch())).msg_id


_texts = st.one_of(st.none(), st.text(min_size=1, max_size=12).filter(str.isprintable))
_unit = st.floats(0.0, 1.0)


@st.composite
def _batches(draw: st.DrawFn) -> Batch:
    reads = []
    for _ in range(draw(st.integers(0, 4))):
        plate = draw(st.sampled_from(["AB1234", "XY987", "7ABC123", "Z1"]))
        reads.append(_read(
            plate,
            state=draw(st.sampled_from([None, "CT", "NY"])),
            confidence=draw(_unit),
            observed_at=datetime(2000, 1, 1, tzinfo=UTC) + timedelta(
                microseconds=draw(st.integers(0, 10**17))),
            latitude=draw(st.floats(-90.0, 90.0)),
            longitude=draw(st.floats(-180.0, 180.0)),
            direction=draw(st.one_of(st.none(), st.floats(0.0, 360.0))),
            make=draw(_texts), colour=draw(_texts), vehicle_type=draw(_texts),
            image_ref=draw(_texts), country=draw(st.sampled_from([None, "US", "CA"])),
            char_confidences=draw(st.one_of(st.none(), st.tuples(*[_unit] * len(plate)))),
            state_confidence=draw(st.one_of(st.none(), _unit)),
            speed=draw(st.one_of(st.none(), st.floats(0.0, 400.0))),
        ))  # fmt: skip
    indexes = st.integers(0, max(len(reads) - 1, 0))
    by_category = st.dictionaries(st.text(max_size=5), st.integers(1, 10**6), min_size=1,
                                  max_size=2)  # fmt: skip
    not_collected = draw(st.dictionaries(st.text(max_size=5), by_category,
                                         min_size=0 if reads else 1, max_size=2))  # fmt: skip
    return Batch(
        draw(st.text(max_size=8)),
        reads,
        images=draw(st.dictionaries(indexes, st.binary(max_size=20))) if reads else {},
        links=draw(st.dictionaries(indexes, st.lists(st.text(max_size=8), max_size=2)))
        if reads
        else {},
        consensus=frozenset(draw(st.sets(indexes))) if reads else frozenset(),
        not_collected=not_collected,
        nonce=draw(st.text(max_size=8)),
    )


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(batch=_batches())
def test_format_2_and_format_1_decode_to_the_same_batch(batch: Batch) -> None:
    """The differential test of the compact encoding: every batch survives format 2 exactly
    (its bytes canonical) and is the batch format 1 decodes to."""
    data = encode(batch)
    again = decode(data)
    assert again == batch
    assert [type(r.observed_at.tzinfo) for r in again.reads] == [type(UTC)] * len(batch.reads)
    assert encode(again) == data
    assert decode(encode_v1(batch)) == again


def test_char_confidences_come_back_as_the_tuple_they_were() -> None:
    """Format 1 gave them back as a list: a Read unequal to (and unhashable unlike) the one
    the front-end parsed."""
    batch = Batch("elm", [_read("AB12", char_confidences=(0.5, 0.9, 1.0, 0.25))])
    for data in (encode(batch), encode_v1(batch)):
        (read,) = decode(data).reads
        assert read.char_confidences == (0.5, 0.9, 1.0, 0.25)
        hash(read)


def test_a_format_2_batch_of_a_front_end_one_field_older_or_reordered_decodes() -> None:
    names, *rest = msgpack.unpackb(encode(_batch()))[1:]
    rows = rest[1]
    keep = [i for i, n in enumerate(names) if n != "speed"][::-1]  # no speed, reversed
    doc = [2, [names[i] for i in keep], rest[0], [[r[i] for i in keep] for r in rows], *rest[2:]]
    assert decode(msgpack.packb(doc)) == _batch()


def _doc(edit: str) -> bytes:
    doc = msgpack.unpackb(encode(_batch()))
    names, rows = doc[1], doc[3]
    if edit == "unknown field":
        doc[1] = [*names, "owner"]
        for row in rows:
            row.append("someone")
    elif edit == "missing required field":
        at = names.index("latitude")
        doc[1] = names[:at] + names[at + 1 :]
        doc[3] = [row[:at] + row[at + 1 :] for row in rows]
    elif edit == "short row":
        rows[0].pop()
    elif edit == "time as text":
        rows[0][names.index("observed_at")] = "2026-03-04T05:06:07+00:00"
    elif edit == "confidence out of range":
        rows[0][names.index("confidence")] = 7.0
    elif edit == "image as text":
        doc[4] = [[1, "AAAA"]]
    elif edit == "image of no read":
        doc[4] = [[5, b"x"]]
    elif edit == "camera as number":
        doc[2] = 7
    elif edit == "time past the calendar":
        rows[0][names.index("observed_at")] = 2**62
    elif edit == "no reads and no counts":
        doc[3], doc[4], doc[5], doc[6] = [], [], [], []
    return bytes(msgpack.packb(doc))


@pytest.mark.parametrize(
    "edit",
    ["unknown field", "missing required field", "short row", "time as text",
     "confidence out of range", "image as text", "image of no read", "camera as number",
     "time past the calendar", "no reads and no counts"],
)  # fmt: skip
def test_a_bad_format_2_batch_is_an_input_error(edit: str) -> None:
    with pytest.raises(InputError):
        decode(_doc(edit))
