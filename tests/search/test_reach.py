"""What a search reaches: sensitive places it does not name (issue 12 item 4), the cameras it
does name, other agencies' agreements, and convoy companions (issue 24 item 2)."""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

import pytest

from trustlpr.core import AgencyType, InputError, Purpose, Read, Role
from trustlpr.core import SearchType as T
from trustlpr.core.search import Query
from trustlpr.search import Status, run_query
from trustlpr.store import SQLiteReadStore
from trustlpr.store.factory import key_rings

from .conftest import NOW, World
from .test_held import of_type
from .test_service import form

CLINIC = "reproductive_health_clinic"


def cameras_of(results: list) -> set[str]:  # type: ignore[type-arg]
    return {s.camera_id for s in results}


# -- issue 12 item 4: the sensitive-place rule holds for the cameras a search reaches ---------


def test_a_search_over_all_cameras_leaves_out_those_at_protected_places(world: World) -> None:
    everywhere = world.service.request(world.officer, world.owner, form())
    assert cameras_of(everywhere.results) == {"cam-0", "cam-1", "cam-2"}
    world.marks["cam-1"] = CLINIC  # marked live, as the camera registry does
    out = world.service.request(world.officer, world.owner, form())
    assert out.status is Status.COMPLETED and out.results
    assert "cam-1" not in cameras_of(out.results)
    (note,) = [r for r in out.decision.reasons if r.rule == "sensitive.excluded"]
    assert "1 camera(s)" in note.text and CLINIC in note.text
    decided = of_type(world, "search_decided")[-1]["public"]
    assert "sensitive.excluded" in decided["reasons"]
    detail = world.audit.log.detail(out.result_audit_index)  # type: ignore[arg-type]
    assert detail.private["excluded_cameras"] == ["cam-1"]


def test_naming_a_protected_camera_puts_the_search_under_the_rule(world: World) -> None:
    world.marks["cam-1"] = CLINIC
    named = world.service.request(world.officer, world.owner, form(cameras=("cam-1",)))
    assert named.status is Status.DENIED  # strict-default: searches at such places are denied
    assert "sensitive.location" in {r.rule for r in named.decision.reasons}
    world.marks["cam-1"] = "union_hall_unprotected_here"  # a mark the policy does not protect
    assert world.service.request(world.officer, world.owner, form()).results


def test_a_partial_search_over_all_cameras_leaves_them_out_too(world: World) -> None:
    world.marks["cam-1"] = CLINIC
    held = world.service.request(
        world.officer, world.owner, form(None, kind=T.PARTIAL, pattern="AB1234?", days=5)
    )
    assert held.status is Status.PENDING
    world.service.decide_pending(world.supervisor, held.request_id, approve=True)
    world.marks["cam-0"] = CLINIC  # marked after approval: judged when it runs
    got = world.service.fetch(world.officer, held.request_id)
    assert got.results and cameras_of(got.results) == {"cam-2"}
    assert {s.plate for s in got.results} == {"AB12345"}


# -- issue 24 item 2: exact searches honour their camera lists -------------------------------


def test_an_exact_search_returns_only_the_cameras_it_names(world: World) -> None:
    everywhere = world.service.request(world.officer, world.owner, form())
    at_cam0 = [s for s in everywhere.results if s.camera_id == "cam-0"]
    assert at_cam0 and len(at_cam0) < len(everywhere.results)
    named = world.service.request(world.officer, world.owner, form(cameras=("cam-0",)))
    assert [s.ref for s in named.results] == [s.ref for s in at_cam0]
    two = world.service.request(world.officer, world.owner, form(cameras=("cam-0", "cam-2")))
    assert cameras_of(two.results) == {"cam-0", "cam-2"}


# -- issue 24 item 2: cross-agency searches need an agreement covering the purpose ------------


def test_another_agency_needs_an_agreement_that_covers_the_purpose(world: World) -> None:
    """In-state (CT) so that the owner's policy allows it: only the agreement check decides."""
    hartford = world.identity.add_agency(
        "hartford-pd", "Hartford PD", "CT", AgencyType.LOCAL, actor=world.admin
    )
    world.identity.add_user("hpd-admin", "hartford-pd", Role.ADMIN, "A", actor=world.admin)
    their_admin = world.identity.approve_admin("hpd-admin", actor=world.admin2)
    asker = world.identity.add_user("hpd1", "hartford-pd", Role.OFFICER, "H", actor=their_admin)
    missing = form(purpose=Purpose.MISSING_PERSON, reason="missing teen last seen in a grey Civic")

    none = world.service.request(asker, hartford, form())
    assert none.status is Status.DENIED and none.results == []
    assert [r.rule for r in none.decision.reasons][-1] == "sharing.no_agreement"

    proposal = world.identity.sharing.propose(
        "nhpd", grantee_agency_id="hartford-pd", purposes=["stolen_vehicle"],
        expires_at=NOW + timedelta(days=90), actor=world.admin,
    )  # fmt: skip
    world.identity.sharing.approve(proposal.id, actor=world.admin2)
    uncovered = world.service.request(asker, hartford, missing)
    assert uncovered.status is Status.DENIED and uncovered.results == []
    assert [r.rule for r in uncovered.decision.reasons][-1] == "sharing.purpose_not_covered"

    covered = world.service.request(asker, hartford, form())
    assert covered.status is Status.COMPLETED and covered.results
    assert of_type(world, "search_executed")[-1]["public"]["requester_agency"] == "hartford-pd"


