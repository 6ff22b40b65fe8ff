"""OpenALPR / Rekor Scout agent webhooks, exactly as the agent posts them.

``data_type`` says what a post is (REFERENCE.md §4):

- ``alpr_results``: one video frame; each result is a read. Confidence is 0–100 and
  ``epoch_time`` is in milliseconds, from the open-source ``alprd`` (``getEpochTimeMs``) and
  the Rekor agent alike (a value in seconds is read as such). A bad result is rejected alone;
  the others are kept.
- ``alpr_group``: one vehicle pass, sent after the frames it groups (``uuids`` +
  ``plate_indexes`` name them): the consensus plate over those frames, vehicle attributes,
  optional GPS and a vehicle crop. It is the sender's verdict, so it is kept even when its
  frames were (the pipeline drops it only as a repeat of an earlier group with its plate).
- ``alpr_alert``: the agent's own list matched; carries the ``group``, which is ingested like
  any group (our hot lists decide what is a hit, not the vendor's).
- ``heartbeat``: agent health; ``video_streams`` map the agent's numeric camera ids to the
  stream names, which is how a numeric id becomes one of our cameras.
- ``vehicle``: a vehicle seen without a plate: nothing to ingest.
- ``{"openalpr_webhook": "test"}``: the web server's "test webhook" button.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..core.errors import InputError
from ..core.identity import Camera
from .parsing import (
    Parsed,
    Position,
    direction,
    epoch,
    image,
    make_read,
    number,
    obj,
    position,
    score,
    seq,
    text,
    top_name,
)
from .regions import openalpr_region

NAME = "openalpr"


def _camera_claim(payload: Mapping[str, Any], path: str, parsed: Parsed) -> None:
    claim = text(payload.get("camera_id"), path)
    if claim is not None:
        parsed.claims.add(claim)


def _labels(payload: Mapping[str, Any], prefix: str, parsed: Parsed) -> None:
    """Rekor Scout names the camera in ``web_server_config.camera_label`` (and the agent in
    ``agent_label``): a name, not an id, that can tell the service which camera it is."""
    raw = payload.get("web_server_config")
    if raw is None:
        return
    config = obj(raw, f"{prefix}web_server_config")
    label = text(config.get("camera_label"), f"{prefix}web_server_config.camera_label")
    if label:
        parsed.labels.add(label)


def _gps(payload: Mapping[str, Any], prefix: str) -> Position | None:
    """GPS the agent reports; ``0, 0`` (or nothing) means no fix."""
    found = position(
        payload.get("gps_latitude"),
        payload.get("gps_longitude"),
        f"{prefix}gps_latitude",
        f"{prefix}gps_longitude",
    )
    return Position(*found, f"{prefix}gps_latitude") if found else None


def _results(payload: Mapping[str, Any], camera: Camera, parsed: Parsed) -> None:
    _camera_claim(payload, "camera_id", parsed)
    _labels(payload, "", parsed)
    observed_at = epoch(payload.get("epoch_time"), "epoch_time")
    frame = text(payload.get("uuid"), "uuid")
    gps = _gps(payload, "")
    for i, raw in enumerate(seq(payload.get("results"), "results")):
        path = f"results[{i}]"
        with parsed.result(path):
            result = obj(raw, path)
            index = number(result.get("plate_index"), f"{path}.plate_index", required=False)
            where = openalpr_region(result.get("region"), None, camera.country)
            read = make_read(
                camera,
                plate=result.get("plate"),
                plate_path=f"{path}.plate",
                confidence=score(result.get("confidence"), f"{path}.confidence", scale=100.0),
                observed_at=observed_at,
                state=where.state,
                country=where.country,
                latitude=gps.latitude if gps else None,
                longitude=gps.longitude if gps else None,
                position_path="gps_latitude",
            )
            links: tuple[str, ...] = ()
            if frame:
                links = (f"{frame}#{int(index)}",) if index is not None else (frame,)
            crop = image(result.get("plate_crop_jpeg"), f"{path}.plate_crop_jpeg")
            parsed.add(read, crop, links, path=path, position=gps)


def _group(payload: Mapping[str, Any], camera: Camera, parsed: Parsed, prefix: str = "") -> None:
    _camera_claim(payload, f"{prefix}camera_id", parsed)
    _labels(payload, prefix, parsed)
    best = payload.get("best_plate")
    best_plate = obj(best, f"{prefix}best_plate") if best is not None else {}
    plate = payload.get("best_plate_number") or best_plate.get("plate")
    plate_path = "best_plate_number" if payload.get("best_plate_number") else "best_plate.plate"
    conf = payload.get("best_confidence", best_plate.get("confidence"))
    vehicle_raw = payload.get("vehicle")
    vehicle = obj(vehicle_raw, f"{prefix}vehicle") if vehicle_raw is not None else {}
    gps = _gps(payload, prefix)
    where = openalpr_region(
        payload.get("best_region") or best_plate.get("region"),
        payload.get("country"),
        camera.country,
    )
    read = make_read(
        camera,
        plate=plate,
        plate_path=prefix + plate_path,
        confidence=score(conf, f"{prefix}best_confidence", scale=100.0),
        observed_at=epoch(payload.get("epoch_start"), f"{prefix}epoch_start"),
        state=where.state,
        country=where.country,
        latitude=gps.latitude if gps else None,
        longitude=gps.longitude if gps else None,
        position_path=f"{prefix}gps_latitude",
        heading=direction(payload.get("travel_direction"), f"{prefix}travel_direction"),
        make=top_name(vehicle.get("make"), f"{prefix}vehicle.make"),
        colour=top_name(vehicle.get("color"), f"{prefix}vehicle.color"),
        vehicle_type=top_name(vehicle.get("body_type"), f"{prefix}vehicle.body_type"),
    )
    uuids = [
        text(u, f"{prefix}uuids[{i}]")
        for i, u in enumerate(seq(payload.get("uuids", []), f"{prefix}uuids"))
    ]
    indexes = payload.get("plate_indexes")
    links: list[str] = []
    if isinstance(indexes, list) and len(indexes) == len(uuids):
        for i, (uuid, index) in enumerate(zip(uuids, indexes, strict=True)):
            idx = number(index, f"{prefix}plate_indexes[{i}]")
            if uuid:
                links.append(f"{uuid}#{int(idx or 0)}")
    else:
        links = [u for u in uuids if u]
    best_uuid = text(payload.get("best_uuid"), f"{prefix}best_uuid")
    if best_uuid and not links:
        links.append(best_uuid)
    crop = image(best_plate.get("plate_crop_jpeg"), f"{prefix}best_plate.plate_crop_jpeg")
    if crop is None:
        crop = image(payload.get("vehicle_crop_jpeg"), f"{prefix}vehicle_crop_jpeg")
    parsed.add(read, crop, links, path=prefix.rstrip(".") or None, consensus=True, position=gps)


def _heartbeat(payload: Mapping[str, Any], parsed: Parsed) -> None:
    for i, raw in enumerate(seq(payload.get("video_streams", []), "video_streams")):
        stream = obj(raw, f"video_streams[{i}]")
        number_id = text(stream.get("camera_id"), f"video_streams[{i}].camera_id")
        name = text(stream.get("camera_name"), f"video_streams[{i}].camera_name")
        if number_id and name:
            parsed.aliases[number_id] = name


class OpenALPRAdapter:
    """Parses the JSON body of one OpenALPR / Rekor agent webhook post."""

    name = NAME

    def parse(self, payload: Any, camera: Camera) -> Parsed:
        body = obj(payload, "body")
        if body.get("openalpr_webhook") == "test":
            return Parsed(kind="test")
        data_type = body.get("data_type")
        parsed = Parsed()
        if data_type == "alpr_results":
            _results(body, camera, parsed)
        elif data_type == "alpr_group":
            _group(body, camera, parsed)
        elif data_type == "alpr_alert":
            _group(obj(body.get("group"), "group"), camera, parsed, prefix="group.")
        elif data_type == "heartbeat":
            parsed.kind = "heartbeat"
            _heartbeat(body, parsed)
        elif data_type == "vehicle":
            parsed.kind = "ignored"
        else:
            shown = str(data_type)[:40] if data_type is not None else "missing"
            raise InputError(
                f"{shown!r} is not one of alpr_results, alpr_group, alpr_alert, heartbeat",
                field="data_type",
            )
        return parsed.settle()
