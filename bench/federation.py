"""Federated search latency: one exact search answered by two partner nodes, against the same
search run on this node only, alternated in the same run.

Three nodes on loopback, each with its own data directory: the requester (a Massachusetts town,
in this process, the way the console and the CLI run a search) and two partners (two Connecticut
towns), each a real ``trustlpr serve`` process whose agreement covers
stolen-vehicle searches by the requester. Every node holds ``--reads`` reads, a few of them of
the searched plate. Rounds alternate: a local search, then the federated one (local + both
partners, each request and answer signed, every decision in both logs before it runs).

Goal (issue 14): ``federated_p99_ms`` <= 50. The last line is JSON.
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from _common import emit, percentile, plates
from trustlpr.core.identity import Role, User
from trustlpr.core.reads import Read
from trustlpr.core.search import LegalBasis, Purpose, Query, SearchType
from trustlpr.identity import make_attestation
from trustlpr.runtime import System, initialise
from trustlpr.search import SearchForm, Status
from trustlpr.settings import Settings

PLATE = "ABC1234"
ATTESTED = ["no_immigration_enforcement", "no_reproductive_health_investigation",
            "no_gender_affirming_care_investigation"]  # fmt: skip
PARTNERS = (("ct-town", "CT", "ct-pa-26-14"), ("ct-city", "CT", "ct-pa-26-14"))


def _port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _node(root: Path, agency: str, state: str, policy: str, url: str | None) -> System:
    settings = Settings.load(root / agency, env={}, policy=policy, agency_id=agency,
                             agency_name=f"{agency} police", agency_state=state,
                             agency_type="local", public_url=url)  # fmt: skip
    initialise(settings)
    system = System(settings)
    ids = system.identity
    ids.add_user("alice", agency, Role.ADMIN, "Alice", actor=None)
    ids.add_user("bob", agency, Role.ADMIN, "Bob", actor=None)
    return system


def _fill(system: System, reads: int) -> None:
    now = datetime.now(UTC)
    agency = system.owner.id
    fleet = plates(reads, seed=len(agency))
    rows = [Read(p, "CT", 0.9, now - timedelta(seconds=86400 * i / reads), f"cam-{i % 20}",
                 agency, 41.3, -72.9) for i, p in enumerate(fleet)]  # fmt: skip
    rows += [Read(PLATE, "CT", 0.95, now - timedelta(hours=h), "cam-1", agency, 41.3, -72.9)
             for h in (2, 5, 9)]  # fmt: skip
    for start in range(0, len(rows), 5000):
        system.ingest(rows[start : start + 5000])


def _pin(pinner: System, other: System, url: str) -> None:
    """Two admins of ``pinner`` pin ``other`` from its document (handed over out of band)."""
    ids = pinner.identity
    doc = other.federation.document(other.node_facts())
    peers = pinner.federation.peers
    peers.propose(doc, url, doc.key_pairs(), actor=ids.user("alice"))
    peers.approve(other.owner.id, actor=ids.user("bob"))


def _agree(owner: System, grantee: str) -> None:
    ids = owner.identity
    now = datetime.now(UTC)
    attestation = make_attestation("MOU-2026-7", "Chief", now - timedelta(days=1), ATTESTED)
    proposal = ids.sharing.propose(owner.owner.id, grantee_agency_id=grantee,
                                   purposes=["stolen_vehicle"], expires_at=now + timedelta(days=90),
                                   actor=ids.user("alice"), attestation=attestation)  # fmt: skip
    ids.sharing.approve(proposal.id, actor=ids.user("bob"))


def _serve(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    command = [sys.executable, "-m", "trustlpr.cli", "--data-dir", str(data_dir), "serve",
               "--port", str(port), "--log-level", "warning"]  # fmt: skip
    proc = subprocess.Popen(
        command,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env={**os.environ, "TRUSTLPR_DATA_DIR": str(data_dir)},
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return proc
        except httpx.TransportError:
            time.sleep(0.2)
        if proc.poll() is not None:
            err = proc.stderr.read().decode() if proc.stderr else ""
            raise SystemExit(f"partner node on port {port} died: {err[-2000:]}")
    raise SystemExit(f"partner node on port {port} did not start")


def _form() -> SearchForm:
    end = datetime.now(UTC) + timedelta(minutes=1)
    return SearchForm(
        purpose=Purpose.STOLEN_VEHICLE, case_number="26-004512", legal_basis=LegalBasis.NONE,
        reason="stolen grey Honda Civic reported by its owner",
        query=Query(SearchType.EXACT, end - timedelta(days=2), end, plate=PLATE),
    )  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=200, help="alternated pairs of searches")
    parser.add_argument("--reads", type=int, default=20_000, help="reads held by each node")
    parser.add_argument("--json", action="store_true", help="only the JSON line")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="trustlpr-fedbench-") as tmp:
        root = Path(tmp)
        ports = {agency: _port() for agency, _, _ in PARTNERS}
        urls = {agency: f"http://127.0.0.1:{port}" for agency, port in ports.items()}
        ma = _node(root, "ma-town", "MA", "strict-default", None)
        _fill(ma, args.reads)
        for agency, state, policy in PARTNERS:
            partner = _node(root, agency, state, policy, urls[agency])
            _fill(partner, args.reads)
            _pin(ma, partner, urls[agency])
            _pin(partner, ma, "http://127.0.0.1:1")  # the requester serves nothing here
            _agree(partner, "ma-town")
            partner.close()
        procs = [_serve(root / agency, ports[agency]) for agency, _, _ in PARTNERS]
        try:
            officer = ma.identity.add_user("ofc", "ma-town", Role.OFFICER, "Officer",
                                           actor=ma.identity.user("alice"))  # fmt: skip
            local, federated = measure(ma, officer, args.rounds)
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                proc.wait(timeout=60)
            ma.close()
    result = {
        "rounds": args.rounds,
        "reads_per_node": args.reads,
        "partners": len(PARTNERS),
        "local_p50_ms": round(percentile(local, 0.5), 2),
        "local_p99_ms": round(percentile(local, 0.99), 2),
        "federated_p50_ms": round(percentile(federated, 0.5), 2),
        "federated_p99_ms": round(percentile(federated, 0.99), 2),
        "ratio_p50": round(percentile(federated, 0.5) / percentile(local, 0.5), 2),
        "goal_federated_p99_ms": 50,
    }
    emit(result, args.json)


def measure(ma: System, officer: User, rounds: int) -> tuple[list[float], list[float]]:
    """Alternating local and federated searches (after a warm-up that also reads the partners'
    terms); every federated answer is checked: both partners allowed and returned the rows."""
    names = [agency for agency, _, _ in PARTNERS]
    local: list[float] = []
    federated: list[float] = []
    for round_ in range(rounds + 5):
        start = time.perf_counter()
        alone = ma.search.request(officer, ma.owner, _form())
        mid = time.perf_counter()
        outcome = ma.federated.run(officer, ma.owner, _form(), names)
        end = time.perf_counter()
        if alone.status is not Status.COMPLETED or len(alone.results) != 3:
            raise SystemExit(f"the local search was not answered: {alone.decision.reasons}")
        for part in outcome.partners:
            if part.decision != "allow" or len(part.results) != 3:
                raise SystemExit(f"{part.agency}: {part.status} {part.note} {part.reasons}")
        if round_ >= 5:  # warm-up rounds are not counted
            local.append((mid - start) * 1000)
            federated.append((end - mid) * 1000)
    return local, federated


if __name__ == "__main__":
    main()
