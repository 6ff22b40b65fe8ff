"""Governed search latency over a 30-day store, each part against a plaintext baseline in the
same run, and what the protected-plates check and the attribute indexes add to ingest.

    python bench/search.py --days 30 --reads-per-day 5000 --json
    python bench/search.py --parts attribute,ingest --attribute-reads-per-day 200000 --json
    python bench/search.py --parts area --attribute-reads-per-day 200000 --json

``exact``: the policy decision alone, and the whole request (decision + durable audit append +
blind-index lookup + decryption + result audit), against a raw plaintext indexed lookup, timed
search by search in alternating order over ``--rounds`` rounds of the same ``--searches``
plates (``_rounds.interleave``); ``ratio`` is the median over rounds of the whole search's
p50 / the raw lookup's p50 (``ratio_search_to_raw_p50``, kept by that name).

``attribute``: attribute searches (make and colour, some with body type or a partial plate;
24 h at 20 cameras, the CT policy's bounds, with a warrant) over ``--days`` days at
``--attribute-reads-per-day`` (default the goal's 200,000; store built by ``_vehicles.build``):
the whole request, the store's ``find_vehicles`` alone and a plaintext SQL query, interleaved
(goal: the whole request's p99 <= 200 ms, issue 15).

``area``: polygon searches (a 6 h window, the CT policy's bound for area searches, with a
warrant; each polygon at most 2 km², the strict default's cap) over the same store (fixed
cameras and patrol cars along a route, ``_vehicles.position``; built once when both parts
run): the whole governed request (the store's ``find_in_area`` behind the policy and the
audit log), the store's ``find_in_area`` alone and a plaintext SQL query by plain grid cell
and bounding box with the same exact inside test, interleaved (goal: the whole request's
p99 <= 200 ms, issue 20). Positions do not change what the attribute part measures: its
searches name cameras, and its reads are the same reads as before positions were spread.

``ingest``: ``_ingest_cost`` (goal: the protected-plates check costs <= 5 %).
"""

from __future__ import annotations

import argparse
import math
import os
import random
import secrets
import sqlite3
import tempfile
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from _common import T0, emit, percentile, plates
from _ingest_cost import ingest_costs
from _rounds import interleave
from _vehicles import CAMERAS, FIXED_AT, ROUTE, build, fleet
from trustlpr.audit import open_audit
from trustlpr.core import Agency, AgencyType, LegalBasis, Purpose, Query, Read, Role, User
from trustlpr.core import SearchType as T
from trustlpr.core.area import Area
from trustlpr.core.vehicle import VehicleAttributes
from trustlpr.geo import Region
from trustlpr.identity import IdentityStore
from trustlpr.policy import PolicyEngine
from trustlpr.search import ApprovalQueue, SearchForm, SearchService, Status, compile_pattern
from trustlpr.store import SQLiteReadStore
from trustlpr.store.codec import to_us
from trustlpr.store.factory import key_rings

NOW = T0 + timedelta(days=30)


PARTS = ("exact", "attribute", "area", "ingest")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--reads-per-day", type=int, default=5_000, help="exact-search store")
    parser.add_argument("--searches", type=int, default=200, help="plates searched per round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds over the same plates")
    parser.add_argument(
        "--parts", default=",".join(PARTS), help="comma-separated: " + ", ".join(PARTS)
    )
    parser.add_argument(
        "--attribute-reads-per-day",
        type=int,
        default=200_000,
        help="attribute- and area-search store (the goal's size: 200,000)",
    )
    parser.add_argument("--attribute-searches", type=int, default=100, help="per round")
    parser.add_argument("--area-searches", type=int, default=100, help="per round")
    parser.add_argument("--build-workers", type=int, default=2, help="processes building it")
    parser.add_argument("--ingest-reads", type=int, default=20_000, help="per round and side")
    parser.add_argument("--ingest-rounds", type=int, default=5)
    parser.add_argument("--protected-entries", type=int, default=200)
    parser.add_argument("--json", action="store_true", help="only the JSON line")
    args = parser.parse_args()
    parts = [p for p in args.parts.split(",") if p]
    if unknown := set(parts) - set(PARTS):
        parser.error(f"unknown part {', '.join(sorted(unknown))}; known: {', '.join(PARTS)}")
    figures: dict[str, object] = {}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        if "exact" in parts:
            (root / "exact").mkdir()
            figures |= exact_part(root / "exact", args)
        built = _Built(root / "attribute", args) if {"attribute", "area"} & set(parts) else None
        if built is not None and "attribute" in parts:
            figures |= attribute_part(built, args)
        if built is not None and "area" in parts:
            figures |= area_part(built, args)
        if built is not None:
            built.raw.close()
        if "ingest" in parts:
            (root / "ingest").mkdir()
            vehicles = fleet(20_000)
            figures |= ingest_costs(
                root / "ingest", vehicles, T0, reads=args.ingest_reads,
                rounds=args.ingest_rounds, entries=args.protected_entries,
            )  # fmt: skip
            figures["protected_check_cost_goal_pct"] = 5.0
    emit(figures, args.json)


