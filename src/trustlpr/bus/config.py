"""Where a node's ingest bus is: the NATS servers, the JetStream stream, its subjects.

``--bus nats://host:4222/STREAM`` (credentials and several comma-separated servers as NATS
takes them; ``?replicas=3`` for a three-server cluster). Without a path the stream is
``TRUSTLPR_<agency id>``. A message sealed under the key of day D goes on the subject
``trustlpr.<STREAM>.batches.<D>`` (ISO date), so the purge that destroys D's keys can find and
erase the day's messages (``bus.purge``); messages that cannot be opened or parsed go to
``trustlpr.<STREAM>.dead.<D>`` in the stream ``<STREAM>_DEAD`` (``.unknown`` when the message
names no day); the writer's durable consumer is ``writer``, and which writer process is
active is decided by the lease in the key-value bucket ``<STREAM>_WRITER`` (``bus.lease``;
``?lease=SECONDS``, 10 by default).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from urllib.parse import parse_qs, urlsplit, urlunsplit

from ..core.errors import ConfigError

_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True)
class BusConfig:
    """One node's bus. ``servers``: NATS URLs (credentials kept, never logged)."""

    servers: tuple[str, ...]
    stream: str
    replicas: int = 1
    lease: float = 10.0
    durable: str = "writer"

    @classmethod
    def parse(cls, url: str, *, agency_id: str) -> BusConfig:
        """``nats://[user:pass@]host[:port][,host2…][/STREAM][?replicas=N][&lease=S]``."""
        parts = urlsplit(url)
        if parts.scheme not in ("nats", "tls"):
            raise ConfigError(f"--bus must be a nats:// or tls:// URL, not {parts.scheme!r}")
        if not parts.netloc:
            raise ConfigError("--bus names no server (nats://127.0.0.1:4222)")
        hosts = parts.netloc.split(",")
        creds = hosts[0].rpartition("@")[0]
        servers = tuple(
            urlunsplit((parts.scheme, h if "@" in h or not creds else f"{creds}@{h}", "", "", ""))
            for h in hosts
        )
        stream = parts.path.strip("/") or "TRUSTLPR_" + re.sub(r"[^A-Za-z0-9_-]", "_", agency_id)
        if not _NAME.match(stream):
            raise ConfigError(f"bus stream name {stream[:70]!r} must be 1-64 of A-Z a-z 0-9 _ -")
        query = parse_qs(parts.query)
        try:
            replicas = int(query.get("replicas", ["1"])[0])
        except ValueError:
            raise ConfigError("?replicas= must be a number (1, 3 or 5)") from None
        if replicas not in (1, 3, 5):
            raise ConfigError(f"?replicas={replicas}: JetStream takes 1, 3 or 5 replicas")
        try:
            lease = float(query.get("lease", ["10"])[0])
        except ValueError:
            raise ConfigError("?lease= must be a number of seconds (2 to 300)") from None
        if not 2.0 <= lease <= 300.0:
            raise ConfigError(f"?lease={lease:g}: the writer lease lasts 2 to 300 seconds")
        return cls(servers, stream, replicas, lease)

    @property
    def subject(self) -> str:
        """The stream's subjects (every day's), as a filter."""
        return f"trustlpr.{self.stream}.batches.*"

    @property
    def dead_subject(self) -> str:
        """The dead-letter stream's subjects, as a filter."""
        return f"trustlpr.{self.stream}.dead.*"

    def day_subject(self, key_id: str) -> str:
        """Where a message sealed under ``key_id`` (``nonhit:2026-11-02``) is published."""
        return f"trustlpr.{self.stream}.batches.{day_token(key_id)}"

    def dead_day_subject(self, key_id: str) -> str:
        """Where a dead letter sealed under ``key_id`` (or naming no day) goes."""
        return f"trustlpr.{self.stream}.dead.{day_token(key_id)}"

    @property
    def dead_stream(self) -> str:
        return f"{self.stream}_DEAD"

    def __repr__(self) -> str:
        return f"BusConfig(stream={self.stream!r}, servers={len(self.servers)})"


def day_token(key_id: str) -> str:
    """The ISO day a key id names, or ``unknown``: a subject token that is never a wildcard."""
    text = key_id.partition(":")[2]
    try:
        return date.fromisoformat(text).isoformat() if len(text) == 10 else "unknown"
    except ValueError:
        return "unknown"
