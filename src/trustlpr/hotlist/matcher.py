"""Matching reads against hot lists: exact plate and state alert; anything looser is "possible".

Each list is held in memory as a ``ListIndex`` keyed by the plate's confusion key (O/Q→0, I→1,
B→8, S→5, Z→2), so one dictionary lookup per list finds every entry the read could be
confused with. Only a candidate whose plate and state both equal the read's is an alert; a
confusion sibling, a different state or an unknown state is a "possible match" that a person
must check (DESIGN.md principle 5), and only where a misread is plausible (``plausibility``):
a plate read in another state only if the state read was doubtful (its confidence below
``STATE_DOUBT``, or not given) or the plate fits none of that state's formats; a confusion
sibling only if every differing character was doubtful (its confidence below ``CHAR_DOUBT``;
without per-character confidences, every sibling, as before). Possibles are ranked, most
plausible first — except that a policy may let an exact plate-text match
on a read that carries no state (Frigate and many cameras send none) alert, marked "state not
read" (``alert_unknown_state``). Expired entries never match. Edit-distance or wildcard
matching is for investigators' searches, never for alerts.

Lookups take no lock: a list index only grows by appending before it publishes a key, a retired
entry only gets an expiry in the past, and a re-imported list is swapped in as a whole.
"""

from __future__ import annotations

import sys
from array import array
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from ..core.clock import Clock, system_clock
from ..core.plateformats import PlateFormats
from ..core.plates import confusion_key, mask_plate
from ..core.reads import Read

CHAR_DOUBT = 0.9
"""A character read with less confidence than this may be its confusion sibling."""
STATE_DOUBT = 0.9
"""A state read with less confidence than this may be another state."""


class Why(StrEnum):
    """Why a candidate matched: ``EXACT`` raises an alert; so does ``STATE_UNKNOWN`` where the
    policy says so; the others are possible matches."""

    EXACT = "exact"
    CONFUSION = "confusion"
    STATE_DIFFERS = "state_differs"
    STATE_UNKNOWN = "state_unknown"


@dataclass(frozen=True, slots=True)
class Candidate:
    """One hot-list entry a read matched, and how."""

    entry_id: int
    list_id: str
    category: str
    plate: str
    state: str
    why: Why
    plausibility: float = 1.0
    """How likely a misread explains the difference (1 for an exact match); ranks possibles."""

    def __repr__(self) -> str:
        return (
            f"Candidate(entry_id={self.entry_id}, list_id={self.list_id!r}, "
            f"plate={mask_plate(self.plate)!r}, why={self.why.value!r})"
        )


@dataclass(frozen=True, slots=True)
class Match:
    """The verdict for one read: ``alerts`` (exact) and ``possible`` (verify by eye)."""

    alerts: tuple[Candidate, ...] = ()
    possible: tuple[Candidate, ...] = ()

    @property
    def hit(self) -> bool:
        return bool(self.alerts)

    def __bool__(self) -> bool:
        return bool(self.alerts or self.possible)


NO_MATCH = Match()


def _by_plausibility(cand: Candidate) -> float:
    return -cand.plausibility


