"""The composition root: opens every component of one TrustLPR node for a data directory.

The CLI and the web app both work through a ``System``; nothing below this module knows how
the parts are wired together. Opening order follows the flow of trust: the audit log first
(every other component reports to it), then identity, policy, the read store and the use
cases built on them.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Mapping, Sequence
from concurrent.futures import Future
from datetime import datetime, timedelta
from types import TracebackType
from typing import Protocol, Self

from .admin import AdminService
from .audit import AuditService, open_audit
from .background import Periodic
from .bus import (
    BusCipher,
    BusConfig,
    BusLedger,
    BusPublisher,
    BusWriter,
    WriterLease,
    erase_days,
)
from .cameras import PLACES_FILE, AreaPlaces, CameraRegistry, PlaceMarks, PlacesLayer
from .core.clock import Clock, system_clock
from .core.errors import AuditError, BusUnavailableError, ConfigError, NotFoundError
from .core.events import AuditSink
from .core.identity import Agency, AgencyType, User
from .core.reads import Read
from .federation import Federation, NodeFacts, NonceCache, PeerRegistry
from .federation.document import DocLog, DocPolicy
from .federation.hotlist_db import ShareDB
from .federation.hotlist_publish import HotlistDesk
from .federation.hotlist_subscribe import HotlistSubscriptions
from .federation.inbound import SearchDesk
from .federation.outbound import FederatedSearch
from .hotlist import BufferedRead, HotlistService
from .hotlist.importer import agreement_check
from .identity import IdentityStore
from .identity.presented import presented_credential
from .ingest import IngestLimits, IngestPipeline, IngestResult, IngestService
from .ingest.collection import FLUSH_INTERVAL as COLLECTION_FLUSH
from .ingest.collection import CollectionRule
from .ingest.coverage import PUBLISH_INTERVAL as COVERAGE_PUBLISH
from .ingest.coverage import MobileCoverage
from .ingest.health import IngestHealth
from .keys import ReadKeys, StandingKeys, create_root_key, load_root_key, pseudonymiser
from .keys.root import ROOT_KEY_ENV, ROOT_KEY_FILE
from .keys.signing import SigningKeys
from .policy import JurisdictionPolicy, PolicyEngine, load_policy
from .protected import ProtectedPlates
from .protected.entry import KEY_NAME as PROTECTED_KEY
from .search import ApprovalQueue, OwnerRequests, OwnerRequestStore, SearchService
from .settings import Settings
from .store import PurgeReport, ReadStore, RetentionClass
from .store.factory import detail_keys, key_rings, open_read_store
from .store.retention import Retention, purge_expired
from .transparency import (
    SNAPSHOT_INTERVAL,
    policy_file,
    record_policy_in_force,
    snapshot_retained_vehicles,
)

__all__ = [
    "FrontEnd",
    "Node",
    "Presented",
    "System",
    "initialise",
    "node_read_keys",
    "open_readonly",
]

log = logging.getLogger(__name__)

FUTURE_SKEW = timedelta(minutes=5)
CHECKPOINT_INTERVAL = 5.0
HOTLIST_TICK = 2.0
HOTLIST_SYNC = 300.0
"""Seconds between pulls of the partners' hot lists this node subscribes to."""


class Presented(Protocol):
    """What a caller presents a credential with (a web request): headers and cookies."""

    @property
    def headers(self) -> Mapping[str, str]: ...

    @property
    def cookies(self) -> Mapping[str, str]: ...


class _Closeable(Protocol):
    def close(self) -> None: ...


def _log_late_failure(future: Future[IngestResult]) -> None:
    exc = future.exception()
    if exc is not None:
        log.error("late hot-list hits were not stored: %s: %s", type(exc).__name__, exc)


