"""Sealing reads: what every backend stores instead of plate text.

A stored row is ``(t_us, camera_id, cidx, nonce, ciphertext)``. ``cidx`` is a per-day keyed
digest of the plate's confusion key, so lookups work without the plate being stored and rows
of different days cannot be linked without both days' keys. One index serves exact and
variant lookups: an exact lookup decrypts the (rare) other members of the confusion class
and keeps only the plate asked for, which costs less than a second index on every insert. The
ciphertext is bound to its retention class, day, camera and time as associated data: a row
moved to another day, camera or time no longer decrypts.

Three more per-day keyed digests, ``midx``, ``kidx`` and ``bidx``, index the read's make,
colour and body type in their canonical spelling (``core.vehicle``), so an attribute search
decrypts only the reads whose attributes match; NULL where the camera sent none or a value
outside the vocabulary. They are made with the same day key as ``cidx`` and die with it.

``gidx``, the last, indexes the coarse grid cell of the read's position (``trustlpr.geo``:
about a kilometre), fixed camera or mobile: an area search decrypts only the reads of the
cells its area touches. Same day key, same death.
"""

from __future__ import annotations

import json
import math
import os
import struct
from collections.abc import Sequence
from datetime import UTC, datetime

from cryptography.exceptions import InvalidTag

from ..core.errors import StoreError
from ..core.plates import confusion_key
from ..core.reads import Read
from ..core.vehicle import canonical
from ..geo import cell_of
from ..keys import DayKeys

CONFUSION_DOMAIN = b"c|"
ATTRIBUTE_DOMAINS = {"make": b"m|", "colour": b"k|", "vehicle_type": b"b|"}
CELL_DOMAIN = b"g|"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


SealedRead = tuple[int, str, int, bytes, bytes, int | None, int | None, int | None, int]
"""``(t_us, camera_id, cidx, nonce, ciphertext, midx, kidx, bidx, gidx)``: one row as every
backend stores it."""


