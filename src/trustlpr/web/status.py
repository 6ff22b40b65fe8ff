"""A plain status page and its JSON: stored reads by day and retention, no personal data."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from ..core.clock import iso
from ..runtime import System
from .deps import Node

router = APIRouter(tags=["status"])


def _stats(system: System) -> dict[str, Any]:
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


@router.get("/api/v1/stats")
def stats(system: Node) -> dict[str, Any]:
    return _stats(system)


@router.get("/status", response_class=HTMLResponse)
def status_page(system: Node) -> str:
    data = _stats(system)
    rows = "".join(f"<tr><td>{d}</td><td>{n}</td></tr>" for d, n in data["reads_by_day"].items())
    return (
        "<!doctype html><html lang=en><meta charset=utf-8><title>TrustLPR status</title>"
        "<meta name=viewport content='width=device-width,initial-scale=1'>"
        f"<h1>TrustLPR status</h1><p>{data['reads_total']} reads stored "
        f"({data['hits_total']} hot-list hits); policy {data['policy']}; retention "
        f"{data['retention']['nonhit']} (non-hits), {data['retention']['hit']} (hits).</p>"
        f"<table><tr><th>UTC day</th><th>reads</th></tr>{rows}</table></html>"
    )
