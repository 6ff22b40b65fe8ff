"""Governed search latency over a 30-day store: the policy decision alone, and the whole
request (decision + durable audit append + blind-index lookup + decryption + result audit),
against a raw plaintext indexed lookup of the same data measured in the same run.

    python bench/search.py --days 30 --reads-per-day 5000 --json

The three are timed search by search in alternating order, over ``--rounds`` rounds of the
same ``--searches`` plates (``_rounds.interleave``); ``ratio`` is the median over rounds of
the whole search's p50 / the raw lookup's p50 (``ratio_search_to_raw_p50``, kept by that name).
"""

from __future__ import annotations

import argparse
import random
import secrets
import sqlite3
import tempfile
from datetime import timedelta
from pathlib import Path

from _common import T0, emit, percentile, plates
from _rounds import interleave
from trustlpr.audit import open_audit
from trustlpr.core import Agency, AgencyType, LegalBasis, Purpose, Query, Read, Role, User
from trustlpr.core import SearchType as T
from trustlpr.identity import IdentityStore
from trustlpr.policy import PolicyEngine
from trustlpr.search import ApprovalQueue, SearchForm, SearchService, Status
from trustlpr.store import SQLiteReadStore
from trustlpr.store.codec import to_us
from trustlpr.store.factory import key_rings

NOW = T0 + timedelta(days=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--reads-per-day", type=int, default=5_000)
    parser.add_argument("--searches", type=int, default=200, help="plates searched per round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds over the same plates")
    parser.add_argument("--json", action="store_true", help="only the JSON line")
    args = parser.parse_args()
    fleet = plates(max(1000, args.reads_per_day // 4))
    rng = random.Random(5)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        store = SQLiteReadStore(root / "reads", key_rings(root, secrets.token_bytes(32)))
        raw = sqlite3.connect(root / "raw.db")
        raw.execute("CREATE TABLE reads (plate TEXT, t INTEGER, camera TEXT, lat REAL, lon REAL)")
        raw.execute("CREATE INDEX reads_plate_t ON reads (plate, t)")
        step = 86400 / args.reads_per_day
        for day in range(args.days):
            batch = [
                Read(fleet[rng.randrange(len(fleet))], "CT", 0.9,
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
        audit = open_audit(root, agency_id="nhpd")
        identity = IdentityStore.open(root, audit)
        owner = identity.add_agency("nhpd", "New Haven PD", "CT", AgencyType.LOCAL, actor=None)
        admin = identity.add_user("adm", "nhpd", Role.ADMIN, "Admin", actor=None)
        officer = identity.add_user("ofc", "nhpd", Role.OFFICER, "Officer", actor=admin)
        engine = PolicyEngine("ct-pa-26-14", owner_state="CT", owner_agency_id="nhpd")
        service = SearchService(
            owner=owner, store=store, judge=engine, audit=audit, sharing=identity.sharing,
            people=identity, approvals=ApprovalQueue(root / "approvals.db"), clock=lambda: NOW,
        )  # fmt: skip
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

        picks = [fleet[rng.randrange(len(fleet))] for _ in range(args.searches)]
        times = interleave(
            picks, {"search": search, "decision": decision, "raw": raw_lookup}, args.rounds
        )
        search_ms, decision_ms = times.all("search"), times.all("decision")
        raw_ms = times.all("raw")
        ratio = times.rounds("search", "raw", lambda ms: percentile(ms, 0.5)).ratio(1)
        identity.close()
        audit.close()
        store.close()
    emit(
        {
            "days": args.days,
            "reads_per_day": args.reads_per_day,
            "searches": len(search_ms),
            "mean_results": round(sum(results) / len(results), 2),
            "decision_p50_ms": round(percentile(decision_ms, 0.5), 3),
            "decision_p99_ms": round(percentile(decision_ms, 0.99), 3),
            "search_p50_ms": round(percentile(search_ms, 0.5), 3),
            "search_p99_ms": round(percentile(search_ms, 0.99), 3),
            "raw_lookup_p50_ms": round(percentile(raw_ms, 0.5), 3),
            "raw_lookup_p99_ms": round(percentile(raw_ms, 0.99), 3),
            "ratio_search_to_raw_p50": ratio["ratio"],
            **ratio,
        },
        args.json,
    )


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
