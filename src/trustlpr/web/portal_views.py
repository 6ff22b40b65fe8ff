"""What each public page shows, gathered from the system and the figures, rendered by Jinja2.

Every number a page prints from the log goes through ``fig``: it looks the value up in the
figures by its path and renders ``<data data-figure='[path]' value='json'>text</data>``, so the
page cannot show a figure other than the computed one, and a test (or anyone) can read each
figure back and compare it with ``trustlpr audit recompute-stats``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup, escape

from ..core.clock import format_duration, iso
from ..core.errors import InputError
from ..core.hotlist import NCIC_CATEGORIES, STOP_OUTCOME_LABELS
from ..core.identity import Camera
from ..federation import PeerStatus
from ..runtime import System
from ..transparency import explain_reason, policy_file, reason_texts
from ..transparency.annual import render_body
from ..transparency.explain import DECISIONS, EVENT_TYPES, category_label, purpose_label
from .portal_cache import PortalCache
from .portal_exposure import exposure_key
from .portal_svg import MapCell, MapPoint, bar_chart, camera_map, coverage_map, share_bar
from .tile_map import camera_features, cell_features, map_frame

TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)

DETECTED = (
    "the plate text as the camera read it, and the issuing state when it can tell",
    "when and at which camera (its position and the direction it faces)",
    "how confident the reading is",
    "where the camera reports them: the vehicle's make, colour and type",
    "a photo of the vehicle, kept only for hot-list hits",
)
NOT_DETECTED = (
    "who is driving or riding: no face recognition, no occupant detection",
    "names or addresses: plates are not looked up in registration records",
    "speed, phone, Wi-Fi or Bluetooth identifiers",
    "anything at all about vehicles whose reads have passed the retention period: their "
    "encryption keys are destroyed",
)


def _number(value: Any) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.1%}" if value <= 1 else f"{value:,.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def human_duration(value: timedelta) -> str:
    """``21 days``, ``3 minutes``, ``1 hour``: a retention period in words."""
    seconds = int(value.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size and seconds % size == 0:
            count = seconds // size
            return f"{count} {unit}{'' if count == 1 else 's'}"
    return f"{seconds} seconds"


def figure_getter(figures: dict[str, Any]) -> Callable[..., Markup]:
    """``fig(*path, text=None)`` for templates: the marked-up figure at ``path``."""

    def fig(*path: str, text: str | None = None) -> Markup:
        value: Any = figures
        for key in path:
            value = value.get(key) if isinstance(value, dict) else None
        encoded = json.dumps(value, sort_keys=True)
        shown = _number(value) if text is None else text
        return Markup(
            f"<data data-figure='{escape(json.dumps(list(path)))}' value='{escape(encoded)}'>"
            f"{escape(shown)}</data>"
        )

    return fig


def day_table(dates: Sequence[str], values: Sequence[Any], fig: Markup, label: str) -> Markup:
    """The numbers behind a chart, folded away: a table alternative for every reader."""
    rows = "".join(
        f'<tr><th scope="row">{escape(day)}</th><td class="num">{escape(_number(v))}</td></tr>'
        for day, v in zip(dates, values, strict=True)
        if v
    )
    return Markup(
        f'<details class="days"><summary>{escape(label)} by day{fig}</summary><table>'
        f'<thead><tr><th scope="col">UTC day</th><th scope="col" class="num">{escape(label)}'
        f"</th></tr></thead><tbody>{rows or '<tr><td colspan=2>none</td></tr>'}</tbody>"
        "</table></details>"
    )


def _base(cache: PortalCache, figures: dict[str, Any], active: str) -> dict[str, Any]:
    system = cache.system
    return {
        "active": active,
        "notice": cache.notice,
        "owner": system.owner,
        "figures": figures,
        "fig": figure_getter(figures),
        "policy": system.policy,
        "purpose_label": purpose_label,
        "category_label": category_label,
        "decisions": DECISIONS,
        "event_types": EVENT_TYPES,
        "stop_labels": {o.value: label for o, label in STOP_OUTCOME_LABELS.items()},
        "fmt": _number,
        "tiles": cache.tiles,
        "day_table": day_table,
        "keep": {
            "nonhit": human_duration(system.retention.nonhit),
            "hit": human_duration(system.retention.hit),
            "hit_only": system.retention.hit_only,
        },
    }


def render(template: str, **context: Any) -> str:
    return TEMPLATES.get_template(template).render(**context)


# -- cameras and exposure -------------------------------------------------------------------


def registered_cameras(system: System) -> list[Camera]:
    """The cameras of the node's registry, disabled ones included."""
    return [entry.camera for entry in system.cameras.list(include_disabled=True)]


