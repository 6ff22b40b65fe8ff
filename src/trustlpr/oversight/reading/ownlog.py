"""The same rules over TrustLPR's own transparency log: audit events → ``SearchRecord``s.

The seam is :func:`records_from_audit`: it takes ``(public leaf, private detail)`` pairs, as
the ``trustlpr.audit`` package stores them, so it can be fed from the log, from an export, or
from hand-built dicts in a test. The events of one search (``search_requested``,
``search_decided``, ``search_executed``) are joined on ``request_id`` into one record; the
decided event carries the purpose, decision, requester and (privately) the user, plate, case
number, reason and window. :func:`read_own_log` opens a data directory's log read-only.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ...core.errors import InputError, TrustLPRError
from ...core.events import AuditEvent, EventType
from ..records import SearchRecord

SEARCH_EVENTS = (
    EventType.SEARCH_REQUESTED.value,
    EventType.SEARCH_DECIDED.value,
    EventType.SEARCH_EXECUTED.value,
)
# Our query types, in the words of a Flock export (so the plateless rule reads them alike).
_SEARCH_TYPES = {"exact": "lookup", "partial": "search", "area": "multigeo", "convoy": "convoy",
                 "attribute": "visual"}  # fmt: skip

AuditPair = tuple[Mapping[str, Any], Mapping[str, Any] | None]


def _time(value: Any, index: int) -> datetime:
    if isinstance(value, datetime):
        return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, str) and value.strip():
        text = value.strip().replace("Z", "+00:00").replace("z", "+00:00")
        try:
            moment = datetime.fromisoformat(text)
        except ValueError as exc:
            raise InputError(f"audit entry {index}: time is not ISO 8601", field="time") from exc
        return moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    raise InputError(f"audit entry {index}: no time", field="time")


def _flatten(leaf: Mapping[str, Any]) -> dict[str, Any]:
    """A leaf as stored (``{"type", "agency", "time", "public": {...}}``) or already flat."""
    flat = {k: v for k, v in leaf.items() if k != "public"}
    public = leaf.get("public")
    if isinstance(public, Mapping):
        flat.update(public)
    return flat


def _window(private: Mapping[str, Any]) -> tuple[Any, Any]:
    window = private.get("window")
    if isinstance(window, Mapping):
        return window.get("start"), window.get("end")
    if isinstance(window, list | tuple) and len(window) == 2:
        return window[0], window[1]
    return private.get("window_start"), private.get("window_end")


def _record(
    index: int, source: str, parts: list[tuple[dict[str, Any], Mapping[str, Any]]]
) -> SearchRecord:
    def first(key: str, where: str = "both") -> Any:
        for public, private in parts:
            for mapping in (
                (public, private)
                if where == "both"
                else (private,)
                if where == "private"
                else (public,)
            ):
                value = mapping.get(key)
                if value not in (None, "", []):
                    return value
        return None

    decided = [p for p in parts if p[0].get("type") == EventType.SEARCH_DECIDED.value]
    public0, private0 = (decided or parts)[0]
    at = _time(private0.get("at") or public0.get("at") or public0.get("time"), index)
    counts = first("camera_counts")
    start, end = _window(private0) if any(_window(private0)) else _window(parts[0][1])
    plate = first("plate", "private") or first("pattern", "private")
    search_type = first("search_type", "public")
    return SearchRecord(
        source=source,
        line=index,
        searched_at=at,
        export_id=str(first("request_id") or f"log-{index}"),
        user=first("user_name", "private") or first("user_id", "private"),
        org=first("requester_agency", "public") or first("agency", "public"),
        plate=str(plate).upper().replace(" ", "") if plate else None,
        reason=str(first("reason", "private") or ""),
        case_number=first("case_number", "private"),
        offense=first("offense_code", "private"),
        window_start=_time(start, index) if start else None,
        window_end=_time(end, index) if end else None,
        networks=len(counts) if isinstance(counts, Mapping) else None,
        devices=sum(int(v) for v in counts.values()) if isinstance(counts, Mapping) else None,
        search_type=_SEARCH_TYPES.get(str(search_type), search_type) if search_type else None,
        purpose=first("purpose", "public"),
        decision=first("decision", "public"),
        legal_basis=first("legal_basis"),
        org_state=first("requester_state", "public"),
    )


def records_from_audit(
    pairs: Iterable[AuditPair], *, source: str = "TrustLPR audit log"
) -> Iterator[SearchRecord]:
    """One ``SearchRecord`` per search in the log, joining its events on ``request_id``.

    Events of other types are ignored. Without a ``request_id``, each requested or decided
    event stands alone (executed events without one are skipped: they would double count).
    A pair whose private part is ``None`` (detail not available) gives a record without user,
    plate or reason, as a masked Flock row would.
    """
    searches: dict[str, list[tuple[dict[str, Any], Mapping[str, Any]]]] = {}
    first_index: dict[str, int] = {}
    for index, (leaf, private) in enumerate(pairs):
        public = _flatten(leaf)
        kind = str(public.get("type", ""))
        if kind not in SEARCH_EVENTS:
            continue
        detail: Mapping[str, Any] = private or {}
        request_id = public.get("request_id") or detail.get("request_id")
        if request_id is None:
            if kind == EventType.SEARCH_EXECUTED.value:
                continue
            request_id = f"\x00{index}"
        key = str(request_id)
        searches.setdefault(key, []).append((public, detail))
        first_index.setdefault(key, int(public.get("index", index)))
    for key, parts in searches.items():
        yield _record(first_index[key], source, parts)


def event_pair(event: AuditEvent) -> AuditPair:
    """An in-memory ``AuditEvent`` as a (public, private) pair (tests, live sinks)."""
    public: dict[str, Any] = {"type": event.type.value, "agency": event.agency_id, "at": event.at}
    public["public"] = dict(event.public)
    return public, {"at": event.at, **dict(event.private)}


def read_own_log(data_dir: Path) -> Iterator[AuditPair]:
    """The search events of ``<data_dir>/audit``, read-only, each with its private detail.

    A detail that is missing is given as ``None`` (the record is then masked)."""
    from ...audit import AuditLog, parse_leaf

    log = AuditLog(Path(data_dir) / "audit", readonly=True)
    try:
        details = log.details()
        pending = next(details, None)
        for index, leaf in log.entries():
            value = parse_leaf(leaf)
            while pending is not None and pending.index < index:
                pending = next(details, None)
            private: dict[str, Any] | None = None
            if pending is not None and pending.index == index:
                try:
                    private = {"at": pending.at, **pending.private}
                except (TrustLPRError, ValueError) as exc:
                    raise InputError(f"audit entry {index}: its detail cannot be read") from exc
            if value.get("type") in SEARCH_EVENTS:
                yield {"index": index, **value}, private
    finally:
        log.close()
