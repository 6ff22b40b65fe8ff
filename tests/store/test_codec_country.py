"""The issuing country round-trips through the sealed row, and rows sealed before the country
existed (seven text fields) still open, with no country."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from pathlib import Path

import pytest

from trustlpr.core.reads import Read
from trustlpr.keys.ring import KeyRing
from trustlpr.store import codec

WHEN = datetime(2026, 11, 1, 12, 0, 1, 250000, tzinfo=UTC)


@pytest.fixture
def keys(tmp_path: Path):
    return KeyRing(tmp_path, secrets.token_bytes(32), "nonhit").get(WHEN.date(), create=True)


def _read(**changes: object) -> Read:
    fields: dict[str, object] = {
        "plate": "AB12345",
        "state": None,
        "confidence": 0.91,
        "observed_at": WHEN,
        "camera_id": "cam1",
        "agency_id": "nhpd",
        "latitude": 41.3,
        "longitude": -72.9,
    }
    fields.update(changes)
    return Read(**fields)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "read",
    [
        _read(country="DE"),
        _read(state="ON", country="CA"),
        _read(state="CT", country="US", make="Honda", colour="black", direction=90.0),
        _read(),
    ],
)
def test_country_round_trips(keys, read: Read) -> None:
    t_us, camera, _cidx, nonce, ciphertext = codec.seal(read, keys, "nonhit")[:5]
    assert codec.unseal(keys, "nonhit", t_us, camera, nonce, ciphertext) == read


def test_a_row_sealed_before_the_country_field_opens_without_one(keys) -> None:
    read = _read(state="CT", make="Honda")
    old_texts = ("AB12345", "CT", "Honda", "", "", "", "nhpd")  # the seven fields of before
    numbers = codec._NUMBERS.pack(read.confidence, read.latitude, read.longitude, float("nan"))
    payload = codec._FAST + numbers + codec._SEP.join(old_texts).encode()
    t_us = codec.to_us(WHEN)
    nonce = secrets.token_bytes(12)
    ciphertext = keys.aead.encrypt(nonce, payload, codec._aad("nonhit", keys, "cam1", t_us))
    opened = codec.unseal(keys, "nonhit", t_us, "cam1", nonce, ciphertext)
    assert opened == read and opened.country is None


def test_a_read_refuses_a_country_that_is_not_a_code() -> None:
    from trustlpr.core.errors import InputError

    with pytest.raises(InputError, match="country"):
        _read(country="Deutschland")
