"""Deciding a held request is atomic: of decisions made at the same moment — from threads, from
processes sharing ``approvals.db``, or over HTTP — exactly one takes effect and is logged
(issue 12 item 2)."""

from __future__ import annotations

import multiprocessing
import socket
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
import uvicorn

from trustlpr.core import Role, User
from trustlpr.core.errors import ConflictError
from trustlpr.runtime import System, initialise
from trustlpr.search import ApprovalQueue, HeldStatus, PendingSearch, Status
from trustlpr.settings import Settings
from trustlpr.web.app import create_app

from .conftest import World
from .test_held import of_type
from .test_service import form

ROUNDS = 6


def _race(count: int, target: object) -> list[BaseException | str]:
    """Runs ``target(i)`` in ``count`` threads released together; their outcomes."""
    barrier = threading.Barrier(count)
    results: list[BaseException | str] = [""] * count

    def one(i: int) -> None:
        barrier.wait()
        try:
            results[i] = str(target(i))  # type: ignore[operator]
        except BaseException as exc:  # the outcome is what we compare
            results[i] = exc

    threads = [threading.Thread(target=one, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    return results


def test_threads_deciding_one_request_yield_one_decision(world: World) -> None:
    for round_ in range(ROUNDS):
        held = world.service.request(world.officer, world.owner, form(days=14))
        deciders = [world.supervisor, world.admin2] * 3

        def decide(
            i: int, request_id: str = held.request_id, shift: int = round_,
            deciders: list[User] = deciders,
        ) -> Status:  # fmt: skip
            approve = (i + shift) % 2 == 0
            return world.service.decide_pending(
                deciders[i], request_id, approve=approve, note=f"thread {i}"
            ).status

        outcomes = _race(len(deciders), decide)
        won = [o for o in outcomes if not isinstance(o, BaseException)]
        lost = [o for o in outcomes if isinstance(o, BaseException)]
        assert len(won) == 1, outcomes
        assert all(isinstance(o, ConflictError) for o in lost), lost
        logged = [
            e for e in of_type(world, "approval_decided")
            if e["public"]["request_id"] == held.request_id
        ]  # fmt: skip
        assert len(logged) == 1
        fetched = world.service.fetch(world.officer, held.request_id)
        if logged[0]["public"]["outcome"] == "rejected":
            assert fetched.status is Status.REJECTED and fetched.results == []
        else:
            assert fetched.status is Status.COMPLETED and fetched.results
    executed = of_type(world, "search_executed")
    approved = [
        e for e in of_type(world, "approval_decided") if e["public"]["outcome"] == "approved"
    ]
    assert len(executed) == len(approved)  # each approved request ran once: at its one fetch


def _decide_in_process(
    path: str, request_id: str, approve: bool, log: str, go: object, now: datetime
) -> str:
    """One process's attempt (module level: spawned processes import it)."""
    queue = ApprovalQueue(Path(path))

    def record(held: PendingSearch) -> int:
        with open(log, "a", encoding="utf-8") as out:
            out.write(f"{'approve' if approve else 'reject'}\n")
        return 1

    go.wait(30)  # type: ignore[attr-defined]
    try:
        queue.decide(request_id, approve=approve, now=now, record=record)
    except ConflictError:
        return "lost"
    finally:
        queue.close()
    return "won"


def test_processes_sharing_the_queue_yield_one_decision(world: World, tmp_path: Path) -> None:
    spawn = multiprocessing.get_context("spawn")
    log = tmp_path / "decisions.log"
    for _ in range(3):
        held = world.service.request(world.officer, world.owner, form(days=14))
        log.write_text("")
        with spawn.Manager() as manager:
            go = manager.Event()
            with spawn.Pool(4) as pool:
                pending = [
                    pool.apply_async(
                        _decide_in_process,
                        (
                            str(world.approvals.path),
                            held.request_id,
                            i % 2 == 0,
                            str(log),
                            go,
                            world.clock.now,
                        ),
                    )
                    for i in range(4)
                ]
                time.sleep(0.5)  # let every worker reach the start line (not a timing check)
                go.set()
                outcomes = sorted(p.get(60) for p in pending)
        assert outcomes == ["lost", "lost", "lost", "won"]
        assert len(log.read_text().split()) == 1  # only the winner's decision was recorded
        assert world.approvals.get(held.request_id).status is not HeldStatus.PENDING


# -- over HTTP: a real service, two people clicking at once ----------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, System, dict[str, str]]]:
    settings = Settings.load(tmp_path / "node", env={}, agency_id="nhpd", agency_state="CT")
    initialise(settings)
    with System(settings) as system:
        ids = system.identity
        admin = ids.add_user("adm", "nhpd", Role.ADMIN, "Admin", actor=None)
        for who, role in (("ofc", Role.OFFICER), ("sgt", Role.SUPERVISOR), ("lt", Role.SUPERVISOR)):
            ids.add_user(who, "nhpd", role, who, actor=admin)
        tokens = {w: ids.create_token(w, actor=ids.user(w)).plaintext for w in ("ofc", "sgt", "lt")}
        server = uvicorn.Server(
            uvicorn.Config(create_app(system), host="127.0.0.1", port=_free_port(),
                           log_level="warning", lifespan="off")
        )  # fmt: skip
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started:
            if time.monotonic() > deadline or not thread.is_alive():
                pytest.fail("the service did not start")
            time.sleep(0.05)
        try:
            yield f"http://127.0.0.1:{server.config.port}", system, tokens
        finally:
            server.should_exit = True
            thread.join(10)


def test_an_approve_and_a_reject_over_http_yield_one_decision(
    served: tuple[str, System, dict[str, str]],
) -> None:
    base, system, tokens = served
    now = datetime.now(UTC)
    body = {
        "purpose": "stolen_vehicle", "case_number": "26-000777", "legal_basis": "hotlist",
        "reason": "stolen white Honda reported by owner 11/2",
        "query": {"type": "exact", "plate": "HTTP123",
                  "window_start": (now - timedelta(days=10)).isoformat(),
                  "window_end": now.isoformat()},
    }  # fmt: skip

    def auth(who: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {tokens[who]}"}

    with httpx.Client(base_url=base, timeout=30) as client:
        for round_ in range(ROUNDS):
            held = client.post("/api/v1/searches", json=body, headers=auth("ofc"))
            assert held.status_code == 202
            request_id = held.json()["request_id"]
            verbs = ["approve", "reject"] if round_ % 2 else ["reject", "approve"]

            def click(i: int, rid: str = request_id, order: list[str] = verbs) -> int:
                who = ("sgt", "lt")[i]
                with httpx.Client(base_url=base, timeout=30) as own:
                    answer = own.post(
                        f"/api/v1/searches/{rid}/{order[i]}", json={"note": "n"}, headers=auth(who)
                    )
                return answer.status_code

            codes = sorted(int(str(c)) for c in _race(2, click))
            assert codes == [200, 409]
            fetched = client.get(f"/api/v1/searches/{request_id}", headers=auth("ofc"))
            outcome = system.approvals.get(request_id).status
            if outcome is HeldStatus.REJECTED:
                assert fetched.status_code == 403 and fetched.json()["results"] == []
            else:
                assert fetched.status_code == 200 and fetched.json()["status"] == "completed"
    decided = [index for index, leaf in system.audit.log.entries() if b"approval_decided" in leaf]
    assert len(decided) == ROUNDS