def to_us(moment: datetime) -> int:
    """Microseconds since the epoch: exact, unlike float timestamps."""
    delta = moment - _EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_us(t_us: int) -> datetime:
    return datetime.fromtimestamp(t_us // 1_000_000, UTC).replace(microsecond=t_us % 1_000_000)


def _aad(retention: str, keys: DayKeys, camera_id: str, t_us: int) -> bytes:
    return f"{retention}|{keys.day.isoformat()}|{camera_id}|{t_us}".encode()


_NUMBERS = struct.Struct("<dddd")
_SEP = "\x1f"
_FAST = b"\x01"


def _pack(read: Read) -> bytes:
    """Compact payload: four doubles, then the text fields joined by U+001F.

    Text that itself contains U+001F (never produced by our parsers, which refuse control
    characters) falls back to JSON, marked by its first byte. The country and then the speed
    came later, each as one more trailing text field: older rows unpack without them.
    """
    texts = (
        read.plate,
        read.state or "",
        read.make or "",
        read.colour or "",
        read.vehicle_type or "",
        read.image_ref or "",
        read.agency_id,
        read.country or "",
        repr(read.speed) if read.speed is not None else "",
    )
    joined = _SEP.join(texts)
    direction = read.direction if read.direction is not None else math.nan
    numbers = _NUMBERS.pack(read.confidence, read.latitude, read.longitude, direction)
    if joined.count(_SEP) == len(texts) - 1:
        return _FAST + numbers + joined.encode()
    return json.dumps(
        [list(texts), [read.confidence, read.latitude, read.longitude, read.direction]]
    ).encode()


def _unpack(payload: bytes) -> tuple[list[str], tuple[float, float, float, float | None]]:
    if payload[:1] == _FAST:
        conf, lat, lon, direction = _NUMBERS.unpack_from(payload, 1)
        texts = payload[1 + _NUMBERS.size :].decode().split(_SEP)
        return texts, (conf, lat, lon, None if math.isnan(direction) else direction)
    texts, (conf, lat, lon, direction) = json.loads(payload)
    return texts, (conf, lat, lon, direction)


IndexMemo = dict[tuple[str, str], int | None]
"""One batch's attribute indexes by ``(kind, sent value)``: a day has one index per canonical
value, and a batch's reads repeat a few dozen spellings, so each is computed once per batch."""


def seal(read: Read, keys: DayKeys, retention: str, memo: IndexMemo | None = None) -> SealedRead:
    """One read sealed for ``keys``' day and ``retention`` class."""
    return seal_many([read], keys, retention, memo)[0]


def seal_many(
    reads: Sequence[Read], keys: DayKeys, retention: str, memo: IndexMemo | None = None
) -> list[SealedRead]:
    """``seal`` of each read of one partition, with what the batch shares done once: the
    associated data's prefix, one ``os.urandom`` call for every nonce, the bound methods.
    The associated data is ``_aad``'s, which ``unseal`` checks (tests/store/test_seal_many.py)."""
    prefix = f"{retention}|{keys.day.isoformat()}|"
    nonces = os.urandom(12 * len(reads))
    encrypt = keys.aead.encrypt
    blind = keys.blind_index
    memo = {} if memo is None else memo
    cells: dict[str, int] = {}  # a fixed camera's reads share one cell: computed once
    rows: list[SealedRead] = []
    append = rows.append
    for at, read in enumerate(reads):
        t_us = to_us(read.observed_at)
        nonce = nonces[12 * at : 12 * at + 12]
        camera = read.camera_id
        make, colour, vtype = read.make, read.colour, read.vehicle_type
        cell = cell_of(read.latitude, read.longitude)
        gidx = cells.get(cell)
        if gidx is None:
            gidx = cells[cell] = cell_index(keys, cell)
        append(
            (
                t_us,
                camera,
                blind(CONFUSION_DOMAIN, confusion_key(read.plate)),
                nonce,
                encrypt(nonce, _pack(read), f"{prefix}{camera}|{t_us}".encode()),
                None if make is None else _sent_index(keys, "make", make, memo),
                None if colour is None else _sent_index(keys, "colour", colour, memo),
                None if vtype is None else _sent_index(keys, "vehicle_type", vtype, memo),
                gidx,
            )
        )
    return rows


def cell_index(keys: DayKeys, cell: str) -> int:
    """The day's blind index of one grid cell (``trustlpr.geo.cell_of``)."""
    return keys.blind_index(CELL_DOMAIN, cell)


def _sent_index(keys: DayKeys, kind: str, sent: str | None, memo: IndexMemo) -> int | None:
    if sent is None:
        return None
    try:
        return memo[kind, sent]
    except KeyError:
        index = memo[kind, sent] = attribute_index(keys, kind, canonical(kind, sent))
        return index


def attribute_index(keys: DayKeys, kind: str, value: str | None) -> int | None:
    """The day's blind index of one canonical attribute value (None for no value)."""
    return None if value is None else keys.blind_index(ATTRIBUTE_DOMAINS[kind], value)


def unseal(
    keys: DayKeys, retention: str, t_us: int, camera_id: str, nonce: bytes, ciphertext: bytes
) -> Read:
    try:
        payload = keys.aead.decrypt(nonce, ciphertext, _aad(retention, keys, camera_id, t_us))
    except InvalidTag as exc:
        raise StoreError(
            f"a {retention} row of {keys.day} fails authentication (tampered or misplaced)"
        ) from exc
    texts, (conf, lat, lon, direction) = _unpack(payload)
    plate, state, make, colour, vtype, image_ref, agency = texts[:7]
    country = texts[7] if len(texts) > 7 else ""
    speed = texts[8] if len(texts) > 8 else ""
    return Read(
        plate=plate,
        state=state or None,
        confidence=conf,
        observed_at=from_us(t_us),
        camera_id=camera_id,
        agency_id=agency,
        latitude=lat,
        longitude=lon,
        direction=direction,
        make=make or None,
        colour=colour or None,
        vehicle_type=vtype or None,
        image_ref=image_ref or None,
        country=country or None,
        speed=float(speed) if speed else None,
    )


def unseal_vehicle(
    keys: DayKeys, retention: str, t_us: int, camera_id: str, nonce: bytes, ciphertext: bytes
) -> tuple[str, str | None]:
    """Only the ``(plate, state)`` of a sealed row: what counting distinct vehicles needs,
    without building (and validating) a whole ``Read`` — about a third of ``unseal``'s cost."""
    try:
        payload = keys.aead.decrypt(nonce, ciphertext, _aad(retention, keys, camera_id, t_us))
    except InvalidTag as exc:
        raise StoreError(
            f"a {retention} row of {keys.day} fails authentication (tampered or misplaced)"
        ) from exc
    if payload[:1] == _FAST:
        plate, state = payload[1 + _NUMBERS.size :].decode().split(_SEP, 2)[:2]
    else:
        plate, state = _unpack(payload)[0][:2]
    return plate, state or None


def seal_image(image: bytes, keys: DayKeys, retention: str, ref: str) -> tuple[bytes, bytes]:
    nonce = os.urandom(12)
    return nonce, keys.aead.encrypt(nonce, image, f"img|{retention}|{ref}".encode())


def unseal_image(keys: DayKeys, retention: str, ref: str, nonce: bytes, ciphertext: bytes) -> bytes:
    try:
        return keys.aead.decrypt(nonce, ciphertext, f"img|{retention}|{ref}".encode())
    except InvalidTag as exc:
        raise StoreError(f"image of {ref} fails authentication") from exc
