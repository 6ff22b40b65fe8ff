"""Plate Recognizer: Snapshot API responses and Stream webhooks, as those products send them.

- Snapshot (``POST /v1/plate-reader/`` response, forwarded as JSON): ``timestamp``,
  ``camera_id`` (may be null), ``results[]`` with ``plate``, ``score`` (0–1), ``region.code``
  (``us-ct``), ``vehicle.type``, and with make/model/colour enabled ``model_make[]``,
  ``color[]``, ``orientation[]``.
- Stream webhook: ``multipart/form-data`` with a ``json`` field holding
  ``{"hook": {...}, "data": {camera_id, timestamp, results[]}}`` and an optional ``upload``
  image; Stream can also post the same object as plain JSON when no image is configured.
  Stream results add ``direction`` (degrees), ``speed`` (km/h), ``source_url``,
  ``position_sec`` and ``user_data``, the free text configured for the camera.
- Position: Plate Recognizer has no GPS field of its own, so a mobile unit's agent puts its fix
  in ``user_data`` (of the result, or of ``data``): a JSON object with ``lat``/``lon`` (or
  ``latitude``/``longitude``, ``gps_latitude``/``gps_longitude``) or the text ``"lat,lon"``.
  A mobile camera's read without one is refused; a fixed camera's read is at its place.
- Vehicle detection mode (``detection_mode = vehicle`` in Stream's ``config.ini``, or the
  Snapshot ``config={"detection_mode":"vehicle"}``): a result has no top-level ``score``;
  ``plate`` is an object ``{type, score, box, props: {plate: [{value, score}], region:
  [{value, score}]}}``, or ``null`` for a vehicle seen without a plate (not a read), and
  ``vehicle`` carries ``props.make_model`` / ``props.color``.

Scores are already 0–1. Times are ISO 8601; Stream sends them with an offset, while the
Snapshot SDK sends local times without one (``2021-10-11 05:43:58.514896``), which are read in
the camera's configured time zone, and refused when it has none. ``region.code`` is ISO 3166:
``ca`` is Canada and ``us-ca`` California (``regions.iso_region``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from ..core.errors import InputError
from ..core.identity import Camera
from ..core.reads import check_speed
from .parsing import (
    FormPayload,
    Parsed,
    Position,
    direction,
    image,
    make_read,
    number,
    obj,
    position,
    score,
    seq,
    text,
    timestamp,
    top_name,
)
from .regions import NONE, Region, iso_region

NAME = "platerecognizer"
_MAX_JSON = 4 * 1024 * 1024
_MAX_USER_DATA = 4096
_NUMERIC = re.compile(r"[-+]?\d{1,3}(\.\d{1,12})?")


def _form(payload: FormPayload) -> tuple[Mapping[str, Any], bytes | None]:
    raw = payload.fields.get("json")
    if raw is None:
        raise InputError("is required (the Stream webhook's JSON part)", field="json")
    if len(raw) > _MAX_JSON:
        raise InputError(f"is over {_MAX_JSON} bytes", field="json")
    try:
        body = json.loads(raw)
    except (ValueError, RecursionError) as exc:  # ValueError: also Python's int-digit limit
        raise InputError(f"is not valid JSON: {str(exc)[:80]}", field="json") from None
    upload = image(payload.files.get("upload"), "upload", encoded=False)
    return obj(body, "json"), upload


def _first(value: Any, path: str, key: str = "value") -> tuple[Any, Any]:
    """``(value, score)`` of the first entry of a vehicle-mode ``props`` list (most likely
    first, as Plate Recognizer orders them), or ``(None, None)``."""
    if value is None:
        return None, None
    entries = seq(value, path, limit=100)
    if not entries:
        return None, None
    entry = obj(entries[0], f"{path}[0]")
    return entry.get(key), entry.get("score")


def _vehicle_mode(
    result: Mapping[str, Any], path: str
) -> tuple[Any, Any, str, Region, str | None, str | None]:
    """Plate text, its score and path, region, make and colour of a vehicle-mode result."""
    plate = obj(result.get("plate"), f"{path}.plate")
    props_raw = plate.get("props")
    props = obj(props_raw, f"{path}.plate.props") if props_raw is not None else {}
    text_value, text_score = _first(props.get("plate"), f"{path}.plate.props.plate")
    code, _ = _first(props.get("region"), f"{path}.plate.props.region")
    vehicle_raw = result.get("vehicle")
    vehicle = obj(vehicle_raw, f"{path}.vehicle") if vehicle_raw is not None else {}
    vprops_raw = vehicle.get("props")
    vprops = obj(vprops_raw, f"{path}.vehicle.props") if vprops_raw is not None else {}
    make = top_name(vprops.get("make_model"), f"{path}.vehicle.props.make_model", key="make")
    colour = top_name(vprops.get("color"), f"{path}.vehicle.props.color", key="value")
    return (
        text_value,
        text_score,
        f"{path}.plate.props.plate[0]",
        iso_region(code),
        make,
        colour,
    )


_GPS_KEYS = (("lat", "lon"), ("latitude", "longitude"), ("gps_latitude", "gps_longitude"))


def _user_gps(value: Any, path: str) -> Position | None:
    """The GPS fix a mobile agent put in ``user_data`` (see the module docstring), or None."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        text_value = value.strip()
        if text_value.startswith("{"):
            try:
                value = json.loads(text_value[:_MAX_USER_DATA])
            except (ValueError, RecursionError):
                raise InputError("is not a JSON object or 'lat,lon'", field=path) from None
        else:
            parts = [part.strip() for part in text_value.split(",")]
            if len(parts) != 2 or not all(_NUMERIC.fullmatch(part) for part in parts):
                return None  # other free text: not a position
            found = position(parts[0], parts[1], path, path)
            return Position(*found, path) if found else None
    if not isinstance(value, Mapping):
        return None
    for lat_key, lon_key in _GPS_KEYS:
        if lat_key in value or lon_key in value:
            found = position(
                value.get(lat_key), value.get(lon_key), f"{path}.{lat_key}", f"{path}.{lon_key}"
            )
            return Position(*found, f"{path}.{lat_key}") if found else None
    return None


