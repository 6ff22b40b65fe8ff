"""Sharing agreements as values: who may reach an owner's data, for which purposes, until when,
and on what written attestation — plus the diff between two versions that the portal publishes.

An agreement names either one grantee agency or a state's police as a class (every ``local``
or ``state`` agency of that state; never a federal or vendor one). Its terms change only by new
versions: each version is ``pending`` until a second admin approves it, then ``active`` until it
is ``superseded`` by the next version or ``revoked``; a refused proposal is ``rejected``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

from ..core.clock import iso, parse_utc
from ..core.errors import InputError
from ..core.events import PublicValue
from ..core.identity import Agency, AgencyType
from ..core.search import Purpose
from .accounts import validate_text


class Commitment(StrEnum):
    """What a grantee promises in writing (CT PA 26-14, IL 625 ILCS 5/2-130, NM SB 40 style)."""

    NO_IMMIGRATION_ENFORCEMENT = "no_immigration_enforcement"
    NO_REPRODUCTIVE_HEALTH = "no_reproductive_health_investigation"
    NO_GENDER_AFFIRMING_CARE = "no_gender_affirming_care_investigation"
    NO_PROTECTED_ACTIVITY = "no_protected_activity"
    NO_ONWARD_SHARING = "no_onward_sharing"


REQUIRED_COMMITMENTS = frozenset(
    {
        Commitment.NO_IMMIGRATION_ENFORCEMENT,
        Commitment.NO_REPRODUCTIVE_HEALTH,
        Commitment.NO_GENDER_AFFIRMING_CARE,
    }
)
"""An attestation counts as "on file" only when it makes at least these promises."""

_CONTRADICTS = {
    Commitment.NO_IMMIGRATION_ENFORCEMENT: Purpose.IMMIGRATION_ENFORCEMENT,
    Commitment.NO_REPRODUCTIVE_HEALTH: Purpose.REPRODUCTIVE_HEALTH,
    Commitment.NO_GENDER_AFFIRMING_CARE: Purpose.GENDER_AFFIRMING_CARE,
    Commitment.NO_PROTECTED_ACTIVITY: Purpose.PROTEST_MONITORING,
}

POLICE_TYPES = frozenset({AgencyType.LOCAL, AgencyType.STATE})
"""Agency types a state-class grant covers: a state's police, never federal or vendor."""


class Status(StrEnum):
    PENDING = "pending"
    ACTIVE = "active"
    REJECTED = "rejected"
    SUPERSEDED = "superseded"
    REVOKED = "revoked"


IN_FORCE_STATUSES = (Status.ACTIVE, Status.SUPERSEDED, Status.REVOKED)
"""Statuses of versions that were once in force (their period is effective_from..ended_at)."""


