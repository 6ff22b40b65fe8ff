"""Camera commands: ``camera add|list|set|disable|enable|rotate-key|mark|unmark|export-geojson``,
and ``camera watch``, the camera-site agent (``trustlpr.recognize``).

Changes are signed by an admin of the camera's agency (``--token`` or ``--as USER``, as for
the identity commands) and recorded in the audit log; while ``trustlpr serve`` runs they go
through its admin socket (``cli/administer.py``), else the command opens the node itself.
Listing and the GeoJSON export change nothing and run at any time. A camera's key is
printed once, at ``add`` and ``rotate-key`` (``import`` writes them to a 0600 file); only its
SHA-256 hash is kept.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from ..admin.actions import CameraFields, camera_row
from ..cameras import CameraRegistry, cameras_geojson
from ..cameras.importfile import parse_cameras
from ..cameras.places import read_layer
from ..core.errors import InputError
from ..identity import IdentityStore
from ..ingest.adapters import camera_adapter_types
from ..settings import Settings
from .administer import administer
from .common import (
    AsUser,
    Json,
    Token,
    console,
    err_console,
    print_json,
    reader,
    settings,
    table,
)

camera_app = typer.Typer(
    help="Register cameras, disable them, rotate their keys, publish their places.",
    no_args_is_help=True,
)


@contextmanager
def _open(ctx: typer.Context) -> Iterator[tuple[CameraRegistry, IdentityStore, Settings]]:
    """The node's camera registry, identities and settings, opened read-only (changes go
    through ``administer``)."""
    with reader(ctx) as node:
        yield node.cameras, node.identity, node.settings


Mobile = Annotated[
    bool | None,
    typer.Option(
        "--mobile/--fixed",
        help="Whether the camera moves (a patrol car): a mobile camera's reads are at the GPS "
        "position its payloads carry; a fixed camera's always at its registered place.",
    ),
]
TimeZone = Annotated[
    str | None,
    typer.Option(
        "--timezone",
        help="IANA time zone of the camera's clock (America/New_York), for senders that send "
        "local times without an offset (Plate Recognizer's Snapshot SDK); '' clears it.",
    ),
]
Country = Annotated[
    str | None,
    typer.Option(
        "--country",
        help="ISO 3166-1 country the camera stands in (US, DE), for senders whose region "
        "codes name no country (the open-source OpenALPR alprd); '' clears it.",
    ),
]


def _show_key(camera_id: str, key: str, as_json: bool) -> None:
    if as_json:
        print_json({"camera_id": camera_id, "key": key})
        return
    err_console.print(
        f"Key of camera [bold]{camera_id}[/] (shown once; only its hash is kept). Give it to the "
        "camera as 'Authorization: Bearer <key>', 'X-Api-Key: <key>' or '?key=<key>':"
    )
    typer.echo(key)


@camera_app.command("add")
def add(
    ctx: typer.Context,
    name: str = typer.Argument(..., help="Display name, e.g. 'Elm St at Main, northbound'."),
    lat: float = typer.Option(..., "--lat", help="Latitude in degrees (WGS 84)."),
    lon: float = typer.Option(..., "--lon", help="Longitude in degrees (WGS 84)."),
    direction: float = typer.Option(
        None, "--direction", help="Direction the camera faces, degrees clockwise from north."
    ),
    adapter: str = typer.Option(
        "native",
        "--adapter",
        help="What sends its reads: native, openalpr, platerecognizer or frigate.",
    ),
    external_id: str = typer.Option(
        None,
        "--external-id",
        help="The sender's own name for this camera (OpenALPR stream name, Plate Recognizer "
        "camera_id, Frigate camera name).",
    ),
    camera_id: str = typer.Option(
        None, "--id", help="Our id for the camera (default: cam-<random hex>)."
    ),
    agency: str = typer.Option(
        None, "--agency", help="Agency that owns the camera (default: this node's agency)."
    ),
    mobile: Mobile = None,
    timezone: TimeZone = None,
    country: Country = None,
    token: Token = None,
    as_user: AsUser = None,
    as_json: Json = False,
) -> None:
    """Register a camera and print its key (once)."""
    if adapter not in camera_adapter_types():
        raise InputError(
            f"{adapter!r} is not one of {', '.join(camera_adapter_types())}", field="--adapter"
        )
    fields = {
        "name": name,
        "lat": lat,
        "lon": lon,
        "direction": direction,
        "adapter": adapter,
        "external_id": external_id,
        "id": camera_id,
        "agency": agency,
        "mobile": mobile,
        "timezone": timezone,
        "country": country,
    }
    added = administer(ctx, "cameras.add", fields, token, as_user)
    _show_key(str(added["id"]), str(added["key"]), as_json)


@camera_app.command("import")
def import_cameras(
    ctx: typer.Context,
    file: Path = typer.Argument(
        ..., exists=True, dir_okay=False, help="CSV (name,lat,lon,…) or GeoJSON inventory."
    ),
    fmt: str = typer.Option(
        None, "--format", help="csv or geojson (default: from the file's extension)."
    ),
    agency: str = typer.Option(
        None, "--agency", help="Agency owning cameras that name none (default: this node's)."
    ),
    keys_out: Path = typer.Option(
        ...,
        "--keys-out",
        help="Write each camera's id and key (shown once) to this new CSV file, mode 0600.",
    ),
    token: Token = None,
    as_user: AsUser = None,
    as_json: Json = False,
) -> None:
    """Register many cameras at once, all or none: one transaction and one batch of audit
    entries. CSV columns: name, lat, lon and optionally direction, adapter, external_id, id,
    agency, mobile, timezone, country. GeoJSON: our `export-geojson`, or a DeFlock/OSM
    inventory (ids `osm-<node>`). Their keys go to --keys-out, never to the screen."""
    chosen = fmt or ("csv" if file.suffix.lower() == ".csv" else "geojson")
    if keys_out.exists():
        raise InputError(f"{keys_out} exists; keys are written to a new file", field="--keys-out")
    specs = parse_cameras(
        file.read_text(encoding="utf-8-sig"), chosen, agency_id=agency or settings(ctx).agency_id
    )
    rows = [CameraFields.of(spec).model_dump(exclude_none=True) for spec in specs]
    err_console.print(f"registering {len(rows)} cameras from {file.name} …")
    added = administer(ctx, "cameras.import", {"cameras": rows}, token, as_user)
    cameras = added["cameras"]
    assert isinstance(cameras, list)
    fd = os.open(keys_out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as out:
        writer_ = csv.writer(out)
        writer_.writerow(["id", "name", "key"])
        writer_.writerows([c["id"], c["name"], c["key"]] for c in cameras)
    if as_json:
        print_json([{k: v for k, v in c.items() if k != "key"} for c in cameras])
        return
    console.print(f"registered {len(cameras)} cameras; their keys are in {keys_out}")


@camera_app.command("list")
def list_cameras(
    ctx: typer.Context,
    enabled_only: bool = typer.Option(False, "--enabled-only", help="Hide disabled cameras."),
    as_json: Json = False,
) -> None:
    """List the registered cameras (never their keys)."""
    with _open(ctx) as (registry, _, _cfg):
        rows = [camera_row(c) for c in registry.list(include_disabled=not enabled_only)]
    if as_json:
        print_json(rows)
        return
    columns = ("id", "name", "agency_id", "lat", "lon", "direction", "adapter", "external_id")
    table(
        "Cameras",
        (*columns, "enabled"),
        [[*(r[c] for c in columns), "yes" if r["enabled"] else "no"] for r in rows],
    )


@camera_app.command("set")
def set_camera(
    ctx: typer.Context,
    camera_id: str = typer.Argument(..., help="Id of the camera."),
    mobile: Mobile = None,
    timezone: TimeZone = None,
    country: Country = None,
    token: Token = None,
    as_user: AsUser = None,
    as_json: Json = False,
) -> None:
    """Change how ingest reads a camera's payloads: mobile or fixed, its clock's time zone,
    its country. Options not given keep their value."""
    if mobile is None and timezone is None and country is None:
        raise InputError("give --mobile/--fixed, --timezone or --country", field="options")
    row = administer(
        ctx,
        "cameras.set",
        {"id": camera_id, "mobile": mobile, "timezone": timezone, "country": country},
        token,
        as_user,
    )
    if as_json:
        print_json(row)
        return
    console.print(
        f"camera {camera_id}: {'mobile' if row['mobile'] else 'fixed'}, time zone "
        f"{row['timezone'] or '(none)'}, country {row['country'] or '(none)'}"
    )


@camera_app.command("attend")
def attend(
    ctx: typer.Context,
    camera_id: str = typer.Argument(..., help="Id of the mobile camera."),
    officer: str = typer.Option(..., "--officer", help="User id of the officer operating it."),
    until: str = typer.Option(
        None, "--until", help="For how long, e.g. 10h (a shift); default: until the next record."
    ),
    token: Token = None,
    as_user: AsUser = None,
    as_json: Json = False,
) -> None:
    """Record the officer operating a mobile unit (readers must be attended in New
    Hampshire). The officer is named in the private log only."""
    row = administer(
        ctx,
        "cameras.attend",
        {"id": camera_id, "officer": officer, "until": until},
        token,
        as_user,
    )
    if as_json:
        print_json(row)
        return
    console.print(
        f"camera {camera_id}: attended by {row['officer']} since {row['since']}"
        + (f" until {row['until']}" if row["until"] else "")
    )


def _set_enabled(
    ctx: typer.Context, camera_id: str, enabled: bool, token: str | None, as_user: str | None
) -> None:
    action = "cameras.enable" if enabled else "cameras.disable"
    administer(ctx, action, {"id": camera_id}, token, as_user)
    console.print(f"camera {camera_id} {'enabled' if enabled else 'disabled'}")


@camera_app.command("disable")
def disable(
    ctx: typer.Context,
    camera_id: str = typer.Argument(..., help="Id of the camera."),
    token: Token = None,
    as_user: AsUser = None,
) -> None:
    """Disable a camera: its key is refused at once; its stored reads stay (and expire)."""
    _set_enabled(ctx, camera_id, False, token, as_user)


@camera_app.command("enable")
def enable(
    ctx: typer.Context,
    camera_id: str = typer.Argument(..., help="Id of the camera."),
    token: Token = None,
    as_user: AsUser = None,
) -> None:
    """Enable a disabled camera again (with its current key)."""
    _set_enabled(ctx, camera_id, True, token, as_user)


@camera_app.command("rotate-key")
def rotate_key(
    ctx: typer.Context,
    camera_id: str = typer.Argument(..., help="Id of the camera."),
    token: Token = None,
    as_user: AsUser = None,
    as_json: Json = False,
) -> None:
    """Replace a camera's key; the old key stops working at once. Prints the new key once."""
    rotated = administer(ctx, "cameras.rotate_key", {"id": camera_id}, token, as_user)
    _show_key(camera_id, str(rotated["key"]), as_json)


