"""The node's status for its staff: stored reads by day and retention, no personal data.

Per-day counts and the times of the oldest and newest read are not public figures (the
public portal publishes what the public log proves, ``/figures.json``), so both the JSON and
the page need a staff sign-in of this node's agency (bearer token or console session).
"""

from __future__ import annotations

from html import escape
from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from ..core.clock import iso
from ..core.identity import Agency, User
from ..identity import require_same_agency
from ..runtime import System
from .auth import Staff
from .deps import Node

router = APIRouter(tags=["status"])


def _stats(system: System, who: tuple[User, Agency]) -> dict[str, Any]:
    require_same_agency(who[0], system.owner.id)
    stats = system.store.stats()
    return {
        "reads_total": stats.reads_total,
        "hits_total": stats.hits_total,
        "reads_by_day": stats.reads_by_day,
        "oldest": iso(stats.oldest) if stats.oldest else None,
        "newest": iso(stats.newest) if stats.newest else None,
        "retention": system.retention.describe(),
        "policy": system.settings.policy,
    }


@router.get("/api/v1/stats", summary="Stored reads by day and retention (staff of this node)")
def stats(who: Staff, system: Node) -> dict[str, Any]:
    return _stats(system, who)


@router.get("/status", response_class=HTMLResponse, include_in_schema=False)
def status_page(who: Staff, system: Node) -> HTMLResponse:
    data = _stats(system, who)
    rows = "".join(f"<tr><td>{d}</td><td>{n}</td></tr>" for d, n in data["reads_by_day"].items())
    body = (
        "<!doctype html><html lang=en><meta charset=utf-8><title>TrustLPR status</title>"
        "<meta name=viewport content='width=device-width,initial-scale=1'>"
        f"<h1>TrustLPR status</h1><p>{data['reads_total']} reads stored "
        f"({data['hits_total']} hot-list hits); policy {escape(data['policy'])}; retention "
        f"{data['retention']['nonhit']} (non-hits), {data['retention']['hit']} (hits).</p>"
        f"<table><tr><th>UTC day</th><th>reads</th></tr>{rows}</table></html>"
    )
    return HTMLResponse(body, headers={"Cache-Control": "no-store"})