def exposure_state(cache: PortalCache, cameras: Sequence[Camera]) -> dict[str, Any]:
    system = cache.system
    retention = system.retention
    enabled = [c for c in cameras if c.enabled]
    if not enabled:
        return {"state": "unavailable", "error": "no camera is registered yet"}
    key = exposure_key(enabled, retention.nonhit, retention.hit)
    cache.exposure.ensure(key, enabled, retention.nonhit, retention.hit)
    return cache.exposure.current(key)


# -- pages ----------------------------------------------------------------------------------


def overview(cache: PortalCache) -> str:
    figures = cache.figures()
    dates = figures["window"]["dates"]
    searches, hotlist = figures["searches"], figures["hotlist"]
    texts = reason_texts(cache.system.policy)
    cameras = registered_cameras(cache.system)
    charts = {
        "reads": bar_chart(figures["reads"]["daily"], dates, title="Reads per day", css="c1"),
        "retained": bar_chart(
            figures["retained_vehicles"]["daily"],
            dates,
            title="Distinct vehicles retained (last count of each day)",
            css="c2",
        ),
        "hits": bar_chart(hotlist["daily"], dates, title="Hot-list hits per day", css="c3"),
        "searches": bar_chart(searches["daily"], dates, title="Searches per day", css="c4"),
        "denied": bar_chart(
            searches["denied_daily"], dates, title="Searches denied per day", css="c5"
        ),
        "decisions": share_bar(
            [
                ("allowed", searches["allowed"], "allow"),
                ("held for a supervisor", searches["held"], "hold"),
                ("denied", searches["denied"], "deny"),
            ],
            title="Search decisions",
        ),
    }
    reasons = [(rule, explain_reason(texts, rule)) for rule in sorted(searches["denial_reasons"])]
    held = [(rule, explain_reason(texts, rule)) for rule in sorted(searches["held_reasons"])]
    return render(
        "portal/index.html",
        **_base(cache, figures, "overview"),
        charts=charts,
        reasons=reasons,
        held=held,
        camera_count=sum(1 for c in cameras if c.enabled),
        exposure=exposure_state(cache, cameras),
        checkpoint=latest_checkpoint(cache.system),
    )


def policy_page(cache: PortalCache) -> str:
    figures = cache.figures()
    system = cache.system
    policy = system.policy
    _, digest = policy_file(policy)
    texts = reason_texts(policy)
    data = policy.to_dict()
    allowed = sorted(policy.allowed_hotlist_categories)
    categories = [(code, NCIC_CATEGORIES.get(code, code)) for code in allowed]
    not_allowed = sorted(set(NCIC_CATEGORIES) - set(policy.allowed_hotlist_categories))
    return render(
        "portal/policy.html",
        **_base(cache, figures, "policy"),
        data=data,
        digest=digest,
        detected=DETECTED,
        not_detected=NOT_DETECTED,
        retention=system.retention,
        duration=format_duration,
        categories=categories,
        not_allowed=[(c, NCIC_CATEGORIES[c]) for c in not_allowed],
        rules=sorted(texts.items()),
        history=list(reversed(figures["changes"]["policy"])),
    )


def placement_check(system: System, cameras: Sequence[Camera]) -> dict[str, Any]:
    """The sensitive-places check as it stands: the cameras in service tested against the
    places of the categories the policy bars, the distance, and how many stand too near."""
    layer = system.places
    enabled = [c for c in cameras if c.enabled]
    check: dict[str, Any] = {
        "policy": system.policy.name,
        "distance_m": layer.distance_m,
        "categories": sorted(layer.categories),
        "cameras": len(enabled),
        "error": None,
    }
    try:
        places = layer.places()
        guard = layer.guard()
    except InputError as exc:  # the file was edited by hand into something unreadable
        return check | {"error": exc.message, "places": 0, "barred": 0, "too_near": 0}
    barred = [p for p in places if p.category in layer.categories]
    near = (
        0
        if guard is None
        else sum(1 for c in enabled if guard.nearest(c.latitude, c.longitude) is not None)
    )
    return check | {"places": len(places), "barred": len(barred), "too_near": near}


