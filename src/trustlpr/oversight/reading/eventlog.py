"""Flock admin event logs: who created, changed or deleted hot-list entries, and how.

The log (``Timestamp, User, Event Type, Entity Type, Entity Details[, Event Id]``) holds one
event per row; ``Entity Details`` is a multi-line ``Key: value`` text (``Hotlist Name``,
``License``, ``State``, ``Reason``, ``Case``, ``Expiry``, ...). It is what signal 16 (stale or
undocumented hot-list entries) needs: an entry with no case number, no reason, or no expiry.
"""

from __future__ import annotations

from datetime import UTC, datetime

from ...core.errors import InputError
from ..records import HotlistEvent, ImportIssue
from .cells import parse_time
from .layout import Layout

MAX_ISSUES = 200


def parse_details(text: str) -> dict[str, str]:
    """``'Hotlist Name: X\\nCase: \\nExpiry: never'`` → ``{'hotlist name': 'X', 'case': '',
    'expiry': 'never'}``; keys lower-cased, values stripped, lines without a colon kept under
    ``'_text'``."""
    details: dict[str, str] = {}
    loose: list[str] = []
    for line in text.replace("\r\n", "\n").split("\n"):
        if not line.strip():
            continue
        key, sep, value = line.partition(":")
        if sep and key.strip() and len(key) <= 40:
            details.setdefault(key.strip().lower(), value.strip())
        else:
            loose.append(line.strip())
    if loose:
        details["_text"] = "\n".join(loose)
    return details


class EventParser:
    """Validates event-log rows into ``HotlistEvent``s, reporting bad rows by line."""

    def __init__(self, layout: Layout, source: str) -> None:
        self.source = source
        ix = layout.index
        self.i_time, self.i_user, self.i_type = ix("timestamp"), ix("user"), ix("event_type")
        self.i_entity, self.i_details, self.i_id = ix("entity_type"), ix("details"), ix("event_id")
        self.need = layout.needed
        self.events: list[HotlistEvent] = []
        self.issues: list[ImportIssue] = []
        self.rejected = self.skipped = 0

    def reject(self, line: int, message: str) -> None:
        self.rejected += 1
        if len(self.issues) < MAX_ISSUES:
            self.issues.append(ImportIssue(self.source, line, message))

    def feed(self, line: int, row: list[str]) -> None:
        if not any(c.strip() for c in row):
            self.skipped += 1
            return
        if len(row) < self.need:
            self.reject(line, f"{len(row)} field(s); the row is truncated or misaligned")
            return
        cell = row[self.i_time]
        if not cell.strip():
            self.reject(line, "field 'Timestamp' is empty")
            return
        try:
            at = datetime.fromtimestamp(parse_time(cell, "Timestamp"), UTC)
        except InputError as exc:
            self.reject(line, exc.message)
            return
        event_type = row[self.i_type].strip().lower()
        if not event_type:
            self.reject(line, "field 'Event Type' is empty")
            return
        self.events.append(
            HotlistEvent(
                source=self.source,
                line=line,
                at=at,
                user=row[self.i_user].strip() or None if self.i_user >= 0 else None,
                event_type=event_type,
                entity_type=row[self.i_entity].strip(),
                details=parse_details(row[self.i_details]),
                event_id=(row[self.i_id].strip() or None) if self.i_id >= 0 else None,
            )
        )
