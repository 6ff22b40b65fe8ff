"""The replay cache: each signature's nonce is accepted once, also across restarts.

A nonce is claimed (``claim``) only after its signature verified, so strangers cannot fill the
cache. It is kept, per key, until its signature's ``expires`` plus the clock skew: after that
the signature itself is refused as outside its window, so the nonce can go; every claim prunes
what has passed. The file is ``<data_dir>/federation/nonces.db`` (private, ``synchronous=FULL``:
a nonce accepted before a crash is still known after it).
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from ..keys.signing import FEDERATION_DIR
from ..privatedb import PrivateDB
from .refusal import Refusal, refuse

NONCES_FILE = "nonces.db"
_SCHEMA = """
CREATE TABLE IF NOT EXISTS nonces (
    key_id TEXT NOT NULL,
    nonce TEXT NOT NULL,
    keep_until INTEGER NOT NULL,
    PRIMARY KEY (key_id, nonce)
);
CREATE INDEX IF NOT EXISTS nonces_until ON nonces (keep_until);
"""


def _us(moment: datetime) -> int:
    return int(moment.timestamp() * 1_000_000)


class NonceCache:
    """Nonces seen, in a private SQLite file of the data directory."""

    def __init__(self, data_dir: Path, *, readonly: bool = False) -> None:
        path = Path(data_dir) / FEDERATION_DIR / NONCES_FILE
        self._db = PrivateDB(
            path, schema=_SCHEMA, label="federation replay cache",
            readonly=readonly and path.exists(),
        )  # fmt: skip

    def claim(self, key_id: str, nonce: str, *, keep_until: datetime, now: datetime) -> None:
        """Records the nonce, or ``SignatureRefused(replayed_nonce)`` if it was seen."""
        with self._db.write() as conn:
            conn.execute("DELETE FROM nonces WHERE keep_until < ?", (_us(now),))
            added = conn.execute(
                "INSERT OR IGNORE INTO nonces (key_id, nonce, keep_until) VALUES (?, ?, ?)",
                (key_id, nonce, _us(keep_until)),
            ).rowcount
        if not added:
            raise refuse(Refusal.REPLAYED)

    def __len__(self) -> int:
        return int(self._db.query("SELECT COUNT(*) FROM nonces")[0][0])

    def close(self) -> None:
        self._db.close()
