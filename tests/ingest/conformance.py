"""Payloads built field by field from each system's own source code and published formats.

Every builder names the source it follows; the field names, nesting, units and value forms
are the sender's, read from that source (no code copied). Values (plates, times, ids) are our
own. Sources, as stored public copies were read:

- OpenALPR ``alprd``: openalpr/openalpr ``src/openalpr/alpr_impl.cpp`` (``AlprImpl::toJson``,
  ``createJsonObj``; ``epoch_time`` set from ``getEpochTimeMs()``), ``src/daemon.cpp`` (adds
  ``uuid``, ``camera_id``, ``site_id``, ``img_width``, ``img_height``; ``country`` is the
  daemon's config, default ``us``, and is not in the JSON), ``runtime_data/postprocess/
  us.patterns`` / ``eu.patterns`` (region codes: US states; European countries).
- Rekor Scout agent: docs.rekor.ai/scout/application-integration/json-plate-results,
  .../json-group-results (``"region": "us-mo"``, ``"country": "us"``, epochs in ms), and the
  alert format in help.rekor.ai "How do I receive data … using webhooks" (``alpr_alert``
  with its ``group``). ``web_server_config.camera_label`` is what Scout adds for agents
  configured through its web server (per the review that sent these payloads).
- Plate Recognizer: the Snapshot SDK response as Plate Recognizer staff published it
  (gist danleyb2/afd3d8ba23b508ddcae012835fe4e71b: ``"timestamp": "2021-10-11
  05:43:58.514896"`` without offset, ``"camera_id": null``, ``region.code`` ``gb``), the
  Stream webhook in guides.platerecognizer.com/docs/stream/results (``hook`` + ``data`` with
  ``timestamp``, ``timestamp_local``, ``timestamp_camera``), and vehicle detection mode as
  Plate Recognizer's own integrations read it (parkpow/deep-license-plate-recognition
  ``webhooks/middleware/protocols/*.py``: ``plate`` may be an object with
  ``props.plate[0].value/score`` and ``props.region[0].value``, or ``null``; ``vehicle.props``
  with ``make_model``, ``color``, ``orientation``).
- Frigate: blakeblackshear/frigate ``frigate/track/tracked_object.py``
  (``TrackedObject.to_dict``), ``frigate/track/object_processing.py``
  (``set_object_attribute`` stores ``(value, score)``, so ``recognized_license_plate`` is
  published as ``[plate, score]``), ``frigate/data_processing/common/license_plate/mixin.py``
  (``tracked_object_update`` of type ``lpr``), ``frigate/data_processing/real_time/
  license_plate.py`` (``expire_object`` publishes ``plate: null`` when the last car leaves),
  ``frigate/types.py`` (``TrackedObjectUpdateTypesEnum`` is a ``str`` enum: ``"lpr"``), and
  ``docs/docs/integrations/mqtt.md`` (the documented string + ``recognized_license_plate_score``).
"""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _b64(data: bytes | None) -> str | None:
    return base64.b64encode(data).decode() if data is not None else None


# -- OpenALPR / Rekor -------------------------------------------------------------------------


def alpr_plate(plate: str, confidence: float, region: str, index: int = 0) -> dict[str, Any]:
    """One entry of ``results[]``: ``createJsonObj`` in alpr_impl.cpp, field by field."""
    return {
        "plate": plate,
        "confidence": confidence,  # 0-100
        "matches_template": 1,
        "plate_index": index,
        "region": region,  # alprd: "ct" / "de"; Rekor agent: "us-ct"
        "region_confidence": 87,
        "processing_time_ms": 41.6,
        "requested_topn": 10,
        "coordinates": [
            {"x": 204, "y": 134},
            {"x": 309, "y": 136},
            {"x": 308, "y": 188},
            {"x": 203, "y": 186},
        ],
        "candidates": [
            {"plate": plate, "confidence": confidence, "matches_template": 1},
            {"plate": plate[:-1] + "8", "confidence": confidence - 9, "matches_template": 0},
        ],
    }


def alprd_frame(
    camera_id: int, when: datetime, results: list[dict[str, Any]], site: str = "elm"
) -> dict[str, Any]:
    """An open-source ``alprd`` post: ``AlprImpl::toJson`` plus what daemon.cpp adds. The
    uuid is ``<site_id>-cam<camera_id>-<epoch>``, as daemon.cpp forms it."""
    return {
        "version": 2,
        "data_type": "alpr_results",
        "epoch_time": _ms(when),  # getEpochTimeMs()
        "img_width": 1280,
        "img_height": 720,
        "processing_time_ms": 96.9,
        "regions_of_interest": [{"x": 0, "y": 0, "width": 1280, "height": 720}],
        "results": results,
        "uuid": f"{site}-cam{camera_id}-{_ms(when)}",
        "camera_id": camera_id,
        "site_id": site,
    }


