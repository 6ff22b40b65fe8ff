"""The alerts/hot-list HTTP API: roles, precise errors, and the calls the console makes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.conftest import FakeClock
from tests.hotlist.conftest import ENTRY, make_read, ncic_line
from trustlpr.core.errors import AuthError
from trustlpr.core.identity import Role, User
from trustlpr.hotlist import HotlistService
from trustlpr.settings import Settings
from trustlpr.web.app import create_app


@dataclass
class FakeSystem:
    hotlists: HotlistService
    user: User | None = field(default_factory=lambda: User("sup-1", "ctpd", Role.SUPERVISOR))
    settings: Settings = field(default_factory=Settings)

    def authenticate(self, request: Any) -> User:
        if self.user is None:
            raise AuthError("not signed in")
        return self.user


@pytest.fixture
def system(service: HotlistService) -> FakeSystem:
    return FakeSystem(service)


@pytest.fixture
def client(system: FakeSystem) -> TestClient:
    return TestClient(create_app(system))


def test_add_entry_then_alert_then_verify(
    client: TestClient, system: FakeSystem, clock: FakeClock
) -> None:
    created = client.post("/api/v1/hotlists/local/entries", json=ENTRY)
    assert created.status_code == 201, created.text
    assert created.json()["plate"] == "ABC1234"
    system.hotlists.on_reads([make_read("ABC1234", "CT", clock.now)], {0: b"jpeg"})
    listing = client.get("/api/v1/alerts").json()["alerts"]
    assert [a["kind"] for a in listing] == ["alert"]
    alert_id = listing[0]["id"]
    assert client.get(f"/api/v1/alerts/{alert_id}").json()["id"] == alert_id
    image = client.get(f"/api/v1/alerts/{alert_id}/image")
    assert image.content == b"jpeg" and image.headers["content-type"] == "image/jpeg"
    system.user = User("ofc-1", "ctpd", Role.OFFICER)
    done = client.post(
        f"/api/v1/alerts/{alert_id}/verify", json={"outcome": "misread", "note": "7 not 1"}
    )
    assert done.status_code == 200 and done.json()["verified_by"] == "ofc-1"
    again = client.post(
        f"/api/v1/alerts/{alert_id}/verify", json={"outcome": "confirmed", "note": "x"}
    )
    assert again.status_code == 409
    stats = client.get("/api/v1/alerts/stats", params={"days": 30}).json()
    assert (stats["hits"], stats["misreads"], stats["misread_rate"]) == (1, 1, 1.0)
    assert stats["lists_alerted_on"][0]["list_id"] == "local"


def test_precise_errors(client: TestClient) -> None:
    bad = client.post("/api/v1/hotlists/local/entries", json={**ENTRY, "owner": ""})
    assert bad.status_code == 422
    assert bad.json()["field"] == "owner" and "required" in bad.json()["detail"]
    assert client.get("/api/v1/alerts/nope").status_code == 404
    assert client.get("/api/v1/alerts", params={"limit": 0}).status_code == 422
    verify = client.post("/api/v1/alerts/nope/verify", json={"outcome": "sure", "note": "x"})
    assert verify.status_code == 422 and verify.json()["field"] == "outcome"
    refused = client.post(
        "/api/v1/hotlists/local/entries", json={**ENTRY, "category": "IMMIGRATION"}
    )
    assert refused.status_code == 403 and refused.json()["reasons"]


def test_roles_and_authentication(client: TestClient, system: FakeSystem) -> None:
    system.user = None
    assert client.get("/api/v1/alerts").status_code == 401
    system.user = User("aud-1", "ctpd", Role.AUDITOR)
    assert client.get("/api/v1/alerts").status_code == 200
    assert client.post("/api/v1/alerts/x/verify", json={}).status_code == 403
    assert client.post("/api/v1/hotlists/l/entries", json=ENTRY).status_code == 403
    system.user = User("ofc-1", "ctpd", Role.OFFICER)
    assert client.post("/api/v1/hotlists/l/entries", json=ENTRY).status_code == 403
    assert client.post("/api/v1/alerts/x/verify", json={}).status_code == 422
    system.user = User("ofc-9", "nypd", Role.OFFICER)
    assert client.get("/api/v1/alerts").status_code == 403
    system.user = User("ofc-2", "ctpd", Role.OFFICER, active=False)
    assert client.get("/api/v1/alerts").status_code == 403


def test_import_upload_list_entries_and_remove(client: TestClient) -> None:
    extract = ("HEADER\n" + ncic_line(plate="AAA111") + "\n" + ncic_line(plate="BBB222")).encode()
    response = client.post(
        "/api/v1/hotlists/ncic/import",
        params={"format": "ncic", "valid_for": "12h"},
        files={"file": ("extract.txt", extract, "text/plain")},
    )
    assert response.status_code == 200, response.text
    assert response.json()["accepted"] == 2
    lists = client.get("/api/v1/hotlists").json()["lists"]
    assert [(i["list_id"], i["active"]) for i in lists] == [("ncic", 2)]
    entries = client.get("/api/v1/hotlists/ncic/entries").json()["entries"]
    assert {e["plate"] for e in entries} == {"AAA111", "BBB222"}
    gone = client.delete(
        f"/api/v1/hotlists/ncic/entries/{entries[0]['id']}", params={"note": "recovered"}
    )
    assert gone.status_code == 200
    broken = client.post(
        "/api/v1/hotlists/ncic/import",
        params={"format": "ncic"},
        files={"file": ("x.txt", b"HEADER\n" + ncic_line(code="Q").encode(), "text/plain")},
    )
    assert broken.status_code == 422
    bad_validity = client.post(
        "/api/v1/hotlists/ncic/import",
        params={"format": "ncic", "valid_for": "soon"},
        files={"file": ("x.txt", extract, "text/plain")},
    )
    assert bad_validity.status_code == 422 and bad_validity.json()["field"] == "valid_for"
    assert len(client.get("/api/v1/hotlists/ncic/entries").json()["entries"]) == 1