class _Node:
    """The audit log, identity store, policy engine and search service of one bench store."""

    def __init__(self, root: Path, store: SQLiteReadStore, now: datetime) -> None:
        self.audit = open_audit(root, agency_id="nhpd")
        self.identity = IdentityStore.open(root, self.audit)
        ids = self.identity
        self.owner = ids.add_agency("nhpd", "New Haven PD", "CT", AgencyType.LOCAL, actor=None)
        admin = ids.add_user("adm", "nhpd", Role.ADMIN, "Admin", actor=None)
        self.officer = ids.add_user("ofc", "nhpd", Role.OFFICER, "Officer", actor=admin)
        self.engine = PolicyEngine("ct-pa-26-14", owner_state="CT", owner_agency_id="nhpd")
        self.service = SearchService(
            owner=self.owner, store=store, judge=self.engine, audit=self.audit,
            sharing=ids.sharing, people=ids, approvals=ApprovalQueue(root / "approvals.db"),
            clock=lambda: now,
        )  # fmt: skip

    def close(self) -> None:
        self.identity.close()
        self.audit.close()


def exact_part(root: Path, args: argparse.Namespace) -> dict[str, object]:
    """Exact searches of a 30-day store against a plaintext indexed lookup."""
    fleet_plates = plates(max(1000, args.reads_per_day // 4))
    rng = random.Random(5)
    store = SQLiteReadStore(root / "reads", key_rings(root, secrets.token_bytes(32)))
    raw = sqlite3.connect(root / "raw.db")
    raw.execute("CREATE TABLE reads (plate TEXT, t INTEGER, camera TEXT, lat REAL, lon REAL)")
    raw.execute("CREATE INDEX reads_plate_t ON reads (plate, t)")
    step = 86400 / args.reads_per_day
    for day in range(args.days):
        batch = [
            Read(fleet_plates[rng.randrange(len(fleet_plates))], "CT", 0.9,
                 T0 + timedelta(days=day, seconds=i * step), f"cam-{i % 50}", "nhpd",
                 41.3, -72.9)
            for i in range(args.reads_per_day)
        ]  # fmt: skip
        store.append(batch)
        with raw:
            raw.executemany(
                "INSERT INTO reads VALUES (?, ?, ?, ?, ?)",
                [(r.plate, to_us(r.observed_at), r.camera_id, 41.3, -72.9) for r in batch],
            )
    node = _Node(root, store, NOW)
    service, officer, owner, engine = node.service, node.officer, node.owner, node.engine
    results: list[int] = []
    start, end = NOW - timedelta(days=7), NOW

    def form_of(plate: str) -> SearchForm:
        return SearchForm(
            purpose=Purpose.STOLEN_VEHICLE,
            case_number="26-004512",
            legal_basis=LegalBasis.HOTLIST,
            reason="stolen grey Honda Civic reported by the owner on 11/2",
            offense_code="larceny_motor_vehicle",
            query=Query(T.EXACT, start, end, plate=plate),
        )

    def search(plate: str) -> None:
        outcome = service.request(officer, owner, form_of(plate))
        assert outcome.status is Status.COMPLETED, outcome.decision
        results.append(len(outcome.results))

    def decision(plate: str) -> None:
        engine.decide(_request_of(service, officer, owner, form_of(plate)))

    def raw_lookup(plate: str) -> None:
        raw.execute(
            "SELECT * FROM reads WHERE plate = ? AND t >= ? AND t < ?",
            (plate, to_us(start), to_us(end)),
        ).fetchall()

    picks = [fleet_plates[rng.randrange(len(fleet_plates))] for _ in range(args.searches)]
    times = interleave(
        picks, {"search": search, "decision": decision, "raw": raw_lookup}, args.rounds
    )
    search_ms, decision_ms = times.all("search"), times.all("decision")
    raw_ms = times.all("raw")
    ratio = times.rounds("search", "raw", lambda ms: percentile(ms, 0.5)).ratio(1)
    node.close()
    store.close()
    raw.close()
    return {
        "days": args.days,
        "reads_per_day": args.reads_per_day,
        "searches": len(search_ms),
        "mean_results": round(sum(results) / len(results), 2),
        **_tails({"decision": decision_ms, "search": search_ms, "raw_lookup": raw_ms}, 3),
        "ratio_search_to_raw_p50": ratio["ratio"],
        **ratio,
    }


@dataclass(frozen=True)
class _Ask:
    vehicle: VehicleAttributes
    pattern: str | None
    end: datetime
    cameras: tuple[str, ...]


class _Built:
    """The attribute and area parts' store (``_vehicles.build``), built once."""

    def __init__(self, root: Path, args: argparse.Namespace) -> None:
        root.mkdir()
        self.root, self.root_key, began = root, secrets.token_bytes(32), time.perf_counter()
        self.raw = build(root, self.root_key, days=args.days,
                         per_day=args.attribute_reads_per_day, t0=T0,
                         workers=args.build_workers)  # fmt: skip
        self.built_s = time.perf_counter() - began
        (self.rows,) = self.raw.execute("SELECT count(*) FROM reads").fetchone()
        os.sync()  # the build's dirty pages are not the searches' to write


def attribute_part(built: _Built, args: argparse.Namespace) -> dict[str, object]:
    """Attribute searches (24 h, 20 cameras: the CT policy's bounds) of a 30-day store at
    ``--attribute-reads-per-day``: the whole governed request, the store's indexed find alone,
    and a plaintext indexed SQL query of the same reads, interleaved."""
    per_day, root, root_key, raw = (
        args.attribute_reads_per_day, built.root, built.root_key, built.raw
    )  # fmt: skip
    built_s, rows = built.built_s, built.rows
    rng = random.Random(9)
    vehicles = fleet(max(1000, per_day // 4))
    asks = []
    for _ in range(args.attribute_searches):
        v = vehicles[rng.randrange(len(vehicles))]
        words = dict(zip(("make", "colour", "vehicle_type"), v.canonical, strict=True))
        if rng.random() < 0.6:
            words.pop("vehicle_type")
        pattern = v.plate[:3] + "*" if rng.random() < 0.2 else None
        end = T0 + timedelta(days=1, seconds=rng.uniform(0, (args.days - 1) * 86400))
        asks.append(_Ask(VehicleAttributes.parse(**words), pattern, end,
                         tuple(rng.sample(CAMERAS, 20))))  # fmt: skip
    store = SQLiteReadStore(root / "reads", key_rings(root, root_key))
    node = _Node(root / "node", store, T0 + timedelta(days=args.days + 1))
    results: list[int] = []

    def form_of(ask: _Ask) -> SearchForm:
        return SearchForm(
            purpose=Purpose.VIOLENT_FELONY, case_number="26-004513",
            legal_basis=LegalBasis.WARRANT, warrant_id="SW-2026-0413", offense_code="homicide",
            reason="homicide on Elm St, a witness saw the car leave; warrant for the area",
            query=Query(T.ATTRIBUTE, ask.end - timedelta(hours=24), ask.end,
                        cameras=ask.cameras, pattern=ask.pattern, vehicle=ask.vehicle),
        )  # fmt: skip

    def search(ask: _Ask) -> None:
        outcome = node.service.request(node.officer, node.owner, form_of(ask))
        assert outcome.status is Status.COMPLETED, outcome.decision
        results.append(len(outcome.results))

    def find(ask: _Ask) -> None:
        regex = compile_pattern(ask.pattern) if ask.pattern else None
        list(store.find_vehicles(
            ask.vehicle, ask.end - timedelta(hours=24), ask.end, cameras=ask.cameras,
            predicate=None if regex is None else lambda r: bool(regex.fullmatch(r.plate)),
        ))  # fmt: skip

    def raw_query(ask: _Ask) -> None:
        regex = compile_pattern(ask.pattern) if ask.pattern else None
        sql = "SELECT plate, t, camera FROM reads WHERE t >= ? AND t < ? "
        params: list[object] = [(ask.end - timedelta(hours=24)).timestamp(), ask.end.timestamp()]
        for kind, value in ask.vehicle.items():
            sql += f"AND {kind} = ? "
            params.append(value)
        sql += f"AND camera IN ({','.join('?' * len(ask.cameras))})"
        found = raw.execute(sql, [*params, *ask.cameras]).fetchall()
        if regex is not None:
            found = [row for row in found if regex.fullmatch(row[0])]

    times = interleave(asks, {"search": search, "find": find, "raw": raw_query}, args.rounds,
                       warmup=min(20, len(asks)))  # fmt: skip
    search_ms, find_ms, raw_ms = times.all("search"), times.all("find"), times.all("raw")
    ratio = times.rounds("search", "raw", lambda ms: percentile(ms, 0.5)).ratio(1)
    node.close()
    store.close()
    return {
        "attribute_days": args.days,
        "attribute_reads_per_day": per_day,
        "attribute_store_rows": rows,
        "attribute_build_s": round(built_s, 1),
        "attribute_searches": len(search_ms),
        "attribute_mean_results": round(sum(results) / len(results), 1),
        **_tails(
            {"attribute_search": search_ms, "attribute_find": find_ms, "attribute_raw": raw_ms}, 2
        ),
        "attribute_search_to_raw_p50_ratio": ratio["ratio"],
        "attribute_search_to_raw_p50_ratio_min": ratio["ratio_min"],
        "attribute_search_to_raw_p50_ratio_max": ratio["ratio_max"],
        "attribute_search_p99_goal_ms": 200,
    }


@dataclass(frozen=True)
class _Place:
    area: Area
    region: Region
    end: datetime


def _polygon(rng: random.Random, lat: float, lon: float) -> Area:
    """A rotated rectangle of 0.4 to 1.9 km² around a position, as GeoJSON's (lon, lat)."""
    km2, aspect, turn = rng.uniform(0.4, 1.9), rng.uniform(0.6, 1.6), rng.uniform(0, math.pi)
    half_w, half_h = math.sqrt(km2 * aspect) / 2, math.sqrt(km2 / aspect) / 2  # km
    per_lat, per_lon = 111.2, 111.2 * math.cos(math.radians(lat))
    ring = []
    for dx, dy in ((-half_w, -half_h), (half_w, -half_h), (half_w, half_h), (-half_w, half_h)):
        x = dx * math.cos(turn) - dy * math.sin(turn)
        y = dx * math.sin(turn) + dy * math.cos(turn)
        ring.append((lon + x / per_lon, lat + y / per_lat))
    return Area(rings=((*ring, ring[0]),))


def area_part(built: _Built, args: argparse.Namespace) -> dict[str, object]:
    """Polygon searches (6 h, at most 2 km², around a fixed camera or a point of the patrol
    route) of the same store: the whole governed request, the store's ``find_in_area`` alone,
    and a plaintext query by plain grid cell, interleaved."""
    rng = random.Random(13)
    spots = [*FIXED_AT.values(), *ROUTE]
    places = []
    for _ in range(args.area_searches):
        lat, lon = spots[rng.randrange(len(spots))]
        area = _polygon(rng, lat + rng.uniform(-0.003, 0.003), lon + rng.uniform(-0.004, 0.004))
        end = T0 + timedelta(hours=6, seconds=rng.uniform(0, args.days * 86400 - 6 * 3600))
        places.append(_Place(area, Region(area), end))
    store = SQLiteReadStore(built.root / "reads", key_rings(built.root, built.root_key))
    node = _Node(built.root / "area-node", store, T0 + timedelta(days=args.days + 1))
    results: list[int] = []

    def form_of(place: _Place) -> SearchForm:
        return SearchForm(
            purpose=Purpose.VIOLENT_FELONY, case_number="26-004514",
            legal_basis=LegalBasis.WARRANT, warrant_id="SW-2026-0414", offense_code="homicide",
            reason="shooting on Chapel St; warrant for every read near the scene that evening",
            query=Query(T.AREA, place.end - timedelta(hours=6), place.end, area=place.area),
        )  # fmt: skip

    def search(place: _Place) -> None:
        outcome = node.service.request(node.officer, node.owner, form_of(place))
        assert outcome.status is Status.COMPLETED, outcome.decision
        results.append(len(outcome.results))

    def find(place: _Place) -> None:
        list(store.find_in_area(place.region, place.end - timedelta(hours=6), place.end))

    def raw_query(place: _Place) -> None:
        cells = place.region.cells()
        lo_x, lo_y, hi_x, hi_y = place.region.bounds()
        sql = (
            "SELECT plate, t, camera, lat, lon FROM reads WHERE t >= ? AND t < ? "
            f"AND cell IN ({','.join('?' * len(cells))}) "
            "AND lat BETWEEN ? AND ? AND lon BETWEEN ? AND ?"
        )
        start = (place.end - timedelta(hours=6)).timestamp()
        rows = built.raw.execute(sql, [start, place.end.timestamp(), *cells,
                                       lo_y, hi_y, lo_x, hi_x]).fetchall()  # fmt: skip
        [row for row in rows if place.region.contains(row[3], row[4])]

    times = interleave(places, {"search": search, "find": find, "raw": raw_query}, args.rounds,
                       warmup=min(20, len(places)))  # fmt: skip
    search_ms, find_ms, raw_ms = times.all("search"), times.all("find"), times.all("raw")
    ratio = times.rounds("search", "raw", lambda ms: percentile(ms, 0.5)).ratio(1)
    node.close()
    store.close()
    return {
        "area_days": args.days,
        "area_reads_per_day": args.attribute_reads_per_day,
        "area_store_rows": built.rows,
        "area_build_s": round(built.built_s, 1),
        "area_searches": len(search_ms),
        "area_max_km2": round(max(p.region.area_km2 for p in places), 2),
        "area_mean_results": round(sum(results) / len(results), 1),
        "area_min_results": min(results),
        **_tails({"area": search_ms, "area_find": find_ms, "area_raw": raw_ms}, 2),
        "area_search_to_raw_p50_ratio": ratio["ratio"],
        "area_search_to_raw_p50_ratio_min": ratio["ratio_min"],
        "area_search_to_raw_p50_ratio_max": ratio["ratio_max"],
        "area_p99_goal_ms": 200,
    }


def _tails(latencies: dict[str, list[float]], digits: int) -> dict[str, float]:
    """``<name>_p50_ms`` and ``<name>_p99_ms`` of each list of per-call latencies."""
    return {
        f"{name}_p{q}_ms": round(percentile(ms, q / 100), digits)
        for name, ms in latencies.items()
        for q in (50, 99)
    }


def _request_of(service: SearchService, user: User, agency: Agency, form: SearchForm):  # type: ignore[no-untyped-def]
    from trustlpr.core import Requester, SearchRequest

    return SearchRequest(
        id="bench", requester=Requester(agency.id, agency.state, agency.type, user.id, user.role),
        purpose=form.purpose, offense_code=form.offense_code, case_number=form.case_number,
        legal_basis=form.legal_basis, warrant_id=None, reason=form.reason, query=form.query,
        now=NOW, owner_agency_id=agency.id,
    )  # fmt: skip


if __name__ == "__main__":
    main()