def rekor_frame(
    camera_id: int, uuid: str, when: datetime, results: list[dict[str, Any]]
) -> dict[str, Any]:
    """A Rekor Scout agent ``alpr_results`` (docs.rekor.ai … json-plate-results)."""
    return {
        "processing_time_ms": 105.85,
        "data_type": "alpr_results",
        "uuid": uuid,
        "version": 2,
        "camera_id": camera_id,
        "agent_uid": "YYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYY",
        "agent_type": "alprd",
        "agent_version": "4.1.1",
        "company_id": "3a2c4e8f-1b6d-4c2e-9a7f-0d5e6b8c1a2f",
        "epoch_time": _ms(when),
        "img_width": 4096,
        "img_height": 2160,
        "error": False,
        "regions_of_interest": [],
        "results": results,
    }


def rekor_group(
    camera_id: int,
    plate: str,
    start: datetime,
    end: datetime,
    uuids: list[str],
    *,
    country: str = "us",
    best_region: str = "us-mo",
    confidence: float = 94.97,
    gps: tuple[float, float] = (0.0, 0.0),
    travel_direction: float = 182.5,
    camera_label: str | None = None,
    vehicle_crop: bytes | None = None,
    is_preview: bool = False,
) -> dict[str, Any]:
    """A Rekor Scout ``alpr_group`` (docs.rekor.ai … json-group-results), field by field."""
    group: dict[str, Any] = {
        "epoch_end": _ms(end),
        "best_image_height": 2160,
        "best_image_width": 4096,
        "best_region_confidence": 57.28,
        "is_parked": False,
        "agent_type": "alprd",
        "data_type": "alpr_group",
        "gps_latitude": gps[0],
        "frame_start": 0,
        "best_region": best_region,
        "agent_uid": "YYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYYY",
        "agent_version": "2.7.101",
        "country": country,
        "uuids": uuids,
        "plate_indexes": [0] * len(uuids),
        "frame_end": 72,
        "epoch_start": _ms(start),
        "version": 2,
        "candidates": [{"matches_template": 0, "plate": plate, "confidence": confidence}],
        "best_plate_number": plate,
        "best_confidence": confidence,
        "best_uuid": uuids[0],
        "camera_id": camera_id,
        "company_id": "3a2c4e8f-1b6d-4c2e-9a7f-0d5e6b8c1a2f",
        "gps_longitude": gps[1],
        "travel_direction": travel_direction,
        "is_preview": is_preview,
        "vehicle": {
            "color": [{"name": "blue", "confidence": 82.1}, {"name": "black", "confidence": 9.3}],
            "make": [{"name": "ford", "confidence": 91.4}, {"name": "mercury", "confidence": 2.0}],
            "make_model": [{"name": "ford_fusion", "confidence": 74.2}],
            "body_type": [{"name": "sedan-standard", "confidence": 88.0}],
            "year": [{"name": "2010-2014", "confidence": 61.0}],
            "orientation": [{"name": "0", "confidence": 93.0}],
        },
        "best_plate": alpr_plate(plate, confidence, best_region),
    }
    if vehicle_crop is not None:
        group["vehicle_crop_jpeg"] = _b64(vehicle_crop)
    if camera_label is not None:
        group["web_server_config"] = {"camera_label": camera_label, "agent_label": "Elm agent"}
    return group


def rekor_alert(group: dict[str, Any]) -> dict[str, Any]:
    """A Rekor ``alpr_alert`` (help.rekor.ai webhooks article): the vendor list's match."""
    return {
        "camera_name": "Elm St NB",
        "plate_number": group["best_plate_number"],
        "description": "vendor list entry",
        "site_name": "Elm",
        "data_type": "alpr_alert",
        "alert_list": "Hotlist",
        "list_type": "Blacklist",
        "camera_number": group["camera_id"],
        "epoch_time": group["epoch_start"],
        "version": 1,
        "agent_uid": group["agent_uid"],
        "group": group,
    }


# -- Plate Recognizer ---------------------------------------------------------------------------


def pr_plate_result(plate: str, score: float, code: str) -> dict[str, Any]:
    """A Snapshot/Stream result in the default (plate) mode."""
    return {
        "box": {"xmin": 146, "ymin": 481, "xmax": 276, "ymax": 576},
        "plate": plate.lower(),
        "region": {"code": code, "score": 0.986},
        "score": score,
        "candidates": [{"score": score, "plate": plate.lower()}],
        "dscore": 0.925,
        "vehicle": {
            "score": 0.834,
            "type": "Sedan",
            "box": {"xmin": 68, "ymin": 103, "xmax": 914, "ymax": 643},
        },
    }


