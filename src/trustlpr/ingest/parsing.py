"""What every adapter shares: the parse result, the adapter contract, and field checks.

An adapter is a pure function from one payload, exactly as a source system sends it, to
validated ``Read``s (and their images). It does no I/O and keeps no state, so it can be fuzzed
alone. Every rejection is an ``InputError`` whose ``field`` is the path of the bad value in the
payload (``results[2].confidence``), so the sender can see what to fix.
"""

from __future__ import annotations

import base64
import binascii
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from ..core.clock import parse_utc
from ..core.errors import InputError, PlateError, TooLargeError
from ..core.identity import Camera
from ..core.plates import normalize_plate, normalize_region
from ..core.reads import Read

MAX_IMAGE_BYTES = 2 * 1024 * 1024
_MAX_TEXT = 200
_EPOCH_MIN = 946_684_800.0  # 2000-01-01: anything earlier is an unset camera clock
_EPOCH_MAX = 4_102_444_800.0  # 2100-01-01
_IMAGE_MAGIC = (b"\xff\xd8\xff", b"\x89PNG\r\n\x1a\n")


@dataclass(frozen=True)
class FormPayload:
    """A multipart form as received: text fields and uploaded files (bytes)."""

    fields: Mapping[str, str] = field(default_factory=dict)
    files: Mapping[str, bytes] = field(default_factory=dict)


@dataclass
class Parsed:
    """What a payload said. ``claims``/``agencies`` are the camera names and agency ids the
    payload speaks for (checked against the authenticated camera by the service); ``links``
    are source-system ids of the vehicle pass per read (OpenALPR frame uuids) used to merge
    duplicates; ``aliases`` maps source camera ids to source names (OpenALPR heartbeats)."""

    kind: str = "reads"
    reads: list[Read] = field(default_factory=list)
    images: dict[int, bytes] = field(default_factory=dict)
    links: dict[int, tuple[str, ...]] = field(default_factory=dict)
    claims: set[str] = field(default_factory=set)
    agencies: set[str] = field(default_factory=set)
    aliases: dict[str, str] = field(default_factory=dict)

    def add(self, read: Read, image: bytes | None = None, links: Sequence[str] = ()) -> None:
        if image is not None:
            self.images[len(self.reads)] = image
        if links:
            self.links[len(self.reads)] = tuple(links)
        self.reads.append(read)


class Adapter(Protocol):
    """Turns one payload of a source system into reads; ``camera`` is the sender."""

    name: str

    def parse(self, payload: Any, camera: Camera) -> Parsed: ...


# -- field checks ------------------------------------------------------------------------------


def relocate(exc: InputError, path: str) -> InputError:
    """The same error, its field given as a path inside the payload."""
    where = f"{path}.{exc.field}" if exc.field and exc.field != path else path
    return type(exc)(exc.reason, field=where, line=exc.line)