def _result(
    parsed: Parsed,
    raw: Any,
    path: str,
    camera: Camera,
    when: datetime,
    shared_gps: Position | None,
) -> None:
    result = obj(raw, path)
    vehicle_raw = result.get("vehicle")
    vehicle = obj(vehicle_raw, f"{path}.vehicle") if vehicle_raw is not None else {}
    plate_raw = result.get("plate")
    if plate_raw is None and "score" not in result:
        return  # vehicle mode: a vehicle seen without a plate is not a read
    if isinstance(plate_raw, Mapping):
        plate, conf, where, found, make, colour = _vehicle_mode(result, path)
        score_path = f"{where}.score"
        plate_path = f"{where}.value"
    else:
        region_raw = result.get("region")
        code = obj(region_raw, f"{path}.region").get("code") if region_raw is not None else None
        found = iso_region(code) if code is not None else NONE
        plate, conf, plate_path, score_path = (
            plate_raw,
            result.get("score"),
            f"{path}.plate",
            f"{path}.score",
        )
        make = top_name(result.get("model_make"), f"{path}.model_make", key="make")
        colour = top_name(result.get("color"), f"{path}.color", key="color")
    gps = _user_gps(result.get("user_data"), f"{path}.user_data") or shared_gps
    read = make_read(
        camera,
        plate=plate,
        plate_path=plate_path,
        confidence=score(conf, score_path),
        observed_at=when,
        state=found.state,
        country=found.country,
        latitude=gps.latitude if gps else None,
        longitude=gps.longitude if gps else None,
        position_path=f"{path}.user_data" if gps is None else gps.field,
        heading=direction(result.get("direction"), f"{path}.direction"),
        speed=check_speed(
            number(result.get("speed"), f"{path}.speed", required=False), f"{path}.speed"
        ),
        make=make,
        colour=colour,
        vehicle_type=text(vehicle.get("type"), f"{path}.vehicle.type"),
    )
    parsed.add(read, None, path=path, position=gps)


class PlateRecognizerAdapter:
    """Parses a Snapshot response (JSON) or a Stream webhook (JSON or ``FormPayload``)."""

    name = NAME

    def parse(self, payload: Any, camera: Camera) -> Parsed:
        upload: bytes | None = None
        if isinstance(payload, FormPayload):
            body, upload = _form(payload)
            prefix = "json."
        else:
            body = obj(payload, "body")
            prefix = ""
        parsed = Parsed()
        if "data" in body:  # Stream webhook
            hook_raw = body.get("hook")
            hook = obj(hook_raw, f"{prefix}hook") if hook_raw is not None else {}
            event = text(hook.get("event"), f"{prefix}hook.event")
            if event not in (None, "recognition"):
                parsed.kind = "ignored"  # e.g. Stream's heartbeat or video-file events
                return parsed
            data = obj(body.get("data"), f"{prefix}data")
            prefix += "data."
        else:  # Snapshot response
            data = body
        claim = text(data.get("camera_id"), f"{prefix}camera_id")
        if claim is not None:
            parsed.claims.add(claim)
        results = seq(data.get("results"), f"{prefix}results")
        if not results:
            return parsed.settle()
        when = timestamp(data.get("timestamp"), f"{prefix}timestamp", camera.timezone)
        shared = _user_gps(data.get("user_data"), f"{prefix}user_data")
        for i, raw in enumerate(results):
            path = f"{prefix}results[{i}]"
            with parsed.result(path):
                _result(parsed, raw, path, camera, when, shared)
        if upload is not None:  # the recognition's image, for each of its reads
            parsed.images = dict.fromkeys(range(len(parsed.reads)), upload)
        return parsed.settle()
