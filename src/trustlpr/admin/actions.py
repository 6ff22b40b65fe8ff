"""Every administrative action of a node, once, for every face that changes it.

An action is a named pydantic model of its arguments (``users.add``, ``cameras.import`` …)
whose ``run`` calls the same services the CLI called directly before: the identity store's
two-person rules, the camera registry, the alert targets, each auditing its change in its own
transaction. The CLI runs an action in-process when no service holds the data directory and
through the running service's admin socket when one does; the HTTP API
(``POST /api/v1/admin/{action}``) runs the same table. So a rule and its audit entry cannot
differ by the path a change took.

``actor`` is who signs: a user, or ``None`` for an unsigned change, which the services accept
only while the node is being set up (its first agency and two admins) and only from the
data directory's owner (in-process or the admin socket, never HTTP).
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, ClassVar, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from ..cameras import CameraRegistry, CameraSettings, CameraSpec, PlacesLayer, RegisteredCamera
from ..cameras.places import MAX_PLACES
from ..core.clock import iso, parse_duration
from ..core.errors import AuthError, InputError, NotFoundError, PolicyDenied
from ..core.identity import Role, User
from ..federation import Federation
from ..hotlist import AlertService
from ..identity import (
    IdentityStore,
    SharingAgreement,
    make_attestation,
    require_admin,
    require_role,
    require_same_agency,
)
from ..ingest.adapters import camera_adapter_types
from ..policy import JurisdictionPolicy
from ..protected import ProtectedPlates

__all__ = ["ACTIONS", "Action", "AdminService", "Credential", "Result"]

Result = dict[str, object]
"""An action's answer: JSON-ready, the same whichever face ran it."""

MAX_IMPORT = 10_000


@dataclass(frozen=True)
class Credential:
    """What signs a change: an API token, or a user id with their console password (the
    latter only in-process or over the owner-only admin socket). Neither: unsigned."""

    token: str | None = None
    user: str | None = None
    password: str | None = None


@dataclass
class AdminService:
    """The components an action changes, from the composition root."""

    identity: IdentityStore
    cameras: CameraRegistry
    alerts: AlertService
    policy: JurisdictionPolicy
    agency_id: str
    protected: ProtectedPlates
    federation: Federation
    places: PlacesLayer

    def actor(self, credential: Credential) -> User | None:
        """The user a credential names (``AuthError`` if it names none), or ``None``."""
        if credential.token and credential.user:
            raise InputError("give either --token or --as, not both", field="--as")
        if credential.token:
            return self.identity.authenticate(credential.token)[0]
        if credential.user:
            return self.identity.verify_password(credential.user, credential.password or "")[0]
        return None

    def run(self, name: str, args: Mapping[str, object], actor: User | None) -> Result:
        """Runs action ``name`` with ``args`` (validated: ``InputError`` naming the field)."""
        action = ACTIONS.get(name)
        if action is None:
            raise NotFoundError(f"no admin action {name[:60]!r}; see GET /api/v1/admin")
        try:
            parsed = action.model_validate(dict(args))
        except ValidationError as exc:
            first = exc.errors()[0]
            field = ".".join(str(p) for p in first.get("loc", ())) or None
            message = str(first.get("msg", "invalid")).removeprefix("Value error, ")
            raise InputError(message, field=field) from None
        return parsed.run(self, actor)


def _signed(actor: User | None) -> User:
    if actor is None:
        raise AuthError("sign in with --token (or TRUSTLPR_TOKEN) or --as USER")
    return actor


class Action(BaseModel, ABC):
    """One action's arguments; ``run`` does it. Unknown fields are refused."""

    model_config = ConfigDict(extra="forbid", str_max_length=2000)
    action: ClassVar[str]

    @abstractmethod
    def run(self, admin: AdminService, actor: User | None) -> Result: ...


ACTIONS: dict[str, type[Action]] = {}
A = TypeVar("A", bound=type[Action])


def _action(name: str) -> Callable[[A], A]:
    def register(cls: A) -> A:
        cls.action = name
        ACTIONS[name] = cls
        return cls

    return register


IdText = Annotated[str, Field(min_length=1, max_length=128)]


