"""The normalised shapes every importer produces and every rule and report consumes.

A ``SearchRecord`` is one search as an agency's audit export (or our own audit log) recorded
it, with the export's own row ID and the file and line it came from, so that every finding can
be traced back to the released document. ``HotlistEvent`` is one row of a Flock admin event
log. Neither ever prints a plate or a name in its ``repr``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from ..core.plates import mask_plate

MASK = "***"
"""How Flock exports mask another agency's users, orgs and plates."""


@dataclass(frozen=True, slots=True)
class SearchRecord:
    """One search. ``source``/``line``/``export_id`` are the evidence trail to the original."""

    source: str
    line: int
    searched_at: datetime
    export_id: str | None = None
    user: str | None = None
    org: str | None = None
    plate: str | None = None
    reason: str = ""
    case_number: str | None = None
    offense: str | None = None
    window_start: datetime | None = None
    window_end: datetime | None = None
    networks: int | None = None
    devices: int | None = None
    search_type: str | None = None
    mobile: bool = False
    filters: str | None = None
    text_prompt: str | None = None
    moderation: str | None = None
    masked: bool = False
    purpose: str | None = None
    decision: str | None = None
    legal_basis: str | None = None
    org_state: str | None = None

    def __repr__(self) -> str:
        return (
            f"SearchRecord(source={self.source!r}, line={self.line}, "
            f"export_id={self.export_id!r}, plate={mask_plate(self.plate or '')!r})"
        )


@dataclass(frozen=True, slots=True)
class HotlistEvent:
    """One admin event-log row (hot-list create/update/delete), details parsed to a mapping."""

    source: str
    line: int
    at: datetime
    user: str | None
    event_type: str
    entity_type: str
    details: Mapping[str, str] = field(default_factory=dict)
    event_id: str | None = None

    @property
    def is_entry(self) -> bool:
        """A single hot-list entry (a plate), as opposed to a whole list's settings."""
        return "entry" in self.entity_type.lower()

    def __repr__(self) -> str:
        return (
            f"HotlistEvent(source={self.source!r}, line={self.line}, "
            f"event_type={self.event_type!r}, entity_type={self.entity_type!r})"
        )


@dataclass(frozen=True, slots=True)
class ImportIssue:
    """A problem found while importing: a rejected row, a warning, or a whole file refused.

    ``message`` never quotes a cell: the exports hold real names and plates.
    """

    source: str
    line: int | None
    message: str
    kind: str = "rejected"  # "rejected" | "warning" | "file"

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line is not None else self.source
        return f"{where}: {self.message}"


@dataclass(slots=True)
class FileReport:
    """What happened to one input file."""

    path: str
    kind: str = "unknown"  # "search" | "events" | "error"
    layout: str = ""
    columns: list[str] = field(default_factory=list)
    ignored_columns: int = 0
    rows: int = 0
    rejected: int = 0
    skipped: int = 0
    warnings: int = 0
    duplicates: int = 0
    error: str | None = None

    def to_json(self) -> dict[str, object]:
        return {
            "path": self.path,
            "kind": self.kind,
            "layout": self.layout,
            "columns": list(self.columns),
            "ignored_columns": self.ignored_columns,
            "rows": self.rows,
            "rejected": self.rejected,
            "skipped": self.skipped,
            "warnings": self.warnings,
            "duplicates": self.duplicates,
            "error": self.error,
        }