def coverage_cells(figures: dict[str, Any]) -> list[MapCell]:
    """The mobile coverage cells of the figures, as the maps draw them."""
    return [
        MapCell(name, c["south"], c["west"], c["north"], c["east"], str(c["count"]), c["share"])
        for name, c in figures["mobile"]["cells"].items()
    ]


def cameras_page(cache: PortalCache) -> str:
    figures = cache.figures()
    cameras = registered_cameras(cache.system)
    cells = coverage_cells(figures)
    points = [
        MapPoint(c.id, c.name, c.latitude, c.longitude, c.direction, c.enabled) for c in cameras
    ]
    return render(
        "portal/cameras.html",
        **_base(cache, figures, "cameras"),
        cameras=cameras,
        enabled=sum(1 for c in cameras if c.enabled),
        map_svg=map_frame(
            camera_map(points),
            cache.tiles,
            camera_features(points),
            label="Street map of the camera positions; the camera list below gives each one",
        ),
        coverage_svg=map_frame(
            coverage_map(cells),
            cache.tiles,
            [],
            label="Street map of the mobile coverage cells; the table below gives each one",
            areas=cell_features(cells),
        ),
        osm_positions=any(c.id.startswith("osm-") for c in cameras),  # ODbL asks for credit
        exposure=exposure_state(cache, cameras),
        placement=placement_check(cache.system, cameras),
        layer=figures["sensitive_places"]["layer"],
    )


def sharing_page(cache: PortalCache) -> str:
    figures = cache.figures()
    system = cache.system
    sharing = system.identity.sharing
    owner = system.owner
    grantees = sharing.grantees(owner.id)
    terms = {g.agreement_id: sharing.get(g.agreement_id) for g in grantees}
    proposals = sharing.pending(owner.id)
    now = system.clock()
    peers = [p for p in system.federation.peers.peers() if p.status in _SHOWN_PEERS]
    return render(
        "portal/sharing.html",
        **_base(cache, figures, "sharing"),
        grantees=grantees,
        terms=terms,
        proposals=proposals,
        iso=iso,
        history=list(reversed(figures["changes"]["sharing"]))[:200],
        history_total=len(figures["changes"]["sharing"]),
        peers=[p for p in peers if p.status is PeerStatus.ACTIVE],
        peers_pending=[p for p in peers if p.status is PeerStatus.PENDING],
        keys_in_force={p.agency_id: sum(k.in_force(now) for k in p.keys) for p in peers},
        peer_history=list(reversed(figures["changes"]["peers"]))[:200],
        peer_history_total=len(figures["changes"]["peers"]),
    )


_SHOWN_PEERS = (PeerStatus.ACTIVE, PeerStatus.PENDING)


def verify_page(cache: PortalCache) -> str:
    figures = cache.figures()
    system = cache.system
    vkey = None
    if system.audit.signer is not None:
        vkey = system.audit.vkey
    return render(
        "portal/verify.html",
        **_base(cache, figures, "verify"),
        checkpoint=latest_checkpoint(system),
        vkey=vkey,
    )


def reports_page(cache: PortalCache) -> str:
    """The years the log covers, each linking to its annual report."""
    figures = cache.figures()
    return render("portal/reports.html", **_base(cache, figures, "reports"), years=cache.years())


def annual_page(cache: PortalCache, year: int) -> str:
    """The statutory annual report of ``year``, as ``trustlpr report annual`` makes it."""
    figures = cache.figures()
    report = cache.annual(year)
    return render(
        "portal/annual.html", **_base(cache, figures, "reports"), body=render_body(report),
        year=year,
    )  # fmt: skip


def latest_checkpoint(system: System) -> dict[str, Any] | None:
    """The newest signed checkpoint without signing one (the service signs every few s)."""
    audit = system.audit
    checkpointer = audit.checkpointer
    signed = checkpointer.latest() if checkpointer is not None else None
    if signed is None:
        stored = audit.checkpoints()
        signed = stored[-1] if stored else None
    if signed is None:
        return None
    return {"size": signed.size, "note": signed.note, "origin": signed.checkpoint.origin}
