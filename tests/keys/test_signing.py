"""The federation signing keys: private from creation, self-certifying ids, rotation with an
overlap after which the old key can neither sign nor be found in force."""

from __future__ import annotations

import stat
from datetime import timedelta
from pathlib import Path

import pytest

from tests.conftest import FakeClock
from trustlpr.core.errors import ConfigError, InputError
from trustlpr.keys.signing import FEDERATION_DIR, SigningKeys, b64url_decode, thumbprint


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
    with pytest.raises(InputError, match="at least"):
        keys.rotate(timedelta(minutes=1))
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
