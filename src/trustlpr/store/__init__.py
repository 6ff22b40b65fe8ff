"""The read store: encrypted, day-partitioned reads whose expired days become unrecoverable."""

from .base import PurgeReport, ReadStore, RetentionClass, StoredRead, StoreStats
from .sqlite import SQLiteReadStore

__all__ = [
    "PurgeReport",
    "ReadStore",
    "RetentionClass",
    "SQLiteReadStore",
    "StoreStats",
    "StoredRead",
]
