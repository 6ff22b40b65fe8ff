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
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..core.errors import InputError, PlateError, TooLargeError
from ..core.identity import Camera
from ..core.plates import normalize_plate
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


@dataclass(frozen=True, slots=True)
class Rejection:
    """One result of a payload that was not accepted, while the others were: where it is in
    the payload (``results[1]``), which value was bad (``field``) and why."""

    path: str
    field: str | None
    reason: str
    line: int | None = None

    def as_dict(self) -> dict[str, str | int | None]:
        found: dict[str, str | int | None] = {
            "path": self.path,
            "field": self.field,
            "reason": self.reason,
        }
        if self.line is not None:
            found["line"] = self.line
        return found


@dataclass(frozen=True, slots=True)
class Position:
    """A position a payload reported for its reads (an agent's GPS), with where it says so."""

    latitude: float
    longitude: float
    field: str


@dataclass
class Parsed:
    """What a payload said. ``claims``/``agencies`` are the camera names and agency ids the
    payload speaks for (checked against the authenticated camera by the service); ``labels``
    are names it gives its camera (Rekor Scout's ``web_server_config.camera_label``), which
    identify the camera without being ids; ``links`` are source-system ids of the vehicle pass
    per read (OpenALPR frame uuids) used to merge duplicates, and ``consensus`` the reads that
    are a sender's verdict over the reads they link (an OpenALPR group over its frames);
    ``aliases`` maps source camera ids to source names (OpenALPR heartbeats); ``positions``
    are reported positions per read, ``paths`` where each read is in the payload, and
    ``rejected`` the results that were refused while the others were accepted."""

    kind: str = "reads"
    reads: list[Read] = field(default_factory=list)
    images: dict[int, bytes] = field(default_factory=dict)
    links: dict[int, tuple[str, ...]] = field(default_factory=dict)
    consensus: set[int] = field(default_factory=set)
    claims: set[str] = field(default_factory=set)
    labels: set[str] = field(default_factory=set)
    agencies: set[str] = field(default_factory=set)
    aliases: dict[str, str] = field(default_factory=dict)
    positions: dict[int, Position] = field(default_factory=dict)
    paths: dict[int, str] = field(default_factory=dict)
    rejected: list[Rejection] = field(default_factory=list)

    def add(
        self,
        read: Read,
        image: bytes | None = None,
        links: Sequence[str] = (),
        *,
        path: str | None = None,
        consensus: bool = False,
        position: Position | None = None,
    ) -> None:
        index = len(self.reads)
        if image is not None:
            self.images[index] = image
        if links:
            self.links[index] = tuple(links)
        if consensus:
            self.consensus.add(index)
        if path is not None:
            self.paths[index] = path
        if position is not None:
            self.positions[index] = position
        self.reads.append(read)

    @contextmanager
    def result(self, path: str, *, line: int | None = None) -> Iterator[None]:
        """Parses one result of a payload: an ``InputError`` inside rejects that result alone
        (recorded in ``rejected``) and the others go on. ``TooLargeError`` is not caught."""
        try:
            yield
        except TooLargeError:
            raise
        except InputError as exc:
            self.rejected.append(Rejection(path, exc.field, exc.reason, line))

    def keep_only(self, keep: Sequence[int]) -> None:
        """Drops every read not in ``keep`` (in order), with its image, links and marks."""
        new = {old: i for i, old in enumerate(keep)}
        self.reads = [self.reads[i] for i in keep]
        self.images = {new[i]: v for i, v in self.images.items() if i in new}
        self.links = {new[i]: v for i, v in self.links.items() if i in new}
        self.paths = {new[i]: v for i, v in self.paths.items() if i in new}
        self.positions = {new[i]: v for i, v in self.positions.items() if i in new}
        self.consensus = {new[i] for i in self.consensus if i in new}

    def settle(self) -> Parsed:
        """Called by an adapter when done: nothing accepted and nothing refused is "ignored"
        (an empty frame, a vehicle without a plate); nothing accepted but something refused is
        a refusal of the whole payload, naming the first bad result."""
        if self.kind == "reads" and not self.reads:
            if not self.rejected:
                self.kind = "ignored"
            else:
                first = self.rejected[0]
                more = len(self.rejected) - 1
                extra = f" (and {more} more rejected result{'s' * (more > 1)})" if more else ""
                raise InputError(first.reason + extra, field=first.field, line=first.line)
        return self


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
    if isinstance(value, str) and len(value) > 64:
        raise InputError(f"is {len(value)} characters long; not a number", field=path)
    try:
        result = float(value)
    except (ValueError, OverflowError) as exc:  # float(10**400) overflows
        raise InputError(f"{shown(value)} is not a number", field=path) from exc
    if not math.isfinite(result):
        raise InputError(f"{shown(value)} is not a finite number", field=path)
    return result


