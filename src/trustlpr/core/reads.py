"""The ``Read``: one plate seen by one camera at one moment, already validated."""

from __future__ import annotations

import math
from dataclasses import MISSING, dataclass, fields
from datetime import UTC, datetime
from typing import Any

from .clock import parse_utc
from .errors import InputError
from .plates import (
    REGIONS,
    confusion_key,
    is_normalized,
    mask_plate,
    normalize_plate,
    normalize_region,
)


@dataclass(frozen=True, slots=True)
class Read:
    """A validated plate read. ``plate`` is in normal form; ``observed_at`` is aware UTC.

    Build one with :func:`read_from_mapping` at the edge; the constructor checks invariants
    cheaply so that an invalid ``Read`` cannot exist.
    """

    plate: str
    state: str | None
    confidence: float
    observed_at: datetime
    camera_id: str
    agency_id: str
    latitude: float
    longitude: float
    direction: float | None = None
    make: str | None = None
    colour: str | None = None
    vehicle_type: str | None = None
    image_ref: str | None = None
    country: str | None = None
    """ISO 3166-1 alpha-2 code of the issuing country (``US``, ``CA``, ``DE``) when the sender
    said it; ``state`` is then a subdivision of it (US states and Canadian provinces only)."""
    char_confidences: tuple[float, ...] | None = None
    """The recogniser's confidence in each character of ``plate`` (0..1, one per character)
    when the sender gives it; the hot-list matcher raises a confusion "possible" only where the
    differing characters were doubtful."""
    state_confidence: float | None = None
    """The recogniser's confidence in ``state`` (0..1) when the sender gives it; a confident
    state read of a plate that fits that state's formats raises no other-state "possible"."""
    speed: float | None = None
    """The observed vehicle's speed in km/h when the sender estimates it (Plate Recognizer
    Stream, a mobile unit's agent); stored sealed with the rest of the read."""

    def __post_init__(self) -> None:
        # Comparisons are False for NaN, so these also refuse NaN.
        if not (
            0.0 <= self.confidence <= 1.0
            and -90.0 <= self.latitude <= 90.0
            and -180.0 <= self.longitude <= 180.0
            and self.observed_at.tzinfo is UTC
            and self.camera_id
            and is_normalized(self.plate)
            and (self.country is None or _is_country_code(self.country))
            and (self.char_confidences is None or _char_confidences_ok(self))
            and (self.state_confidence is None or 0.0 <= self.state_confidence <= 1.0)
            and (self.speed is None or 0.0 <= self.speed <= MAX_SPEED_KMH)
        ):
            self._explain_invalid()

    def _explain_invalid(self) -> None:
        if not is_normalized(self.plate):
            raise InputError("plate is not in normal form", field="plate")
        if not 0.0 <= self.confidence <= 1.0:
            raise InputError(f"confidence {self.confidence!r} is outside 0..1", field="confidence")
        if not -90.0 <= self.latitude <= 90.0:
            raise InputError(f"latitude {self.latitude!r} is outside -90..90", field="lat")
        if not -180.0 <= self.longitude <= 180.0:
            raise InputError(f"longitude {self.longitude!r} is outside -180..180", field="lon")
        if not self.camera_id:
            raise InputError("camera_id is empty", field="camera_id")
        if self.country is not None and not _is_country_code(self.country):
            raise InputError(f"{self.country[:8]!r} is not a country code", field="country")
        if self.char_confidences is not None and not _char_confidences_ok(self):
            raise InputError(
                f"needs one confidence in 0..1 per plate character ({len(self.plate)})",
                field="char_confidences",
            )
        if self.state_confidence is not None and not 0.0 <= self.state_confidence <= 1.0:
            raise InputError(
                f"state_confidence {self.state_confidence!r} is outside 0..1",
                field="state_confidence",
            )
        if self.speed is not None and not 0.0 <= self.speed <= MAX_SPEED_KMH:
            raise InputError(
                f"speed {self.speed!r} is outside 0..{MAX_SPEED_KMH:g} km/h", field="speed"
            )
        raise InputError("observed_at must be an aware datetime in UTC", field="observed_at")

    @property
    def confusion_key(self) -> str:
        return confusion_key(self.plate)

    def __repr__(self) -> str:  # plates never appear in logs or tracebacks
        return (
            f"Read(plate={mask_plate(self.plate)!r}, state={self.state!r}, "
            f"camera_id={self.camera_id!r}, observed_at={self.observed_at.isoformat()})"
        )


_MAX_TEXT = 200
MAX_SPEED_KMH = 400.0
"""Faster than any road vehicle: a speed above it is a unit error, refused."""


