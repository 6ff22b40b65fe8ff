"""A jurisdiction's policy as typed parameters: what its statute says, in the engine's terms.

These objects are what the rest of TrustLPR reads (retention for the store, hot-list categories
for the importer, sharing for federation); the Cedar rules are compiled from them. They are
frozen: a policy is changed by editing its file, which is audited as ``policy_changed``.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from ..core.clock import format_duration
from ..core.protected import ProtectedCategory, ProtectedHandling
from ..core.search import LegalBasis, Purpose, SearchType
from .sources import Sources


class Access(StrEnum):
    """How a class of outside requester may reach the owner's data."""

    ALLOW = "allow"
    WARRANT = "warrant"
    NEVER = "never"


class RuleEffect(StrEnum):
    """What a rule does when it matches: deny outright, or hold for a supervisor's approval."""

    DENY = "deny"
    APPROVAL = "approval"


class NoStateMatch(StrEnum):
    """What an exact plate-text match on a read without a state is (Frigate and many cameras
    send no state): an ``alert``, pushed and marked "state not read — verify on the image", or
    a ``possible`` match, shown on the console only."""

    ALERT = "alert"
    POSSIBLE = "possible"


@dataclass(frozen=True, slots=True)
class Statute:
    """Where the policy comes from, so anyone can check it against the law it claims."""

    citation: str
    url: str
    effective: date
    notes: tuple[str, ...] = ()
    cite_as: str = ""


@dataclass(frozen=True, slots=True)
class SearchTypeRule:
    """One allowed search type: the legal bases it needs and how wide it may be."""

    legal_basis: frozenset[LegalBasis]
    max_window: timedelta | None = None
    max_cameras: int | None = None
    require_cameras: bool = False
    max_area_km2: int | None = None
    """The largest area (km²) a search of this type may name instead of cameras; a type that
    must name its cameras but sets no area limit takes no area at all."""
    min_known_characters: int = 0
    purposes: frozenset[Purpose] | None = None
    """The only purposes this type may serve (None: any permitted purpose)."""
    approval_without_warrant: bool = False
    """Without a warrant or court order, a supervisor must approve the search."""


@dataclass(frozen=True, slots=True)
class Sharing:
    """Who outside the owning jurisdiction may search, and on what condition.

    ``attestation_states`` lists states whose police may search with a written attestation on
    file (``"*"`` = any state); other states follow ``out_of_state``; federal agencies (and
    requests worded "on behalf of" one) follow ``federal``. ``WARRANT`` means a judicial
    warrant for one of ``warrant_offenses``.
    """

    in_state: Access
    attestation_states: frozenset[str]
    out_of_state: Access
    federal: Access
    warrant_offenses: frozenset[str]
    attestation_covers: frozenset[Purpose] = frozenset()

    def attestation_accepted_from(self, state: str) -> bool:
        return "*" in self.attestation_states or state in self.attestation_states


@dataclass(frozen=True, slots=True)
class Approvals:
    """What a supervisor of the requesting agency must approve before the search runs."""

    window_over: timedelta | None
    partial_plate: bool
    protected_plate: bool
    convoy: bool


class WarrantStep(StrEnum):
    """Who must confirm a search whose warrant lifts a warrantless limit: ``supervisor`` (one
    approval, as for the other held searches) or ``none`` (the judge's order is enough)."""

    NONE = "none"
    SUPERVISOR = "supervisor"


@dataclass(frozen=True, slots=True)
class Warrants:
    """How a judicial warrant or court order with a stated scope changes the limits.

    With ``scope_governs``, the limits set for warrantless searches (how far back a purpose
    may look, a search type's window and camera count, the long-window approval) follow the
    order's scope instead; a search beyond the scope is refused either way. ``approval`` is
    the step a search takes when its warrant lifted one of those limits.
    """

    scope_governs: bool = True
    approval: WarrantStep = WarrantStep.SUPERVISOR


@dataclass(frozen=True, slots=True)
class SensitiveLocations:
    """Places whose visitors need extra protection (clinics, worship, schools, shelters...).

    ``searches`` says what happens to a search over cameras at such places; ``no_cameras``
    lists categories where cameras may not be placed at all (enforced at camera registration).
    """

    categories: frozenset[str]
    searches: RuleEffect
    no_cameras: frozenset[str] = frozenset()
    camera_distance_m: int = 0  # no camera within this many metres of a no_cameras place


DEFAULT_PROTECTED_HANDLING: Mapping[ProtectedCategory, ProtectedHandling] = {
    c: ProtectedHandling.NOT_RECORDED for c in ProtectedCategory
}
"""What a policy without a ``[protected_plates]`` table does: records no protected plate."""


@dataclass(frozen=True, slots=True)
class Collection:
    """Which readers may collect at all (New Hampshire: only vehicle-mounted ones, attended).

    ``mobile_only``: a fixed camera is refused at registration. ``attended``: a read from a
    camera nobody is recorded as operating (``camera attend``) is dropped at ingest, counted
    publicly as ``unattended`` and otherwise not kept."""

    mobile_only: bool = False
    attended: bool = False


@dataclass(frozen=True, slots=True)
class ExtraRule:
    """A local rule written directly as a Cedar condition; validated against the schema."""

    id: str
    text: str
    effect: RuleEffect
    when: str


