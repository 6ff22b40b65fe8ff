"""The camera registry: which cameras may send reads, where they stand, and their keys.

``<data_dir>/cameras.db`` (SQLite, owner-only) holds one row per camera with the SHA-256 hash
of its key (``identity.tokens``), never the key. A key authenticates exactly one camera, so the
ingest endpoints can check that a payload speaks only for the camera that sent it. Source
systems name cameras in their own way (OpenALPR agents by numeric ids announced in heartbeats,
Frigate by camera name); ``external_id`` and the alias table map those names onto ours.

Every change (add, disable, enable, key rotation) is audited inside its transaction: if the
audit sink refuses the event, the change is rolled back, so nothing changes unseen.
"""

from __future__ import annotations

import math
import re
import secrets
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from ..core.clock import Clock, iso, system_clock
from ..core.errors import (
    AuthError,
    ConflictError,
    ForbiddenError,
    InputError,
    NotFoundError,
)
from ..core.events import AuditEvent, AuditSink, EventType, PublicValue
from ..core.identity import Camera
from ..identity import IssuedToken, TokenVerifier, issue_token, split_token
from ..privatedb import PrivateDB
from .settings import COLUMNS as SETTING_COLUMNS
from .settings import CameraSettings, check_country, check_timezone

KEY_PREFIX = "cam"
MOBILE_UNITS = "mobile_units"
"""The public key of a camera change that puts a mobile unit in service (1) or out of it (-1)."""
DB_FILE = "cameras.db"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS cameras (
    id TEXT PRIMARY KEY,
    agency_id TEXT NOT NULL,
    name TEXT NOT NULL,
    latitude REAL NOT NULL,
    longitude REAL NOT NULL,
    direction REAL,
    adapter TEXT NOT NULL,
    external_id TEXT,
    enabled INTEGER NOT NULL DEFAULT 1,
    key_id TEXT NOT NULL UNIQUE,
    key_hash TEXT NOT NULL,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS cameras_external ON cameras (adapter, external_id)
    WHERE external_id IS NOT NULL;
CREATE TABLE IF NOT EXISTS camera_places (
    camera_id TEXT PRIMARY KEY REFERENCES cameras (id),
    category TEXT NOT NULL,
    updated_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS camera_attendance (
    camera_id TEXT PRIMARY KEY REFERENCES cameras (id),
    officer TEXT NOT NULL,
    since TEXT NOT NULL,
    until TEXT
);
CREATE TABLE IF NOT EXISTS camera_aliases (
    adapter TEXT NOT NULL,
    alias TEXT NOT NULL,
    camera_id TEXT NOT NULL REFERENCES cameras (id),
    updated_at TEXT NOT NULL,
    PRIMARY KEY (adapter, alias)
);
"""
_COLUMNS = (
    "id, agency_id, name, latitude, longitude, direction, adapter, external_id, enabled, "
    "key_id, created_at, mobile, timezone, country"
)
_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_ADAPTER = re.compile(r"[a-z][a-z0-9_]{0,31}")


@dataclass(frozen=True, slots=True)
class RegisteredCamera:
    """A camera as registered: the domain ``Camera`` plus how source systems name it."""

    camera: Camera
    external_id: str | None
    key_id: str
    created_at: str

    @property
    def id(self) -> str:
        return self.camera.id

    def names(self) -> set[str]:
        """Every name a payload may use for this camera: our id, its external id, its name."""
        found = {self.camera.id, self.camera.name}
        if self.external_id:
            found.add(self.external_id)
        return found


@dataclass(frozen=True, slots=True)
class Attendance:
    """Who operates a mobile unit, since when, and until when (``None``: until replaced)."""

    camera_id: str
    officer: str
    since: datetime
    until: datetime | None

    def __repr__(self) -> str:  # the officer is named only where the private log is
        return f"Attendance(camera_id={self.camera_id!r}, since={self.since.isoformat()})"


def _text(value: str, field: str, *, limit: int = 200) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if not text:
        raise InputError("must not be empty", field=field)
    if len(text) > limit:
        raise InputError(f"is {len(text)} characters long; at most {limit}", field=field)
    if any(ord(ch) < 32 for ch in text):
        raise InputError("contains control characters", field=field)
    return text


def _coordinate(value: float, field: str, bound: float) -> float:
    if not isinstance(value, int | float) or isinstance(value, bool) or math.isnan(value):
        raise InputError("must be a number", field=field)
    if not -bound <= value <= bound:
        raise InputError(f"{value!r} is outside -{bound:g}..{bound:g}", field=field)
    return float(value)


def _direction(value: float | None) -> float | None:
    if value is None:
        return None
    if not isinstance(value, int | float) or isinstance(value, bool) or math.isnan(value):
        raise InputError("must be a number of degrees", field="direction")
    if not 0.0 <= value <= 360.0:
        raise InputError(f"{value!r} is outside 0..360 degrees", field="direction")
    return float(value)


def _checked(settings: CameraSettings) -> CameraSettings:
    """Validated settings; an empty time zone or country means "none"."""
    zone, country = settings.timezone, settings.country
    return CameraSettings(
        mobile=settings.mobile,
        timezone=check_timezone(zone) if zone else None,
        country=check_country(country) if country else None,
    )


@dataclass(frozen=True, slots=True)
class CameraSpec:
    """A camera to register (``add_many``), as given: checked when it is registered."""

    name: str
    latitude: float
    longitude: float
    agency_id: str
    direction: float | None = None
    adapter: str = "native"
    external_id: str | None = None
    camera_id: str | None = None
    settings: CameraSettings = field(default_factory=CameraSettings)


def check_spec(spec: CameraSpec) -> tuple[Camera, str | None]:
    """The checked camera of a spec (a new id when it names none) and its external id;
    ``InputError`` naming the field that cannot be registered."""
    chosen = _checked(spec.settings)
    cid = spec.camera_id or f"cam-{secrets.token_hex(4)}"
    if not isinstance(cid, str) or not _ID.fullmatch(cid):
        raise InputError("use 1-64 of A-Z a-z 0-9 . _ - (starting alphanumeric)", field="id")
    adapter = spec.adapter
    if not isinstance(adapter, str) or not _ADAPTER.fullmatch(adapter):
        raise InputError(f"{str(adapter)[:40]!r} is not an adapter name", field="adapter")
    camera = Camera(
        id=cid,
        agency_id=_text(spec.agency_id, "agency_id", limit=64),
        name=_text(spec.name, "name"),
        latitude=_coordinate(spec.latitude, "lat", 90.0),
        longitude=_coordinate(spec.longitude, "lon", 180.0),
        direction=_direction(spec.direction),
        adapter=adapter,
        mobile=bool(chosen.mobile),
        timezone=chosen.timezone,
        country=chosen.country,
    )
    external = _text(spec.external_id, "external_id", limit=128) if spec.external_id else None
    return camera, external


class PlaceMarks(Mapping[str, str]):
    """A live view of ``sensitive_places()`` for the policy engine, reloaded only after a
    mark changed (every change goes through the registry of the running node)."""

    def __init__(self, registry: CameraRegistry) -> None:
        self._registry = registry
        self._version = -1
        self._marks: dict[str, str] = {}

    def _current(self) -> dict[str, str]:
        if self._version != self._registry.places_version:
            self._version = self._registry.places_version
            self._marks = self._registry.sensitive_places()
        return self._marks

    def __getitem__(self, camera_id: str) -> str:
        return self._current()[camera_id]

    def __iter__(self) -> Iterator[str]:
        return iter(self._current())

    def __len__(self) -> int:
        return len(self._current())


class CameraRegistry:
    """Cameras and their keys in ``<data_dir>/cameras.db``; thread-safe."""

    def __init__(
        self,
        path: Path,
        *,
        audit: AuditSink,
        clock: Clock = system_clock,
        verifier: TokenVerifier | None = None,
        placement: Callable[[float, float], None] | None = None,
        mobile_only: str | None = None,
    ) -> None:
        """``placement`` checks a camera position (``PlaceGuard.check``: the policy's
        sensitive-places distance) before a camera is registered or moved. ``mobile_only``
        names the law that allows only vehicle-mounted readers (New Hampshire): a fixed camera
        is then refused, at registration and when a mobile one is set fixed."""
        self._placement = placement
        self._mobile_only = mobile_only
        self._path = path / DB_FILE if path.is_dir() else path
        self._audit = audit
        self._clock = clock
        self._verifier = verifier or TokenVerifier()
        self.places_version = 0  # bumped by ``set_sensitive``: lets callers cache the marks
        self._file = PrivateDB(self._path, schema=_SCHEMA, label="camera registry")
        self._db = self._file.conn
        self._lock = self._file.lock
        with self._file.write():
            self._add_missing_columns()

    # -- plumbing -----------------------------------------------------------------------------

    def _add_missing_columns(self) -> None:
        """Brings a ``cameras.db`` made by an earlier release up to the current columns."""
        present = {row[1] for row in self._db.execute("PRAGMA table_info(cameras)")}
        for name, decl in SETTING_COLUMNS:
            if name not in present:
                self._db.execute(f"ALTER TABLE cameras ADD COLUMN {name} {decl}")

    def _tx(self) -> AbstractContextManager[sqlite3.Connection]:
        return self._file.write()

    def _query(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        return self._file.query(sql, args)

    @staticmethod
    def _row(row: tuple[Any, ...]) -> RegisteredCamera:
        cid, agency, name, lat, lon, direction, adapter, external, enabled, key_id, created = row[
            :11
        ]
        mobile, timezone, country = row[11:14]
        camera = Camera(
            id=cid,
            agency_id=agency,
            name=name,
            latitude=lat,
            longitude=lon,
            direction=direction,
            adapter=adapter,
            enabled=bool(enabled),
            mobile=bool(mobile),
            timezone=timezone,
            country=country,
        )
        return RegisteredCamera(camera, external, key_id, created)

    def _event(
        self, action: str, camera: Camera, actor: str | None, units: int = 0, **private: Any
    ) -> AuditEvent:
        """``units``: how the number of mobile units in service changes (-1, 0, 1); public,
        so the portal's count of mobile units is recomputable from the log."""
        details = {"camera_id": camera.id, **private}
        if actor is not None:
            details["actor"] = actor
        public: dict[str, PublicValue] = {"action": action, "count": 1}
        if units:
            public[MOBILE_UNITS] = units
        return AuditEvent(
            type=EventType.CAMERA_CHANGED,
            at=self._clock(),
            agency_id=camera.agency_id,
            public=public,
            private=details,
        )

    # -- changes ------------------------------------------------------------------------------

    def add(
        self,
        name: str,
        latitude: float,
        longitude: float,
        *,
        agency_id: str,
        direction: float | None = None,
        adapter: str = "native",
        external_id: str | None = None,
        camera_id: str | None = None,
        actor: str | None = None,
        settings: CameraSettings | None = None,
    ) -> tuple[RegisteredCamera, str]:
        """Registers a camera; returns it and its key, which is shown once and never stored.
        ``actor`` (the user making the change) goes into the audit record's private part."""
        spec = CameraSpec(
            name,
            latitude,
            longitude,
            agency_id=agency_id,
            direction=direction,
            adapter=adapter,
            external_id=external_id,
            camera_id=camera_id,
            settings=settings or CameraSettings(),
        )
        return self.add_many([spec], actor=actor)[0]

    def add_many(
        self, specs: Sequence[CameraSpec], *, actor: str | None = None
    ) -> list[tuple[RegisteredCamera, str]]:
        """Registers cameras all together or none (one transaction, one batch of audit
        entries: a bulk import of hundreds takes seconds, not one writer round per camera);
        returns each with its key, shown once. A bad camera is refused as ``InputError``
        naming its position (``camera #3``) and field."""
        prepared: list[tuple[Camera, str | None, IssuedToken]] = []
        seen: set[str] = set()
        for position, spec in enumerate(specs, start=1):
            try:
                camera, external = check_spec(spec)
            except InputError as exc:
                if len(specs) == 1:
                    raise
                raise type(exc)(f"camera #{position}: {exc.reason}", field=exc.field) from None
            names = {camera.id} | ({f"{camera.adapter}:{external}"} if external else set())
            if names & seen:
                raise ConflictError(f"camera {camera.id!r} is given twice (item {position})")
            seen |= names
            prepared.append((camera, external, issue_token(KEY_PREFIX)))
        for position, (camera, _, _) in enumerate(prepared, start=1):
            self._check_kind(camera.id, camera.mobile, position if len(prepared) > 1 else None)
        self._check_placement([c for c, _, _ in prepared])
        now = iso(self._clock())
        with self._tx() as db:
            for position, (camera, external, token) in enumerate(prepared, start=1):
                if db.execute("SELECT 1 FROM cameras WHERE id = ?", (camera.id,)).fetchone():
                    raise ConflictError(f"camera {camera.id!r} already exists (item {position})")
                if (
                    external is not None
                    and db.execute(
                        "SELECT 1 FROM cameras WHERE adapter = ? AND external_id = ?",
                        (camera.adapter, external),
                    ).fetchone()
                ):
                    raise ConflictError(
                        f"a {camera.adapter} camera named {external!r} already exists "
                        f"(item {position})"
                    )
                db.execute(
                    "INSERT INTO cameras (id, agency_id, name, latitude, longitude, direction, "
                    "adapter, external_id, enabled, key_id, key_hash, created_at, updated_at, "
                    "mobile, timezone, country) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        camera.id,
                        camera.agency_id,
                        camera.name,
                        camera.latitude,
                        camera.longitude,
                        camera.direction,
                        camera.adapter,
                        external,
                        token.token_id,
                        token.secret_hash,
                        now,
                        now,
                        int(camera.mobile),
                        camera.timezone,
                        camera.country,
                    ),
                )
            self._audit.append_many(
                [
                    self._event(
                        "added",
                        camera,
                        actor,
                        int(camera.mobile),
                        name=camera.name,
                        adapter=camera.adapter,
                    )
                    for camera, _, _ in prepared
                ]
            )
        return [
            (RegisteredCamera(camera, external, token.token_id, now), token.plaintext)
            for camera, external, token in prepared
        ]

    def _check_kind(self, camera_id: str, mobile: bool, position: int | None = None) -> None:
        """``ForbiddenError`` for a fixed camera under a policy allowing only mobile units."""
        if mobile or self._mobile_only is None:
            return
        item = f"camera #{position} " if position is not None else "camera "
        raise ForbiddenError(
            f"{item}{camera_id!r} is fixed; {self._mobile_only} allows only vehicle-mounted "
            "readers (register it with --mobile)"
        )

    def _check_placement(self, cameras: Sequence[Camera]) -> None:
        """``ForbiddenError`` naming every fixed camera (by item) that stands too near a place.
        A mobile camera's registered place is only its base: each of its reads is judged where
        it was taken, at ingest (``ingest.collection``)."""
        if self._placement is None:
            return
        refused: list[str] = []
        for position, camera in enumerate(cameras, start=1):
            if camera.mobile:
                continue
            try:
                self._placement(camera.latitude, camera.longitude)
            except ForbiddenError as exc:
                if len(cameras) == 1:
                    raise
                refused.append(f"camera #{position} ({camera.name!r}): {exc.message}")
        if refused:
            raise ForbiddenError(f"{len(refused)} of {len(cameras)} refused; " + "; ".join(refused))

    def set_enabled(
        self, camera_id: str, enabled: bool, *, actor: str | None = None
    ) -> RegisteredCamera:
        """Disables (or re-enables) a camera; a disabled camera's key is refused at once."""
        with self._tx() as db:
            current = self._get(db, camera_id)
            db.execute(
                "UPDATE cameras SET enabled = ?, updated_at = ? WHERE id = ?",
                (int(enabled), iso(self._clock()), camera_id),
            )
            action = "enabled" if enabled else "disabled"
            was = current.camera
            units = int(was.mobile) * (int(enabled) - int(was.enabled))
            self._audit.append(self._event(action, was, actor, units))
        self._verifier.forget(current.key_id)
        return self.get(camera_id)

    def rotate_key(self, camera_id: str, *, actor: str | None = None) -> str:
        """Replaces a camera's key; the old one stops working at once. Returns the new key."""
        token = issue_token(KEY_PREFIX)
        with self._tx() as db:
            current = self._get(db, camera_id)
            db.execute(
                "UPDATE cameras SET key_id = ?, key_hash = ?, updated_at = ? WHERE id = ?",
                (token.token_id, token.secret_hash, iso(self._clock()), camera_id),
            )
            self._audit.append(self._event("key_rotated", current.camera, actor))
        self._verifier.forget(current.key_id)
        return token.plaintext

    def configure(
        self, camera_id: str, settings: CameraSettings, *, actor: str | None = None
    ) -> RegisteredCamera:
        """Changes how ingest reads the camera's payloads (``cameras.settings``); fields left
        ``None`` keep their value, an empty ``timezone``/``country`` clears it. Audited as
        ``settings_changed``."""
        chosen = _checked(settings)
        with self._tx() as db:
            current = self._get(db, camera_id).camera
            mobile = current.mobile if chosen.mobile is None else chosen.mobile
            if chosen.mobile is False:
                self._check_kind(camera_id, mobile)
            zone = current.timezone if settings.timezone is None else chosen.timezone
            country = current.country if settings.country is None else chosen.country
            db.execute(
                "UPDATE cameras SET mobile = ?, timezone = ?, country = ?, updated_at = ? "
                "WHERE id = ?",
                (int(mobile), zone, country, iso(self._clock()), camera_id),
            )
            self._audit.append(
                self._event(
                    "settings_changed",
                    current,
                    actor,
                    int(current.enabled) * (int(mobile) - int(current.mobile)),
                    mobile=mobile,
                    timezone=zone,
                    country=country,
                )
            )
        return self.get(camera_id)

    def move(
        self,
        camera_id: str,
        latitude: float,
        longitude: float,
        *,
        direction: float | None = None,
        actor: str | None = None,
    ) -> RegisteredCamera:
        """Moves a camera (and turns it, when ``direction`` is given); refused like a new
        camera at that position. Audited as ``moved``."""
        lat = _coordinate(latitude, "lat", 90.0)
        lon = _coordinate(longitude, "lon", 180.0)
        turned = _direction(direction)
        with self._tx() as db:
            if self._placement is not None:
                self._placement(lat, lon)
            current = self._get(db, camera_id).camera
            heading = current.direction if turned is None else turned
            db.execute(
                "UPDATE cameras SET latitude = ?, longitude = ?, direction = ?, updated_at = ? "
                "WHERE id = ?",
                (lat, lon, heading, iso(self._clock()), camera_id),
            )
            self._audit.append(
                self._event("moved", current, actor, latitude=lat, longitude=lon, direction=heading)
            )
        return self.get(camera_id)

    def attend(
        self,
        camera_id: str,
        officer: str,
        *,
        until: datetime | None = None,
        actor: str | None = None,
    ) -> Attendance:
        """Records who operates a mobile unit from now (until ``until``, or until someone
        else is recorded): New Hampshire lets a reader run only attended by an officer. The
        officer is named only in the private log; the public leaf says "attended"."""
        now = self._clock()
        if until is not None and until <= now:
            raise InputError("must be later than now", field="until")
        with self._tx() as db:
            current = self._get(db, camera_id).camera
            if not current.mobile:
                raise InputError(
                    f"camera {camera_id!r} is fixed; only a mobile unit is attended "
                    "(trustlpr camera set CAMERA --mobile)",
                    field="id",
                )
            db.execute(
                "INSERT OR REPLACE INTO camera_attendance (camera_id, officer, since, until) "
                "VALUES (?, ?, ?, ?)",
                (camera_id, officer, iso(now), iso(until) if until else None),
            )
            self._audit.append(
                self._event(
                    "attended",
                    current,
                    actor,
                    officer=officer,
                    since=iso(now),
                    until=iso(until) if until else None,
                )
            )
        return Attendance(camera_id, officer, now, until)

    def attended(self, camera_id: str) -> bool:
        """Whether someone is recorded operating the camera now (a fixed camera never is)."""
        return self.attendance(camera_id) is not None

    def attendance(self, camera_id: str) -> Attendance | None:
        """Who operates the camera now (``None``: nobody recorded, or their time is up)."""
        rows = self._query(
            "SELECT officer, since, until FROM camera_attendance WHERE camera_id = ?",
            (camera_id,),
        )
        if not rows:
            return None
        officer, since, until = rows[0]
        found = Attendance(
            camera_id,
            str(officer),
            datetime.fromisoformat(since),
            datetime.fromisoformat(until) if until else None,
        )
        return found if found.until is None or found.until > self._clock() else None

    def set_sensitive(
        self, camera_id: str, category: str | None, *, actor: str | None = None
    ) -> None:
        """Marks the sensitive place a camera overlooks (a clinic, a place of worship, …), or
        clears the mark. Policies use it to refuse searches aimed at such places."""
        if category is not None and not _ADAPTER.fullmatch(category):
            raise InputError(
                "must be a lower-case category like 'place_of_worship'", field="category"
            )
        with self._tx() as db:
            current = self._get(db, camera_id)
            if category is None:
                db.execute("DELETE FROM camera_places WHERE camera_id = ?", (camera_id,))
            else:
                db.execute(
                    "INSERT INTO camera_places VALUES (?, ?, ?) ON CONFLICT (camera_id) "
                    "DO UPDATE SET category = excluded.category, updated_at = excluded.updated_at",
                    (camera_id, category, iso(self._clock())),
                )
            action = "place_cleared" if category is None else "place_marked"
            self._audit.append(self._event(action, current.camera, actor, category=category))
        self.places_version += 1

    def sensitive_places(self) -> dict[str, str]:
        """Camera id → the sensitive-place category it overlooks."""
        rows = self._query("SELECT camera_id, category FROM camera_places")
        return {str(camera): str(category) for camera, category in rows}

    def bind_alias(self, camera_id: str, adapter: str, alias: str) -> bool:
        """Records that ``adapter`` names ``camera_id`` as ``alias`` (e.g. an OpenALPR numeric
        camera id announced in a heartbeat). Returns True if the mapping is new or changed."""
        alias = _text(alias, "camera_id", limit=128)
        with self._tx() as db:
            row = db.execute(
                "SELECT camera_id FROM camera_aliases WHERE adapter = ? AND alias = ?",
                (adapter, alias),
            ).fetchone()
            if row is not None and row[0] == camera_id:
                return False
            db.execute(
                "INSERT OR REPLACE INTO camera_aliases (adapter, alias, camera_id, updated_at) "
                "VALUES (?, ?, ?, ?)",
                (adapter, alias, camera_id, iso(self._clock())),
            )
            camera = self._get(db, camera_id).camera
            self._audit.append(
                self._event("alias_bound", camera, None, adapter=adapter, alias=alias)
            )
        return True

    # -- queries ------------------------------------------------------------------------------

    def now(self) -> datetime:
        """The registry's clock (an attendance's "until" is counted from it)."""
        return self._clock()

    def _get(self, db: sqlite3.Connection, camera_id: str) -> RegisteredCamera:
        row = db.execute(f"SELECT {_COLUMNS} FROM cameras WHERE id = ?", (camera_id,)).fetchone()
        if row is None:
            raise NotFoundError(f"no camera {str(camera_id)[:64]!r}")
        return self._row(row)

    def get(self, camera_id: str) -> RegisteredCamera:
        rows = self._query(f"SELECT {_COLUMNS} FROM cameras WHERE id = ?", (camera_id,))
        if not rows:
            raise NotFoundError(f"no camera {str(camera_id)[:64]!r}")
        return self._row(rows[0])

    def is_mobile(self, camera_id: str) -> bool:
        """Whether the camera is registered as a mobile unit (an unknown id is not)."""
        rows = self._query("SELECT mobile FROM cameras WHERE id = ?", (camera_id,))
        return bool(rows and rows[0][0])

    def list(self, *, include_disabled: bool = True) -> list[RegisteredCamera]:
        where = "" if include_disabled else " WHERE enabled = 1"
        rows = self._query(f"SELECT {_COLUMNS} FROM cameras{where} ORDER BY id")
        return [self._row(r) for r in rows]

    def resolve(self, adapter: str, name: str) -> RegisteredCamera | None:
        """The camera that ``adapter`` calls ``name`` (external id, alias, or our id)."""
        rows = self._query(
            f"SELECT {_COLUMNS} FROM cameras WHERE adapter = ? AND external_id = ?",
            (adapter, name),
        )
        if not rows:
            rows = self._query(
                f"SELECT {', '.join('c.' + c.strip() for c in _COLUMNS.split(','))} "
                "FROM camera_aliases a JOIN cameras c ON c.id = a.camera_id "
                "WHERE a.adapter = ? AND a.alias = ?",
                (adapter, name),
            )
        if not rows:
            rows = self._query(
                f"SELECT {_COLUMNS} FROM cameras WHERE adapter = ? AND id = ?", (adapter, name)
            )
        return self._row(rows[0]) if rows else None

    def by_key_id(self, key_id: str) -> RegisteredCamera | None:
        """The camera whose current key has this id (no secret checked: callers must have
        verified the presented key already, e.g. moments ago)."""
        rows = self._query(f"SELECT {_COLUMNS} FROM cameras WHERE key_id = ?", (key_id,))
        return self._row(rows[0]) if rows else None

    def authenticate(self, presented: str) -> RegisteredCamera:
        """The camera a presented key belongs to. ``AuthError`` if the key is not valid,
        ``ForbiddenError`` if it is valid but its camera is disabled."""
        key_id = split_token(presented, KEY_PREFIX)
        rows = self._query(f"SELECT {_COLUMNS}, key_hash FROM cameras WHERE key_id = ?", (key_id,))
        if not rows:
            raise AuthError("invalid camera key")
        self._verifier.verify(presented, rows[0][-1], key_id)
        found = self._row(rows[0][:-1])
        if not found.camera.enabled:
            raise ForbiddenError(f"camera {found.id!r} is disabled")
        return found

    def close(self) -> None:
        with self._lock:
            self._db.close()
