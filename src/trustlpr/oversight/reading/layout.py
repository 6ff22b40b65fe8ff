"""Which file is this, and where are its columns? Decided by header names, never positions.

Agencies release the Flock audit in many shapes (8, 9, 10, 13 columns; ``ID`` first or
absent; headers with stray spaces or underscores; extra blank or formula columns; a title row
above the header). ``find_layout`` looks at the first rows, picks the header row, and maps
every known column to its canonical field; a file that is not an export gets a
``FormatError`` naming the columns it lacks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ...core.errors import FormatError
from .cells import DISPLAY, EVENT_BY_KEY, SEARCH_BY_KEY, header_key

HEADER_SCAN_ROWS = 10
SEARCH_REQUIRED = ("search_time", "reason")
SEARCH_CONTEXT = ("user", "org", "networks", "devices", "plate", "time_frame", "tf_start", "id")
EVENT_REQUIRED = ("timestamp", "event_type", "entity_type", "details")


@dataclass(frozen=True)
class Layout:
    """Where each canonical field sits in a row of one file (or sheet)."""

    kind: str  # "search" | "events"
    header_row: int  # 1-based physical row of the header
    columns: dict[str, int]
    width: int
    name: str
    ignored: tuple[int, ...] = ()
    duplicates: tuple[str, ...] = ()
    portal: bool = False
    extra: dict[str, object] = field(default_factory=dict)

    def index(self, name: str) -> int:
        return self.columns.get(name, -1)

    @property
    def needed(self) -> int:
        """How many cells a row must have to reach every mapped column."""
        return max(self.columns.values()) + 1 if self.columns else 0


def _map(cells: Sequence[object], by_key: dict[str, str]) -> tuple[dict[str, int], list[str]]:
    columns: dict[str, int] = {}
    duplicates: list[str] = []
    for position, cell in enumerate(cells):
        name = by_key.get(header_key(cell))
        if name is None:
            continue
        if name in columns:
            duplicates.append(DISPLAY.get(name, name))
        else:
            columns[name] = position
    return columns, duplicates


def _layout_name(columns: dict[str, int], width: int, portal: bool, kind: str) -> str:
    if kind == "events":
        return "admin event log"
    if portal:
        return "transparency-portal search audit"
    if "tf_start" in columns:
        return f"{len(columns)}-column export (split time frame)"
    return f"{len(columns)}-column Flock audit"


def _describe_found(cells: Sequence[object]) -> str:
    """The header cells, but only if they look like headers: a data row may hold a name."""
    texts = [str(c).strip() for c in cells if c is not None and str(c).strip()]
    if not texts:
        return "the first rows are empty"
    if any(any(ch.isdigit() for ch in t) or len(t) > 40 for t in texts):
        return "the first row does not look like a header row"
    shown = ", ".join(repr(t) for t in texts[:12])
    return f"found {shown}" + (" …" if len(texts) > 12 else "")


def find_layout(rows: Sequence[Sequence[object]], source: str) -> Layout:
    """Chooses the header row among the first rows and maps its columns.

    Raises ``FormatError`` naming what is missing when no row is a search-export or
    event-log header.
    """
    best: tuple[int, int, dict[str, int], list[str], str] | None = None
    for number, cells in enumerate(rows[:HEADER_SCAN_ROWS], start=1):
        for kind, by_key in (("search", SEARCH_BY_KEY), ("events", EVENT_BY_KEY)):
            columns, duplicates = _map(cells, by_key)
            required = EVENT_REQUIRED if kind == "events" else SEARCH_REQUIRED
            score = sum(1 for r in required if r in columns) * 10 + len(columns)
            if kind == "search" and not any(c in columns for c in SEARCH_CONTEXT):
                score -= 5
            if best is None or score > best[0]:
                best = (score, number, columns, duplicates, kind)
    if best is None:
        raise FormatError(f"{source}: the file is empty; no header row found")
    _, number, columns, duplicates, kind = best
    required = EVENT_REQUIRED if kind == "events" else SEARCH_REQUIRED
    missing = [repr(DISPLAY[r]) for r in required if r not in columns]
    if kind == "search" and not missing and not any(c in columns for c in SEARCH_CONTEXT):
        missing.append("one of " + ", ".join(repr(DISPLAY[c]) for c in SEARCH_CONTEXT))
    if missing or len(columns) < 3:
        header_cells = rows[number - 1] if rows else ()
        raise FormatError(
            f"{source}: not a Flock search audit export or admin event log: missing column(s) "
            f"{', '.join(missing) or '(too few known columns)'} "
            f"in the header ({_describe_found(header_cells)})"
        )
    header = rows[number - 1]
    keys = [header_key(c) for c in header]
    portal = kind == "search" and "userid" in keys and "searchdate" in keys
    mapped = set(columns.values())
    ignored = tuple(i for i in range(len(header)) if i not in mapped)
    return Layout(
        kind=kind,
        header_row=number,
        columns=columns,
        width=len(header),
        name=_layout_name(columns, len(header), portal, kind),
        ignored=ignored,
        duplicates=tuple(duplicates),
        portal=portal,
    )