@dataclass(frozen=True, slots=True)
class JurisdictionPolicy:
    """Every parameter of one jurisdiction's ALPR law, as the engine and the store use them."""

    name: str
    title: str
    jurisdiction: str
    statute: Statute
    retention_nonhit: timedelta
    retention_hit: timedelta
    hit_only: bool
    permitted_purposes: frozenset[Purpose]
    prohibited_purposes: frozenset[Purpose]
    offense_required: frozenset[Purpose]
    min_reason_length: int
    min_reason_words: int
    max_window: Mapping[Purpose, timedelta]
    search_types: Mapping[SearchType, SearchTypeRule]
    allowed_hotlist_categories: frozenset[str]
    sharing: Sharing
    approvals: Approvals
    sensitive_locations: SensitiveLocations
    extra_rules: tuple[ExtraRule, ...] = ()
    collection: Collection = field(default_factory=Collection)
    warrants: Warrants = field(default_factory=Warrants)
    no_state_match: NoStateMatch = NoStateMatch.POSSIBLE
    protected_plates: Mapping[ProtectedCategory, ProtectedHandling] = field(
        default_factory=lambda: dict(DEFAULT_PROTECTED_HANDLING)
    )
    sources: Sources | None = field(default=None, compare=False)
    source: Path | None = field(default=None, compare=False)

    def __repr__(self) -> str:
        return f"JurisdictionPolicy(name={self.name!r}, jurisdiction={self.jurisdiction!r})"

    @property
    def label(self) -> str:
        """How reasons name the law: the short citation, or the policy name when it has none."""
        return self.statute.cite_as or self.name

    @property
    def digest(self) -> str:
        """SHA-256 of every parameter (canonical JSON): names the exact policy in force."""
        canonical = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    @property
    def alerts_without_state(self) -> bool:
        """Whether an exact plate-text match on a read with no state raises an alert."""
        return self.no_state_match is NoStateMatch.ALERT

    def window_for(self, purpose: Purpose) -> timedelta | None:
        """The longest time window a search for ``purpose`` may cover, if it is permitted."""
        return self.max_window.get(purpose)

    def protected_handling(self, category: ProtectedCategory) -> ProtectedHandling:
        """What happens to reads of a registered plate of ``category`` (docs/policy.md)."""
        return self.protected_plates.get(category, ProtectedHandling.NOT_RECORDED)

    def allows_search_type(self, search_type: SearchType) -> bool:
        return search_type in self.search_types

    def to_dict(self) -> dict[str, Any]:
        """Every parameter as plain JSON-able values, for ``policy show --json`` and the portal."""

        def dur(value: timedelta | None) -> str | None:
            return None if value is None else format_duration(value)

        return {
            "name": self.name,
            "title": self.title,
            "jurisdiction": self.jurisdiction,
            "citation": self.statute.citation,
            "cite_as": self.statute.cite_as,
            "url": self.statute.url,
            "effective": self.statute.effective.isoformat(),
            "notes": list(self.statute.notes),
            "retention": {
                "nonhit": dur(self.retention_nonhit),
                "hit": dur(self.retention_hit),
                "hit_only": self.hit_only,
            },
            "purposes": {
                "permitted": sorted(self.permitted_purposes),
                "prohibited": sorted(self.prohibited_purposes),
                "offense_required": sorted(self.offense_required),
                "min_reason_length": self.min_reason_length,
                "min_reason_words": self.min_reason_words,
            },
            "windows": {p.value: dur(w) for p, w in sorted(self.max_window.items())},
            "search_types": {
                t.value: {
                    "legal_basis": sorted(rule.legal_basis),
                    "max_window": dur(rule.max_window),
                    "max_cameras": rule.max_cameras,
                    "require_cameras": rule.require_cameras,
                    "max_area_km2": rule.max_area_km2,
                    "min_known_characters": rule.min_known_characters,
                    "purposes": None if rule.purposes is None else sorted(rule.purposes),
                    "approval_without_warrant": rule.approval_without_warrant,
                }
                for t, rule in self.search_types.items()
            },
            "hotlist": {
                "allowed_categories": sorted(self.allowed_hotlist_categories),
                "no_state_match": self.no_state_match.value,
            },
            "sharing": {
                "in_state": self.sharing.in_state.value,
                "attestation_states": sorted(self.sharing.attestation_states),
                "attestation_covers": sorted(self.sharing.attestation_covers),
                "out_of_state": self.sharing.out_of_state.value,
                "federal": self.sharing.federal.value,
                "warrant_offenses": sorted(self.sharing.warrant_offenses),
            },
            "approvals": {
                "window_over": dur(self.approvals.window_over),
                "partial_plate": self.approvals.partial_plate,
                "protected_plate": self.approvals.protected_plate,
                "convoy": self.approvals.convoy,
            },
            "sensitive_locations": {
                "categories": sorted(self.sensitive_locations.categories),
                "searches": self.sensitive_locations.searches.value,
                "no_cameras": sorted(self.sensitive_locations.no_cameras),
                "camera_distance_m": self.sensitive_locations.camera_distance_m,
            },
            "warrants": {
                "scope_governs": self.warrants.scope_governs,
                "approval": self.warrants.approval.value,
            },
            "protected_plates": {
                c.value: h.value for c, h in sorted(self.protected_plates.items())
            },
            # absent when nothing is set: a policy without the table keeps its digest
            **(
                {"collection": {"mobile_only": c.mobile_only, "attended": c.attended}}
                if (c := self.collection) != Collection()
                else {}
            ),
            "rules": [
                {"id": r.id, "effect": r.effect.value, "text": r.text, "when": r.when}
                for r in self.extra_rules
            ],
            "sources": None if self.sources is None else self.sources.to_dict(),
        }
