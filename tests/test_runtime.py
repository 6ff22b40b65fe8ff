"""A composed node: reads flow through hot lists into the right retention class."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from trustlpr.core import Read
from trustlpr.runtime import System, initialise
from trustlpr.settings import Settings
from trustlpr.store import RetentionClass

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
def system(tmp_path: Path) -> Iterator[System]:
    settings = Settings.load(tmp_path / "node", env={}, agency_id="nhpd", agency_state="CT")
    initialise(settings)
    with System(settings) as node:
        node.hotlists.add_entry(
            {"plate": "AB1234", "state": "CT", "category": "V", "reason": "stolen sedan",
             "case_number": "26-000001", "owner": "auto-theft",
             "expires_at": (NOW + timedelta(days=5)).isoformat()},
            list_id="stolen", actor="test",
        )  # fmt: skip
        yield node


def _read(plate: str, minutes: int) -> Read:
    return Read(plate, "CT", 0.9, NOW - timedelta(minutes=minutes), "cam-1", "nhpd", 41.3, -72.9)


def test_exact_hit_is_stored_as_a_hit_and_raises_an_alert(system: System) -> None:
    assert system.ingest([_read("AB1234", 5), _read("ZZ9999", 4)]) == 2
    (hit,) = system.store.lookup("AB1234", NOW - timedelta(hours=1), NOW)
    (miss,) = system.store.lookup("ZZ9999", NOW - timedelta(hours=1), NOW)
    assert hit.retention is RetentionClass.HIT and miss.retention is RetentionClass.NONHIT
    assert [a.kind.value for a in system.alerts.list_alerts()] == ["alert"]


def test_confirmed_possible_match_is_promoted_to_the_hit_class(system: System) -> None:
    system.ingest([_read("A81234", 5)])  # OCR-confusable with the listed plate
    (possible,) = system.alerts.list_alerts()
    assert possible.kind.value == "possible"
    (stored,) = system.store.lookup("A81234", NOW - timedelta(hours=1), NOW)
    assert stored.retention is RetentionClass.NONHIT
    system.alerts.verify(possible.id, "confirmed", note="image shows AB1234", user="ofc")
    (stored,) = system.store.lookup("A81234", NOW - timedelta(hours=1), NOW)
    assert stored.retention is RetentionClass.HIT
    # hits outlive the non-hit retention of the policy in force
    system.purge(NOW + system.retention.nonhit + timedelta(days=2))
    assert system.store.lookup("A81234", NOW - timedelta(hours=1), NOW)


def test_alerts_expire_with_the_hit_retention(system: System) -> None:
    system.ingest([_read("AB1234", 5)])
    (alert,) = system.alerts.list_alerts()
    system.purge(alert.raised_at + system.retention.hit - timedelta(days=1))
    assert len(system.alerts.list_alerts()) == 1
    system.purge(alert.raised_at + system.retention.hit + timedelta(minutes=1))
    assert system.alerts.list_alerts() == []
    assert system.store.lookup("AB1234", NOW - timedelta(hours=1), NOW) == []
    data = system.settings.data_dir
    for name in ("alerts.db", "alerts.db-wal"):
        path = data / name
        if path.exists():
            assert b"AB1234" not in path.read_bytes()


def test_searches_aimed_at_a_sensitive_place_are_refused(system: System) -> None:
    from trustlpr.core import LegalBasis, Purpose, Query, Role, SearchType
    from trustlpr.search import SearchForm, Status

    ids = system.identity
    admin = ids.add_user("adm", "nhpd", Role.ADMIN, "Admin", actor=None)
    officer = ids.add_user("ofc", "nhpd", Role.OFFICER, "Officer", actor=admin)
    for cam in ("cam-clinic", "cam-street"):
        system.cameras.add(cam, 41.3, -72.9, agency_id="nhpd", camera_id=cam)
    system.cameras.set_sensitive("cam-clinic", "reproductive_health_clinic", actor="adm")

    def area(camera: str) -> Status:
        form = SearchForm(
            purpose=Purpose.VIOLENT_FELONY,
            case_number="26-000999",
            legal_basis=LegalBasis.WARRANT,
            warrant_id="W-2026-0142",
            offense_code="homicide",
            reason="homicide suspect vehicle fled past this intersection",
            query=Query(SearchType.AREA, NOW - timedelta(hours=2), NOW, cameras=(camera,)),
        )
        outcome = system.search.request(officer, system.owner, form)
        return outcome.status

    assert area("cam-street") is Status.COMPLETED
    assert area("cam-clinic") is Status.DENIED
    system.cameras.set_sensitive("cam-clinic", None, actor="adm")
    assert area("cam-clinic") is Status.COMPLETED


def test_camera_routes_drop_reads_past_the_nonhit_retention(system: System) -> None:
    """The limits are set once in the root: HTTP ingest drops what `trustlpr ingest` drops."""
    from fastapi.testclient import TestClient

    from trustlpr.web.app import create_app

    _, key = system.cameras.add("Elm St", 41.3, -72.9, agency_id="nhpd", camera_id="cam-1")
    old = NOW - system.retention.nonhit - timedelta(hours=1)
    body = {"reads": [{"plate": "OLD1234", "state": "CT", "observed_at": old.isoformat(),
                       "confidence": 0.9}]}  # fmt: skip
    client = TestClient(create_app(system, exposure=False))
    answer = client.post("/api/v1/reads", json=body, headers={"Authorization": f"Bearer {key}"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["expired"] == 1 and answer.json()["stored"] == 0
    assert system.check_time(replace(_read("OLD1234", 0), observed_at=old), NOW) is not None
    assert system.store.lookup("OLD1234", old - timedelta(hours=1), NOW) == []


def test_the_root_runs_and_stops_the_periodic_jobs(system: System) -> None:
    """serve and demo only call start(); close() stops the jobs before the stores close."""
    system.start()
    assert {job.name for job in system.jobs._jobs} == {
        "purge", "checkpoint", "hotlist-tick", "stats-snapshot", "hotlist-sync",
        "not-collected-tally", "mobile-coverage",
    }  # fmt: skip
    thread = system.jobs._thread
    assert thread is not None and thread.is_alive()
    system.close()
    assert not thread.is_alive()
