from __future__ import annotations

import base64
import os
import secrets
import threading
from datetime import date, timedelta
from pathlib import Path

import pytest

from trustlpr.core import ConfigError, KeyDestroyedError
from trustlpr.keys import KeyRing, ReadKeys, create_root_key, load_root_key

DAY = date(2026, 11, 3)


def test_root_key_file_is_private_and_not_replaced(tmp_path: Path) -> None:
    path = create_root_key(tmp_path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert len(load_root_key(tmp_path, env={})) == 32
    with pytest.raises(ConfigError, match="refusing to replace"):
        create_root_key(tmp_path)


def test_root_key_with_loose_mode_is_refused(tmp_path: Path) -> None:
    path = create_root_key(tmp_path)
    os.chmod(path, 0o644)
    with pytest.raises(ConfigError, match="must be 0600"):
        load_root_key(tmp_path, env={})


@pytest.mark.parametrize("value", ["00" * 32, base64.b64encode(b"a" * 32).decode(), "changeme"])
def test_placeholder_root_keys_are_refused(tmp_path: Path, value: str) -> None:
    with pytest.raises(ConfigError):
        load_root_key(tmp_path, env={"TRUSTLPR_ROOT_KEY": value})


def test_env_root_key_accepts_hex_and_base64(tmp_path: Path) -> None:
    raw = secrets.token_bytes(32)
    assert load_root_key(tmp_path, env={"TRUSTLPR_ROOT_KEY": raw.hex()}) == raw
    b64 = base64.b64encode(raw).decode()
    assert load_root_key(tmp_path, env={"TRUSTLPR_ROOT_KEY": b64}) == raw


def test_day_keys_survive_reopen_and_differ_between_days(tmp_path: Path) -> None:
    root = secrets.token_bytes(32)
    ring = KeyRing(tmp_path, root, "nonhit")
    first = ring.get(DAY, create=True)
    other = ring.get(date(2026, 11, 4), create=True)
    reopened = KeyRing(tmp_path, root, "nonhit").get(DAY)
    assert reopened.blind_index(b"p|", "AB123") == first.blind_index(b"p|", "AB123")
    assert other.blind_index(b"p|", "AB123") != first.blind_index(b"p|", "AB123")
    nonce = b"\0" * 12
    assert reopened.aead.decrypt(nonce, first.aead.encrypt(nonce, b"x", b"a"), b"a") == b"x"


def test_destroyed_day_cannot_be_rederived(tmp_path: Path) -> None:
    root = secrets.token_bytes(32)
    ring = KeyRing(tmp_path, root, "nonhit")
    ring.get(DAY, create=True)
    wrapped = (tmp_path / f"{DAY}.key").read_bytes()
    assert ring.destroy(DAY) == f"nonhit:{DAY}"
    assert not (tmp_path / f"{DAY}.key").exists()
    with pytest.raises(KeyDestroyedError):
        KeyRing(tmp_path, root, "nonhit").get(DAY)
    # nothing left in the directory holds the wrapped secret
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert wrapped not in path.read_bytes()


def test_wrong_root_key_is_a_config_error(tmp_path: Path) -> None:
    KeyRing(tmp_path, secrets.token_bytes(32), "hit").get(DAY, create=True)
    with pytest.raises(ConfigError, match="does not open"):
        KeyRing(tmp_path, secrets.token_bytes(32), "hit").get(DAY)


def test_a_destroyed_day_is_gone_from_the_same_ring_too(tmp_path: Path) -> None:
    ring = KeyRing(tmp_path, secrets.token_bytes(32), "hit")
    ring.get(DAY, create=True)
    assert ring.get(DAY).key_id == f"hit:{DAY}"  # cached now
    ring.destroy(DAY)
    assert not ring.has(DAY)
    with pytest.raises(KeyDestroyedError):
        ring.get(DAY)
    assert ring.destroy(DAY) is None  # twice is harmless, and says nothing was left


def test_a_ring_knows_the_days_on_file_without_loading_them(tmp_path: Path) -> None:
    """``has`` is what the bus asks before sealing for a day: a day another ring (another
    process) created is on file, though this ring never loaded it."""
    root = secrets.token_bytes(32)
    KeyRing(tmp_path, root, "nonhit").get(DAY, create=True)
    fresh = KeyRing(tmp_path, root, "nonhit")
    assert fresh.has(DAY)
    assert not fresh.has(DAY + timedelta(days=1))


def test_read_keys_make_a_days_detail_key_only_when_asked(tmp_path: Path) -> None:
    """The audit details' key provider: ``create`` for a read being stored makes the day's
    keys; otherwise a day without keys, an unknown class or a malformed id is no key at all."""
    rings = {name: KeyRing(tmp_path / name, secrets.token_bytes(32), name) for name in ("hit",)}
    keys = ReadKeys(rings)
    with pytest.raises(KeyDestroyedError):
        keys.detail_aead(f"hit:{DAY}")
    assert not rings["hit"].has(DAY)
    made = keys.detail_aead(f"hit:{DAY}", create=True)
    assert rings["hit"].has(DAY)
    nonce = b"\0" * 12
    sealed = made.encrypt(nonce, b"x", b"")
    assert keys.detail_aead(f"hit:{DAY}").decrypt(nonce, sealed, b"") == b"x"
    for bad in (f"nonhit:{DAY}", "hit:not-a-day", "hit"):
        with pytest.raises(KeyDestroyedError, match="there is no key"):
            keys.detail_aead(bad, create=True)


def test_processes_sharing_a_keys_directory_agree_on_each_days_secret(tmp_path: Path) -> None:
    """A front-end and the writer may create the same day's keys at once: one secret wins and
    every ring uses it (before, each kept the secret it made while one file survived)."""
    rings = [KeyRing(tmp_path, b"k" * 32, "nonhit") for _ in range(4)]
    days = [date(2026, 1, 1) + timedelta(days=i) for i in range(30)]
    got: list[list[bytes]] = [[] for _ in rings]
    failed: list[BaseException] = []
    barrier = threading.Barrier(len(rings))

    def create(n: int) -> None:
        try:
            for day in days:
                barrier.wait(timeout=60)
                got[n].append(rings[n].get(day, create=True).index_key)
        except BaseException as exc:
            failed.append(exc)
            barrier.abort()

    threads = [threading.Thread(target=create, args=(n,)) for n in range(len(rings))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not failed
    fresh = KeyRing(tmp_path, b"k" * 32, "nonhit")
    expected = [fresh.get(day).index_key for day in days]
    assert all(g == expected for g in got)
    assert sorted(p.name for p in tmp_path.iterdir()) == [f"{d.isoformat()}.key" for d in days]