@camera_app.command("mark")
def mark(
    ctx: typer.Context,
    camera_id: str = typer.Argument(..., help="Id of the camera."),
    category: str = typer.Argument(
        ..., help="The sensitive place it overlooks, one of the policy's sensitive_locations."
    ),
    token: Token = None,
    as_user: AsUser = None,
) -> None:
    """Record that a camera overlooks a sensitive place (clinic, place of worship, school,
    shelter, …); the policy in force then judges searches aimed at it."""
    administer(ctx, "cameras.mark", {"id": camera_id, "category": category}, token, as_user)
    console.print(f"camera {camera_id} marked as overlooking a {category.replace('_', ' ')}")


@camera_app.command("unmark")
def unmark(
    ctx: typer.Context,
    camera_id: str = typer.Argument(..., help="Id of the camera."),
    token: Token = None,
    as_user: AsUser = None,
) -> None:
    """Clear a camera's sensitive-place mark."""
    administer(ctx, "cameras.unmark", {"id": camera_id}, token, as_user)
    console.print(f"camera {camera_id} no longer marked")


@camera_app.command("export-geojson")
def export_geojson(
    ctx: typer.Context,
    out: Annotated[
        Path | None,
        typer.Option("--out", "-o", help="Write to this file instead of standard output."),
    ] = None,
    include_disabled: bool = typer.Option(
        False, "--include-disabled", help="Also list disabled cameras."
    ),
) -> None:
    """Export the camera inventory as GeoJSON with OpenStreetMap ALPR tags (DeFlock-style)."""
    with _open(ctx) as (registry, identity, cfg):
        cameras = registry.list()
        operators = {a.id: a.name for a in identity.agencies()}
    operators.setdefault(cfg.agency_id, cfg.agency_name)
    collection = cameras_geojson(cameras, operators, include_disabled=include_disabled)
    text = json.dumps(collection, indent=2, sort_keys=True)
    if out is None:
        typer.echo(text)
    else:
        out.write_text(text + "\n", encoding="utf-8")
        err_console.print(f"wrote {len(collection['features'])} cameras to {out}")