class Doubt:
    """What one read says about its own doubtful parts, for judging its possible matches.

    ``chars(listed)``: the chance the differing characters were misread — the product over
    them of ``1 - confidence`` when each was below ``CHAR_DOUBT``, 0 as soon as one was read
    confidently; ``CHAR_DOUBT_UNKNOWN`` per character without per-character confidences.
    ``state()``: ``1 - state_confidence`` when below ``STATE_DOUBT``; ``STATE_OFF_FORMAT`` when
    the plate fits none of the read state's formats; ``STATE_DOUBT_UNKNOWN`` without a state
    confidence; else 0. The state part is computed once, on first use.
    """

    __slots__ = ("_chars", "_formats", "_plate", "_read_state", "_state", "_state_conf")

    def __init__(
        self,
        plate: str,
        state: str | None,
        char_confidences: tuple[float, ...] | None,
        state_confidence: float | None,
        formats: PlateFormats | None,
    ) -> None:
        self._plate = plate
        self._read_state = state
        self._chars = char_confidences
        self._state_conf = state_confidence
        self._formats = formats
        self._state: float | None = None

    def chars(self, listed: str) -> float:
        plate, confs = self._plate, self._chars
        chance = 1.0
        for i, (ours, theirs) in enumerate(zip(plate, listed, strict=True)):
            if ours == theirs:
                continue
            if confs is None:
                chance *= CHAR_DOUBT_UNKNOWN
            elif confs[i] >= CHAR_DOUBT:
                return 0.0
            else:
                chance *= 1.0 - confs[i]
        return chance

    def state(self) -> float:
        if self._state is None:
            self._state = self._state_chance()
        return self._state

    def _state_chance(self) -> float:
        chance = 0.0
        if self._state_conf is None:
            chance = STATE_DOUBT_UNKNOWN
        elif self._state_conf < STATE_DOUBT:
            chance = 1.0 - self._state_conf
        formats, state = self._formats, self._read_state
        if formats is not None and state is not None and formats.fits(self._plate, state) is False:
            chance = max(chance, STATE_OFF_FORMAT)
        return chance


CHAR_DOUBT_UNKNOWN = 0.5
STATE_DOUBT_UNKNOWN = 0.5
STATE_OFF_FORMAT = 0.9


class ListIndex:
    """The active entries of one list, in parallel arrays, keyed by confusion key.

    About 200 bytes per entry; the full entry (reason, case, owner) stays in the database.
    """

    __slots__ = ("_by_key", "_cats", "_expires", "_ids", "_plates", "_states", "list_id")

    def __init__(self, list_id: str) -> None:
        self.list_id = list_id
        self._by_key: dict[str, int | tuple[int, ...]] = {}
        self._plates: list[str] = []
        self._states: list[str] = []
        self._cats: list[str] = []
        self._expires = array("d")
        self._ids = array("q")

    def add(self, entry_id: int, plate: str, state: str, category: str, expires: float) -> None:
        """Adds one entry (``expires`` in epoch seconds); readers see it once its key is set."""
        slot = len(self._plates)
        self._plates.append(plate)
        self._states.append(sys.intern(state))
        self._cats.append(sys.intern(category))
        self._expires.append(expires)
        self._ids.append(entry_id)
        key = confusion_key(plate)
        if key == plate:
            key = plate  # share one string object when the plate has no confusable character
        old = self._by_key.get(key)
        if old is None:
            self._by_key[key] = slot
        elif isinstance(old, int):
            self._by_key[key] = (old, slot)
        else:
            self._by_key[key] = (*old, slot)

    def retire(self, entry_id: int, plate: str) -> bool:
        """Makes one entry expire now; True if it was found."""
        for slot in self._slots(confusion_key(plate)):
            if self._ids[slot] == entry_id:
                self._expires[slot] = float("-inf")
                return True
        return False

    def _slots(self, key: str) -> tuple[int, ...]:
        found = self._by_key.get(key)
        if found is None:
            return ()
        return (found,) if isinstance(found, int) else found

    def contains(self, plate: str, state: str, at: float) -> bool:
        """True if an entry with this exact plate and state is active at ``at``."""
        return any(
            self._plates[s] == plate and self._states[s] == state and self._expires[s] > at
            for s in self._slots(confusion_key(plate))
        )

    def active(self, at: float) -> Iterator[tuple[int, str, str, str, float]]:
        """``(entry_id, plate, state, category, expires)`` of every entry active at ``at``."""
        for slot, expires in enumerate(self._expires):
            if expires > at:
                yield (
                    self._ids[slot],
                    self._plates[slot],
                    self._states[slot],
                    self._cats[slot],
                    expires,
                )

    def count(self, at: float) -> int:
        return sum(1 for expires in self._expires if expires > at)

    def __len__(self) -> int:
        return len(self._plates)

    def candidates(
        self, key: str, plate: str, state: str | None, at: float, doubt: Doubt | None = None
    ) -> Iterator[Candidate]:
        """Active entries under ``key``, each judged against the read's plate and state; with
        ``doubt``, a possible match no misread plausibly explains is left out."""
        for slot in self._slots(key):
            if self._expires[slot] <= at:
                continue
            cand_plate, cand_state = self._plates[slot], self._states[slot]
            plausibility = 1.0
            if cand_plate != plate:
                why = Why.CONFUSION
                if doubt is not None:
                    plausibility = doubt.chars(cand_plate)
                    if state is not None and state != cand_state:
                        plausibility *= doubt.state()
            elif state == cand_state:
                why = Why.EXACT
            elif state is None:
                why = Why.STATE_UNKNOWN
            else:
                why = Why.STATE_DIFFERS
                if doubt is not None:
                    plausibility = doubt.state()
            if plausibility <= 0.0:
                continue
            yield Candidate(
                self._ids[slot],
                self.list_id,
                self._cats[slot],
                cand_plate,
                cand_state,
                why,
                plausibility,
            )

    def __repr__(self) -> str:
        return f"ListIndex(list_id={self.list_id!r}, entries={len(self)})"