# -- agencies, users, tokens ----------------------------------------------------------------


@_action("agencies.add")
class AgencyAdd(Action):
    id: IdText
    name: str = Field(min_length=1, max_length=200)
    state: str = Field(min_length=1, max_length=8)
    type: str = "local"

    def run(self, admin: AdminService, actor: User | None) -> Result:
        agency = admin.identity.add_agency(self.id, self.name, self.state, self.type, actor=actor)
        return {"id": agency.id, "type": agency.type.value, "state": agency.state}


def _user(user: User) -> Result:
    return {
        "id": user.id,
        "agency_id": user.agency_id,
        "role": user.role.value,
        "active": user.active,
    }


@_action("users.add")
class UserAdd(Action):
    id: IdText
    agency: IdText
    role: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=200)
    password: str | None = Field(None, max_length=1024)

    def run(self, admin: AdminService, actor: User | None) -> Result:
        user = admin.identity.add_user(
            self.id, self.agency, self.role, self.name, actor=actor, password=self.password
        )
        return _user(user)


@_action("users.set_role")
class UserSetRole(Action):
    id: IdText
    role: str = Field(min_length=1, max_length=32)

    def run(self, admin: AdminService, actor: User | None) -> Result:
        user = admin.identity.set_role(self.id, self.role, actor=_signed(actor))
        return _user(user) | {"requested": self.role.strip().lower()}


@_action("users.disable")
class UserDisable(Action):
    id: IdText

    def run(self, admin: AdminService, actor: User | None) -> Result:
        return _user(admin.identity.disable(self.id, actor=_signed(actor)))


@_action("users.enable")
class UserEnable(Action):
    id: IdText

    def run(self, admin: AdminService, actor: User | None) -> Result:
        return _user(admin.identity.enable(self.id, actor=_signed(actor)))


@_action("users.approve")
class UserApprove(Action):
    id: IdText

    def run(self, admin: AdminService, actor: User | None) -> Result:
        return _user(admin.identity.approve_admin(self.id, actor=_signed(actor)))


@_action("users.reject")
class UserReject(Action):
    id: IdText

    def run(self, admin: AdminService, actor: User | None) -> Result:
        return _user(admin.identity.reject_admin(self.id, actor=_signed(actor)))


@_action("users.set_password")
class UserSetPassword(Action):
    id: IdText
    password: str = Field(min_length=1, max_length=1024)

    def run(self, admin: AdminService, actor: User | None) -> Result:
        admin.identity.set_password(self.id, self.password, actor=_signed(actor))
        return {"id": self.id}


@_action("tokens.create")
class TokenCreate(Action):
    user: IdText
    expires_in: str = Field("90d", max_length=32)
    label: str = Field("", max_length=200)

    def run(self, admin: AdminService, actor: User | None) -> Result:
        lifetime = parse_duration(self.expires_in, field="expires_in")
        created = admin.identity.create_token(
            self.user, actor=_signed(actor), expires_in=lifetime, label=self.label
        )
        return {
            "id": created.info.id,
            "user_id": created.info.user_id,
            "expires_at": iso(created.info.expires_at),
            "token": created.plaintext,
        }


@_action("tokens.revoke")
class TokenRevoke(Action):
    id: IdText

    def run(self, admin: AdminService, actor: User | None) -> Result:
        info = admin.identity.revoke_token(self.id, actor=_signed(actor))
        return {"id": info.id, "user_id": info.user_id}


# -- cameras --------------------------------------------------------------------------------


def camera_row(entry: RegisteredCamera) -> Result:
    """A registered camera as the CLI and the API show it (never its key)."""
    cam = entry.camera
    return {
        "id": cam.id,
        "agency_id": cam.agency_id,
        "name": cam.name,
        "lat": cam.latitude,
        "lon": cam.longitude,
        "direction": cam.direction,
        "adapter": cam.adapter,
        "external_id": entry.external_id,
        "enabled": cam.enabled,
        "mobile": cam.mobile,
        "timezone": cam.timezone,
        "country": cam.country,
        "created_at": entry.created_at,
    }