def _char_confidences_ok(read: Read) -> bool:
    chars = read.char_confidences
    assert chars is not None
    return len(chars) == len(read.plate) and all(
        type(c) is float and 0.0 <= c <= 1.0 for c in chars
    )


def _is_country_code(code: str) -> bool:
    """Two capital ASCII letters: the form of an ISO 3166-1 alpha-2 code (which codes exist is
    checked where they are parsed, not here)."""
    return len(code) == 2 and code.isascii() and code.isalpha() and code.isupper()


def _text(raw: Any, name: str, *, required: bool = False) -> str | None:
    if type(raw) is str and 0 < len(raw) <= _MAX_TEXT and raw.isprintable():
        return raw.strip() or None
    if raw is None or raw == "":
        if required:
            raise InputError("is required", field=name)
        return None
    if not isinstance(raw, str | int):
        raise InputError(f"expected text, got {type(raw).__name__}", field=name)
    text = str(raw).strip()
    if len(text) > _MAX_TEXT:
        raise InputError(f"is {len(text)} characters long; at most {_MAX_TEXT}", field=name)
    if not text.isprintable():
        raise InputError("contains control or formatting characters", field=name)
    return text or None


def _number(raw: Any, name: str, *, required: bool = True) -> float | None:
    if type(raw) is float and math.isfinite(raw):
        return raw
    if raw is None or raw == "":
        if required:
            raise InputError("is required", field=name)
        return None
    if isinstance(raw, bool):
        raise InputError("expected a number, got a boolean", field=name)
    try:
        value = float(raw)
    except (TypeError, ValueError, OverflowError) as exc:  # float(10**400) overflows
        raise InputError(f"{_shown(raw)} is not a number", field=name) from exc
    if not math.isfinite(value):
        raise InputError(f"{_shown(raw)} is not a finite number", field=name)
    return value


def _shown(raw: Any) -> str:
    """A bad value for an error message, cut short: ``str()`` of a huge int would itself raise
    (Python's int-string conversion limit) or flood the answer."""
    if isinstance(raw, int) and not isinstance(raw, bool) and abs(raw) >= 10**40:
        return f"a {raw.bit_length()}-bit integer"
    return repr(str(raw)[:40])


def read_from_mapping(
    raw: dict[str, Any], *, agency_id: str | None = None, camera_id: str | None = None
) -> Read:
    """Validates one read given as a mapping of the native field names.

    Fields: ``plate, state, observed_at, camera_id, confidence, lat, lon`` (required, ``state``
    may be empty), ``agency_id, direction, make, colour|color, vehicle_type, image_ref, country``.
    ``speed`` (km/h). ``camera_id``/``agency_id`` arguments override the mapping (a camera
    writes only as itself).
    """
    if type(raw) is dict and raw.keys() <= _TYPED_KEYS:
        fast = _typed_read(raw, agency_id, camera_id)
        if fast is not None:
            return fast
    return _checked_read(raw, agency_id, camera_id)


_TYPED_KEYS = frozenset(
    ("plate", "state", "observed_at", "camera_id", "confidence", "lat", "lon", "agency_id")
)
_FIELDS = tuple(f.name for f in fields(Read))
_SETTERS = tuple(getattr(Read, name).__set__ for name in _FIELDS)
_DEFAULTS = tuple(f.default for f in fields(Read) if f.default is not MISSING)
_new = object.__new__


def _typed_read(raw: dict[str, Any], agency_id: str | None, camera_id: str | None) -> Read | None:
    """The ``Read`` of a mapping that already has its final types and form (a normalised
    plate, floats in range, a known state, ``Z`` time), built without the general path's
    conversions: what a camera agent or the ingest bus sends. None for anything else,
    which ``_checked_read`` then accepts or refuses exactly as always; the differential
    test (tests/core/test_typed_read.py) holds both paths to the same results."""
    plate = raw.get("plate")
    conf = raw.get("confidence")
    lat = raw.get("lat")
    lon = raw.get("lon")
    if not (
        type(plate) is str
        and is_normalized(plate)
        and type(conf) is float
        and 0.0 <= conf <= 1.0
        and type(lat) is float
        and -90.0 <= lat <= 90.0
        and type(lon) is float
        and -180.0 <= lon <= 180.0
    ):
        return None
    cam = camera_id or _typed_text(raw.get("camera_id"))
    state = raw.get("state")
    agency = agency_id or _typed_text(raw.get("agency_id"))
    if (
        not cam
        or agency is None
        or not (state is None or (type(state) is str and state in REGIONS))
    ):
        return None
    moment = raw.get("observed_at")
    if type(moment) is not str or len(moment) > 40:
        return None
    try:
        observed_at = datetime.fromisoformat(moment)
    except ValueError:
        return None
    if observed_at.tzinfo is not UTC:
        return None
    read = _new(Read)
    values = (plate, state, conf, observed_at, cam, agency, lat, lon, *_DEFAULTS)
    for setter, value in zip(_SETTERS, values, strict=True):
        setter(read, value)
    # No __post_init__: every invariant it checks was checked above (plate form, ranges,
    # UTC, camera) or holds for the defaults (None); the differential test keeps it so.
    return read


