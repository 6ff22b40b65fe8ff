"""The living demo behind ``make demo``: a simulated New Haven feeding a real node.

Everything goes through the real parts: cameras are registered with their own keys and post
reads over HTTP to the ingest endpoint; hot-list hits raise alerts that simulated officers
verify; simulated officers search (mostly for legitimate reasons, sometimes not, and an
out-of-state sheriff tries too), and the policy judges and the log records each request.
"""

from __future__ import annotations

import base64
import csv
import io
import json
import logging
import random
import threading
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from .core.clock import Clock, system_clock
from .core.errors import TrustLPRError
from .core.identity import Agency, AgencyType, Role, User
from .core.search import LegalBasis, Purpose, Query, SearchType
from .runtime import System, initialise
from .search import SearchForm, Status
from .settings import Settings
from .sim import TOWN, ReadFormatter, ReadStreamer, Simulation
from .sim.images import stolen_crops
from .sim.patrol import Patrols
from .sim.register import register_cameras, register_patrols, write_keys

log = logging.getLogger("trustlpr.demo")

PLACE = "New Haven"
AGENCY = ("nhpd", "New Haven Police Department", "CT")
POLICY = "ct-pa-26-14"
PASSWORD = "trustlpr-demo"  # demo users only; printed so the console can be tried
USERS = [
    ("admin", Role.ADMIN, "Demo Administrator"),
    ("sgt-rivera", Role.SUPERVISOR, "Sgt. Rivera"),
    ("ofc-chen", Role.OFFICER, "Officer Chen"),
    ("ofc-okafor", Role.OFFICER, "Officer Okafor"),
    ("auditor", Role.AUDITOR, "Civilian Auditor"),
]
KEYS_FILE = "demo-camera-keys.json"
OUTSIDER = "tx-county-so"
SUPERVISOR = "sgt-rivera"
HOTLIST_DAYS = 60  # the stolen-car entries outlive the replayed month and the live demo
PATROL_CARS = 3  # mobile units driving loops through the town, each read at its own position


@dataclass
class DemoCity:
    simulation: Simulation
    keys: dict[str, str]
    stolen: list[dict[str, str]]
    patrols: Patrols | None = None


def demo_settings(data_dir: Path) -> Settings:
    agency_id, name, state = AGENCY
    return Settings.load(
        data_dir, policy=POLICY, agency_id=agency_id, agency_name=name, agency_state=state
    )


def prepare(
    settings: Settings,
    shared_dir: Path,
    *,
    stolen: int = 60,
    clock: Clock = system_clock,
    start: date | None = None,
    system: System | None = None,
) -> DemoCity:
    """Initialises the data directory once (logged at ``clock``'s time): users, the town's
    cameras and a stolen-car list. ``start``: the local date of the simulation's day 0 (the
    first day the history replays; the town's people and plates do not depend on it).
    ``system``: the node, already open on ``clock`` (else one is opened for the set-up)."""
    config = replace(TOWN, agency_id=settings.agency_id, stolen=stolen, seed=2026)
    if start is not None:
        config = replace(config, start=start)
    simulation = Simulation.for_place(config, shared_dir, PLACE, agency_id=settings.agency_id)
    if system is None:
        initialise(settings, clock=clock)
        with System(settings, clock=clock) as own:
            return _set_up(settings, own, simulation, clock)
    return _set_up(settings, system, simulation, clock)