class CameraFields(BaseModel):
    """A camera to register, as ``camera add`` takes it (``agency`` defaults to the node's)."""

    model_config = ConfigDict(extra="forbid", str_max_length=2000)
    name: str = Field(max_length=200)
    lat: float
    lon: float
    direction: float | None = None
    adapter: str = Field("native", max_length=32)
    external_id: str | None = Field(None, max_length=128)
    id: str | None = Field(None, max_length=64)
    agency: str | None = Field(None, max_length=64)
    mobile: bool | None = None
    timezone: str | None = Field(None, max_length=64)
    country: str | None = Field(None, max_length=8)

    @classmethod
    def of(cls, spec: CameraSpec) -> CameraFields:
        """The fields of a spec parsed from a file (``cameras.importfile``)."""
        return cls(
            name=spec.name,
            lat=spec.latitude,
            lon=spec.longitude,
            direction=spec.direction,
            adapter=spec.adapter,
            external_id=spec.external_id,
            id=spec.camera_id,
            agency=spec.agency_id,
            mobile=spec.settings.mobile,
            timezone=spec.settings.timezone,
            country=spec.settings.country,
        )

    def spec(self, default_agency: str) -> CameraSpec:
        if self.adapter not in camera_adapter_types():
            raise InputError(
                f"{self.adapter!r} is not one of {', '.join(camera_adapter_types())}",
                field="adapter",
            )
        return CameraSpec(
            self.name,
            self.lat,
            self.lon,
            agency_id=self.agency or default_agency,
            direction=self.direction,
            adapter=self.adapter,
            external_id=self.external_id,
            camera_id=self.id,
            settings=CameraSettings(
                mobile=self.mobile, timezone=self.timezone, country=self.country
            ),
        )


def _register(admin: AdminService, actor: User | None, specs: list[CameraSpec]) -> list[Result]:
    """Registers cameras signed by an admin of each one's agency, which must exist."""
    user = _signed(actor)
    for agency in sorted({s.agency_id for s in specs}):
        require_admin(user, agency)
        admin.identity.agency(agency)
    added = admin.cameras.add_many(specs, actor=user.id)
    return [camera_row(entry) | {"key": key} for entry, key in added]


@_action("cameras.add")
class CameraAdd(Action, CameraFields):
    def run(self, admin: AdminService, actor: User | None) -> Result:
        return _register(admin, actor, [self.spec(admin.agency_id)])[0]


@_action("cameras.import")
class CameraImport(Action):
    cameras: list[CameraFields] = Field(min_length=1, max_length=MAX_IMPORT)

    def run(self, admin: AdminService, actor: User | None) -> Result:
        specs = []
        for position, fields in enumerate(self.cameras, start=1):
            try:
                specs.append(fields.spec(admin.agency_id))
            except InputError as exc:
                raise exc.at_line(position) from None
        return {"cameras": _register(admin, actor, specs)}


def _camera_admin(admin: AdminService, actor: User | None, camera_id: str) -> User:
    user = _signed(actor)
    require_admin(user, admin.cameras.get(camera_id).camera.agency_id)
    return user


@_action("cameras.set")
class CameraSet(Action):
    id: IdText
    mobile: bool | None = None
    timezone: str | None = Field(None, max_length=64)
    country: str | None = Field(None, max_length=8)

    def run(self, admin: AdminService, actor: User | None) -> Result:
        if self.mobile is None and self.timezone is None and self.country is None:
            raise InputError("give --mobile/--fixed, --timezone or --country", field="options")
        user = _camera_admin(admin, actor, self.id)
        entry = admin.cameras.configure(
            self.id,
            CameraSettings(mobile=self.mobile, timezone=self.timezone, country=self.country),
            actor=user.id,
        )
        return camera_row(entry)