def pr_vehicle_result(plate: str | None, score: float, code: str) -> dict[str, Any]:
    """A vehicle-detection-mode result: no top-level ``score``; ``plate`` an object (or
    ``null``); ``vehicle.props`` lists."""
    result: dict[str, Any] = {
        "plate": None,
        "vehicle": {
            "type": "Sedan",
            "score": 0.871,
            "box": {"xmin": 68, "ymin": 103, "xmax": 914, "ymax": 643},
            "props": {
                "make_model": [{"make": "Toyota", "model": "Corolla", "score": 0.62}],
                "orientation": [{"value": "Rear", "score": 0.91}],
                "color": [{"value": "white", "score": 0.77}, {"value": "silver", "score": 0.12}],
            },
        },
        "direction": 270,
        "speed": None,
        "source_url": "rtsp://192.0.2.10/stream",
        "position_sec": "2.04",
    }
    if plate is not None:
        result["plate"] = {
            "type": "Plate",
            "score": 0.902,  # the plate detector's score
            "box": {"xmin": 146, "ymin": 481, "xmax": 276, "ymax": 576},
            "props": {
                "plate": [{"value": plate.lower(), "score": score}],
                "region": [{"value": code, "score": 0.88}],
            },
        }
    return result


def pr_snapshot_sdk(results: list[dict[str, Any]], local_time: str) -> dict[str, Any]:
    """The Snapshot SDK's answer (published by Plate Recognizer staff): a local time without
    offset, a null camera, usage counters."""
    return {
        "filename": "car.jpg",
        "timestamp": local_time,  # "2021-10-11 05:43:58.514896"
        "camera_id": None,
        "results": results,
        "usage": {"calls": 19, "max_calls": 100000},
        "processing_time": 102.9,
    }


def pr_stream(camera_id: str, when: datetime, results: list[dict[str, Any]]) -> dict[str, Any]:
    """A Stream webhook (guides.platerecognizer.com/docs/stream/results)."""
    shot = f"/{camera_id}_screenshots/26-11-01/12-00-00.000000.jpg"
    return {
        "hook": {
            "target": "https://node.example/api/v1/ingest/platerecognizer",
            "id": camera_id,
            "event": "recognition",
            "filename": shot,
        },
        "data": {
            "camera_id": camera_id,
            "filename": shot,
            "timestamp": when.isoformat().replace("+00:00", "Z"),
            "timestamp_local": when.astimezone().isoformat(sep=" "),
            "timestamp_camera": None,
            "results": results,
        },
    }


# -- Frigate ------------------------------------------------------------------------------------


def frigate_after(
    camera: str, object_id: str, when: datetime, plate: Any, *, label: str = "car"
) -> dict[str, Any]:
    """The ``after`` object: the keys of ``TrackedObject.to_dict``. ``plate`` is what
    ``obj_data["recognized_license_plate"]`` holds: ``[plate, score]`` or None."""
    t = when.timestamp()
    return {
        "id": object_id,
        "camera": camera,
        "frame_time": t,
        "snapshot": {
            "frame_time": t,
            "box": [415, 489, 528, 700],
            "area": 12728,
            "region": [260, 446, 660, 846],
            "score": 0.77,
            "attributes": [],
        },
        "label": label,
        "sub_label": None,
        "top_score": 0.958,
        "false_positive": False,
        "start_time": t - 2.5,
        "end_time": None,
        "score": 0.87,
        "box": [432, 496, 544, 854],
        "area": 40096,
        "ratio": 2.11,
        "region": [218, 440, 693, 915],
        "active": True,
        "stationary": False,
        "motionless_count": 0,
        "position_changes": 2,
        "current_zones": ["street"],
        "entered_zones": ["street"],
        "has_clip": False,
        "has_snapshot": True,
        "attributes": {},
        "current_attributes": [],
        "pending_loitering": False,
        "max_severity": "detection",
        "current_estimated_speed": 0,
        "average_estimated_speed": 0,
        "velocity_angle": 0,
        "path_data": [],
        "recognized_license_plate": plate,
    }


def frigate_event(after: dict[str, Any], kind: str = "update") -> dict[str, Any]:
    before = dict(after, recognized_license_plate=None)
    return {"type": kind, "before": before, "after": after}


def frigate_lpr(camera: str, object_id: str, plate: str, score: float, when: datetime) -> dict:
    """``tracked_object_update`` from the LPR mixin (``plate_box`` since 0.18)."""
    return {"type": "lpr", "name": None, "plate": plate, "score": score, "id": object_id,
            "camera": camera, "timestamp": when.timestamp(),
            "plate_box": [917, 487, 1029, 529]}  # fmt: skip


def frigate_lpr_cleared(camera: str) -> dict[str, Any]:
    """What ``expire_object`` publishes when the last car left the camera."""
    return {"type": "lpr", "name": None, "plate": None, "camera": camera}
