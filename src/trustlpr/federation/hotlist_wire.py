"""Hot-list sharing on the wire (docs/federation.md, "Hot-list sharing"): what an owner node
offers a partner, a list's version or its changes since one, and the hit report a subscriber
sends back. Every body is JSON, every message signed (RFC 9421) like the federated search.

A list's purposes are what its categories serve (``CATEGORY_PURPOSES``: an NCIC
stolen-vehicle list serves ``stolen_vehicle``, a category with no investigative purpose
``other``) and what its entries' reasons reveal (reason screening: a "wanted person" list of
ICE administrative warrants serves ``immigration_enforcement`` too). The owner offers a list
only to a partner its agreements grant every one of them; the subscriber recomputes them from
the entries and its own policy judges them, with the categories and each reason.
Entries are named by ``key``, the SHA-256 of their canonical fields, so a version's changes
are entries added and keys removed.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from ..core.search import Purpose
from ..hotlist.parse import DETAIL_FIELDS
from ..policy.screening import TOPIC_FLAGS, screen

HOTLISTS_PATH = "/federation/v1/hotlists"
HITS_PATH = "/federation/v1/hotlists/hits"

CATEGORY_PURPOSES: dict[str, Purpose] = {
    "V": Purpose.STOLEN_VEHICLE,
    "R": Purpose.STOLEN_VEHICLE,
    "P": Purpose.STOLEN_PLATE,
    "A": Purpose.AMBER_ALERT,
    "M": Purpose.MISSING_PERSON,
    "W": Purpose.WANTED_PERSON,
    "F": Purpose.FUGITIVE_WARRANT,
    "L": Purpose.VIOLENT_FELONY,
    "H": Purpose.PROTECTIVE_ORDER,
    "T": Purpose.TERRORISM,
}
"""NCIC codes to the purpose a list of them serves; any other (C, K, X) serves ``other``."""

ENTRY_FIELDS = ("plate", "state", "category", "reason", "case_number", "owner", "expires_at")

_ID = r"^[a-z0-9][a-z0-9._-]{0,63}$"
_LIST = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
_KEY = r"^[0-9a-f]{64}$"


def purpose_of(category: str) -> Purpose:
    return CATEGORY_PURPOSES.get(category, Purpose.OTHER)


def purposes_of(categories: Iterable[str], reasons: Iterable[str] = ()) -> list[str]:
    """The purposes a list of these categories and entry reasons serves (module docstring)."""
    found = {purpose_of(c).value for c in categories}
    for reason in set(reasons):
        flags = screen(reason).flags
        found |= {purpose.value for flag, purpose in TOPIC_FLAGS.items() if flag in flags}
    return sorted(found)


def entry_key(fields: Mapping[str, Any]) -> str:
    """An entry's name across versions: the SHA-256 of its canonical JSON fields."""
    material = {name: fields.get(name) for name in (*ENTRY_FIELDS, "details")}
    raw = json.dumps(material, sort_keys=True, separators=(",", ":"), ensure_ascii=True)
    return hashlib.sha256(raw.encode()).hexdigest()


def etag(list_id: str, version: int) -> str:
    """The ETag of a list version (RFC 9110 strong validator)."""
    return f'"{list_id}.{version}"'


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class Grant(_Wire):
    """The owner's agreement in force that lets the subscriber use a list."""

    agreement_id: str = Field(max_length=64)
    version: int = Field(ge=1)
    purposes: list[str] = Field(max_length=64)


class Offer(_Wire):
    """One list an owner offers a partner (``GET /federation/v1/hotlists``)."""

    list_id: str = Field(pattern=_LIST)
    version: int = Field(ge=1)
    categories: list[str] = Field(max_length=64)
    purposes: list[str] = Field(max_length=64)
    entries: int = Field(ge=0)
    updated_at: str = Field(max_length=40)
    grant: Grant


class Offers(_Wire):
    trustlpr_federation: Literal[1]
    agency: str = Field(pattern=_ID)
    lists: list[Offer] = Field(max_length=1000)


class WireEntry(_Wire):
    """One entry as shared: the fields an officer needs to act on a hit, nothing more."""

    key: str = Field(pattern=_KEY)
    plate: str = Field(max_length=16)
    state: str = Field(max_length=8)
    category: str = Field(max_length=32)
    reason: str = Field(max_length=200)
    case_number: str = Field(max_length=64)
    owner: str = Field(max_length=100)
    expires_at: str = Field(max_length=40)
    details: dict[str, str] = Field(default_factory=dict, max_length=len(DETAIL_FIELDS))

    def fields(self) -> dict[str, Any]:
        """The entry's canonical fields (``entry_key`` of them is its key)."""
        return {**self.model_dump(include=set(ENTRY_FIELDS)), "details": dict(self.details)}


def flat(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Canonical fields as ``hotlist.parse.entry_from_mapping`` reads an entry."""
    return {**{k: v for k, v in fields.items() if k != "details"}, **(fields.get("details") or {})}


class ListVersion(_Wire):
    """``GET /federation/v1/hotlists/{list}[?since=N]``: the whole list (``base`` None), or
    what changed since version ``base``: entries ``added`` and keys ``removed``."""

    trustlpr_federation: Literal[1]
    agency: str = Field(pattern=_ID)
    list_id: str = Field(pattern=_LIST)
    version: int = Field(ge=1)
    categories: list[str] = Field(max_length=64)
    purposes: list[str] = Field(max_length=64)
    grant: Grant
    base: int | None = None
    entries: list[WireEntry] = Field(default_factory=list, max_length=2_000_000)
    removed: list[str] = Field(default_factory=list, max_length=2_000_000)


class HitReport(_Wire):
    """``POST /federation/v1/hotlists/hits``: a subscriber tells a list's owner that one of
    its entries was seen — the minimised sighting a search by the owner would have returned."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    trustlpr_federation: Literal[1]
    report_id: str = Field(pattern=r"^[a-z0-9-]{8,64}$")
    list_id: str = Field(pattern=_LIST)
    version: int = Field(ge=1)
    entry_key: str = Field(pattern=_KEY)
    plate: str = Field(max_length=16)
    state: str | None = Field(None, max_length=8)
    observed_at: str = Field(max_length=40)
    camera_id: str = Field(max_length=128)
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    direction: float | None = None
    confidence: float = Field(ge=0, le=1)
    make: str | None = Field(None, max_length=40)
    colour: str | None = Field(None, max_length=40)
    vehicle_type: str | None = Field(None, max_length=40)
