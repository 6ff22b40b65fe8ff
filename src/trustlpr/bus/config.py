"""Where a node's ingest bus is: the NATS servers, the JetStream stream, its subjects.

``--bus nats://host:4222/STREAM`` (credentials and several comma-separated servers as NATS
takes them; ``?replicas=3`` for a three-server cluster). Without a path the stream is
``TRUSTLPR_<agency id>``. The stream's subject is ``trustlpr.<STREAM>.batches``; messages that
cannot be opened or parsed go to ``trustlpr.<STREAM>.dead`` in the stream ``<STREAM>_DEAD``;
the writer's durable consumer is ``writer``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit, urlunsplit

from ..core.errors import ConfigError

_NAME = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True)
class BusConfig:
    """One node's bus. ``servers``: NATS URLs (credentials kept, never logged)."""

    servers: tuple[str, ...]
    stream: str
    replicas: int = 1
    durable: str = "writer"

    @classmethod
    def parse(cls, url: str, *, agency_id: str) -> BusConfig:
        """``nats://[user:pass@]host[:port][,host2…][/STREAM][?replicas=N]``."""
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
        return cls(servers, stream, replicas)

    @property
    def subject(self) -> str:
        return f"trustlpr.{self.stream}.batches"

    @property
    def dead_subject(self) -> str:
        return f"trustlpr.{self.stream}.dead"

    @property
    def dead_stream(self) -> str:
        return f"{self.stream}_DEAD"

    def __repr__(self) -> str:
        return f"BusConfig(stream={self.stream!r}, servers={len(self.servers)})"