def _typed_text(raw: Any) -> str | None:
    """``_text``'s answer where it needs no conversion ("" for absent); None otherwise."""
    if raw is None:
        return ""
    if type(raw) is str and 0 < len(raw) <= _MAX_TEXT and raw.isprintable():
        return raw.strip()
    return None


def _checked_read(raw: Any, agency_id: str | None, camera_id: str | None) -> Read:
    if not isinstance(raw, dict):
        raise InputError(f"a read must be an object, got {type(raw).__name__}")
    if raw.get("plate") is None:
        raise InputError("is required", field="plate")
    plate = normalize_plate(raw["plate"])
    if "observed_at" not in raw or raw["observed_at"] in (None, ""):
        raise InputError("is required", field="observed_at")
    observed_at = parse_utc(raw["observed_at"], field="observed_at")
    confidence = _number(raw.get("confidence"), "confidence")
    assert confidence is not None
    if confidence > 1.0 and confidence <= 100.0 and raw.get("confidence_scale") == "percent":
        confidence /= 100.0
    if not 0.0 <= confidence <= 1.0:
        raise InputError(f"{confidence!r} is outside 0..1", field="confidence")
    lat = _number(raw.get("lat", raw.get("latitude")), "lat")
    lon = _number(raw.get("lon", raw.get("longitude")), "lon")
    assert lat is not None and lon is not None
    if not -90.0 <= lat <= 90.0:
        raise InputError(f"{lat!r} is outside -90..90", field="lat")
    if not -180.0 <= lon <= 180.0:
        raise InputError(f"{lon!r} is outside -180..180", field="lon")
    direction = _number(raw.get("direction"), "direction", required=False)
    if direction is not None and not 0.0 <= direction <= 360.0:
        raise InputError(f"{direction!r} is outside 0..360 degrees", field="direction")
    cam = camera_id or _text(raw.get("camera_id"), "camera_id", required=True)
    if cam is None:  # blank text: stripped to nothing
        raise InputError("is required", field="camera_id")
    return Read(
        plate=plate,
        state=normalize_region(_text(raw.get("state"), "state")),
        confidence=confidence,
        observed_at=observed_at,
        camera_id=cam,
        agency_id=agency_id or _text(raw.get("agency_id"), "agency_id") or "",
        latitude=lat,
        longitude=lon,
        direction=direction,
        make=_text(raw.get("make"), "make"),
        colour=_text(raw.get("colour", raw.get("color")), "colour"),
        vehicle_type=_text(raw.get("vehicle_type"), "vehicle_type"),
        image_ref=_text(raw.get("image_ref"), "image_ref"),
        country=_country(raw.get("country")),
        char_confidences=_char_list(raw.get("char_confidences"), len(plate)),
        state_confidence=_confidence(raw.get("state_confidence"), "state_confidence"),
        speed=check_speed(_number(raw.get("speed"), "speed", required=False), "speed"),
    )


def check_speed(value: float | None, name: str) -> float | None:
    """A vehicle speed in km/h, or None; negative or faster than any car is refused."""
    if value is not None and not 0.0 <= value <= MAX_SPEED_KMH:
        raise InputError(f"{value!r} is outside 0..{MAX_SPEED_KMH:g} km/h", field=name)
    return value


def _confidence(raw: Any, name: str) -> float | None:
    value = _number(raw, name, required=False)
    if value is not None and not 0.0 <= value <= 1.0:
        raise InputError(f"{value!r} is outside 0..1", field=name)
    return value


def _char_list(raw: Any, length: int) -> tuple[float, ...] | None:
    """Per-character confidences: a list of numbers, one per character of the normalised plate."""
    if raw is None:
        return None
    if not isinstance(raw, list | tuple) or len(raw) != length:
        raise InputError(
            f"must be a list of {length} numbers, one per plate character",
            field="char_confidences",
        )
    values: list[float] = []
    for raw_value in raw:
        value = _number(raw_value, "char_confidences")
        assert value is not None
        if not 0.0 <= value <= 1.0:
            raise InputError(f"{value!r} is outside 0..1", field="char_confidences")
        values.append(value)
    return tuple(values)


def _country(raw: Any) -> str | None:
    text = _text(raw, "country")
    if text is None:
        return None
    code = text.upper()
    if not _is_country_code(code):
        raise InputError(f"{text[:8]!r} is not an ISO 3166-1 alpha-2 country code", field="country")
    return code