def initialise(settings: Settings, *, clock: Clock = system_clock) -> bool:
    """Creates the data directory, root key, ``config.toml`` and the owner agency, logged at
    ``clock``'s time. Returns False (changing nothing) if the directory is already initialised."""
    data_dir = settings.data_dir
    if settings.config_path.is_file():
        return False
    load_policy(settings.policy)  # refuse an unknown policy before writing anything
    agency_type = _agency_type(settings.agency_type)
    data_dir.mkdir(parents=True, exist_ok=True)
    os.chmod(data_dir, 0o700)
    if not (data_dir / ROOT_KEY_FILE).exists() and not os.environ.get(ROOT_KEY_ENV):
        create_root_key(data_dir)
    SigningKeys.create_or_open(data_dir)  # the federation key, apart from the log's key
    with open_audit(data_dir, agency_id=settings.agency_id) as audit:
        identity = IdentityStore.open(data_dir, audit, clock)
        try:
            identity.add_agency(
                settings.agency_id,
                settings.agency_name,
                settings.agency_state,
                agency_type,
                actor=None,
            )
        finally:
            identity.close()
    tmp = settings.config_path.with_suffix(".tmp")
    tmp.write_text(settings.to_toml(), encoding="utf-8")
    tmp.replace(settings.config_path)
    with System(settings, clock=clock) as system:
        system.record_policy()
    return True


def _agency_type(text: str) -> AgencyType:
    """The owner agency's kind; a vendor owns no data on a node."""
    kinds = [t for t in AgencyType if t is not AgencyType.VENDOR]
    if text not in kinds:
        names = ", ".join(t.value for t in kinds)
        raise ConfigError(f"agency_type must be one of {names}, not {text[:20]!r}")
    return AgencyType(text)


def node_read_keys(settings: Settings) -> ReadKeys | None:
    """The node's day keys for a command that opens the audit log alone (``audit entry``,
    ``alerts verify``), so details describing reads are sealed and opened; None when this
    machine has no root key (a copied log: such details then show as sealed)."""
    try:
        return detail_keys(key_rings(settings.data_dir, load_root_key(settings.data_dir)))
    except ConfigError:
        return None


def _retention(settings: Settings, policy: JurisdictionPolicy) -> Retention:
    return Retention(
        nonhit=settings.nonhit_retention or policy.retention_nonhit,
        hit=settings.hit_retention or policy.retention_hit,
        hit_only_mode=policy.hit_only,
    )


def _ingest_limits(retention: Retention) -> IngestLimits:
    """The same limits on every route into the node (direct, MQTT, bus front-ends)."""
    return IngestLimits(
        future_skew=FUTURE_SKEW, max_age=None if retention.hit_only else retention.nonhit
    )


def _require_initialised(settings: Settings) -> None:
    if not settings.config_path.is_file():
        raise ConfigError(
            f"{settings.data_dir} is not initialised; run `trustlpr --data-dir "
            f"{settings.data_dir} init` first"
        )


class _ClosesInReverse:
    """Closes what it opened, last first (``_closers``), also as a context manager."""

    _closers: list[_Closeable]

    def close(self) -> None:
        while self._closers:
            self._closers.pop().close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


