"""The composition root: opens every component of one TrustLPR node for a data directory.

The CLI and the web app both work through a ``System``; nothing below this module knows how
the parts are wired together. Opening order follows the flow of trust: the audit log first
(every other component reports to it), then identity, policy, the read store and the use
cases built on them.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path
from types import TracebackType
from typing import Any

from .audit import AuditService, open_audit
from .background import Periodic
from .core.clock import Clock, system_clock
from .core.errors import ConfigError, NotFoundError
from .core.identity import Agency, AgencyType, User
from .core.reads import Read
from .identity import IdentityStore
from .identity.presented import presented_credential
from .keys import create_root_key, load_root_key
from .keys.root import ROOT_KEY_ENV, ROOT_KEY_FILE
from .policy import JurisdictionPolicy, PolicyEngine, load_policy
from .search import ApprovalQueue, SearchService
from .settings import Settings
from .store import PurgeReport, ReadStore
from .store.factory import open_read_store
from .store.retention import Retention, purge_expired

FUTURE_SKEW = timedelta(minutes=5)
CHECKPOINT_INTERVAL = 5.0


def initialise(settings: Settings) -> bool:
    """Creates the data directory, root key, ``config.toml`` and the owner agency.
    Returns False (changing nothing) if the directory is already initialised."""
    data_dir = settings.data_dir
    if settings.config_path.is_file():
        return False
    load_policy(settings.policy)  # refuse an unknown policy before writing anything
    data_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(data_dir, 0o700)
    if not (data_dir / ROOT_KEY_FILE).exists() and not os.environ.get(ROOT_KEY_ENV):
        create_root_key(data_dir)
    with open_audit(data_dir, agency_id=settings.agency_id) as audit:
        identity = IdentityStore.open(data_dir, audit)
        try:
            identity.add_agency(
                settings.agency_id,
                settings.agency_name,
                settings.agency_state,
                AgencyType.LOCAL,
                actor=None,
            )
        finally:
            identity.close()
    tmp = settings.config_path.with_suffix(".tmp")
    tmp.write_text(settings.to_toml(), encoding="utf-8")
    tmp.replace(settings.config_path)
    return True


class System:
    """One node: its audit log, identities, policy, read store and governed search."""

    def __init__(self, settings: Settings, *, clock: Clock = system_clock) -> None:
        if not settings.config_path.is_file():
            raise ConfigError(
                f"{settings.data_dir} is not initialised; run `trustlpr --data-dir "
                f"{settings.data_dir} init` first"
            )
        self.settings = settings
        self.clock = clock
        self.policy: JurisdictionPolicy = load_policy(settings.policy)
        self.retention = Retention(
            nonhit=settings.nonhit_retention or self.policy.retention_nonhit,
            hit=settings.hit_retention or self.policy.retention_hit,
            hit_only_mode=self.policy.hit_only,
        )
        root_key = load_root_key(settings.data_dir)
        self._closers: list[object] = []
        self.audit: AuditService = open_audit(settings.data_dir, agency_id=settings.agency_id)
        self._closers.append(self.audit)
        try:
            self.identity = IdentityStore.open(settings.data_dir, self.audit, clock)
            self._closers.append(self.identity)
            self.owner: Agency = self._owner_agency()
            self.engine = PolicyEngine(
                self.policy, owner_state=self.owner.state, owner_agency_id=self.owner.id
            )
            self.store: ReadStore = open_read_store(
                settings.data_dir, root_key, settings.database_url
            )
            self._closers.append(self.store)
            self.approvals = ApprovalQueue(settings.data_dir / "approvals.db")
            self._closers.append(self.approvals)
            self.search = SearchService(
                owner=self.owner,
                store=self.store,
                judge=self.engine,
                audit=self.audit,
                sharing=self.identity.sharing,
                approvals=self.approvals,
                clock=clock,
            )
        except BaseException:
            self.close()
            raise

    @classmethod
    def open(cls, data_dir: Path | None = None, *, clock: Clock = system_clock) -> System:
        return cls(Settings.load(data_dir), clock=clock)

    def _owner_agency(self) -> Agency:
        try:
            return self.identity.agency(self.settings.agency_id)
        except NotFoundError as exc:
            raise ConfigError(
                f"the owner agency {self.settings.agency_id!r} of config.toml is not registered; "
                "re-run `trustlpr init` in a fresh data directory"
            ) from exc

    def authenticate(self, request: Any) -> User:
        """The staff user behind a web request's bearer token or console cookie."""
        return self.identity.authenticate(presented_credential(request))[0]

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
        return purge_expired(self.store, self.retention, now or self.clock(), self.audit)

    def schedule(self, jobs: Periodic) -> None:
        """Registers this node's periodic work: retention purge, checkpoint signing."""
        jobs.every(self.settings.purge_interval.total_seconds(), "purge", self.purge)
        jobs.every(CHECKPOINT_INTERVAL, "checkpoint", self.audit.maybe_checkpoint)

    # -- lifecycle ----------------------------------------------------------------------------

    def close(self) -> None:
        while self._closers:
            closer = self._closers.pop()
            closer.close()  # type: ignore[attr-defined]

    def __enter__(self) -> System:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
