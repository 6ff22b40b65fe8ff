"""The federation signing keys: private from creation, self-certifying ids, rotation with an
overlap after which the old key can neither sign nor be found in force."""

from __future__ import annotations

import stat
from datetime import timedelta
from pathlib import Path

import pytest

from tests.conftest import FakeClock
from trustlpr.core.errors import ConfigError, FormatError, InputError
from trustlpr.keys.signing import (
    FEDERATION_DIR,
    MIN_OVERLAP,
    SigningKeys,
    b64url,
    b64url_decode,
    thumbprint,
)


def test_the_first_key_is_private_and_its_id_is_its_thumbprint(
    tmp_path: Path, clock: FakeClock
) -> None:
    keys = SigningKeys.create_or_open(tmp_path, clock=clock)
    key = keys.active
    path = tmp_path / FEDERATION_DIR / f"{key.key_id}.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert thumbprint(b64url_decode(key.public_key, field="x")) == key.key_id
    private = keys.private_key(key.key_id)
    assert private.public_key().public_bytes_raw() == b64url_decode(key.public_key, field="x")
    again = SigningKeys.create_or_open(tmp_path, clock=clock)
    assert again.active == key  # reopened, not replaced


def test_rotation_keeps_the_old_key_for_the_overlap_only(tmp_path: Path, clock: FakeClock) -> None:
    keys = SigningKeys.create_or_open(tmp_path, clock=clock)
    old = keys.active
    with pytest.raises(InputError, match="at least") as refused:
        keys.rotate(timedelta(minutes=1))
    assert refused.value.field == "overlap"  # the API's 422 names it
    new = keys.rotate(timedelta(hours=2))
    assert keys.active == new and new.key_id != old.key_id
    assert [k.key_id for k in keys.published()] == [new.key_id, old.key_id]
    keys.private_key(old.key_id)  # still signs during the overlap
    assert keys.destroy_retired() == []
    clock.advance(hours=2)
    assert [k.key_id for k in SigningKeys(tmp_path, clock=clock).published()] == [new.key_id]
    with pytest.raises(ConfigError, match="not in force"):
        keys.private_key(old.key_id)
    assert keys.destroy_retired() == [old.key_id]
    assert not (tmp_path / FEDERATION_DIR / f"{old.key_id}.key").exists()
    assert keys.private_key(new.key_id)


def test_a_second_rotation_never_revives_or_extends_a_retiring_key(
    tmp_path: Path, clock: FakeClock
) -> None:
    """Each key in force keeps the earlier of its retirement and the new one; a retired key
    stays retired; a retiring key keeps its public half (peers check signatures with it)."""
    keys = SigningKeys.create_or_open(tmp_path, clock=clock)
    first = keys.active
    second = keys.rotate(MIN_OVERLAP)  # the minimum overlap itself is enough
    start = clock.now
    clock.advance(minutes=1)
    third = keys.rotate(timedelta(hours=3))
    retiring = {k.key_id: k for k in keys.published()}
    assert list(retiring) == [third.key_id, second.key_id, first.key_id]
    assert retiring[first.key_id].retires_at == start + MIN_OVERLAP  # not extended to 3 h
    assert retiring[second.key_id].retires_at == clock.now + timedelta(hours=3)
    assert retiring[first.key_id].public_key == first.public_key
    assert retiring[second.key_id].public_key == second.public_key
    clock.advance(minutes=5)  # the first key has retired
    fourth = keys.rotate(timedelta(hours=1))
    assert [k.key_id for k in keys.published()] == [fourth.key_id, third.key_id, second.key_id]
    with pytest.raises(ConfigError, match="not in force"):
        keys.private_key(first.key_id)
    with pytest.raises(ConfigError, match="not in force"):
        keys.private_key("no-such-key")


def test_a_private_key_file_with_stray_characters_is_refused(
    tmp_path: Path, clock: FakeClock
) -> None:
    keys = SigningKeys.create_or_open(tmp_path, clock=clock)
    path = tmp_path / FEDERATION_DIR / f"{keys.active.key_id}.key"
    text = path.read_text(encoding="ascii").strip()
    path.write_text(text[:8] + "!*" + text[8:], encoding="ascii")
    with pytest.raises(ConfigError, match="cannot read"):
        keys.private_key(keys.active.key_id)


@pytest.mark.parametrize("size", range(41))
def test_base64url_without_padding_round_trips_at_every_length(size: int) -> None:
    raw = bytes(range(size))
    assert b64url_decode(b64url(raw), field="x") == raw


def test_text_that_is_not_base64url_names_its_field() -> None:
    with pytest.raises(FormatError, match=r"^field 'x': is not base64url$") as refused:
        b64url_decode("a", field="x")
    assert refused.value.field == "x"