@dataclass(frozen=True, slots=True)
class Attestation:
    """The grantee's written promise: which document, who signed it, when, promising what."""

    document_ref: str
    attested_by: str = field(repr=False)  # a person's name: private
    attested_at: datetime
    commitments: frozenset[Commitment]

    @property
    def complete(self) -> bool:
        return self.commitments >= REQUIRED_COMMITMENTS

    def to_json(self) -> dict[str, Any]:
        return {
            "document_ref": self.document_ref,
            "attested_by": self.attested_by,
            "attested_at": iso(self.attested_at),
            "commitments": sorted(c.value for c in self.commitments),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Attestation:
        return cls(
            document_ref=data["document_ref"],
            attested_by=data["attested_by"],
            attested_at=parse_utc(data["attested_at"], field="attested_at"),
            commitments=frozenset(Commitment(c) for c in data["commitments"]),
        )


def make_attestation(
    document_ref: str,
    attested_by: str,
    attested_at: datetime | str,
    commitments: Iterable[Commitment | str],
) -> Attestation:
    """A validated attestation (document reference, signer, date, promises)."""
    return Attestation(
        document_ref=validate_text(document_ref, "document_ref", max_len=300),
        attested_by=validate_text(attested_by, "attested_by"),
        attested_at=parse_utc(attested_at, field="attested_at"),
        commitments=parse_commitments(commitments),
    )


def parse_purposes(values: Iterable[Purpose | str]) -> frozenset[Purpose]:
    """Purpose codes from ``core.search.Purpose``; at least one, each known."""
    purposes: set[Purpose] = set()
    for value in values:
        try:
            purposes.add(Purpose(value))
        except ValueError as exc:
            raise InputError(
                f"{str(value)[:40]!r} is not a purpose code", field="purposes"
            ) from exc
    if not purposes:
        raise InputError("an agreement needs at least one purpose", field="purposes")
    return frozenset(purposes)


def parse_commitments(values: Iterable[Commitment | str]) -> frozenset[Commitment]:
    found: set[Commitment] = set()
    for value in values:
        try:
            found.add(Commitment(value))
        except ValueError as exc:
            choices = ", ".join(c.value for c in Commitment)
            raise InputError(
                f"{str(value)[:40]!r} is not one of {choices}", field="commitments"
            ) from exc
    return frozenset(found)


def check_terms(purposes: frozenset[Purpose], attestation: Attestation | None) -> None:
    """Refuses terms that contradict themselves: a grantee promising not to do what the
    agreement's purposes would let it do."""
    if attestation is None:
        return
    for commitment, purpose in _CONTRADICTS.items():
        if commitment in attestation.commitments and purpose in purposes:
            raise InputError(
                f"purpose {purpose.value!r} contradicts the attested {commitment.value!r}",
                field="purposes",
            )


@dataclass(frozen=True, slots=True)
class SharingAgreement:
    """One version of an agreement. User ids (who proposed, who decided) are private."""

    id: str
    version: int
    owner_agency_id: str
    grantee_agency_id: str | None
    grantee_state: str | None
    purposes: frozenset[Purpose]
    expires_at: datetime
    status: Status
    proposed_at: datetime
    proposed_by: str = field(repr=False)
    attestation: Attestation | None = None
    base_version: int | None = None
    decided_by: str | None = field(default=None, repr=False)
    decided_at: datetime | None = None
    effective_from: datetime | None = None
    ended_at: datetime | None = None

    @property
    def grantee_label(self) -> str:
        return self.grantee_agency_id or f"{self.grantee_state} police (any agency)"

    @property
    def attestation_complete(self) -> bool:
        return self.attestation is not None and self.attestation.complete

    def covers(self, agency: Agency) -> bool:
        """Whether this agreement names ``agency``, or its state's police as a class."""
        if self.grantee_agency_id is not None:
            return agency.id == self.grantee_agency_id
        return agency.state == self.grantee_state and agency.type in POLICE_TYPES

    def in_force(self, at: datetime) -> bool:
        """Whether this version gave access at ``at`` (approved, not yet ended, not expired)."""
        return (
            self.status in IN_FORCE_STATUSES
            and self.effective_from is not None
            and self.effective_from <= at
            and (self.ended_at is None or at < self.ended_at)
            and at < self.expires_at
        )

    def status_at(self, at: datetime) -> str:
        """The status, with an active version past its expiry shown as ``expired``."""
        if self.status is Status.ACTIVE and at >= self.expires_at:
            return "expired"
        return self.status.value

    def public(self) -> dict[str, PublicValue]:
        """The non-personal terms, for the public log and the portal."""
        return {
            "agreement_id": self.id,
            "version": self.version,
            "owner_agency": self.owner_agency_id,
            "grantee_agency": self.grantee_agency_id,
            "grantee_state": self.grantee_state,
            "purposes": sorted(p.value for p in self.purposes),
            "expires_at": iso(self.expires_at),
            "attestation": self.attestation_complete,
            "commitments": sorted(c.value for c in self.attestation.commitments)
            if self.attestation
            else [],
            "status": self.status.value,
        }


def is_narrowing(
    old: SharingAgreement,
    purposes: frozenset[Purpose],
    expires_at: datetime,
    attestation: Attestation | None,
) -> bool:
    """Whether new terms give no access the old ones did not: fewer or equal purposes, an
    earlier or equal expiry, and the same attestation or none. Only these skip approval."""
    return (
        purposes <= old.purposes
        and expires_at <= old.expires_at
        and (attestation is None or attestation == old.attestation)
    )


def terms_diff(old: SharingAgreement | None, new: SharingAgreement) -> dict[str, PublicValue]:
    """The published diff from ``old`` (``None`` for a new agreement) to ``new``."""
    diff = new.public()
    before = old.purposes if old else frozenset()
    diff["purposes_added"] = sorted(p.value for p in new.purposes - before)
    diff["purposes_removed"] = sorted(p.value for p in before - new.purposes)
    diff["expires_before"] = iso(old.expires_at) if old else None
    diff["attestation_before"] = old.attestation_complete if old else None
    return diff


@dataclass(frozen=True, slots=True)
class SharingChange:
    """One entry of the published change history of sharing agreements."""

    seq: int
    at: datetime
    agreement_id: str
    version: int
    owner_agency_id: str
    action: str
    diff: dict[str, PublicValue]
    actor_id: str = field(repr=False)

    def public(self) -> dict[str, PublicValue]:
        """Everything but who acted: the portal publishes this."""
        return {"seq": self.seq, "at": iso(self.at), "action": self.action, **self.diff}


@dataclass(frozen=True, slots=True)
class Grantee:
    """An agency (or a state's police as a class) with access, as the portal lists it."""

    agreement_id: str
    agency_id: str | None
    state: str
    name: str
    type: AgencyType | None
    purposes: tuple[Purpose, ...]
    expires_at: datetime
    attestation_on_file: bool

    def public(self) -> dict[str, PublicValue]:
        return {
            "agreement_id": self.agreement_id,
            "agency_id": self.agency_id,
            "state": self.state,
            "name": self.name,
            "type": self.type.value if self.type else None,
            "purposes": [p.value for p in self.purposes],
            "expires_at": iso(self.expires_at),
            "attestation_on_file": self.attestation_on_file,
        }