# -- issue 24 item 2: convoy companions must be seen with the target more than once ------------


@pytest.fixture
def convoy_store(tmp_path: Path) -> SQLiteReadStore:
    store = SQLiteReadStore(tmp_path / "reads", key_rings(tmp_path, secrets.token_bytes(32)))

    def read(plate: str, minutes: float, camera: str) -> Read:
        at = NOW - timedelta(hours=6) + timedelta(minutes=minutes)
        return Read(plate, "CT", 0.9, at, camera, "nhpd", 41.3, -72.9)

    store.append([
        read("TGT1234", 0, "cam-a"), read("CMP1111", 0.5, "cam-a"), read("ONCE222", 0.7, "cam-a"),
        read("TGT1234", 60, "cam-b"), read("CMP1111", 60.5, "cam-b"),
        read("ONCE333", 61, "cam-b"), read("LATE444", 70, "cam-b"),  # 10 minutes after: too late
        read("TGT1234", 120, "cam-c"), read("CMP1111", 121, "cam-c"),
    ])  # fmt: skip
    return store


def test_convoy_companions_seen_once_do_not_count(convoy_store: SQLiteReadStore) -> None:
    query = Query(T.CONVOY, NOW - timedelta(hours=12), NOW, plate="TGT1234")
    found = run_query(convoy_store, query)
    plates = [s.plate for s in found]
    assert plates.count("TGT1234") == 3 and plates.count("CMP1111") == 3
    assert {"ONCE222", "ONCE333", "LATE444"}.isdisjoint(plates)
    convoy_store.close()


def test_convoy_leaves_out_protected_cameras(convoy_store: SQLiteReadStore) -> None:
    query = Query(T.CONVOY, NOW - timedelta(hours=12), NOW, plate="TGT1234")
    found = run_query(convoy_store, query, excluded={"cam-b", "cam-c"})
    assert {s.camera_id for s in found} == {"cam-a"}
    assert "CMP1111" not in {s.plate for s in found}  # now seen with the target only once
    convoy_store.close()


def test_a_convoy_search_honours_its_camera_list(convoy_store: SQLiteReadStore) -> None:
    window = (NOW - timedelta(hours=12), NOW)
    query = Query(T.CONVOY, *window, plate="TGT1234", cameras=("cam-a", "cam-b"))
    found = run_query(convoy_store, query)
    assert {s.camera_id for s in found} == {"cam-a", "cam-b"}
    assert [s.plate for s in found].count("CMP1111") == 2  # seen with the target at a and b
    only_a = run_query(convoy_store, Query(T.CONVOY, *window, plate="TGT1234", cameras=("cam-a",)))
    assert [s.plate for s in only_a] == ["TGT1234"]  # a companion seen once there: none
    convoy_store.close()


def test_a_convoy_companion_is_one_seen_at_the_same_camera_at_least_twice(
    convoy_store: SQLiteReadStore,
) -> None:
    def read(plate: str, minutes: float, camera: str) -> Read:
        at = NOW - timedelta(hours=6) + timedelta(minutes=minutes)
        return Read(plate, "CT", 0.9, at, camera, "nhpd", 41.3, -72.9)

    convoy_store.append([
        read("ELSE555", 0.2, "cam-z"), read("ELSE555", 60.2, "cam-z"),  # same times, elsewhere
        read("TWO7777", 0.3, "cam-a"), read("TWO7777", 60.3, "cam-b"),  # exactly twice: counts
    ])  # fmt: skip
    query = Query(T.CONVOY, NOW - timedelta(hours=12), NOW, plate="TGT1234")
    found = run_query(convoy_store, query)
    plates = [s.plate for s in found]
    assert plates.count("TWO7777") == 2 and plates.count("CMP1111") == 3
    assert "ELSE555" not in plates and "cam-z" not in {s.camera_id for s in found}
    convoy_store.close()


def test_a_convoy_search_looks_for_companions_around_the_first_200_sightings_only(
    tmp_path: Path,
) -> None:
    store = SQLiteReadStore(tmp_path / "reads", key_rings(tmp_path, secrets.token_bytes(32)))
    start = NOW - timedelta(hours=11)

    def read(plate: str, at: timedelta) -> Read:
        return Read(plate, "CT", 0.9, start + at, "cam-a", "nhpd", 41.3, -72.9)

    every = timedelta(minutes=3)  # apart by more than twice the convoy gap
    store.append([read("TGT1234", i * every) for i in range(201)])
    # beside the 200th and the 201st sighting: seen twice, but only once within the cap
    store.append([read("CAP9999", i * every + timedelta(seconds=20)) for i in (199, 200)])
    found = run_query(store, Query(T.CONVOY, start - timedelta(minutes=1), NOW, plate="TGT1234"))
    plates = [s.plate for s in found]
    assert plates.count("TGT1234") == 201 and "CAP9999" not in plates
    store.close()


def test_a_convoy_search_without_its_target_plate_names_the_field(
    convoy_store: SQLiteReadStore,
) -> None:
    with pytest.raises(InputError) as refused:
        run_query(convoy_store, Query(T.CONVOY, NOW - timedelta(hours=12), NOW))
    assert refused.value.message == "field 'plate': a convoy search needs the target plate"
    convoy_store.close()
