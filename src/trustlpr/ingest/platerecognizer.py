"""Plate Recognizer: Snapshot API responses and Stream webhooks, as those products send them.

- Snapshot (``POST /v1/plate-reader/`` response, forwarded as JSON): ``timestamp``,
  ``camera_id`` (may be null), ``results[]`` with ``plate``, ``score`` (0–1), ``region.code``
  (``us-ct``), ``vehicle.type``, and with make/model/colour enabled ``model_make[]``,
  ``color[]``, ``orientation[]``.
- Stream webhook: ``multipart/form-data`` with a ``json`` field holding
  ``{"hook": {...}, "data": {camera_id, timestamp, results[]}}`` and an optional ``upload``
  image; Stream can also post the same object as plain JSON when no image is configured.
  Stream results add ``direction`` (degrees), ``speed``, ``source_url``, ``position_sec``.

Scores are already 0–1; times are ISO 8601 with an offset.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from ..core.errors import InputError
from ..core.identity import Camera
from .parsing import (
    FormPayload,
    Parsed,
    direction,
    image,
    make_read,
    obj,
    region,
    score,
    seq,
    text,
    timestamp,
    top_name,
)

NAME = "platerecognizer"
_MAX_JSON = 4 * 1024 * 1024


def _form(payload: FormPayload) -> tuple[Mapping[str, Any], bytes | None]:
    raw = payload.fields.get("json")
    if raw is None:
        raise InputError("is required (the Stream webhook's JSON part)", field="json")
    if len(raw) > _MAX_JSON:
        raise InputError(f"is over {_MAX_JSON} bytes", field="json")
    try:
        body = json.loads(raw)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise InputError(f"is not valid JSON: {str(exc)[:80]}", field="json") from None
    upload = image(payload.files.get("upload"), "upload", encoded=False)
    return obj(body, "json"), upload


def _result(raw: Any, path: str, camera: Camera, when: Any, when_path: str) -> Any:
    result = obj(raw, path)
    region_raw = result.get("region")
    code = obj(region_raw, f"{path}.region").get("code") if region_raw is not None else None
    vehicle_raw = result.get("vehicle")
    vehicle = obj(vehicle_raw, f"{path}.vehicle") if vehicle_raw is not None else {}
    return make_read(
        camera,
        plate=result.get("plate"),
        plate_path=f"{path}.plate",
        confidence=score(result.get("score"), f"{path}.score"),
        observed_at=timestamp(when, when_path),
        state=region(code),
        heading=direction(result.get("direction"), f"{path}.direction"),
        make=top_name(result.get("model_make"), f"{path}.model_make", key="make"),
        colour=top_name(result.get("color"), f"{path}.color", key="color"),
        vehicle_type=text(vehicle.get("type"), f"{path}.vehicle.type"),
    )


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
        when_path = f"{prefix}timestamp"
        for i, raw in enumerate(seq(data.get("results"), f"{prefix}results")):
            path = f"{prefix}results[{i}]"
            parsed.add(_result(raw, path, camera, data.get("timestamp"), when_path), upload)
        return parsed
