"""A whole node for the portal, console and browser tests, driven through its real components.

``build_node`` initialises a data directory and opens the real ``System`` with a ``FakeClock``,
adding the camera registry, hot-list service and ingest pipeline when the runtime does not
provide them yet. ``simulate`` feeds days of simulated traffic (``trustlpr.sim``) through the
pipeline hour by hour, with searches, alert checks, approvals, purges and snapshots along the
way, so every kind of portal figure has real log entries behind it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from tests.conftest import FakeClock
from trustlpr.core import Agency, AgencyType, LegalBasis, Purpose, Query, Role, SearchType, User
from trustlpr.core.reads import read_from_mapping
from trustlpr.identity import Commitment, make_attestation
from trustlpr.ingest import IngestPipeline
from trustlpr.runtime import System, initialise
from trustlpr.search import SearchForm, SearchOutcome
from trustlpr.settings import Settings
from trustlpr.sim import CityConfig, Simulation
from trustlpr.sim.images import stolen_crops
from trustlpr.sim.output import ReadFormatter
from trustlpr.transparency import record_policy_in_force, snapshot_retained_vehicles

PASSWORD = "correct horse battery staple"
OWNER = "ctpd"


@dataclass
class Node:
    system: System
    clock: FakeClock
    data_dir: Path
    users: dict[str, User] = field(default_factory=dict)
    outsiders: dict[str, tuple[User, Agency]] = field(default_factory=dict)
    sim: Simulation | None = None
    opened: list[Any] = field(default_factory=list)

    @property
    def owner(self) -> Agency:
        return self.system.owner

    def close(self) -> None:
        for thing in reversed(self.opened):
            thing.close()
        self.system.close()


def build_node(data_dir: Path, clock: FakeClock, *, nonhit: str = "3d") -> Node:
    settings = Settings.load(
        data_dir,
        env={},
        policy="ct-pa-26-14",
        agency_id=OWNER,
        agency_name="Capitol Town Police",
        agency_state="CT",
        nonhit_retention=nonhit,
    )
    initialise(settings)
    system = System(settings, clock=clock)
    node = Node(system, clock, data_dir)
    record_policy_in_force(
        system.audit.log, system.audit, system.policy, agency_id=OWNER, clock=clock
    )
    identity = system.identity
    admin = identity.add_user("adm1", OWNER, Role.ADMIN, "Admin One", actor=None, password=PASSWORD)
    admin2 = identity.add_user(  # the node's second admin, at set-up
        "adm2", OWNER, Role.ADMIN, "Admin Two", actor=None, password=PASSWORD
    )
    for user_id, role in (("off1", Role.OFFICER), ("off2", Role.OFFICER),
                          ("sup1", Role.SUPERVISOR), ("aud1", Role.AUDITOR)):  # fmt: skip
        identity.add_user(user_id, OWNER, role, f"User {user_id}", actor=admin, password=PASSWORD)
        # each takes the password over from the admin who set it (two-person rules need that)
        signed_in = identity.verify_password(user_id, PASSWORD)[0]
        identity.set_password(user_id, PASSWORD, actor=signed_in)
        node.users[user_id] = identity.user(user_id)
    node.users |= {"adm1": admin, "adm2": admin2}
    _outsiders(node, admin, admin2)
    return node


def _outsiders(node: Node, admin: User, admin2: User) -> None:
    """A New York agency with an attested agreement, and a Texas one with none."""
    identity = node.system.identity
    clock = node.clock
    ny = identity.add_agency("nycpd", "New York City Police", "NY", AgencyType.LOCAL, actor=admin)
    tx = identity.add_agency("txso", "Texas County Sheriff", "TX", AgencyType.LOCAL, actor=admin)
    attestation = make_attestation(
        "NY-ATT-2026-07", "Chief Example", clock.now - timedelta(days=1),
        [Commitment.NO_IMMIGRATION_ENFORCEMENT, Commitment.NO_REPRODUCTIVE_HEALTH,
         Commitment.NO_GENDER_AFFIRMING_CARE],
    )  # fmt: skip
    proposal = identity.sharing.propose(
        OWNER,
        purposes=[Purpose.STOLEN_VEHICLE, Purpose.MISSING_PERSON],
        expires_at=clock.now + timedelta(days=180),
        actor=admin2,
        grantee_agency_id="nycpd",
        attestation=attestation,
    )
    identity.sharing.approve(proposal.id, actor=admin)
    identity.add_user("nyadm", "nycpd", Role.ADMIN, "NY Admin", actor=admin)
    identity.add_user("txadm", "txso", Role.ADMIN, "TX Admin", actor=admin)
    ny_admin = identity.approve_admin("nyadm", actor=admin2)
    tx_admin = identity.approve_admin("txadm", actor=admin2)
    ny_off = identity.add_user("nyoff", "nycpd", Role.OFFICER, "NY Officer", actor=ny_admin)
    tx_off = identity.add_user("txoff", "txso", Role.OFFICER, "TX Officer", actor=tx_admin)
    node.outsiders = {"nyoff": (ny_off, ny), "txoff": (tx_off, tx)}


def city(days_ago_start: date, *, cameras: int = 8, vehicles: int = 600) -> Simulation:
    return Simulation(
        CityConfig(
            seed=3,
            cameras=cameras,
            vehicles=vehicles,
            agency_id=OWNER,
            start=days_ago_start,
            stolen=4,
        )
    )


def register_city(node: Node, sim: Simulation) -> None:
    """Registers the simulated cameras and puts the planted stolen plates on a hot list."""
    registry = node.system.cameras  # type: ignore[attr-defined]
    for cam in sim.camera_records():
        registry.add(str(cam["name"]), float(cam["lat"]), float(cam["lon"]),  # type: ignore[arg-type]
                     agency_id=OWNER, direction=cam["direction"], camera_id=str(cam["id"]))  # type: ignore[arg-type]  # fmt: skip
    hotlists = node.system.hotlists  # type: ignore[attr-defined]
    for record in sim.stolen_records():
        expires = (node.clock.now + timedelta(days=60)).isoformat()
        entry = {
            "plate": record["plate"], "state": record["state"], "category": "V",
            "reason": "reported stolen by its owner", "case_number": "2026-0042",
            "owner": "Det. Example", "expires_at": expires,
            "make": record["make"], "colour": record["colour"],
        }  # fmt: skip
        hotlists.add_entry(entry, list_id="stolen", actor="adm1")
    node.sim = sim


def form(purpose: Purpose, reason: str, query: Query, **kw: Any) -> SearchForm:
    return SearchForm(
        purpose=purpose,
        case_number=kw.pop("case_number", "2026-001234"),
        legal_basis=kw.pop("legal_basis", LegalBasis.NONE),
        reason=reason,
        query=query,
        **kw,
    )


def exact(plate: str, now: datetime, days: int = 3) -> Query:
    return Query(SearchType.EXACT, now - timedelta(days=days), now, plate=plate)


def day_of_searches(node: Node, day: int) -> list[SearchOutcome]:
    """The searches of one simulated day: allowed, denied, held (and decided), outside."""
    system, now = node.system, node.clock.now
    plate = node.sim.stolen_records()[day % 4]["plate"] if node.sim else "ABC1234"
    off, off2, sup = node.users["off1"], node.users["off2"], node.users["sup1"]
    owner = system.owner
    ask = system.search.request
    q = exact(plate, now)
    stolen = "vehicle reported stolen from Main Street lot"
    outcomes = [
        ask(
            off,
            owner,
            form(Purpose.STOLEN_VEHICLE, stolen, q, offense_code="larceny_motor_vehicle"),
        ),
        ask(off2, owner, form(Purpose.IMMIGRATION_ENFORCEMENT, "ICE asked us to find it", q)),
        ask(
            off,
            owner,
            form(Purpose.FELONY_INVESTIGATION, "investigation", q, offense_code="burglary"),
        ),
    ]
    partial = Query(SearchType.PARTIAL, now - timedelta(days=2), now, pattern=plate[:4] + "*")
    held = ask(off2, owner, form(Purpose.STOLEN_VEHICLE, "partial plate of a car stolen", partial))
    outcomes.append(held)
    if held.status.value == "pending_approval":
        outcomes.append(system.search.decide_pending(sup, held.request_id, approve=day % 2 == 0))
    ny_user, ny = node.outsiders["nyoff"]
    tx_user, tx = node.outsiders["txoff"]
    queens = "car stolen in Queens seen heading to Connecticut"
    abortion = "woman who travelled for an abortion"
    outcomes += [
        ask(ny_user, ny, form(Purpose.STOLEN_VEHICLE, queens, q)),
        ask(tx_user, tx, form(Purpose.REPRODUCTIVE_HEALTH, abortion, q)),
    ]
    return outcomes


def check_alerts(node: Node) -> int:
    """Officers check the waiting alerts: confirm, misread, not the vehicle, in turn."""
    alerts = node.system.hotlists.alerts  # type: ignore[attr-defined]
    waiting = alerts.list_alerts(status="unverified", kind=None, limit=1000)
    outcomes = ("confirmed", "misread", "not_the_vehicle", "confirmed")
    for n, record in enumerate(waiting[:8]):
        alerts.verify(
            record.id, outcomes[n % 4], note="compared photo and NCIC record", user="off1"
        )
    return min(len(waiting), 8)


def simulate(node: Node, days: int, *, searches: bool = True) -> int:
    """Feeds ``days`` days of the city's traffic hour by hour; returns the reads fed."""
    assert node.sim is not None
    sim, system, clock = node.sim, node.system, node.clock
    fmt = ReadFormatter(sim)
    pipeline = system.pipeline  # type: ignore[attr-defined]
    fed = 0
    for batch in sim.batches(days):
        rows = fmt.dicts(batch)
        crops = stolen_crops(sim, batch)  # the stolen cars' reads carry a (drawn) plate crop
        hour_end = sim.midnight(batch.day) + 3600
        chunk: list[Any] = []
        for i, row in enumerate(rows):
            read = read_from_mapping(row)
            while read.observed_at.timestamp() >= hour_end:
                fed += _flush(pipeline, chunk, clock, hour_end)
                hour_end += 3600
            chunk.append((read, crops.get(i)))
        fed += _flush(pipeline, chunk, clock, sim.midnight(batch.day + 1))
        clock.advance(minutes=1)
        if searches:
            day_of_searches(node, batch.day)
            check_alerts(node)
        system.purge()
        snapshot_retained_vehicles(system.store, system.retention, system.audit, clock)
    system.audit.maybe_checkpoint()  # the service signs one every few seconds
    return fed


def _flush(pipeline: IngestPipeline, chunk: list[Any], clock: FakeClock, until: float) -> int:
    if not chunk:
        return 0
    clock.now = max(clock.now, datetime.fromtimestamp(until, UTC))
    images = {i: image for i, (_, image) in enumerate(chunk) if image is not None}
    pipeline.ingest([read for read, _ in chunk], images=images)
    count = len(chunk)
    chunk.clear()
    return count


_DATA = re.compile(r"<data data-figure='([^']*)' value='([^']*)'>")


def page_figures(html: str) -> list[tuple[list[str], Any]]:
    """Every ``<data data-figure>`` of a page: its path and its JSON value."""
    import html as html_lib

    return [
        (json.loads(html_lib.unescape(path)), json.loads(html_lib.unescape(value)))
        for path, value in _DATA.findall(html)
    ]


def lookup(figures: dict[str, Any], path: list[str]) -> Any:
    value: Any = figures
    for key in path:
        value = value.get(key) if isinstance(value, dict) else None
    return value
