"""Running an allowed query against the read store, and minimising what comes back.

Only what was asked leaves: an exact search returns sightings of that plate (and, if asked,
of its OCR-confusion variants; if it names a state, only reads of that state); a partial
search only plates matching the pattern; an area search only the named cameras in the
window, or only the reads whose own position is inside the named area (fixed or mobile); an
attribute search only reads whose make, colour and body type (and, if given, partial plate)
are those asked for, found through the day-keyed attribute indexes; a convoy search only
vehicles seen with the target at more than one sighting.
Nothing else the store decrypts on the way is returned. A search that names no cameras
reaches every camera except ``excluded`` (those at places the policy protects): their reads
are never returned, not even as convoy companions.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from ..core.errors import InputError
from ..core.plates import MAX_PLATE_LENGTH, US_REGIONS, normalize_plate
from ..core.search import Query, SearchType
from ..geo import Region
from ..store import ReadStore, StoredRead

MAX_RESULTS = 5000
CONVOY_GAP = timedelta(seconds=90)
CONVOY_MIN_SIGHTINGS = 2
_PATTERN = re.compile(rf"[A-Z0-9*?]{{1,{2 * MAX_PLATE_LENGTH}}}")


@dataclass(frozen=True, slots=True)
class Sighting:
    """One returned read: what an investigator needs, nothing more."""

    ref: str
    plate: str
    state: str | None
    observed_at: datetime
    camera_id: str
    latitude: float
    longitude: float
    direction: float | None
    confidence: float
    make: str | None
    colour: str | None
    vehicle_type: str | None
    hit: bool

    @classmethod
    def of(cls, stored: StoredRead) -> Sighting:
        r = stored.read
        return cls(
            ref=stored.ref,
            plate=r.plate,
            state=r.state,
            observed_at=r.observed_at,
            camera_id=r.camera_id,
            latitude=r.latitude,
            longitude=r.longitude,
            direction=r.direction,
            confidence=r.confidence,
            make=r.make,
            colour=r.colour,
            vehicle_type=r.vehicle_type,
            hit=stored.retention.value == "hit",
        )


def compile_pattern(pattern: str) -> re.Pattern[str]:
    """``*`` is any run of characters, ``?`` exactly one; everything else must match itself."""
    text = pattern.upper().replace(" ", "").replace("-", "")
    if not _PATTERN.fullmatch(text):
        raise InputError("pattern may hold only A-Z, 0-9, '*' and '?'", field="pattern")
    if sum(ch.isalnum() for ch in text) < 3:
        raise InputError("pattern needs at least 3 known characters", field="pattern")
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else c for c in text))


def checked_query(query: Query) -> Query:
    """The query with its plate in normal form, or ``InputError`` naming the bad field.

    Run before the policy decides, so a malformed request is refused without a log entry
    that would claim a search was allowed and then never ran.
    """
    if query.window_end <= query.window_start:
        raise InputError("window_end must be after window_start", field="window_end")
    plate = normalize_plate(query.plate) if query.plate is not None else None
    if query.type in (SearchType.EXACT, SearchType.CONVOY) and plate is None:
        raise InputError(f"a {query.type.value} search needs a plate", field="plate")
    if query.type is SearchType.PARTIAL:
        compile_pattern(query.pattern or "")
    if query.area is not None:
        if query.type not in (SearchType.AREA, SearchType.ATTRIBUTE):
            raise InputError(
                f"a {query.type.value} search does not take an area; area and attribute "
                "searches do",
                field="area",
            )
        if query.cameras is not None:
            raise InputError("name cameras or an area, not both", field="area")
        Region(query.area).cells()  # TooLargeError before the policy decides
    if query.type is SearchType.AREA and not query.cameras and query.area is None:
        raise InputError("an area search needs the cameras or the area to search", field="cameras")
    if query.type is SearchType.ATTRIBUTE:
        if query.vehicle is None or not query.vehicle.items():
            raise InputError(
                "an attribute search names at least one of make, colour, vehicle_type",
                field="make",
            )
        if query.pattern:
            compile_pattern(query.pattern)
    state = query.state.strip().upper() if query.state else None
    if state is not None and state not in US_REGIONS:
        raise InputError(f"{state[:12]!r} is not a US state code", field="state")
    return replace(query, plate=plate, state=state)


def run_query(
    store: ReadStore, query: Query, *, excluded: AbstractSet[str] = frozenset()
) -> list[Sighting]:
    """Executes an already-authorised query; a query naming no cameras leaves out the
    ``excluded`` ones. Raises ``InputError`` for a malformed query."""
    if query.cameras is not None:
        excluded = frozenset()  # named cameras were judged one by one
    start, end = query.window_start, query.window_end
    if end <= start:
        raise InputError("window_end must be after window_start", field="window_end")
    if query.type is SearchType.EXACT:
        if not query.plate:
            raise InputError("an exact search needs a plate", field="plate")
        found = store.lookup(
            normalize_plate(query.plate),
            start,
            end,
            variants=query.include_variants,
            cameras=query.cameras,
        )
        kept = [
            s
            for s in found
            if s.read.camera_id not in excluded
            and (query.state is None or s.read.state == query.state)
        ]
        return [Sighting.of(s) for s in kept[:MAX_RESULTS]]
    if query.type is SearchType.PARTIAL:
        regex = compile_pattern(query.pattern or "")
        found_iter = store.scan(
            start,
            end,
            cameras=query.cameras,
            predicate=lambda r: r.camera_id not in excluded and bool(regex.fullmatch(r.plate)),
        )
        return _bounded(found_iter)
    if query.type is SearchType.AREA:
        if query.area is not None:
            return _bounded(
                store.find_in_area(
                    Region(query.area), start, end, predicate=lambda r: r.camera_id not in excluded
                )
            )
        if not query.cameras:
            raise InputError("an area search needs the cameras to search", field="cameras")
        return _bounded(store.scan(start, end, cameras=query.cameras))
    if query.type is SearchType.ATTRIBUTE:
        return _attribute(store, query, excluded)
    if query.type is SearchType.CONVOY:
        return _convoy(store, query, excluded)
    raise InputError(f"unknown search type {query.type!r}", field="type")


def _bounded(found: Iterable[StoredRead]) -> list[Sighting]:
    out: list[Sighting] = []
    for stored in found:
        out.append(Sighting.of(stored))
        if len(out) >= MAX_RESULTS:
            break
    out.sort(key=lambda s: s.observed_at)
    return out


def _attribute(store: ReadStore, query: Query, excluded: AbstractSet[str]) -> list[Sighting]:
    if query.vehicle is None or not query.vehicle.items():
        raise InputError("an attribute search names at least one attribute", field="make")
    regex = compile_pattern(query.pattern) if query.pattern else None
    if query.area is not None:
        return _bounded(
            store.find_in_area(
                Region(query.area),
                query.window_start,
                query.window_end,
                vehicle=query.vehicle,
                predicate=lambda r: (
                    r.camera_id not in excluded
                    and (regex is None or bool(regex.fullmatch(r.plate)))
                ),
            )
        )
    return _bounded(
        store.find_vehicles(
            query.vehicle,
            query.window_start,
            query.window_end,
            cameras=query.cameras,
            predicate=lambda r: (
                r.camera_id not in excluded and (regex is None or bool(regex.fullmatch(r.plate)))
            ),
        )
    )


def _convoy(store: ReadStore, query: Query, excluded: AbstractSet[str]) -> list[Sighting]:
    """Vehicles seen at the same camera within ``CONVOY_GAP`` of the target, at
    ``CONVOY_MIN_SIGHTINGS`` or more of the target's sightings."""
    if not query.plate:
        raise InputError("a convoy search needs the target plate", field="plate")
    target = normalize_plate(query.plate)
    found = store.lookup(target, query.window_start, query.window_end, cameras=query.cameras)
    sightings = [s for s in found if s.read.camera_id not in excluded]
    companions: Counter[str] = Counter()
    seen_with: dict[str, list[StoredRead]] = {}
    for sighting in sightings[:200]:
        at = sighting.read.observed_at
        near = store.scan(at - CONVOY_GAP, at + CONVOY_GAP, cameras=[sighting.read.camera_id])
        plates_here = {}
        for other in near:
            if other.read.plate != target:
                plates_here[other.read.plate] = other
        for plate, other in plates_here.items():
            companions[plate] += 1
            seen_with.setdefault(plate, []).append(other)
    result = [Sighting.of(s) for s in sightings]
    for plate, count in companions.most_common():
        if count >= CONVOY_MIN_SIGHTINGS:
            result.extend(Sighting.of(s) for s in seen_with[plate])
    return result[:MAX_RESULTS]
