"""The protected-plates registry: plates whose reads the policy does not record, or gives
only to searches two supervisors approved, entered and removed by two admins."""

from .entry import EntryStatus, ProtectedEntry, Secret
from .registry import DB_FILE, ProtectedPlates

__all__ = ["DB_FILE", "EntryStatus", "ProtectedEntry", "ProtectedPlates", "Secret"]
