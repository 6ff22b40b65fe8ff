from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from trustlpr.core import Read, Role
from trustlpr.runtime import System, initialise
from trustlpr.settings import Settings
from trustlpr.web.app import create_app

NOW = datetime.now(UTC)


@pytest.fixture
def node(tmp_path: Path) -> Iterator[tuple[TestClient, dict[str, str]]]:
    settings = Settings.load(tmp_path / "d", env={}, agency_id="nhpd")
    initialise(settings)
    with System(settings) as system:
        ids = system.identity
        admin = ids.add_user("adm", "nhpd", Role.ADMIN, "Admin", actor=None)
        ids.add_user("aud", "nhpd", Role.AUDITOR, "Auditor", actor=admin)
        tokens = {"aud": ids.create_token("aud", actor=admin).plaintext}
        system.ingest(
            [
                Read("PRIV123", "CT", 0.9, NOW - timedelta(hours=i), "cam-1", "a", 41.3, -72.9)
                for i in range(5)
            ]
        )
        yield TestClient(create_app(system, exposure=False)), tokens


def test_status_page_and_json_show_counts_without_plates(
    node: tuple[TestClient, dict[str, str]],
) -> None:
    client, tokens = node
    signed = {"Authorization": f"Bearer {tokens['aud']}"}
    assert client.get("/healthz").json()["status"] == "ok"
    data = client.get("/api/v1/stats", headers=signed).json()
    assert data["reads_total"] == 5
    assert data["retention"] == {"nonhit": "21d", "hit": "90d", "hit_only": False}
    page = client.get("/status", headers=signed).text
    assert "5 reads stored" in page and "PRIV123" not in page


def test_per_day_counts_and_read_times_are_for_this_nodes_staff_only(
    node: tuple[TestClient, dict[str, str]],
) -> None:
    """Only what the public portal publishes is public (issue 12 item 15)."""
    client, _ = node
    for path in ("/api/v1/stats", "/status"):
        answer = client.get(path)
        assert answer.status_code == 401, path
        assert "reads_by_day" not in answer.text and "newest" not in answer.text
        forged = client.get(path, headers={"Authorization": "Bearer tlpr_x_forged"})
        assert forged.status_code == 401, path