class Node(_ClosesInReverse):
    """One node's components over a data directory: audit log, identities, policy, read store,
    cameras, hot lists and alerts, approvals and governed search.

    ``open_readonly`` opens them without the audit log's writer lock, so commands that
    only read run while ``trustlpr serve`` holds it; anything that would append to the log
    then fails loudly (``AuditError``) instead of forking it. ``System`` is the writer.
    """

    def __init__(
        self, settings: Settings, *, clock: Clock = system_clock, readonly: bool = True
    ) -> None:
        _require_initialised(settings)
        self.settings = settings
        self.clock = clock
        self.readonly = readonly
        self.policy: JurisdictionPolicy = load_policy(settings.policy)
        self.retention = _retention(settings, self.policy)
        self.ingest_limits = _ingest_limits(self.retention)
        root_key = load_root_key(settings.data_dir)
        # One set of key rings for the read store, the audit details that describe reads and
        # the bus: destroying a day through the store shreds all three in this process.
        rings = key_rings(settings.data_dir, root_key)
        self._rings = rings
        self._bus: BusConfig | None = None  # set when this process is the bus's writer
        self._closers: list[_Closeable] = []
        self.audit: AuditService = open_audit(
            settings.data_dir,
            agency_id=settings.agency_id,
            readonly=readonly,
            detail_keys=detail_keys(rings),
        )
        self._closers.append(self.audit)
        try:
            self.identity = IdentityStore.open(settings.data_dir, self.audit, clock)
            self._closers.append(self.identity)
            self.owner: Agency = self._owner_agency()
            self.store: ReadStore = open_read_store(
                settings.data_dir, root_key, settings.database_url, rings=rings
            )
            self._closers.append(self.store)
            self.places = _places_layer(
                settings, self.policy, audit=self.audit, agency_id=self.owner.id, clock=clock
            )
            self.cameras = CameraRegistry(
                settings.data_dir,
                audit=self.audit,
                clock=clock,
                placement=self.places,
                mobile_only=self.policy.label if self.policy.collection.mobile_only else None,
            )
            self._closers.append(self.cameras)
            self.protected = ProtectedPlates(
                settings.data_dir,
                StandingKeys(settings.data_dir / "keys", root_key, PROTECTED_KEY),
                agency_id=self.owner.id,
                people=self.identity,
                audit=self.audit,
                handling=self.policy.protected_plates,
                clock=clock,
            )
            self._closers.append(self.protected)
            self.engine = PolicyEngine(
                self.policy,
                owner_state=self.owner.state,
                owner_agency_id=self.owner.id,
                camera_categories=PlaceMarks(self.cameras),
                area_categories=AreaPlaces(self.places, self.cameras),
            )
            self.hotlists = HotlistService.open(
                settings.data_dir,
                audit=self.audit,
                agency_id=self.owner.id,
                clock=clock,
                allowed_category=self.policy.allowed_hotlist_categories,
                sharing_agreement=agreement_check(self.identity.sharing, self.owner),
                reason_check=self.engine.reason_refusals,
                hit_only_window=self.retention.nonhit if self.retention.hit_only else None,
                late_hit_sink=None if readonly else self._store_late_hits,
                promote_stored=None if readonly else self._promote_confirmed,
                alert_unknown_state=self.policy.alerts_without_state,
                audit_log=self.audit.log,
            )
            self._closers.append(self.hotlists)
            self.alerts = self.hotlists.alerts
            self.approvals = ApprovalQueue(settings.data_dir / "approvals.db")
            self._closers.append(self.approvals)
            self.search = SearchService(
                owner=self.owner,
                store=self.store,
                judge=self.engine,
                audit=self.audit,
                sharing=self.identity.sharing,
                people=self.identity,
                approvals=self.approvals,
                clock=clock,
                nonhit_retention=self.retention.nonhit,
                max_pending_age=settings.approval_max_age,
                protected=self.protected,
            )
            self.owner_requests_db = OwnerRequestStore(settings.data_dir / "owner_requests.db")
            self._closers.append(self.owner_requests_db)
            self.owner_requests = OwnerRequests(
                search=self.search,
                store=self.owner_requests_db,
                people=self.identity,
                audit=self.audit,
                owner_agency_id=self.owner.id,
                permitted=self.policy.permitted_purposes,
                policy_name=self.policy.name,
                retention=self.retention.nonhit,
                clock=clock,
                max_pending_age=settings.approval_max_age,
            )
            keys = (SigningKeys if readonly else SigningKeys.create_or_open)(
                settings.data_dir, clock=clock
            )
            peers = PeerRegistry(
                settings.data_dir,
                owner_agency_id=self.owner.id,
                audit=self.audit,
                admins=self.identity,
                clock=clock,
                readonly=readonly,
            )
            self._closers.append(peers)
            nonces = NonceCache(settings.data_dir, readonly=readonly)
            self._closers.append(nonces)
            self.federation = Federation(
                owner=self.owner,
                keys=keys,
                peers=peers,
                nonces=nonces,
                audit=self.audit,
                public_url=settings.public_url,
                clock=clock,
            )
            self.search_desk = SearchDesk(
                owner=self.owner,
                search=self.search,
                people=self.identity,
                agreements=self.identity.sharing,
            )
            self.federated = FederatedSearch(
                federation=self.federation,
                search=self.search,
                audit=self.audit,
                pseudonym=pseudonymiser(root_key),
                deadline=settings.federation_deadline,
                clock=clock,
            )
            self._closers.append(self.federated)
            self.share_db = ShareDB(settings.data_dir, readonly=readonly)
            self._closers.append(self.share_db)
            self.hotlist_desk = HotlistDesk(
                owner=self.owner,
                lists=self.hotlists.store,
                agreements=self.identity.sharing,
                people=self.identity,
                db=self.share_db,
                audit=self.audit,
                clock=clock,
            )
            self.hotlist_subscriptions = HotlistSubscriptions(
                federation=self.federation,
                hotlists=self.hotlists,
                disclosure=self.search,
                people=self.identity,
                permitted=self.policy.permitted_purposes,
                db=self.share_db,
                audit=self.audit,
                deadline=settings.federation_deadline,
                clock=clock,
            )
            self._closers.append(self.hotlist_subscriptions)
            self.hotlists.provenance = self.hotlist_subscriptions.provenance
            if not readonly:  # only the writer raises alerts, and reports the shared lists' hits
                self.alerts.outbox.on_raised = self.hotlist_subscriptions.on_alerts
        except BaseException:
            self.close()
            raise

    def _owner_agency(self) -> Agency:
        try:
            return self.identity.agency(self.settings.agency_id)
        except NotFoundError as exc:
            raise ConfigError(
                f"the owner agency {self.settings.agency_id!r} of config.toml is not registered; "
                "re-run `trustlpr init` in a fresh data directory"
            ) from exc

    def authenticate(self, request: Presented) -> User:
        """The staff user behind a web request's bearer token or console cookie."""
        return self.identity.authenticate(presented_credential(request))[0]

    def node_facts(self) -> NodeFacts:
        """What the node document publishes besides keys: the policy in force (name and the
        SHA-256 of its file, as its ``policy_changed`` entry) and the log's public state."""
        _, digest = policy_file(self.policy)
        checkpoints = self.audit.checkpoints()
        signer = self.audit.signer
        return NodeFacts(
            policy=DocPolicy(name=self.policy.name, digest=digest),
            log=DocLog(
                origin=signer.name if signer else "",
                verifier_key=self.audit.vkey if signer else "",
                checkpoint=checkpoints[-1].note if checkpoints else None,
            ),
        )

    def check_time(self, read: Read, now: datetime) -> str | None:
        """Why a read must not be stored (from the future, or already past retention), by the
        same ``IngestLimits`` the camera routes apply."""
        if self.ingest_limits.ahead(read.observed_at, now):
            return "observed_at is in the future (camera clock wrong?)"
        if self.ingest_limits.expired(read.observed_at, now):
            return "observed_at is older than the retention period; it would be purged at once"
        return None

    def _store_late_hits(self, late: Sequence[BufferedRead]) -> None:
        """Hit-only mode: buffered non-hits that became hits; only the writer (``System``)
        stores them, and only it is given this hook."""
        raise AuditError("a read-only opening of the node stores no reads")

    def _promote_confirmed(self, plate: str, camera_id: str, observed_at: datetime) -> None:
        """A stored non-hit an officer confirmed as a hot-list vehicle becomes a hit."""
        found = self.store.lookup(
            plate, observed_at, observed_at + timedelta(milliseconds=1), cameras=[camera_id]
        )
        self.store.promote([s.ref for s in found])