@camera_app.command("places")
def places(
    ctx: typer.Context,
    source: Annotated[
        Path,
        typer.Argument(
            help="GeoJSON FeatureCollection of Point/Polygon places tagged like OpenStreetMap "
            "(amenity=school, amenity=place_of_worship, amenity=courthouse, "
            "social_facility=food_bank, ...) or with 'category', and 'name'."
        ),
    ],
    token: Token = None,
    as_user: AsUser = None,
) -> None:
    """Install the sensitive-places layer the policy's camera-placement distance applies to.

    The file is checked first (a bad feature is named and nothing changes); then cameras
    added or moved within the policy's ``camera_distance_m`` of a place in its ``no_cameras``
    categories are refused, naming the place, on a running node too. Cameras already too
    near are listed. Signed by an admin; the log records the count of places per category and
    the layer's SHA-256 (``POST /api/v1/admin/places.install`` does the same over HTTP)."""
    done = administer(ctx, "places.install", read_layer(source), token, as_user)
    counts = done["by_category"]
    assert isinstance(counts, dict)
    summary = ", ".join(f"{n} {c}" for c, n in counts.items()) or "no places"
    err_console.print(f"installed {done['installed']} sensitive places ({summary})")
    err_console.print(f"layer sha256 {done['digest']}")
    if done["distance_m"] is None:
        err_console.print(f"policy {done['policy']} sets no camera distance: nothing refused")
        return
    near = done["too_near"]
    assert isinstance(near, list)
    for hit in near:
        err_console.print(
            f"[yellow]camera {hit['camera']} stands {hit['metres']} m from {hit['place']!r} "
            f"({hit['category']}); disable or move it[/yellow]"
        )