@_action("cameras.attend")
class CameraAttend(Action):
    """Records the officer operating a mobile unit (New Hampshire: readers attended), for
    ``until`` (a duration such as ``10h``, a shift) or until the next record."""

    id: IdText
    officer: IdText
    until: str | None = Field(None, max_length=32)

    def run(self, admin: AdminService, actor: User | None) -> Result:
        user = _camera_admin(admin, actor, self.id)
        camera = admin.cameras.get(self.id).camera
        officer = admin.identity.user(self.officer)
        if not officer.active or officer.agency_id != camera.agency_id:
            raise InputError(
                f"{self.officer!r} is not an active user of agency {camera.agency_id!r}",
                field="officer",
            )
        until = None
        if self.until:
            until = admin.cameras.now() + parse_duration(self.until, field="until")
        found = admin.cameras.attend(self.id, officer.id, until=until, actor=user.id)
        return {
            "camera_id": found.camera_id,
            "officer": found.officer,
            "since": iso(found.since),
            "until": iso(found.until) if found.until else None,
        }


@_action("cameras.enable")
class CameraEnable(Action):
    id: IdText

    def run(self, admin: AdminService, actor: User | None) -> Result:
        user = _camera_admin(admin, actor, self.id)
        return camera_row(admin.cameras.set_enabled(self.id, True, actor=user.id))


@_action("cameras.disable")
class CameraDisable(Action):
    id: IdText

    def run(self, admin: AdminService, actor: User | None) -> Result:
        user = _camera_admin(admin, actor, self.id)
        return camera_row(admin.cameras.set_enabled(self.id, False, actor=user.id))


@_action("cameras.rotate_key")
class CameraRotateKey(Action):
    id: IdText

    def run(self, admin: AdminService, actor: User | None) -> Result:
        user = _camera_admin(admin, actor, self.id)
        return {"camera_id": self.id, "key": admin.cameras.rotate_key(self.id, actor=user.id)}


@_action("cameras.mark")
class CameraMark(Action):
    id: IdText
    category: str = Field(max_length=64)

    def run(self, admin: AdminService, actor: User | None) -> Result:
        category = self.category
        places = admin.policy.sensitive_locations
        if category in places.no_cameras:
            raise PolicyDenied(
                f"the policy in force allows no camera at a {category.replace('_', ' ')}; "
                "disable this camera instead",
                ["sensitive.no_cameras"],
            )
        if category not in places.categories:
            raise InputError(
                f"{category[:40]!r} is not a sensitive-location category of the policy in "
                f"force ({', '.join(sorted(places.categories))})",
                field="category",
            )
        user = _camera_admin(admin, actor, self.id)
        admin.cameras.set_sensitive(self.id, category, actor=user.id)
        return {"camera_id": self.id, "category": category}


@_action("cameras.unmark")
class CameraUnmark(Action):
    id: IdText

    def run(self, admin: AdminService, actor: User | None) -> Result:
        user = _camera_admin(admin, actor, self.id)
        admin.cameras.set_sensitive(self.id, None, actor=user.id)
        return {"camera_id": self.id, "category": None}


@_action("places.install")
class PlacesInstall(Action):
    """The sensitive-places layer: the body is the GeoJSON FeatureCollection itself (foreign
    members such as an Overpass export's ``generator`` are kept). Checked whole before the
    node's layer is replaced; signed by an admin of the node's agency."""

    model_config = ConfigDict(extra="allow")
    type: Literal["FeatureCollection"]
    features: list[dict[str, object]] = Field(max_length=MAX_PLACES)

    def run(self, admin: AdminService, actor: User | None) -> Result:
        user = _signed(actor)
        require_admin(user, admin.agency_id)
        layer = admin.places.install(self.model_dump(), actor=user.id)
        rule = admin.policy.sensitive_locations
        near: list[Result] = []
        guard = admin.places.guard()
        if guard is not None:
            for entry in admin.cameras.list(include_disabled=False):
                hit = guard.nearest(entry.camera.latitude, entry.camera.longitude)
                if hit is not None:
                    near.append(
                        {"camera": entry.id, "place": hit[0].name,
                         "category": hit[0].category, "metres": round(hit[1])}
                    )  # fmt: skip
        return {
            "installed": len(layer.places),
            "by_category": dict(layer.by_category),
            "digest": layer.digest,
            "policy": admin.policy.name,
            "distance_m": rule.camera_distance_m if guard is not None else None,
            "too_near": list(near),
        }