def obj(value: Any, path: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise InputError(f"expected an object, got {type(value).__name__}", field=path)
    return value


def seq(value: Any, path: str, *, limit: int = 1000) -> Sequence[Any]:
    if not isinstance(value, list):
        raise InputError(f"expected a list, got {type(value).__name__}", field=path)
    if len(value) > limit:
        raise InputError(f"has {len(value)} items; at most {limit}", field=path)
    return value


def text(value: Any, path: str, *, required: bool = False) -> str | None:
    if value is None or value == "":
        if required:
            raise InputError("is required", field=path)
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise InputError(f"expected text, got {type(value).__name__}", field=path)
    result = str(value).strip()
    if len(result) > _MAX_TEXT:
        raise InputError(f"is {len(result)} characters long; at most {_MAX_TEXT}", field=path)
    if any(ord(ch) < 32 for ch in result):
        raise InputError("contains control characters", field=path)
    return result or None


def number(value: Any, path: str, *, required: bool = True) -> float | None:
    if value is None or value == "":
        if required:
            raise InputError("is required", field=path)
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise InputError(f"expected a number, got {type(value).__name__}", field=path)
    try:
        result = float(value)
    except (ValueError, OverflowError) as exc:
        raise InputError(f"{str(value)[:40]!r} is not a number", field=path) from exc
    if not math.isfinite(result):
        raise InputError("is not a finite number", field=path)
    return result


def score(value: Any, path: str, *, scale: float = 1.0) -> float:
    """A confidence in ``0..scale`` (OpenALPR: 100) as ``0..1``."""
    raw = number(value, path)
    assert raw is not None
    if not 0.0 <= raw <= scale:
        raise InputError(f"{raw!r} is outside 0..{scale:g}", field=path)
    return raw / scale


def epoch(value: Any, path: str) -> datetime:
    """Epoch seconds or milliseconds (values above 1e11 are milliseconds) as aware UTC."""
    raw = number(value, path)
    assert raw is not None
    seconds = raw / 1000.0 if abs(raw) >= 1e11 else raw
    if not _EPOCH_MIN <= seconds <= _EPOCH_MAX:
        raise InputError(f"{raw!r} is not an epoch time between 2000 and 2100", field=path)
    return datetime.fromtimestamp(seconds, UTC)


def timestamp(value: Any, path: str) -> datetime:
    """ISO 8601 text with an offset, or epoch seconds/milliseconds."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return epoch(value, path)
    if not isinstance(value, str):
        raise InputError("is required (ISO 8601 time with an offset)", field=path)
    return parse_utc(value, field=path)


def direction(value: Any, path: str) -> float | None:
    """Degrees of travel, or None when absent; out-of-range is an error, not a guess."""
    raw = number(value, path, required=False)
    if raw is not None and not 0.0 <= raw <= 360.0:
        raise InputError(f"{raw!r} is outside 0..360 degrees", field=path)
    return raw


def region(value: Any) -> str | None:
    """A US/Canadian issuing region from ``us-ct``, ``ct`` or ``CT``; None for any other
    region (a foreign plate is still a read; a guessed state would make matches wrong)."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return normalize_region(value)
    except PlateError:
        return None


def image(value: Any, path: str, *, encoded: bool = True) -> bytes | None:
    """A JPEG or PNG, from base64 text (``encoded``) or raw bytes; None when absent."""
    if value is None or value == "" or value == b"":
        return None
    if encoded:
        if not isinstance(value, str):
            raise InputError("expected base64 text", field=path)
        if len(value) > MAX_IMAGE_BYTES * 4 // 3 + 4:
            raise TooLargeError(f"image is over {MAX_IMAGE_BYTES} bytes", field=path)
        try:
            data = base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise InputError("is not valid base64", field=path) from exc
    elif isinstance(value, bytes):
        data = value
    else:
        raise InputError("expected an uploaded file", field=path)
    if len(data) > MAX_IMAGE_BYTES:
        raise TooLargeError(f"image is over {MAX_IMAGE_BYTES} bytes", field=path)
    if not data.startswith(_IMAGE_MAGIC):
        raise InputError("is not a JPEG or PNG image", field=path)
    return data


def top_name(value: Any, path: str, key: str = "name") -> str | None:
    """The most confident ``{name, confidence}`` entry of a list (vehicle make, colour)."""
    if value is None:
        return None
    if isinstance(value, str):
        return text(value, path)
    best: tuple[float, str] | None = None
    for i, entry in enumerate(seq(value, path, limit=100)):
        item = obj(entry, f"{path}[{i}]")
        name = text(item.get(key), f"{path}[{i}].{key}")
        conf = number(item.get("confidence", item.get("score")), f"{path}[{i}]", required=False)
        if name and (best is None or (conf or 0.0) > best[0]):
            best = (conf or 0.0, name)
    return best[1] if best else None


def make_read(
    camera: Camera,
    *,
    plate: Any,
    plate_path: str,
    confidence: float,
    observed_at: datetime,
    state: str | None = None,
    latitude: float | None = None,
    longitude: float | None = None,
    heading: float | None = None,
    make: str | None = None,
    colour: str | None = None,
    vehicle_type: str | None = None,
) -> Read:
    """A read at ``camera``: its place, agency and direction unless the payload gave its own."""
    if not isinstance(plate, str):
        raise InputError("is required (plate text)", field=plate_path)
    try:
        normal = normalize_plate(plate)
    except PlateError as exc:
        raise PlateError(exc.reason, field=plate_path) from None
    return Read(
        plate=normal,
        state=state,
        confidence=confidence,
        observed_at=observed_at,
        camera_id=camera.id,
        agency_id=camera.agency_id,
        latitude=camera.latitude if latitude is None else latitude,
        longitude=camera.longitude if longitude is None else longitude,
        direction=camera.direction if heading is None else heading,
        make=make,
        colour=colour,
        vehicle_type=vehicle_type,
    )