@camera_app.command("watch")
def watch(
    ctx: typer.Context,
    source: str = typer.Argument(
        ...,
        help="rtsp:// or http:// stream, a video file, or a folder the camera drops snapshots in.",
    ),
    camera: str = typer.Option(..., "--camera", help="This camera's id on the node."),
    url: str = typer.Option(
        ..., "--url", help="The node's base URL, e.g. https://alpr.example.gov"
    ),
    key: str = typer.Option(
        ..., "--key", envvar="TRUSTLPR_CAMERA_KEY", help="This camera's key (cam_…)."
    ),
    spool: Path | None = typer.Option(
        None, "--spool", help="Spool file for unsent reads (default: DATA_DIR/spool-CAMERA.sqlite)."
    ),
    spool_max: int = typer.Option(
        10_000, "--spool-max", min=1, help="Reads the spool holds at most."
    ),
    models: Path | None = typer.Option(
        None, "--models", envvar="TRUSTLPR_MODELS_DIR", help="Models directory."
    ),
    fps: float = typer.Option(10.0, "--fps", min=0.5, max=60.0, help="Frames read per second."),
    min_confidence: float = typer.Option(
        0.3, "--min-confidence", min=0.0, max=1.0, help="Reads below this are not sent."
    ),
    once: bool = typer.Option(
        False, "--once", help="Read the folder's or file's plates, send them, then exit."
    ),
    gps: str | None = typer.Option(
        None,
        "--gps",
        help="NMEA 0183 GPS: a serial device (/dev/ttyUSB0) or a file or pipe of sentences; "
        "each read carries the latest fix (a mobile unit).",
    ),
    gps_baud: int = typer.Option(4800, "--gps-baud", min=300, help="The GPS device's baud rate."),
    gps_max_age: float = typer.Option(
        5.0, "--gps-max-age", min=0.1, help="Seconds a fix stays usable; older: reads refused."
    ),
    position: str | None = typer.Option(
        None, "--position", help="LAT,LON of a pole camera: every read is taken there."
    ),
) -> None:
    """Camera-site agent: read plates from SOURCE and send them (with their crops) to the
    node's ingest API; unsent reads wait in an on-disk spool (see docs/recognition.md)."""
    from ..recognize.agent import open_agent
    from ..recognize.gps import FixedPosition, PositionSource, open_receiver
    from .recognize_cmds import run_agent

    cfg = settings(ctx)
    if gps is not None and position is not None:
        raise InputError("give --gps (a mobile unit) or --position (a pole), not both")
    where: PositionSource | None = None
    if position is not None:
        where = FixedPosition.parse(position)
    elif gps is not None:
        where = open_receiver(gps, baud=gps_baud, max_age=gps_max_age)
    agent = open_agent(
        camera_id=camera,
        url=url,
        key=key,
        spool_path=spool or cfg.data_dir / f"spool-{camera}.sqlite",
        spool_max=spool_max,
        models=models,
        shared_dir=cfg.shared_dir,
        fps=fps,
        min_confidence=min_confidence,
        position=where,
    )
    try:
        run_agent(agent, source, once=once)
    finally:
        if where is not None:
            where.close()


def register(app: typer.Typer) -> None:
    """Adds ``camera`` to the ``trustlpr`` command."""
    app.add_typer(camera_app, name="camera")