def _set_up(settings: Settings, system: System, simulation: Simulation, clock: Clock) -> DemoCity:
    keys_path = settings.data_dir / KEYS_FILE
    if not system.identity.users():
        _add_people(system)
    if keys_path.is_file():
        keys: dict[str, str] = json.loads(keys_path.read_text())
    else:
        admin = system.identity.user("admin")
        keys, _ = register_cameras(
            system.cameras, simulation, agency_id=settings.agency_id, actor=admin.id
        )
        write_keys(keys_path, keys)
    patrols = Patrols(simulation, PATROL_CARS)
    if any(unit.id not in keys for unit in patrols.units):  # registered as mobile cameras
        admin = system.identity.user("admin")
        keys |= register_patrols(
            system.cameras, patrols, agency_id=settings.agency_id, actor=admin.id
        )
        write_keys(keys_path, keys)
    stolen_plates = simulation.stolen_records()
    if not system.hotlists.lists():
        entries = simulation.hotlist_entries(
            owner="nhpd-auto-theft",
            expires_at=clock() + timedelta(days=HOTLIST_DAYS),
            case_prefix="26-",
            first_case=4100,
        )
        system.hotlists.import_bytes(  # as an agency loads its state's extract: one file
            _csv(entries), list_id="ct-stolen-vehicles", fmt="csv", actor="admin"
        )
    system.snapshot()
    return DemoCity(simulation, keys, stolen_plates, patrols)


def _csv(rows: list[dict[str, str]]) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(rows[0]))
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def _add_people(system: System) -> None:
    identity = system.identity
    admin: User | None = None
    for user_id, role, name in USERS:
        user = identity.add_user(
            user_id, system.owner.id, role, name, actor=admin, password=PASSWORD
        )
        if admin is not None:  # each person takes their password over from the admin who set it
            signed_in = identity.verify_password(user_id, PASSWORD)[0]
            identity.set_password(user_id, PASSWORD, actor=signed_in)
        admin = admin or user
    identity.add_agency(OUTSIDER, "A Texas county sheriff", "TX", AgencyType.LOCAL, actor=admin)
    identity.add_user("tx-deputy", OUTSIDER, Role.OFFICER, "TX deputy", actor=admin)


# -- the moving parts -------------------------------------------------------------------------


def stream_reads(city: DemoCity, url: str, stop: threading.Event, rate: float) -> None:
    """Posts the town's reads over HTTP, stamped with the live clock, until ``stop``."""

    def sleep(seconds: float) -> None:  # a retry wait that ends as soon as the demo stops
        if stop.wait(seconds):
            raise _Stopped

    streamer = ReadStreamer(
        url, city.keys, max_batch=200, workers=2, now=lambda: datetime.now(UTC), sleep=sleep
    )
    fmt = ReadFormatter(city.simulation)

    def reads() -> Iterator[dict[str, Any]]:
        day = 0
        while not stop.is_set():
            batch = city.simulation.day(day % 28)
            crops = stolen_crops(city.simulation, batch)  # as a camera sends its plate crop
            fixed = fmt.dicts(batch)
            for i, read in enumerate(fixed):
                if i in crops:
                    read["plate_crop_jpeg"] = base64.b64encode(crops[i]).decode("ascii")
            mobile: list[dict[str, Any]] = []
            if city.patrols is not None:  # the patrol cars' reads, each at its own position
                mobile = city.patrols.read_dicts(city.patrols.day(day % 28))
            merged = sorted(fixed + mobile, key=lambda r: _moment(r["observed_at"]))
            for read in merged:
                if stop.is_set():
                    return
                yield read
            day += 1

    try:
        streamer.run(reads(), rate=rate)
    except _Stopped:
        pass
    except TrustLPRError as exc:
        if not stop.is_set():
            log.error("read stream stopped: %s", exc.message)
    finally:
        streamer.close()


def _moment(text: object) -> datetime:
    return datetime.fromisoformat(str(text))


class _Stopped(Exception):
    """The demo is shutting down: unwinds the read stream out of its retry waits."""


_LEGIT = [
    (Purpose.STOLEN_VEHICLE, "stolen {colour} {make} reported by owner, hot-list hit follow-up"),
    (Purpose.STOLEN_VEHICLE, "NCIC stolen vehicle entry, locating {colour} {make}"),
    (Purpose.MISSING_PERSON, "missing adult last seen driving a {colour} {make}"),
]
_BAD = [
    (Purpose.IMMIGRATION_ENFORCEMENT, "assist ICE ERO with a removal case", LegalBasis.NONE),
    (Purpose.STOLEN_VEHICLE, "per HSI agent request, I.C.E. detainer", LegalBasis.NONE),
    (Purpose.FELONY_INVESTIGATION, "investigation", LegalBasis.NONE),
    (Purpose.PERSONAL, "checking on my ex's new car", LegalBasis.NONE),
]