def shown(value: Any) -> str:
    """A bad value for a message, cut short; a huge int is described, not printed (``str`` of
    one past Python's int-string conversion limit itself raises)."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**40:
        return f"a {value.bit_length()}-bit integer"
    return repr(str(value)[:40])


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
        raise InputError(f"{raw:.6g} is not an epoch time between 2000 and 2100", field=path)
    return datetime.fromtimestamp(seconds, UTC)


def timestamp(value: Any, path: str, timezone: str | None = None) -> datetime:
    """ISO 8601 text (``T`` or a space between date and time), or epoch seconds/milliseconds.
    Text without an offset is a local time of ``timezone`` (the camera's setting); without
    one it is refused, with how to set it."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return epoch(value, path)
    if not isinstance(value, str) or not value.strip():
        raise InputError("is required (ISO 8601 time with an offset)", field=path)
    text = value.strip()
    if len(text) > 40:
        raise InputError("is longer than any ISO 8601 time", field=path)
    if text[-1:] in ("Z", "z"):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError as exc:
        raise InputError(f"{value[:40]!r} is not an ISO 8601 time", field=path) from exc
    if moment.tzinfo is None:
        if timezone is None:
            raise InputError(
                f"{value[:40]!r} has no UTC offset; set the camera's time zone "
                "(trustlpr camera set CAMERA_ID --timezone America/New_York) or send UTC",
                field=path,
            )
        try:
            moment = moment.replace(tzinfo=ZoneInfo(timezone))
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise InputError(f"the camera's time zone {timezone!r} is unknown", field=path) from exc
    try:
        result = moment.astimezone(UTC)
    except OverflowError as exc:  # 9999-12-31T23:00-05:00 is past datetime's range in UTC
        raise InputError(f"{value[:40]!r} is out of range", field=path) from exc
    if not _EPOCH_MIN <= result.timestamp() <= _EPOCH_MAX:
        raise InputError(f"{value[:40]!r} is not a time between 2000 and 2100", field=path)
    return result


def direction(value: Any, path: str) -> float | None:
    """Degrees of travel, or None when absent; out-of-range is an error, not a guess."""
    raw = number(value, path, required=False)
    if raw is not None and not 0.0 <= raw <= 360.0:
        raise InputError(f"{raw!r} is outside 0..360 degrees", field=path)
    return raw


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


def no_position(camera: Camera, path: str) -> InputError:
    """The refusal of a mobile camera's read that says nowhere where it was taken."""
    return InputError(
        f"camera {camera.id!r} is mobile, so each read must carry its own GPS position; "
        "this one has none (missing, or 0,0: no fix)",
        field=path,
    )


def position(
    lat_value: Any, lon_value: Any, lat_path: str, lon_path: str
) -> tuple[float, float] | None:
    """A GPS position from two payload values: None when absent or ``0, 0`` (what agents send
    without a fix); out-of-range or non-finite values are errors naming their field."""
    lat = number(lat_value, lat_path, required=False)
    lon = number(lon_value, lon_path, required=False)
    if lat is None or lon is None or (lat == 0.0 and lon == 0.0):
        return None
    if not -90.0 <= lat <= 90.0:
        raise InputError(f"{lat!r} is outside -90..90", field=lat_path)
    if not -180.0 <= lon <= 180.0:
        raise InputError(f"{lon!r} is outside -180..180", field=lon_path)
    return lat, lon


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
    position_path: str = "lat",
    heading: float | None = None,
    speed: float | None = None,
    make: str | None = None,
    colour: str | None = None,
    vehicle_type: str | None = None,
    country: str | None = None,
) -> Read:
    """A read at ``camera``: its agency and direction unless the payload gave its own. A fixed
    camera's read is at its registered place (the service reports payloads that disagree); a
    mobile camera's read is where the payload says, and refused (naming ``position_path``)
    when the payload gives no position."""
    if camera.mobile and (latitude is None or longitude is None):
        raise no_position(camera, position_path)
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
        latitude=latitude if camera.mobile and latitude is not None else camera.latitude,
        longitude=longitude if camera.mobile and longitude is not None else camera.longitude,
        direction=camera.direction if heading is None else heading,
        speed=speed,
        make=make,
        colour=colour,
        vehicle_type=vehicle_type,
        country=country,
    )
