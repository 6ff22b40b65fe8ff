"""Payloads as the real systems send them, built from their documented field lists
(REFERENCE.md §4; OpenALPR agent docs; Plate Recognizer Stream/Snapshot docs; Frigate MQTT docs).
"""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Any


def _ms(moment: datetime) -> int:
    return int(moment.timestamp() * 1000)


def _candidates(plate: str, confidence: float) -> list[dict[str, Any]]:
    return [
        {"plate": plate, "confidence": confidence, "matches_template": 1},
        {"plate": plate[:-1] + "8", "confidence": confidence - 8.5, "matches_template": 0},
    ]


def openalpr_result(plate: str, confidence: float, crop: bytes | None, index: int = 0) -> dict:
    result: dict[str, Any] = {
        "plate": plate,
        "confidence": confidence,
        "matches_template": 1,
        "plate_index": index,
        "region": "ct",
        "region_confidence": 87,
        "processing_time_ms": 41.57,
        "requested_topn": 10,
        "coordinates": [
            {"x": 204, "y": 134},
            {"x": 309, "y": 136},
            {"x": 308, "y": 188},
            {"x": 203, "y": 186},
        ],
        "vehicle_region": {"x": 90, "y": 20, "width": 400, "height": 400},
        "candidates": _candidates(plate, confidence),
    }
    if crop is not None:
        result["plate_crop_jpeg"] = base64.b64encode(crop).decode()
    return result


def openalpr_results(
    camera_id: int, frame_uuid: str, when: datetime, results: list[dict]
) -> dict[str, Any]:
    return {
        "version": 2,
        "data_type": "alpr_results",
        "processing_time_ms": 96.9,
        "uuid": frame_uuid,
        "camera_id": camera_id,
        "agent_uid": "AZ2Z0T0BDNS6OV3FAFVF4RQ3",
        "agent_type": "alprd",
        "agent_version": "2.8.101",
        "company_id": "44c9274f-8d57-432a-8cd7-8c991f22ead3",
        "site_id": "elm-street",
        "error": False,
        "epoch_time": _ms(when),
        "img_width": 1280,
        "img_height": 720,
        "regions_of_interest": [{"x": 0, "y": 0, "width": 1280, "height": 720}],
        "results": results,
    }


def openalpr_group(
    camera_id: int,
    plate: str,
    start: datetime,
    end: datetime,
    frame_uuids: list[str],
    *,
    vehicle_crop: bytes | None = None,
    plate_crop: bytes | None = None,
    gps: tuple[float, float] = (0.0, 0.0),
    travel_direction: float = 182.5,
) -> dict[str, Any]:
    best_plate = openalpr_result(plate, 91.2, plate_crop)
    group: dict[str, Any] = {
        "version": 2,
        "data_type": "alpr_group",
        "epoch_start": _ms(start),
        "epoch_end": _ms(end),
        "frame_start": 1200,
        "frame_end": 1214,
        "camera_id": camera_id,
        "agent_uid": "AZ2Z0T0BDNS6OV3FAFVF4RQ3",
        "agent_type": "alprd",
        "agent_version": "2.8.101",
        "company_id": "44c9274f-8d57-432a-8cd7-8c991f22ead3",
        "country": "us",
        "best_region": "ct",
        "best_region_confidence": 87,
        "best_plate_number": plate,
        "best_confidence": 91.2,
        "matches_template": 1,
        "best_uuid": frame_uuids[0],
        "uuids": frame_uuids,
        "plate_indexes": [0] * len(frame_uuids),
        "best_image_width": 1280,
        "best_image_height": 720,
        "gps_latitude": gps[0],
        "gps_longitude": gps[1],
        "travel_direction": travel_direction,
        "is_parked": False,
        "is_preview": False,
        "candidates": _candidates(plate, 91.2),
        "vehicle": {
            "color": [
                {"name": "silver-gray", "confidence": 71.3},
                {"name": "white", "confidence": 12.0},
            ],
            "make": [{"name": "toyota", "confidence": 88.1}, {"name": "lexus", "confidence": 4.2}],
            "make_model": [{"name": "toyota_camry", "confidence": 77.9}],
            "body_type": [{"name": "sedan-standard", "confidence": 92.4}],
            "year": [{"name": "2010-2014", "confidence": 55.0}],
            "orientation": [{"name": "180", "confidence": 90.0}],
        },
        "best_plate": best_plate,
    }
    if vehicle_crop is not None:
        group["vehicle_crop_jpeg"] = base64.b64encode(vehicle_crop).decode()
    return group


def openalpr_alert(group: dict[str, Any]) -> dict[str, Any]:
    return {
        "data_type": "alpr_alert",
        "version": 2,
        "epoch_time": group["epoch_start"],
        "agent_uid": group["agent_uid"],
        "alert_list": "Stolen vehicles",
        "alert_list_id": 112,
        "site_name": "Elm Street",
        "camera_name": "Elm St NB",
        "camera_number": group["camera_id"],
        "plate_number": group["best_plate_number"],
        "description": "from the vendor's own list",
        "list_type": "alert",
        "group": group,
    }


