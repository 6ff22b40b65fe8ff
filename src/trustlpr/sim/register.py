"""Putting a simulated city's cameras on a node: register them and keep their keys.

``trustlpr sim --register`` and the demo both need the simulated cameras known to the node
(file ingest refuses reads of unregistered cameras; camera ingest needs each camera's key)
and a keys file for ``sim --stream``. A camera already registered under the same id and
agency gets a new key, so the keys file is always complete; one registered to another
agency is a ``ConflictError`` (the simulation would speak for someone else's camera). New
cameras are registered together (``CameraRegistry.add_many``): all or none.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path

from ..cameras import CameraRegistry, CameraSettings, CameraSpec
from ..core.errors import ConflictError, InputError, NotFoundError
from .city import Simulation
from .patrol import Patrols


def register_cameras(
    registry: CameraRegistry,
    simulation: Simulation,
    *,
    agency_id: str,
    actor: str | None,
    on_camera: Callable[[str], None] | None = None,
) -> tuple[dict[str, str], int]:
    """Registers every simulated camera for ``agency_id``; returns ``{camera_id: key}`` and
    how many were already registered (their keys rotated)."""
    keys: dict[str, str] = {}
    fresh: list[CameraSpec] = []
    existing = 0
    for site in simulation.sites:
        try:
            current = registry.get(site.id)
        except NotFoundError:
            fresh.append(
                CameraSpec(
                    site.name,
                    site.lat,
                    site.lon,
                    agency_id=agency_id,
                    direction=site.facing,
                    camera_id=site.id,
                )
            )
            continue
        if current.camera.agency_id != agency_id:
            raise ConflictError(
                f"camera {site.id!r} is registered to agency "
                f"{current.camera.agency_id!r}, not {agency_id!r}"
            )
        keys[site.id] = registry.rotate_key(site.id, actor=actor)
        existing += 1
        if on_camera is not None:
            on_camera(site.id)
    # the new ones in one transaction and one batch of audit entries, not one writer round each
    for camera, key in registry.add_many(fresh, actor=actor) if fresh else []:
        keys[camera.id] = key
        if on_camera is not None:
            on_camera(camera.id)
    return {site.id: keys[site.id] for site in simulation.sites}, existing


def register_patrols(
    registry: CameraRegistry, patrols: Patrols, *, agency_id: str, actor: str | None
) -> dict[str, str]:
    """Registers each patrol car as a **mobile** camera (its base is its loop's first corner,
    every read brings its own position); returns ``{camera_id: key}``. One already there under
    the same agency keeps its registration and gets a new key."""
    keys: dict[str, str] = {}
    for unit in patrols.units:
        try:
            current = registry.get(unit.id)
        except NotFoundError:
            _, keys[unit.id] = registry.add(
                unit.name,
                unit.lat,
                unit.lon,
                agency_id=agency_id,
                camera_id=unit.id,
                actor=actor,
                settings=CameraSettings(mobile=True),
            )
            continue
        if current.camera.agency_id != agency_id:
            raise ConflictError(
                f"camera {unit.id!r} is registered to agency {current.camera.agency_id!r}"
            )
        keys[unit.id] = registry.rotate_key(unit.id, actor=actor)
    return keys


def write_keys(path: Path, keys: dict[str, str]) -> None:
    """The keys file ``sim --stream --keys`` reads, readable by its owner only (0600)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    except OSError as exc:
        raise InputError(f"cannot write {path}: {exc.strerror}", field="keys") from exc
    os.fchmod(fd, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(keys, handle, indent=2, sort_keys=True)
        handle.write("\n")
