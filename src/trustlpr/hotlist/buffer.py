"""Hit-only mode (New Hampshire RSA 261:75-b): non-hit reads live in memory only, briefly.

A read that matched no hot list is never written anywhere; it waits here for the policy's
window (3 minutes in New Hampshire) so that an entry added meanwhile (an Amber alert issued a
minute after the car passed) still matches it. Such late hits are taken out and handed back to
the pipeline, which stores them as hits; everything else vanishes when its window closes.

A read's window starts at the earlier of when it was observed and when it arrived, so a camera
with a fast clock cannot make data linger. The buffer is bounded: when full, the reads closest
to expiry go first (losing a possible late hit is the privacy-safe failure).
"""

from __future__ import annotations

import heapq
import itertools
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta

from ..core.clock import Clock, system_clock
from ..core.errors import InputError
from ..core.reads import Read
from .matcher import Match


@dataclass(frozen=True, slots=True)
class BufferedRead:
    """A non-hit read and its image, held in memory only."""

    read: Read
    image: bytes | None = None

    def __repr__(self) -> str:
        return f"BufferedRead({self.read!r}, image={'yes' if self.image else 'no'})"


class HitOnlyBuffer:
    """Holds non-hit reads for ``window``; thread-safe; never touches the disk."""

    def __init__(
        self, window: timedelta, clock: Clock = system_clock, *, max_reads: int = 500_000
    ) -> None:
        if window <= timedelta(0):
            raise InputError("the hit-only window must be positive", field="window")
        if max_reads < 1:
            raise InputError("must be at least 1", field="max_reads")
        self.window = window
        self._clock = clock
        self._max = max_reads
        self._items: dict[int, BufferedRead] = {}
        self._deadlines: list[tuple[float, int]] = []
        self._seq = itertools.count()
        self._lock = threading.Lock()
        self.dropped_full = 0

    def add(self, read: Read, image: bytes | None = None) -> bool:
        """Keeps ``read`` until its window closes; False if it is already too old to keep."""
        now = self._clock()
        start = min(read.observed_at, now)
        deadline = (start + self.window).timestamp()
        with self._lock:
            self._expire_locked(now.timestamp())
            if deadline <= now.timestamp():
                return False
            while len(self._items) >= self._max and self._deadlines:
                _, seq = heapq.heappop(self._deadlines)
                if self._items.pop(seq, None) is not None:
                    self.dropped_full += 1
            seq = next(self._seq)
            self._items[seq] = BufferedRead(read, image)
            heapq.heappush(self._deadlines, (deadline, seq))
        return True

    def add_many(self, reads: Sequence[Read], images: Mapping[int, bytes] | None = None) -> int:
        """Adds a batch (``images[i]`` belongs to ``reads[i]``); returns how many were kept."""
        images = images or {}
        return sum(self.add(read, images.get(i)) for i, read in enumerate(reads))

    def _expire_locked(self, now: float) -> int:
        gone = 0
        while self._deadlines and self._deadlines[0][0] <= now:
            _, seq = heapq.heappop(self._deadlines)
            if self._items.pop(seq, None) is not None:
                gone += 1
        return gone

    def expire(self) -> int:
        """Drops every read whose window has closed; returns how many went."""
        with self._lock:
            return self._expire_locked(self._clock().timestamp())

    def rematch(self, match: Callable[[Read], Match]) -> list[tuple[BufferedRead, Match]]:
        """Runs ``match`` over the kept reads (e.g. against entries just added).

        Returns every read that matched anything. Reads with an exact alert are removed: they
        are hits now and the caller stores them. Reads with only possible matches stay.
        """
        found: list[tuple[BufferedRead, Match]] = []
        with self._lock:
            self._expire_locked(self._clock().timestamp())
            for seq, item in list(self._items.items()):
                result = match(item.read)
                if result:
                    found.append((item, result))
                    if result.hit:
                        del self._items[seq]
        return found

    def discard(self, read: Read) -> bool:
        """Removes one read (it became a hit some other way); True if it was held."""
        with self._lock:
            for seq, item in self._items.items():
                if item.read == read:
                    del self._items[seq]
                    return True
        return False

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._deadlines.clear()

    def __len__(self) -> int:
        with self._lock:
            self._expire_locked(self._clock().timestamp())
            return len(self._items)

    def __repr__(self) -> str:
        return f"HitOnlyBuffer(window={self.window}, held={len(self._items)})"
