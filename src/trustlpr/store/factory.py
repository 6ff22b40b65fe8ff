"""Opening the configured read store: SQLite under the data directory, or PostgreSQL."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from ..keys import KeyRing, ReadKeys
from .base import ReadStore, RetentionClass
from .sqlite import SQLiteReadStore


def key_rings(data_dir: Path, root_key: bytes) -> dict[RetentionClass, KeyRing]:
    """One key ring per retention class under ``<data_dir>/keys/<class>/``."""
    return {
        cls: KeyRing(data_dir / "keys" / cls.value, root_key, cls.value) for cls in RetentionClass
    }


def detail_keys(rings: Mapping[RetentionClass, KeyRing]) -> ReadKeys:
    """The rings as the audit detail store's key provider (key ids ``<class>:<day>``)."""
    return ReadKeys({cls.value: ring for cls, ring in rings.items()})


def open_read_store(
    data_dir: Path,
    root_key: bytes,
    database_url: str | None = None,
    *,
    rings: Mapping[RetentionClass, KeyRing] | None = None,
) -> ReadStore:
    """The read store of a node. Pass ``rings`` when something else (the audit detail store)
    derives keys from the same day keys: the store destroys through them, and a destroyed day
    must be gone for every user of the ring at once, caches included."""
    rings = key_rings(data_dir, root_key) if rings is None else rings
    if database_url:
        from .postgres import PostgresReadStore

        store: ReadStore = PostgresReadStore(database_url, rings)
        return store
    return SQLiteReadStore(data_dir / "reads", rings)
