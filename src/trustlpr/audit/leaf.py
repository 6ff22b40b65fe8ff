"""The public leaf: what the world sees of an event, and the guard that keeps people out of it.

A leaf is canonical JSON (sorted keys, compact separators, UTF-8) of::

    {"v": 1, "type": "search_decided", "agency": "ct-nhpd", "time": "2026-11-01T12:00:00Z",
     "public": {"purpose": "stolen_vehicle", "decision": "allow", ...},
     "commitment": base64(SHA-256(salt || canonical JSON of the private part))}

Time is floored to the minute; ``public`` may only use the documented keys, each with a value
shape that cannot carry a name or free text (lower-case codes, identifiers, counts, dates). The
32-byte salt makes the commitment unguessable, so a plate cannot be confirmed by hashing
candidates; an auditor holding the salt and the private JSON can open it.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from enum import Enum
from json.encoder import c_make_encoder, encode_basestring  # type: ignore[attr-defined]
from typing import Any

from ..core.clock import iso
from ..core.coverage_cells import MOBILE_OTHER, cell_bounds
from ..core.errors import FormatError, InputError
from ..core.events import AuditEvent, EventType, ReadLink

LEAF_VERSION = 1
SALT_BYTES = 32

_CODE = re.compile(r"[a-z][a-z0-9_]{0,47}")  # enum-like values: purposes, decisions, actions
_IDENT = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:\-]{0,63}")  # agency, list, rule, camera, key ids
_STATE = re.compile(r"[A-Z]{2}")
_DAY = re.compile(r"(?:[a-z_]{1,16}:)?\d{4}-\d{2}-\d{2}")  # "2026-11-01", "nonhit:2026-11-01"
_ONE_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_STAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,6})?)?Z")
_MAX_ITEMS = 1000
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _code(key: str, value: Any) -> Any:
    if not isinstance(value, str) or not _CODE.fullmatch(value):
        raise InputError("must be a lower-case code like 'stolen_vehicle'", field=key)
    return value


def _ident(key: str, value: Any) -> Any:
    if not isinstance(value, str) or not _IDENT.fullmatch(value):
        raise InputError("must be an identifier (letters, digits, '_.:-'; no spaces)", field=key)
    return value


def _state(key: str, value: Any) -> Any:
    if not isinstance(value, str) or not _STATE.fullmatch(value):
        raise InputError("must be a two-letter state code", field=key)
    return value


def _count(key: str, value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InputError("must be a non-negative integer", field=key)
    return value


def _flag(key: str, value: Any) -> Any:
    if not isinstance(value, bool):
        raise InputError("must be true or false", field=key)
    return value


def _category(key: str, value: Any) -> Any:
    if not isinstance(value, str) or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]{0,31}", value):
        raise InputError("must be a category code like 'V' or 'stolen_vehicle'", field=key)
    return value


def _idents(key: str, value: Any) -> Any:
    if not isinstance(value, list | tuple) or len(value) > _MAX_ITEMS:
        raise InputError(f"must be a list of at most {_MAX_ITEMS} identifiers", field=key)
    return [_ident(key, item) for item in value]


def _codes(key: str, value: Any) -> Any:
    if not isinstance(value, list | tuple) or len(value) > _MAX_ITEMS:
        raise InputError(f"must be a list of at most {_MAX_ITEMS} codes", field=key)
    return [_code(key, item) for item in value]


def _stamp(key: str, value: Any) -> Any:
    text = iso(value) if isinstance(value, datetime) and value.tzinfo else value
    if not isinstance(text, str) or not _STAMP.fullmatch(text):
        raise InputError("must be a UTC time like 2026-11-01T12:00:00Z", field=key)
    return text


def _days(key: str, value: Any) -> Any:
    if isinstance(value, int) and not isinstance(value, bool):
        return _count(key, value)
    items = value if isinstance(value, list | tuple) else [value]
    out = []
    for item in items:
        text = item.isoformat() if isinstance(item, date) else item
        if not isinstance(text, str) or not _DAY.fullmatch(text):
            raise InputError("must be a day count or [class:]YYYY-MM-DD dates", field=key)
        out.append(text)
    return out if isinstance(value, list | tuple) else out[0]


def _digest(key: str, value: Any) -> Any:
    if not isinstance(value, str) or not re.fullmatch(r"[0-9a-f]{64}", value):
        raise InputError("must be a SHA-256 digest in lower-case hex", field=key)
    return value


def _code_counts(key: str, value: Any) -> Any:
    if not isinstance(value, Mapping) or len(value) > _MAX_ITEMS:
        raise InputError("must map codes to counts", field=key)
    return {_code(key, k): _count(key, v) for k, v in value.items()}


def _thumbprints(key: str, value: Any) -> Any:
    if not isinstance(value, list | tuple) or len(value) > _MAX_ITEMS:
        raise InputError(f"must be a list of at most {_MAX_ITEMS} key thumbprints", field=key)
    for item in value:
        if not isinstance(item, str) or not re.fullmatch(r"[A-Za-z0-9_-]{43}", item):
            raise InputError("must be RFC 7638 key thumbprints (base64url SHA-256)", field=key)
    return list(value)


def _camera_counts(key: str, value: Any) -> Any:
    if not isinstance(value, Mapping) or len(value) > _MAX_ITEMS:
        raise InputError("must map camera ids to counts", field=key)
    return {_ident(key, k): _count(key, v) for k, v in value.items()}


def _day(key: str, value: Any) -> Any:
    text = value.isoformat() if isinstance(value, date) else value
    if not isinstance(text, str) or not _ONE_DAY.fullmatch(text):
        raise InputError("must be a UTC day like 2026-11-01", field=key)
    return text


def _cell(key: str, value: Any) -> Any:
    if not isinstance(value, str) or (value != MOBILE_OTHER and cell_bounds(value) is None):
        raise InputError(f"must be a cell like '41.30,-72.94' or {MOBILE_OTHER!r}", field=key)
    return value


def _step(key: str, value: Any) -> Any:
    if type(value) is not int or value not in (-1, 0, 1):
        raise InputError("must be -1, 0 or 1", field=key)
    return value


PUBLIC_FIELDS = {
    "purpose": _code,
    "decision": _code,
    "reasons": _idents,
    "search_type": _code,
    "result_count": _count,
    "requester_agency": _ident,
    "requester_state": _state,
    "requester_type": _code,
    "out_of_agency": _flag,
    "federated": _flag,
    "camera_counts": _camera_counts,
    "list_id": _ident,
    "category": _category,
    "outcome": _code,
    "action": _code,
    "count": _count,
    "days": _days,
    "key_ids": _idents,
    "request_id": _ident,
    "window_hours": _count,
    "warrant": _flag,  # a search backed by a warrant or court order (never its number)
    "offense_class": _code,  # the offense's class the policies reason about (never the code)
    # identity and sharing changes (trustlpr.identity): roles, agency kinds, agreement terms
    "role": _code,
    "agency_state": _state,
    "agency_type": _code,
    "agreement_id": _ident,
    "version": _count,
    "owner_agency": _ident,
    "grantee_agency": _ident,
    "grantee_state": _state,
    "purposes": _codes,
    "purposes_added": _codes,
    "purposes_removed": _codes,
    "commitments": _codes,
    "status": _code,
    "attestation": _flag,
    "attestation_before": _flag,
    "two_person": _flag,
    "expires_at": _stamp,
    "expires_before": _stamp,
    # federation (trustlpr.federation): the peer agency and the key thumbprints pinned
    "peer_agency": _ident,
    "peer_keys": _thumbprints,
    "peers": _idents,  # the partners a federated search was sent to
    "peer_request_id": _ident,  # the owner node's id of the request it answered
    # the policy in force (trustlpr.transparency): its name and the SHA-256 of its file
    "policy": _ident,
    "digest": _digest,
    # the protected-plates registry (trustlpr.protected): its changes and counts, never a plate
    "entry_id": _ident,
    "active": _count,
    "active_by_category": _code_counts,
    # mobile units (ingest.coverage, cameras.registry): their number and where they read
    "mobile_units": _step,  # a camera change putting a mobile unit in (1) or out of service
    "day": _day,
    "cell": _cell,  # a cell of the coarse coverage grid (core.coverage_cells)
    "min_count": _count,
}
"""The only keys a public leaf may carry, each with a value check that cannot hold a name or
free text: the list of docs/contributing.md plus the agreement terms trustlpr.identity publishes."""


def check_public(public: Mapping[str, Any]) -> dict[str, Any]:
    """The public fields, validated; ``InputError`` naming the field for anything else."""
    checked: dict[str, Any] = {}
    lookup = PUBLIC_FIELDS.get
    for key, value in public.items():
        check = lookup(key) if type(key) is str else None
        if check is None:
            raise InputError(
                "is not an allowed public audit field; personal or free-text detail belongs in "
                "the event's private part",
                field=str(key),
            )
        if value is None:
            continue
        if type(value) not in _PLAIN and isinstance(value, Enum):
            value = value.value
        checked[key] = check(key, value)
    return checked


_PLAIN = frozenset({str, int, bool, list, dict})


def _jsonable(value: Any) -> Any:
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, datetime):
        return iso(value) if value.tzinfo else value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, set | frozenset):
        return sorted(value, key=str)
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    raise TypeError(f"cannot record a {type(value).__name__} in the audit log")


def canonical_json(value: Any) -> bytes:
    """Sorted keys, compact separators, UTF-8, no NaN: the same value gives the same bytes."""
    try:
        text = "".join(_FAST(value, 0)) if _FAST is not None else _ENCODER.encode(value)
    except (TypeError, ValueError, RecursionError) as exc:
        raise InputError(f"audit event is not recordable: {exc}") from exc
    return text.encode("utf-8")


_ENCODER = json.JSONEncoder(
    sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False, default=_jsonable
)
# The C encoder behind json.dumps, built once: json.dumps rebuilds it on every call, which is
# half the cost of encoding a small event. No circular-reference markers: a cycle ends in
# RecursionError, refused like any other unrecordable value.
_FAST = (
    None
    if c_make_encoder is None
    else c_make_encoder(None, _jsonable, encode_basestring, None, ":", ",", True, False, False)
)


def commitment(salt: bytes, private_json: bytes) -> str:
    """``base64(SHA-256(salt || private_json))``: binds the leaf to its hidden detail."""
    return base64.b64encode(hashlib.sha256(salt + private_json).digest()).decode("ascii")


@dataclass(frozen=True, slots=True)
class PreparedEntry:
    """An event turned into its public leaf and the private detail kept for auditors."""

    leaf: bytes
    salt: bytes
    private_json: bytes
    event_type: str
    agency: str | None
    at: str
    sealed_with: str | None = None
    """The day key (``hit:2026-11-01``) of the read the detail describes, if it describes one."""
    read_us: int | None = None
    """That read's time, microseconds since the epoch: the detail is shredded once it expires."""


