"""Sealing reads: what every backend stores instead of plate text.

A stored row is ``(t_us, camera_id, bidx, cidx, nonce, ciphertext)``. ``bidx``/``cidx`` are
per-day keyed digests of the plate and of its confusion key, so lookups work without the
plate being stored and rows of different days cannot be linked without both days' keys. The
ciphertext is bound to its retention class, day, camera and time as associated data: a row
moved to another day, camera or time no longer decrypts.
"""

from __future__ import annotations

import json
import os
from datetime import UTC, datetime
from typing import NamedTuple

from cryptography.exceptions import InvalidTag

from ..core.errors import StoreError
from ..core.plates import confusion_key
from ..core.reads import Read
from ..keys import DayKeys

PLATE_DOMAIN = b"p|"
CONFUSION_DOMAIN = b"c|"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class SealedRead(NamedTuple):
    t_us: int
    camera_id: str
    bidx: int
    cidx: int
    nonce: bytes
    ciphertext: bytes


def to_us(moment: datetime) -> int:
    """Microseconds since the epoch: exact, unlike float timestamps."""
    delta = moment - _EPOCH
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


def from_us(t_us: int) -> datetime:
    return datetime.fromtimestamp(t_us // 1_000_000, UTC).replace(microsecond=t_us % 1_000_000)


def _aad(retention: str, keys: DayKeys, camera_id: str, t_us: int) -> bytes:
    return f"{retention}|{keys.day.isoformat()}|{camera_id}|{t_us}".encode()


def seal(read: Read, keys: DayKeys, retention: str) -> SealedRead:
    t_us = to_us(read.observed_at)
    payload = json.dumps(
        [
            read.plate,
            read.state,
            read.confidence,
            read.latitude,
            read.longitude,
            read.direction,
            read.make,
            read.colour,
            read.vehicle_type,
            read.image_ref,
            read.agency_id,
        ],
        separators=(",", ":"),
    ).encode()
    nonce = os.urandom(12)
    ciphertext = keys.aead.encrypt(nonce, payload, _aad(retention, keys, read.camera_id, t_us))
    return SealedRead(
        t_us,
        read.camera_id,
        keys.blind_index(PLATE_DOMAIN, read.plate),
        keys.blind_index(CONFUSION_DOMAIN, confusion_key(read.plate)),
        nonce,
        ciphertext,
    )


def unseal(
    keys: DayKeys, retention: str, t_us: int, camera_id: str, nonce: bytes, ciphertext: bytes
) -> Read:
    try:
        payload = keys.aead.decrypt(nonce, ciphertext, _aad(retention, keys, camera_id, t_us))
    except InvalidTag as exc:
        raise StoreError(
            f"a {retention} row of {keys.day} fails authentication (tampered or misplaced)"
        ) from exc
    plate, state, conf, lat, lon, direction, make, colour, vtype, image_ref, agency = json.loads(
        payload
    )
    return Read(
        plate=plate,
        state=state,
        confidence=conf,
        observed_at=from_us(t_us),
        camera_id=camera_id,
        agency_id=agency,
        latitude=lat,
        longitude=lon,
        direction=direction,
        make=make,
        colour=colour,
        vehicle_type=vtype,
        image_ref=image_ref,
    )


def seal_image(image: bytes, keys: DayKeys, retention: str, ref: str) -> tuple[bytes, bytes]:
    nonce = os.urandom(12)
    return nonce, keys.aead.encrypt(nonce, image, f"img|{retention}|{ref}".encode())


def unseal_image(keys: DayKeys, retention: str, ref: str, nonce: bytes, ciphertext: bytes) -> bytes:
    try:
        return keys.aead.decrypt(nonce, ciphertext, f"img|{retention}|{ref}".encode())
    except InvalidTag as exc:
        raise StoreError(f"image of {ref} fails authentication") from exc
