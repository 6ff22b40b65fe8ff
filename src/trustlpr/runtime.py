"""The composition root: opens every component of one TrustLPR node for a data directory.

The CLI and the web app both work through a ``System``; nothing below this module knows how
the parts are wired together.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType

from .background import Periodic
from .core.clock import Clock, system_clock
from .core.errors import ConfigError
from .core.reads import Read
from .keys import create_root_key, load_root_key
from .keys.root import ROOT_KEY_ENV, ROOT_KEY_FILE
from .settings import Settings
from .store import PurgeReport, ReadStore
from .store.factory import open_read_store
from .store.retention import DEFAULT_RETENTION, Retention, purge_expired

FUTURE_SKEW = timedelta(minutes=5)


def initialise(settings: Settings) -> bool:
    """Creates the data directory, root key and ``config.toml``. False if already there."""
    data_dir = settings.data_dir
    if settings.config_path.is_file():
        return False
    data_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(data_dir, 0o700)
    if not (data_dir / ROOT_KEY_FILE).exists() and not os.environ.get(ROOT_KEY_ENV):
        create_root_key(data_dir)
    tmp = settings.config_path.with_suffix(".tmp")
    tmp.write_text(settings.to_toml(), encoding="utf-8")
    tmp.replace(settings.config_path)
    return True


class System:
    """One node: settings, clock, retention, read store (and, as they land, the rest)."""

    def __init__(self, settings: Settings, *, clock: Clock = system_clock) -> None:
        if not settings.config_path.is_file():
            raise ConfigError(
                f"{settings.data_dir} is not initialised; run `trustlpr --data-dir "
                f"{settings.data_dir} init` first"
            )
        self.settings = settings
        self.clock = clock
        self.retention = Retention(
            nonhit=settings.nonhit_retention or DEFAULT_RETENTION,
            hit=settings.hit_retention or DEFAULT_RETENTION,
        )
        root_key = load_root_key(settings.data_dir)
        self.store: ReadStore = open_read_store(settings.data_dir, root_key, settings.database_url)

    @classmethod
    def open(cls, data_dir: Path | None = None, *, clock: Clock = system_clock) -> System:
        return cls(Settings.load(data_dir), clock=clock)

    def with_settings(self, **changes: object) -> Settings:
        return replace(self.settings, **changes)  # type: ignore[arg-type]

    # -- reads --------------------------------------------------------------------------------

    def check_time(self, read: Read, now: datetime) -> str | None:
        """Why a read must not be stored (from the future, or already past retention)."""
        if read.observed_at > now + FUTURE_SKEW:
            return "observed_at is in the future (camera clock wrong?)"
        if read.observed_at < now - self.retention.nonhit and not self.retention.hit_only:
            return "observed_at is older than the retention period; it would be purged at once"
        return None

    def ingest(self, reads: Sequence[Read]) -> list[str]:
        """Stores a batch of validated reads; returns their refs (hit-only mode keeps none)."""
        if self.retention.hit_only:
            return []
        return self.store.append(reads)

    def purge(self, now: datetime | None = None) -> PurgeReport:
        return purge_expired(self.store, self.retention, now or self.clock())

    def schedule(self, jobs: Periodic) -> None:
        """Registers this node's periodic work (retention purge, …) on ``jobs``."""
        jobs.every(self.settings.purge_interval.total_seconds(), "purge", self.purge)

    # -- lifecycle ----------------------------------------------------------------------------

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> System:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
