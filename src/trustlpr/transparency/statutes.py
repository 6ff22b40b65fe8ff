"""What each shipped policy's statute asks an annual report to hold, as REFERENCE.md reads it.

Each ``Requirement`` quotes word for word what the field reference (``docs/REFERENCE.md`` §2
and §7) says the statute requires and names the figures that answer it. REFERENCE.md cites
sections, never subsections, so every citation is the section, with ``SUBSECTION_NOTE``: the
figure is tied to the section the reference names, and no subsection is invented. A statute
that asks for no report (Maine, California, Illinois as read there) gets the same figures,
marked as published by TrustLPR rather than required.
"""

from __future__ import annotations

from dataclasses import dataclass

SUBSECTION_NOTE = "REFERENCE.md names the section only; the subsection is not stated there"
TRUSTLPR = "TrustLPR: published from the log though the statute does not require it"


@dataclass(frozen=True)
class Figure:
    """One number of the report: ``path`` into ``Tally.figures()``."""

    id: str
    label: str
    path: tuple[str, ...]


@dataclass(frozen=True)
class Requirement:
    """What the statute asks for (quoted from REFERENCE.md) and the figures that answer it."""

    asks: str
    figures: tuple[str, ...]


@dataclass(frozen=True)
class Statute:
    title: str
    citation: str
    report: str  # what REFERENCE.md calls the report the statute asks for ("" if none)
    requirements: tuple[Requirement, ...]


_OUTCOMES = ("no_contact", "stop", "arrest", "recovery", "wrong_vehicle", "other")

FIGURES: tuple[Figure, ...] = (
    Figure("reads", "Plate reads recorded", ("reads", "total")),
    Figure("cameras", "Cameras that reported reads", ("reads", "cameras_reporting")),
    Figure(
        "protected_not_recorded",
        "Reads of protected plates not recorded",
        ("protected", "reads_not_recorded"),
    ),
    Figure("hits", "Hot-list matches (alerts raised)", ("hotlist", "hits")),
    Figure("confirmed", "Alerts confirmed by an officer", ("hotlist", "confirmed")),
    Figure("misreads", "Alerts found to be misreads", ("hotlist", "misreads")),
    Figure("not_the_vehicle", "Alerts on another vehicle", ("hotlist", "not_the_vehicle")),
    Figure(
        "outcomes_recorded", "Confirmed alerts with an outcome", ("hotlist", "outcomes_recorded")
    ),
    *(
        Figure(f"outcome_{o}", f"Outcome: {o.replace('_', ' ')}", ("hotlist", "outcomes", o))
        for o in _OUTCOMES
    ),
    Figure("searches", "Searches requested", ("searches", "total")),
    Figure("searches_allowed", "Searches allowed", ("searches", "allowed")),
    Figure("searches_denied", "Searches denied", ("searches", "denied")),
    Figure("searches_held", "Searches held for approval", ("searches", "held")),
    Figure("searches_run", "Searches run", ("searches", "run")),
    Figure("warrant_allowed", "Searches allowed under a warrant", ("searches", "warrant", "allow")),
    Figure("approved", "Held searches approved", ("approvals", "approved")),
    Figure("rejected", "Held searches rejected", ("approvals", "rejected")),
    Figure("outside", "Requests from other agencies", ("out_of_agency", "requests")),
    Figure("outside_denied", "Requests from other agencies denied", ("out_of_agency", "denied")),
    Figure("federation_in", "Requests from partner nodes", ("federation", "requests_in")),
    Figure("federation_out", "Requests sent to partner nodes", ("federation", "requests_out")),
    Figure("purges", "Retention purges", ("retention", "purges")),
    Figure("reads_purged", "Reads destroyed by retention", ("retention", "reads_purged")),
    Figure("keys_destroyed", "Day keys destroyed", ("retention", "keys_destroyed")),
    Figure(
        "placements_refused",
        "Camera placements refused near sensitive places",
        ("sensitive_places", "placements_refused"),
    ),
    Figure(
        "reads_not_collected",
        "Reads not collected near sensitive places",
        ("sensitive_places", "reads_not_collected"),
    ),
)
BY_ID = {f.id: f for f in FIGURES}
GROUPED = {
    "searches_by_purpose": ("searches", "by_purpose"),
    "searches_by_offense_class": ("searches", "by_offense_class"),
    "placements_refused_by_category": ("sensitive_places", "refused_by_category"),
}
"""Tables of the report: searches by purpose, and by offense class (the class NIBRS and
statute codes resolve to; ``not_recorded`` for entries logged before it was), and decision."""