def _places_layer(
    settings: Settings,
    policy: JurisdictionPolicy,
    *,
    audit: AuditSink | None = None,
    agency_id: str | None = None,
    clock: Clock = system_clock,
) -> PlacesLayer:
    """The agency's sensitive places under the policy's no-collection rule: it refuses fixed
    cameras near them (registry) and drops reads taken near them (ingest). With ``audit``,
    refused placements and installs of the layer are logged."""
    rule = policy.sensitive_locations
    return PlacesLayer(
        settings.data_dir / PLACES_FILE,
        rule.no_cameras,
        rule.camera_distance_m,
        policy.name,
        audit=audit,
        agency_id=agency_id,
        clock=clock,
    )


def open_readonly(settings: Settings, *, clock: Clock = system_clock) -> Node:
    """The node for commands that only read; takes no writer lock (see ``Node``)."""
    return Node(settings, clock=clock, readonly=True)


class System(Node):
    """The node opened for writing (one process at a time: the audit log's writer lock), with
    the ingest pipeline, camera ingest, the administrative actions and the periodic jobs of a
    running service."""

    def __init__(self, settings: Settings, *, clock: Clock = system_clock) -> None:
        super().__init__(settings, clock=clock, readonly=False)
        try:
            self.coverage = MobileCoverage(
                settings.data_dir,
                self.cameras.is_mobile,
                audit=self.audit,
                agency_id=self.owner.id,
                clock=clock,
            )
            self._closers.append(self.coverage)
            self.collection = CollectionRule(
                self.places.guard,
                audit=self.audit,
                clock=clock,
                attended=self.cameras.attended if self.policy.collection.attended else None,
            )
            self._closers.append(self.collection)  # its last tally is logged
            self.pipeline = IngestPipeline(
                self.store,
                audit=self.audit,
                hot_lists=self.hotlists.judge,
                hit_only=self.retention.hit_only,
                nonhit_buffer=self.hotlists.buffer,
                protected=self.protected,
                coverage=self.coverage,
                not_collected=self.collection.add,  # this node's, and what bus batches carry
                clock=clock,
            )
            self._closers.append(self.pipeline)  # closes first: drains into the store
            self.ingest_service = IngestService(
                self.cameras,
                self.pipeline,
                limits=self.ingest_limits,
                clock=clock,
                collection=self.collection,
            )
            self.jobs = Periodic()
            self._closers.append(self.jobs)  # stops first: no purge or checkpoint mid-close
            # every administrative change, whichever face asks (CLI, admin socket, HTTP API)
            self.admin = AdminService(
                identity=self.identity,
                cameras=self.cameras,
                alerts=self.alerts,
                policy=self.policy,
                agency_id=self.owner.id,
                protected=self.protected,
                federation=self.federation,
                places=self.places,
            )
        except BaseException:
            self.close()
            raise

    # -- reads --------------------------------------------------------------------------------

    def ingest(self, reads: Sequence[Read], images: Mapping[int, bytes] | None = None) -> int:
        """Sends validated reads through the pipeline (hot lists, retention, store, audit) and
        waits until they are durable; returns how many were kept. Reads the sensitive-places
        rule forbids collecting are dropped first (``ingest.collection``), as camera ingest
        drops them."""
        keep = self.collection.screen(reads)
        if len(keep) < len(reads):
            kept = {j: images[i] for j, i in enumerate(keep) if images and i in images}
            reads, images = [reads[i] for i in keep], kept
        return self.pipeline.ingest(reads, images=images).kept

    def bus_writer(self, bus: BusConfig, lease: WriterLease | None = None) -> BusWriter:
        """Consumes the node's ingest bus into this pipeline (``serve --role writer``, as the
        holder of ``lease``): the batches the front-ends published, opened with the same key
        rings the store destroys through. Started by the caller; closed (before the pipeline
        drains) with the system."""
        self._bus = bus  # the purge erases destroyed days from its streams
        ledger = BusLedger(self.settings.data_dir / "bus.db")
        self._closers.append(ledger)
        writer = BusWriter(
            bus,
            BusCipher(self._rings[RetentionClass.NONHIT], bus.stream, clock=self.clock),
            pipeline=self.pipeline,
            ledger=ledger,
            audit_log=self.audit.log,
            health=self.ingest_service.health,
            max_age=self.retention.nonhit,
            lease=lease,
        )
        self._closers.append(writer)  # closes first: its last fetch commits and is acked
        return writer

    def _store_late_hits(self, late: Sequence[BufferedRead]) -> None:
        """Hit-only mode: buffered non-hits that became hits (a new entry, an officer's
        confirmation) go through the pipeline's one writer, which stores them as hits and then
        raises their alerts. Not waited for: this may run on the writer thread itself."""
        future = self.pipeline.submit(
            [b.read for b in late],
            images={i: b.image for i, b in enumerate(late) if b.image},
            late=True,
        )
        future.add_done_callback(_log_late_failure)

    def record_policy(self) -> int | None:
        """Logs the policy in force (file digest) unless the log already says so."""
        return record_policy_in_force(
            self.audit.log, self.audit, self.policy, agency_id=self.owner.id, clock=self.clock
        )

    def snapshot(self) -> int:
        """Logs how many distinct vehicles are retained now (a portal figure), and the reads
        of protected plates not recorded on each finished day."""
        self.protected.publish_counts()
        return snapshot_retained_vehicles(self.store, self.retention, self.audit, self.clock)

    def purge(self, now: datetime | None = None) -> PurgeReport:
        """Removes reads past retention with the audit details that describe them, alerts
        (which carry a read) past hit retention, possible matches past non-hit retention, and
        held search requests, own-vehicle requests and protected-plate entries past their
        expiry, rotated-out federation signing keys, and hit reports of shared hot lists past
        hit retention."""
        moment = now or self.clock()
        report = purge_expired(self.store, self.retention, moment, self.audit, self.audit)
        # possible matches are non-hits (until an officer confirms one) and go with them
        self.alerts.expire(
            hit_before=moment - self.retention.hit, nonhit_before=moment - self.retention.nonhit
        )
        self.search.expire_pending(moment)
        self.protected.expire(moment)
        self.owner_requests.expire(moment)
        self.federation.keys.destroy_retired()  # a rotated-out signing key cannot sign again
        self.share_db.expire(moment - self.retention.hit)  # partners' hit reports, ours queued
        if self._bus is not None:
            days = [day for cls, day in report.days_dropped if cls is RetentionClass.NONHIT]
            try:
                erased = erase_days(self._bus, days)
                if erased:
                    log.info("purge: %d bus message(s) of destroyed days erased", erased)
            except BusUnavailableError as exc:  # their key is gone; max_age drops them too
                log.warning("purge: %s", exc.message)
        return report

    def start(self) -> None:
        """What a running service does besides answering requests: logs the policy in force,
        then runs the periodic work (retention purge, checkpoint signing, hot-list refresh,
        retained-vehicles snapshot, partners' hot-list sync) until ``close``."""
        self.record_policy()
        self.coverage.publish()  # the days that ended while the node was down
        jobs = self.jobs
        jobs.every(self.settings.purge_interval.total_seconds(), "purge", self.purge)
        jobs.every(CHECKPOINT_INTERVAL, "checkpoint", self.audit.maybe_checkpoint)
        jobs.every(HOTLIST_TICK, "hotlist-tick", self.hotlists.tick)
        jobs.every(SNAPSHOT_INTERVAL.total_seconds(), "stats-snapshot", self.snapshot)
        jobs.every(HOTLIST_SYNC, "hotlist-sync", self.hotlist_subscriptions.sync_all)
        jobs.every(COLLECTION_FLUSH, "not-collected-tally", self.collection.flush)
        jobs.every(COVERAGE_PUBLISH, "mobile-coverage", self.coverage.publish)
        jobs.start()