_READ_CLASSES = ("hit", "nonhit")


def _read_link(event: AuditEvent) -> tuple[str | None, int | None]:
    link = event.describes_read
    if link is None:
        return None, None
    if not isinstance(link, ReadLink) or link.retention not in _READ_CLASSES:
        raise InputError("must name a hit or nonhit read", field="describes_read")
    if not isinstance(link.observed_at, datetime) or link.observed_at.tzinfo is None:
        raise InputError("the read's time must be an aware datetime", field="describes_read")
    return link.key_id, micros(link.observed_at)


def micros(moment: datetime) -> int:
    """Microseconds since the epoch of an aware datetime: exact, unlike float timestamps."""
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def prepare(event: AuditEvent, salt: bytes) -> PreparedEntry:
    """Validates an event and builds its leaf; raises ``InputError`` before anything is written."""
    if not isinstance(event, AuditEvent):
        raise InputError(f"expected an AuditEvent, got {type(event).__name__}")
    try:
        kind = EventType(event.type).value
    except ValueError as exc:
        raise InputError(f"unknown audit event type {event.type!r}", field="type") from exc
    if not isinstance(event.at, datetime) or event.at.tzinfo is None:
        raise InputError("event time must be an aware UTC datetime", field="at")
    agency = None if event.agency_id is None else _ident("agency_id", event.agency_id)
    exact = iso(event.at)
    minute = exact[:16] + ":00Z"  # floored to the minute: 2026-11-01T12:34:00Z
    if len(salt) != SALT_BYTES:
        raise InputError(f"salt must be {SALT_BYTES} bytes", field="salt")
    public = canonical_json(check_public(event.public))
    private_json = canonical_json(dict(event.private))
    # The envelope's keys in sorted order around the encoded public part: the same bytes
    # canonical_json would give for the whole dict (a test holds the two equal), but cheaper.
    leaf = b"".join(
        (
            b'{"agency":',
            b"null" if agency is None else b'"' + agency.encode() + b'"',
            b',"commitment":"',
            commitment(salt, private_json).encode(),
            b'","public":',
            public,
            b',"time":"',
            minute.encode(),
            b'","type":"',
            kind.encode(),
            b'","v":1}',
        )
    )
    sealed_with, read_us = _read_link(event)
    return PreparedEntry(leaf, salt, private_json, kind, agency, exact, sealed_with, read_us)


def parse_leaf(leaf: bytes) -> dict[str, Any]:
    """Decodes a public leaf; ``FormatError`` if it is not one of ours."""
    try:
        value = json.loads(leaf.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise FormatError(f"audit leaf is not UTF-8 JSON: {exc}") from exc
    if not isinstance(value, dict) or value.get("v") != LEAF_VERSION:
        raise FormatError("audit leaf is not a version-1 TrustLPR leaf")
    return value
