"""``seal_many`` (the batch sealing every append uses) against the plain definitions: each row
opens with ``unseal`` to the same read, its payload is ``_pack``'s bytes under ``_aad``'s
associated data, and its indexes are HMAC-SHA256 digests as ``hmac.digest`` computes them."""

from __future__ import annotations

import hmac
import secrets
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from hypothesis import given, settings
from hypothesis import strategies as st

from trustlpr.core.reads import Read
from trustlpr.core.vehicle import canonical
from trustlpr.geo import cell_of
from trustlpr.keys.ring import DayKeys
from trustlpr.store import codec

DAY = datetime(2026, 11, 1, tzinfo=UTC)
_AEAD = AESGCM(AESGCM.generate_key(bit_length=256))


def _reference_index(keys: DayKeys, domain: bytes, value: str) -> int:
    digest = hmac.digest(keys.index_key, domain + value.encode(), "sha256")
    return int.from_bytes(digest[:8], "big", signed=True)


def _day_keys(*, index_key: bytes | None = None) -> DayKeys:
    return DayKeys(
        key_id="nonhit/2026-11-01",
        day=DAY.date(),
        aead=_AEAD,
        index_key=secrets.token_bytes(32) if index_key is None else index_key,
        detail=_AEAD,
        bus=_AEAD,
        bus_id_key=b"",
    )


_optional_text = st.one_of(st.none(), st.sampled_from(["Honda", "black", "SUV", "honda ", "zzz"]))
_reads = st.builds(
    Read,
    plate=st.from_regex(r"[A-Z0-9]{2,10}", fullmatch=True),
    state=st.sampled_from([None, "CT", "ON"]),
    confidence=st.floats(0.0, 1.0),
    observed_at=st.integers(0, 86_400_000_000 - 1).map(lambda us: DAY + timedelta(microseconds=us)),
    camera_id=st.text(st.characters(codec="utf-8"), min_size=1, max_size=12),
    agency_id=st.sampled_from(["", "nhpd", "elm"]),
    latitude=st.floats(-90.0, 90.0),
    longitude=st.floats(-180.0, 180.0),
    direction=st.one_of(st.none(), st.floats(0.0, 360.0)),
    make=_optional_text,
    colour=_optional_text,
    vehicle_type=_optional_text,
    image_ref=st.one_of(st.none(), st.sampled_from(["img-1", "x"])),
    speed=st.one_of(st.none(), st.floats(0.0, 400.0)),
)


@settings(max_examples=150, deadline=None)
@given(reads=st.lists(_reads, max_size=6), retention=st.sampled_from(["nonhit", "hit"]))
def test_batch_sealing_matches_the_plain_definitions(reads: list[Read], retention: str) -> None:
    keys = _day_keys()
    rows = codec.seal_many(reads, keys, retention)
    assert len(rows) == len(reads)
    assert len({row[3] for row in rows}) == len(rows)  # a fresh nonce per row
    for read, row in zip(reads, rows, strict=True):
        t_us, camera, cidx, nonce, ct, midx, kidx, bidx, gidx = row
        assert (t_us, camera, len(nonce)) == (codec.to_us(read.observed_at), read.camera_id, 12)
        aad = codec._aad(retention, keys, camera, t_us)
        assert keys.aead.decrypt(nonce, ct, aad) == codec._pack(read)
        assert codec.unseal(keys, retention, t_us, camera, nonce, ct) == read
        assert cidx == _reference_index(keys, codec.CONFUSION_DOMAIN, read.confusion_key)
        for kind, index in (("make", midx), ("colour", kidx), ("vehicle_type", bidx)):
            value = canonical(kind, getattr(read, kind))
            domain = codec.ATTRIBUTE_DOMAINS[kind]
            assert index == (None if value is None else _reference_index(keys, domain, value))
        cell = cell_of(read.latitude, read.longitude)
        assert gidx == _reference_index(keys, codec.CELL_DOMAIN, cell)


@settings(max_examples=300, deadline=None)
@given(key=st.binary(max_size=130), domain=st.binary(max_size=4), value=st.text(max_size=20))
def test_the_pre_keyed_blind_index_is_hmac_sha256(key: bytes, domain: bytes, value: str) -> None:
    keys = _day_keys(index_key=key)
    assert keys.blind_index(domain, value) == _reference_index(keys, domain, value)
