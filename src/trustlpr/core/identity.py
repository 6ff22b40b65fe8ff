"""Who acts: agencies, users and their roles, and cameras."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class AgencyType(StrEnum):
    LOCAL = "local"
    STATE = "state"
    FEDERAL = "federal"
    VENDOR = "vendor"


class Role(StrEnum):
    OFFICER = "officer"
    SUPERVISOR = "supervisor"
    AUDITOR = "auditor"
    ADMIN = "admin"


@dataclass(frozen=True, slots=True)
class Agency:
    id: str
    name: str
    state: str
    type: AgencyType


@dataclass(frozen=True, slots=True)
class User:
    id: str
    agency_id: str
    role: Role
    name: str = ""
    active: bool = True
    credential: str | None = field(default=None, compare=False)
    """Which credential signed this user in (``"password"``, or a token or session id); set by
    the identity store's checks, ``None`` for users read from the store or built by hand. The
    two-person rules ask it who could be behind a signature (``trustlpr.identity``)."""

    def __repr__(self) -> str:  # user names are personal data
        return f"User(id={self.id!r}, agency_id={self.agency_id!r}, role={self.role.value!r})"


@dataclass(frozen=True, slots=True)
class Camera:
    """A registered camera. ``mobile``: it moves (a patrol car), so the position a read carries
    is where it was; a fixed camera's reads are always at its registered place. ``timezone``:
    the IANA zone its clock runs in, for senders that send local times without an offset.
    ``country``: the ISO 3166-1 alpha-2 country it stands in, for senders whose region codes
    do not name a country (the open-source OpenALPR ``alprd``)."""

    id: str
    agency_id: str
    name: str
    latitude: float
    longitude: float
    direction: float | None = None
    adapter: str = "native"
    enabled: bool = True
    mobile: bool = False
    timezone: str | None = None
    country: str | None = None