class HotlistMatcher:
    """Every loaded list; ``match`` is pure (no I/O) and takes about a microsecond on a miss.

    ``alert_unknown_state``: an exact plate match on a read without a state is an alert
    (marked by its ``Why.STATE_UNKNOWN``) instead of a possible match.
    """

    def __init__(
        self,
        clock: Clock = system_clock,
        *,
        alert_unknown_state: bool = False,
        formats: PlateFormats | None = None,
    ) -> None:
        self._clock = clock
        self.formats = formats
        self._lists: tuple[ListIndex, ...] = ()
        self._alerting = (
            frozenset({Why.EXACT, Why.STATE_UNKNOWN})
            if alert_unknown_state
            else frozenset({Why.EXACT})
        )

    @property
    def alert_unknown_state(self) -> bool:
        return Why.STATE_UNKNOWN in self._alerting

    def install(self, index: ListIndex) -> ListIndex | None:
        """Puts ``index`` in place of the list of the same id at once; returns the old one."""
        old = self.get(index.list_id)
        self._lists = (*(i for i in self._lists if i.list_id != index.list_id), index)
        return old

    def remove(self, list_id: str) -> ListIndex | None:
        old = self.get(list_id)
        self._lists = tuple(i for i in self._lists if i.list_id != list_id)
        return old

    def get(self, list_id: str) -> ListIndex | None:
        for index in self._lists:
            if index.list_id == list_id:
                return index
        return None

    @property
    def lists(self) -> tuple[ListIndex, ...]:
        return self._lists

    def match(self, read: Read, at: datetime | None = None) -> Match:
        """Judges one read; entries must be active at ``at`` (default: the clock's now)."""
        return self.match_plate(
            read.plate,
            read.state,
            None if at is None else at.timestamp(),
            char_confidences=read.char_confidences,
            state_confidence=read.state_confidence,
        )

    def match_plate(
        self,
        plate: str,
        state: str | None,
        at: float | None = None,
        *,
        char_confidences: tuple[float, ...] | None = None,
        state_confidence: float | None = None,
    ) -> Match:
        """``match`` for a normalised plate and state; ``at`` in epoch seconds."""
        key = confusion_key(plate)
        found: list[ListIndex] | None = None
        for index in self._lists:
            if key in index._by_key:
                if found is None:
                    found = []
                found.append(index)
        if found is None:
            return NO_MATCH
        when = self._clock().timestamp() if at is None else at
        alerts: list[Candidate] = []
        possible: list[Candidate] = []
        alerting = self._alerting
        doubt = Doubt(plate, state, char_confidences, state_confidence, self.formats)
        for index in found:
            for cand in index.candidates(key, plate, state, when, doubt):
                (alerts if cand.why in alerting else possible).append(cand)
        if not alerts and not possible:
            return NO_MATCH
        if len(possible) > 1:
            possible.sort(key=_by_plausibility)
        return Match(tuple(alerts), tuple(possible))

    def active_count(self, at: datetime | None = None) -> int:
        when = (at or self._clock()).timestamp()
        return sum(index.count(when) for index in self._lists)
