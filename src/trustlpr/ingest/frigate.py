"""Frigate (0.16+) license plate recognition, as published on its MQTT topics.

- ``frigate/events``: ``{"type": "new"|"update"|"end", "before": {...}, "after": {...}}``; the
  ``after`` object (``TrackedObject.to_dict``) of a car or motorcycle carries
  ``recognized_license_plate`` once a plate was read: the pair ``[plate, score]`` as
  Frigate's code publishes it (``set_object_attribute`` stores a tuple), or, as Frigate's MQTT
  docs show, the plate text with ``recognized_license_plate_score`` (0–1). ``frame_time`` and
  ``start_time`` are epoch seconds. The same tracked object is published many times.
- ``frigate/tracked_object_update``: ``{"type": "lpr", "id", "name", "plate", "score",
  "camera", "timestamp", "plate_box"}``; when the last car leaves a camera Frigate publishes
  ``{"type": "lpr", "name": null, "plate": null, "camera"}`` (ignored). Other types
  (``description``, ``face``, ``classification``) carry no plate.

Each read is linked to ``frigate:<object id>:<plate>``, so every message about one tracked
object and plate becomes one read, while a refined plate (Frigate keeps improving its guess)
is kept as its own read. ``name``/``sub_label`` (a known owner's name) is never read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..core.errors import InputError
from ..core.identity import Camera
from .parsing import Parsed, epoch, make_read, obj, score, text

NAME = "frigate"
VEHICLE_LABELS = frozenset({"car", "motorcycle", "bus", "truck", "license_plate"})


def camera_name(payload: Any) -> str | None:
    """The Frigate camera a message is about, or None if it names none (not ours to parse)."""
    if not isinstance(payload, Mapping):
        return None
    if isinstance(payload.get("after"), Mapping):
        payload = payload["after"]
    name = payload.get("camera")
    return name if isinstance(name, str) and name else None


def _event(body: Mapping[str, Any], camera: Camera, parsed: Parsed) -> None:
    after = obj(body.get("after"), "after")
    if after.get("false_positive") is True:
        parsed.kind = "ignored"
        return
    plate = after.get("recognized_license_plate")
    conf: Any = after.get("recognized_license_plate_score")
    if isinstance(plate, list) and len(plate) == 2:  # internal [plate, score] form
        plate, conf = plate[0], conf if conf is not None else plate[1]
    if plate in (None, ""):
        parsed.kind = "ignored"  # no plate read (yet) for this tracked object
        return
    label = text(after.get("label"), "after.label")
    if label is not None and label not in VEHICLE_LABELS:
        raise InputError(f"{label!r} objects carry no license plate", field="after.label")
    claim = text(after.get("camera"), "after.camera", required=True)
    assert claim is not None
    parsed.claims.add(claim)
    when = after.get("frame_time") or after.get("start_time")
    read = make_read(
        camera,
        plate=plate,
        plate_path="after.recognized_license_plate",
        confidence=score(conf, "after.recognized_license_plate_score"),
        observed_at=epoch(when, "after.frame_time"),
    )
    object_id = text(after.get("id"), "after.id")
    links = (f"frigate:{object_id}:{read.plate}",) if object_id else ()
    parsed.add(read, None, links, path="after")


def _lpr(body: Mapping[str, Any], camera: Camera, parsed: Parsed) -> None:
    claim = text(body.get("camera"), "camera", required=True)
    assert claim is not None
    parsed.claims.add(claim)
    if body.get("plate") is None:
        parsed.kind = "ignored"  # "no car left on this camera": nothing was read
        return
    read = make_read(
        camera,
        plate=body.get("plate"),
        plate_path="plate",
        confidence=score(body.get("score"), "score"),
        observed_at=epoch(body.get("timestamp"), "timestamp"),
    )
    object_id = text(body.get("id"), "id")
    parsed.add(read, None, (f"frigate:{object_id}:{read.plate}",) if object_id else ())


class FrigateAdapter:
    """Parses one JSON message from ``frigate/events`` or ``frigate/tracked_object_update``."""

    name = NAME

    def parse(self, payload: Any, camera: Camera) -> Parsed:
        body = obj(payload, "body")
        parsed = Parsed()
        kind = body.get("type")
        if "after" in body:
            _event(body, camera, parsed)
        elif kind == "lpr":
            _lpr(body, camera, parsed)
        elif kind in ("description", "face", "classification"):
            parsed.kind = "ignored"
        else:
            shown = str(kind)[:40] if kind is not None else "missing"
            raise InputError(f"{shown!r} is neither an event nor an 'lpr' update", field="type")
        return parsed.settle()
