from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient

from trustlpr.core import Read
from trustlpr.runtime import System, initialise
from trustlpr.settings import Settings
from trustlpr.web.app import create_app


def test_status_page_and_json_show_counts_without_plates(tmp_path: Path) -> None:
    settings = Settings.load(tmp_path / "d", env={})
    initialise(settings)
    now = datetime.now(UTC)
    with System(settings) as system:
        system.ingest(
            [
                Read("PRIV123", "CT", 0.9, now - timedelta(hours=i), "cam-1", "a", 41.3, -72.9)
                for i in range(5)
            ]
        )
        client = TestClient(create_app(system))
        assert client.get("/healthz").json()["status"] == "ok"
        data = client.get("/api/v1/stats").json()
        assert data["reads_total"] == 5
        assert data["retention"] == {
            "nonhit": "21d",
            "hit": "90d",
            "hit_only": False,
        }  # strict-default
        page = client.get("/status").text
        assert "5 reads stored" in page and "PRIV123" not in page