class FrontEnd(_ClosesInReverse):
    """An ingest front-end (``serve --role ingest --bus …``): the camera checks of
    ``IngestService`` in front of the bus instead of a pipeline. It opens only what those
    checks need — the policy's limits, the camera registry, and the non-hit key ring for the
    day's bus key — and no store, hot lists or audit writer: any number of front-ends run
    beside the node's one writer."""

    def __init__(self, settings: Settings, bus: BusConfig, *, clock: Clock = system_clock) -> None:
        _require_initialised(settings)
        self.settings = settings
        self.bus = bus
        policy = load_policy(settings.policy)
        self.retention = _retention(settings, policy)
        rings = key_rings(settings.data_dir, load_root_key(settings.data_dir))
        self._closers: list[_Closeable] = []
        try:
            # read-only: camera changes are refused here (they belong to the writer's node)
            self.audit = open_audit(settings.data_dir, agency_id=settings.agency_id, readonly=True)
            self._closers.append(self.audit)
            self.cameras = CameraRegistry(settings.data_dir, audit=self.audit, clock=clock)
            self._closers.append(self.cameras)
            health = IngestHealth()
            self.publisher = BusPublisher(
                bus,
                BusCipher(rings[RetentionClass.NONHIT], bus.stream, clock=clock),
                max_age=self.retention.nonhit,
                health=health,
            )
            self._closers.append(self.publisher)
            self.ingest_service = IngestService(
                self.cameras,
                self.publisher,
                limits=_ingest_limits(self.retention),
                clock=clock,
                health=health,
                # no log writer here: what it does not collect is counted in the bus batch
                # and tallied by the writer when it commits that batch
                collection=CollectionRule(
                    _places_layer(settings, policy).guard,
                    attended=self.cameras.attended if policy.collection.attended else None,
                ),
            )
        except BaseException:
            self.close()
            raise