def openalpr_heartbeat(streams: list[tuple[int, str]], when: datetime) -> dict[str, Any]:
    return {
        "version": 2,
        "data_type": "heartbeat",
        "company_id": "44c9274f-8d57-432a-8cd7-8c991f22ead3",
        "agent_uid": "AZ2Z0T0BDNS6OV3FAFVF4RQ3",
        "agent_hostname": "alpr-agent-1",
        "timestamp": _ms(when),
        "system_uptime_seconds": 2595123,
        "daemon_uptime_seconds": 2594832,
        "cpu_cores": 2,
        "cpu_usage_percent": 18.6,
        "beanstalk_queue_size": 0,
        "video_streams": [
            {
                "camera_id": cid,
                "camera_name": name,
                "fps": 12,
                "is_streaming": True,
                "url": "rtsp://192.168.0.5:554/axis-media/media.amp",
                "last_update": _ms(when),
            }
            for cid, name in streams
        ],
    }


OPENALPR_TEST_PING = {"openalpr_webhook": "test"}


def pr_result(plate: str, score: float, *, direction: float | None = None) -> dict[str, Any]:
    result: dict[str, Any] = {
        "box": {"xmin": 483, "ymin": 325, "xmax": 540, "ymax": 343},
        "plate": plate.lower(),
        "region": {"code": "us-ct", "score": 0.718},
        "score": score,
        "candidates": [
            {"score": score, "plate": plate.lower()},
            {"score": 0.86, "plate": plate.lower()[:-1] + "b"},
        ],
        "dscore": 0.707,
        "vehicle": {
            "score": 0.868,
            "type": "Sedan",
            "box": {"xmin": 436, "ymin": 184, "xmax": 676, "ymax": 357},
        },
        "model_make": [
            {"make": "Honda", "model": "Civic", "score": 0.89},
            {"make": "generic", "model": "Unknown", "score": 0.002},
        ],
        "color": [{"color": "black", "score": 0.926}, {"color": "silver", "score": 0.021}],
        "orientation": [
            {"orientation": "Front", "score": 0.931},
            {"orientation": "Rear", "score": 0.04},
        ],
    }
    if direction is not None:
        result.update(
            {
                "direction": direction,
                "speed": None,
                "speed_score": 0.0,
                "source_url": "rtsp://192.168.1.20/stream",
                "position_sec": "0.11",
                "user_data": "",
            }
        )
    return result


def pr_snapshot(camera_id: str | None, when: datetime, results: list[dict]) -> dict[str, Any]:
    return {
        "processing_time": 288.758,
        "results": results,
        "filename": "1344_8vM9F_car.jpg",
        "version": 1,
        "camera_id": camera_id,
        "timestamp": when.isoformat().replace("+00:00", "Z"),
    }


def pr_stream(camera_id: str, when: datetime, results: list[dict]) -> dict[str, Any]:
    local = when.astimezone()
    return {
        "hook": {
            "target": "https://trustlpr.example/api/v1/ingest/platerecognizer",
            "id": camera_id,
            "event": "recognition",
            "filename": f"/{camera_id}_screenshots/26-11-01/12-00-00.000000.jpg",
        },
        "data": {
            "camera_id": camera_id,
            "filename": f"/{camera_id}_screenshots/26-11-01/12-00-00.000000.jpg",
            "timestamp": when.isoformat(),
            "timestamp_local": local.isoformat(sep=" "),
            "timestamp_camera": None,
            "results": results,
        },
    }


def frigate_event(
    camera: str,
    object_id: str,
    plate: str | None,
    score: float | None,
    when: datetime,
    kind: str = "update",
) -> dict[str, Any]:
    t = when.timestamp()
    after: dict[str, Any] = {
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
        "label": "car",
        "sub_label": None,
        "top_score": 0.958,
        "false_positive": False,
        "start_time": t - 2.5,
        "end_time": t if kind == "end" else None,
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
        "current_estimated_speed": 31.2,
        "velocity_angle": 180,
        "recognized_license_plate": plate,
        "recognized_license_plate_score": score,
    }
    before = dict(
        after,
        frame_time=t - 0.2,
        recognized_license_plate=None,
        recognized_license_plate_score=None,
    )
    return {"type": kind, "before": before, "after": after}


def frigate_lpr(camera: str, object_id: str, plate: str, score: float, when: datetime) -> dict:
    return {
        "type": "lpr",
        "id": object_id,
        "name": None,
        "plate": plate,
        "score": score,
        "camera": camera,
        "timestamp": when.timestamp(),
        "plate_box": [917, 487, 1029, 529],
    }


def dumps(payload: Any) -> bytes:
    return json.dumps(payload).encode()