NOT_IN_LOG: dict[str, str] = {}
"""Figures a statute may want that the public log does not hold, said instead of guessed
(none now: searches by offense class and refused camera placements are logged)."""

_STOPS = tuple(f"outcome_{o}" for o in _OUTCOMES)
_SEARCHES = ("searches", "searches_allowed", "searches_denied", "searches_held", "searches_run")
_SHARING = ("outside", "outside_denied", "federation_in", "federation_out")
_RETENTION = ("purges", "reads_purged", "keys_destroyed")

STATUTES: dict[str, Statute] = {
    "va-2-2-5517": Statute(
        "Virginia",
        "Virginia §2.2-5517",
        "annual de-identified report",
        (
            Requirement(
                "annual de-identified reports, State Police statewide roll-up from 1 Apr 2027",
                (
                    "reads",
                    "cameras",
                    "hits",
                    "confirmed",
                    "misreads",
                    *_SEARCHES,
                    "approved",
                    "rejected",
                    *_SHARING,
                    *_RETENTION,
                ),
            ),
            Requirement(
                "stop records note whether an ALPR alert caused the stop",
                ("outcomes_recorded", *_STOPS),
            ),
        ),
    ),
    "nh-rsa-261-75b": Statute(
        "New Hampshire",
        "RSA 261:75-b",
        "annual report",
        (
            Requirement(
                "annual report of matches, stops and outcomes",
                ("hits", "confirmed", "misreads", "outcomes_recorded", *_STOPS),
            ),
            Requirement("non-hits purged within 3 minutes", ("reads", *_RETENTION)),
        ),
    ),
    "wa-sb-6002": Statute(
        "Washington",
        "Washington SB 6002 (2026)",
        "annual audit",
        (
            Requirement("annual audit", (*_SEARCHES, "warrant_allowed", "approved", "rejected")),
            Requirement("no civil immigration use", _SHARING),
            Requirement("21 days", _RETENTION),
            Requirement(
                "no cameras near schools, places of worship, courthouses, food banks, "
                "immigration facilities",
                ("placements_refused", "reads_not_collected"),
            ),
        ),
    ),
    "ct-pa-26-14": Statute(
        "Connecticut",
        "Connecticut PA 26-14 (2026)",
        "usage reporting",
        (
            Requirement(
                "usage reporting", ("reads", "hits", "confirmed", *_SEARCHES, "warrant_allowed")
            ),
            Requirement(
                "sharing only with Connecticut agencies and with police in MA, NY and RI that "
                "attest",
                _SHARING,
            ),
        ),
    ),
    "mn-13-824": Statute(
        "Minnesota",
        "Minnesota §13.824",
        "audit trail and public log; independent audit every 2 years",
        (Requirement("audit trail and public log", (*_SEARCHES, *_SHARING, *_RETENTION)),),
    ),
    "ca-civ-1798-90": Statute("California", "California Civ. Code 1798.90.5–.55", "", ()),
    "il-625-2-130": Statute("Illinois", "625 ILCS 5/2-130", "", ()),
    "me-29a-2117a": Statute("Maine", "Maine 29-A §2117-A", "", ()),
    "strict-default": Statute("TrustLPR strict default", "TrustLPR strict-default policy", "", ()),
}