# -- sharing agreements ---------------------------------------------------------------------


def _agreement(agreement: SharingAgreement) -> Result:
    return {
        "id": agreement.id,
        "version": agreement.version,
        "status": agreement.status.value,
        "grantee_label": agreement.grantee_label,
    }


class AttestationFields(BaseModel):
    model_config = ConfigDict(extra="forbid")
    doc: str = Field(max_length=500)
    attested_by: str = Field(max_length=200)
    attested_at: str = Field(max_length=64)
    commitments: list[str] = Field(max_length=20)


@_action("sharing.propose")
class SharingPropose(Action):
    owner: str | None = Field(None, max_length=64)
    grantee: str | None = Field(None, max_length=64)
    grantee_state: str | None = Field(None, max_length=8)
    purposes: list[str] = Field(default_factory=list, max_length=50)
    expires_at: str = Field(max_length=64)
    attestation: AttestationFields | None = None

    def run(self, admin: AdminService, actor: User | None) -> Result:
        attest = self.attestation
        agreement = admin.identity.sharing.propose(
            self.owner or admin.agency_id,
            grantee_agency_id=self.grantee,
            grantee_state=self.grantee_state,
            purposes=self.purposes,
            expires_at=self.expires_at,
            actor=_signed(actor),
            attestation=make_attestation(
                attest.doc, attest.attested_by, attest.attested_at, attest.commitments
            )
            if attest
            else None,
        )
        return _agreement(agreement)


@_action("sharing.amend")
class SharingAmend(Action):
    id: IdText
    purposes: list[str] | None = Field(None, max_length=50)
    expires_at: str | None = Field(None, max_length=64)
    drop_attestation: bool = False

    def run(self, admin: AdminService, actor: User | None) -> Result:
        agreement = admin.identity.sharing.amend(
            self.id,
            actor=_signed(actor),
            purposes=self.purposes or None,
            expires_at=self.expires_at,
            drop_attestation=self.drop_attestation,
        )
        return _agreement(agreement)


@_action("sharing.attest")
class SharingAttest(Action):
    id: IdText
    attestation: AttestationFields

    def run(self, admin: AdminService, actor: User | None) -> Result:
        a = self.attestation
        agreement = admin.identity.sharing.attest(
            self.id,
            make_attestation(a.doc, a.attested_by, a.attested_at, a.commitments),
            actor=_signed(actor),
        )
        return _agreement(agreement)


@_action("sharing.approve")
class SharingApprove(Action):
    id: IdText

    def run(self, admin: AdminService, actor: User | None) -> Result:
        return _agreement(admin.identity.sharing.approve(self.id, actor=_signed(actor)))


@_action("sharing.reject")
class SharingReject(Action):
    id: IdText

    def run(self, admin: AdminService, actor: User | None) -> Result:
        return _agreement(admin.identity.sharing.reject(self.id, actor=_signed(actor)))


@_action("sharing.revoke")
class SharingRevoke(Action):
    id: IdText

    def run(self, admin: AdminService, actor: User | None) -> Result:
        return _agreement(admin.identity.sharing.revoke(self.id, actor=_signed(actor)))


# -- alert delivery targets -----------------------------------------------------------------


def _target_admin(admin: AdminService, actor: User | None) -> User:
    """An admin of this node's agency (as ``alerts target-add`` always required)."""
    user = _signed(actor)
    require_role(user, Role.ADMIN)
    require_same_agency(user, admin.agency_id)
    return user


@_action("alerts.targets.add")
class TargetAdd(Action):
    url: str = Field(max_length=500)
    secret: str | None = Field(None, max_length=500)

    def run(self, admin: AdminService, actor: User | None) -> Result:
        user = _target_admin(admin, actor)
        target = admin.alerts.add_target(self.url, actor=user.id, secret=self.secret)
        return {"id": target.id, "kind": target.kind, "url": target.url}


@_action("alerts.targets.remove")
class TargetRemove(Action):
    id: int

    def run(self, admin: AdminService, actor: User | None) -> Result:
        user = _target_admin(admin, actor)
        admin.alerts.remove_target(self.id, actor=user.id)
        return {"id": self.id}