def officer_activity(system: System, city: DemoCity, stop: threading.Event) -> None:
    """Simulated officers search, a supervisor decides held requests, alerts get verified."""
    rng = random.Random(7)
    identity = system.identity
    people = {u.id: u for u in identity.users()}
    outsider = identity.agency(OUTSIDER)
    tick = 0
    while not stop.wait(2.0):
        tick += 1
        try:
            search_once(system, city, rng, people, outsider, tick)
            if tick % 3 == 0:
                decide_held(system, people[SUPERVISOR])
            verify_alerts(system, rng, people)
            if tick % 10 == 0:
                system.snapshot()
        except TrustLPRError as exc:
            log.warning("demo officer step failed: %s", exc.message)


def search_once(
    system: System,
    city: DemoCity,
    rng: random.Random,
    people: dict[str, User],
    outsider: Agency,
    tick: int,
) -> None:
    """One officer's search: most for a stolen car, every 7th for a prohibited or vague
    purpose, every 11th by the out-of-state sheriff, every 5th over 14 days (held)."""
    target = rng.choice(city.stolen)
    now = system.clock()
    officer = people[rng.choice(["ofc-chen", "ofc-okafor"])]
    agency = system.owner
    days = 3
    if tick % 7 == 0:
        purpose, reason, basis = rng.choice(_BAD)
    elif tick % 11 == 0:
        officer, agency = people["tx-deputy"], outsider
        purpose, reason, basis = (
            Purpose.FELONY_INVESTIGATION,
            "interstate felony follow-up",
            LegalBasis.NONE,
        )
    else:
        purpose, template = rng.choice(_LEGIT)
        reason, basis = template.format(**target), LegalBasis.HOTLIST
        if tick % 5 == 0:
            days = 14  # longer than 7 days: a supervisor must approve
    form = SearchForm(
        purpose=purpose,
        case_number=f"26-{rng.randrange(1000, 99999):06d}",
        legal_basis=basis,
        reason=reason,
        offense_code="larceny_motor_vehicle" if purpose is Purpose.STOLEN_VEHICLE else None,
        query=Query(
            type=SearchType.EXACT,
            plate=target["plate"],
            window_start=now - timedelta(days=days),
            window_end=now,
        ),
    )
    outcome = system.search.request(officer, agency, form)
    log.info("demo search by %s: %s", officer.id, outcome.status.value)


def decide_held(system: System, supervisor: User) -> None:
    """The supervisor decides up to two held requests (approving all but personal ones)."""
    for pending in system.search.pending(supervisor)[:2]:
        approve = pending.request is not None and pending.request.purpose is not Purpose.PERSONAL
        outcome = system.search.decide_pending(
            supervisor, pending.request_id, approve=approve, note="reviewed case file"
        )
        if outcome.status is Status.APPROVED:  # the results go to the officer who asked
            requester = system.identity.user(pending.requester_id)
            fetched = system.search.fetch(requester, pending.request_id)
            log.info("demo approval: %d results for the requester", len(fetched.results))


def verify_alerts(
    system: System, rng: random.Random, people: dict[str, User], *, limit: int = 5
) -> None:
    """An officer checks up to ``limit`` waiting alerts: most confirmed, some misreads."""
    for alert in system.alerts.list_alerts(status="unverified", limit=limit):
        verdict = "confirmed" if alert.kind.value == "alert" and rng.random() < 0.85 else "misread"
        system.alerts.verify(
            alert.id,
            verdict,
            note="checked image and NCIC"
            if verdict == "confirmed"
            else "image shows another plate",
            user=people["ofc-chen"].id,
        )
