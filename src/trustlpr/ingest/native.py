"""TrustLPR's own formats: a JSON batch ``{"reads": [...]}`` and a CSV upload.

Each read uses the native field names of ``core.reads.read_from_mapping`` (``plate, state,
observed_at, confidence`` and optionally ``camera_id, agency_id, lat, lon, direction, speed,
make, colour, vehicle_type``). ``camera_id`` and ``agency_id`` default to the sending camera's
and when given must be its own (checked by the service). A fixed camera's reads are at its
registered place; a mobile camera's each carry their own ``lat``/``lon`` (a read without one,
or at ``0, 0``, is refused).
JSON reads may carry ``plate_crop_jpeg`` (the plate image, base64 JPEG/PNG, as OpenALPR names
it) and ``uuid``, the sender's id of the read: a read whose uuid the node has already taken
from this camera is a duplicate (a sender's retry after a lost answer stores nothing twice).
A batch is taken whole or not at all: the first bad read is reported by its index (JSON) or
line (CSV) and field, and nothing of that request is stored.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from ..core.errors import FormatError, InputError
from ..core.identity import Camera
from ..core.reads import read_from_mapping
from .parsing import Parsed, Position, image, no_position, obj, position, relocate, seq, text

NAME = "native"
MAX_READS = 1000
CSV_REQUIRED = ("plate", "observed_at", "confidence")


def _one(raw: Any, camera: Camera, parsed: Parsed, path: str) -> None:
    """Validates one native read for ``camera``; errors keep the field of the bad value."""
    if not isinstance(raw, Mapping):
        raise InputError(f"a read must be an object, got {type(raw).__name__}")
    fields = dict(raw)
    for key in ("camera_id", "agency_id"):
        value = fields.get(key)
        if value not in (None, ""):
            if not isinstance(value, str | int) or isinstance(value, bool):
                raise InputError("expected text", field=key)
            (parsed.claims if key == "camera_id" else parsed.agencies).add(str(value).strip())
    lat, lon = fields.get("lat", fields.get("latitude")), fields.get("lon", fields.get("longitude"))
    if camera.mobile and position(lat, lon, "lat", "lon") is None:
        raise no_position(camera, "lat")
    if lat in (None, "") and lon in (None, ""):  # no position given: the registered place
        fields["lat"], fields["lon"] = camera.latitude, camera.longitude
    if fields.get("direction") in (None, "") and camera.direction is not None:
        fields["direction"] = camera.direction
    here = _plain_position(fields.get("lat", fields.get("latitude")),
                           fields.get("lon", fields.get("longitude")))  # fmt: skip
    if camera.mobile or here is None:
        read = read_from_mapping(fields, agency_id=camera.agency_id, camera_id=camera.id)
        reported = Position(read.latitude, read.longitude, "lat")
        if not camera.mobile:  # a fixed camera stands where it is registered
            read = replace(read, latitude=camera.latitude, longitude=camera.longitude)
    else:  # a valid position, so built at the registered place at once: the same read
        reported = Position(*here, "lat")
        fields["lat"], fields["lon"] = camera.latitude, camera.longitude
        read = read_from_mapping(fields, agency_id=camera.agency_id, camera_id=camera.id)
    parsed.add(read, path=path, position=reported)


def _plain_position(lat: Any, lon: Any) -> tuple[float, float] | None:
    """The position as ``read_from_mapping`` takes it when both are plain numbers in range;
    None otherwise (that one then checks and names what is wrong)."""
    if (
        type(lat) in (float, int)
        and type(lon) in (float, int)
        and -90.0 <= lat <= 90.0
        and -180.0 <= lon <= 180.0
    ):
        return float(lat), float(lon)
    return None


def _one_json(raw: Any, camera: Camera, parsed: Parsed, path: str) -> None:
    """A JSON read: the CSV fields plus its image and the sender's read id."""
    if not isinstance(raw, Mapping):
        raise InputError(f"a read must be an object, got {type(raw).__name__}")
    crop = image(raw.get("plate_crop_jpeg"), "plate_crop_jpeg")
    link = text(raw.get("uuid"), "uuid")
    _one(raw, camera, parsed, path)
    index = len(parsed.reads) - 1
    if crop is not None:
        parsed.images[index] = crop
    if link:
        parsed.links[index] = (f"native:{link}",)


class NativeJSONAdapter:
    """Parses ``{"reads": [read, ...]}`` (at most ``MAX_READS`` reads per request)."""

    name = NAME

    def parse(self, payload: Any, camera: Camera) -> Parsed:
        body = obj(payload, "body")
        parsed = Parsed()
        for i, raw in enumerate(seq(body.get("reads"), "reads", limit=MAX_READS)):
            path = f"reads[{i}]"
            with parsed.result(path):
                try:
                    _one_json(raw, camera, parsed, path)
                except InputError as exc:
                    raise relocate(exc, path) from None
        return parsed.settle()


class NativeCSVAdapter:
    """Parses a UTF-8 CSV upload with a header row of native field names."""

    name = "native_csv"

    def parse(self, payload: Any, camera: Camera) -> Parsed:
        if not isinstance(payload, bytes):
            raise FormatError("expected the CSV file as bytes", field="body")
        try:
            content = payload.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise FormatError(f"the CSV is not UTF-8 (byte {exc.start})", field="body") from None
        reader = csv.reader(io.StringIO(content, newline=""))
        try:
            header = [h.strip().lower() for h in next(reader)]
        except StopIteration:
            raise FormatError("the CSV is empty; expected a header row", line=1) from None
        except csv.Error as exc:
            raise FormatError(f"unreadable CSV header: {exc}", line=1) from None
        missing = [c for c in CSV_REQUIRED if c not in header]
        if missing:
            raise FormatError(f"the CSV header lacks column(s) {', '.join(missing)}", line=1)
        parsed = Parsed()
        try:
            for row in reader:
                if not row or all(not cell.strip() for cell in row):
                    continue
                if len(parsed.reads) >= MAX_READS:
                    raise InputError(f"at most {MAX_READS} reads per upload", line=reader.line_num)
                path = f"line {reader.line_num}"
                with parsed.result(path, line=reader.line_num):
                    if len(row) != len(header):
                        raise InputError(f"has {len(row)} fields; the header has {len(header)}")
                    _one(dict(zip(header, row, strict=True)), camera, parsed, path)
        except csv.Error as exc:
            raise InputError(f"bad CSV: {exc}", line=reader.line_num) from None
        return parsed.settle()
