"""Merging duplicate reads of one vehicle pass before they reach the store.

Cameras report one passing vehicle several times: per video frame, again as a group, again
as a preview and a final group, again on every tracker update. Two rules make these one read:

1. The same exact plate at the same camera within ``window`` of a read already kept.
   Only the exact plate: a confusable variant (``B``/``8``) may be the hot-listed plate, and
   dropping it could drop an alert.
2. A read whose source links (OpenALPR frame uuids, Frigate object ids) include a link
   already seen at that camera: an ``alpr_group`` that follows its ``alpr_results``.

The window is anchored on the kept read, so a parked car read continuously yields one read
per window rather than one forever. State is in memory and bounded (least recently used entries
go first); after a restart an early duplicate may be stored once more, which is harmless.
Only the pipeline's writer thread uses a ``Deduper``, so it takes no locks.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ..core.reads import Read

_MISSING = object()


@dataclass
class Undo:
    """What a ``check`` changed, so a failed batch can be forgotten as if never seen."""

    plates: list[tuple[tuple[str, str], object]] = field(default_factory=list)
    links: list[tuple[str, str]] = field(default_factory=list)


class Deduper:
    """Decides which reads of a batch are duplicates of reads already kept."""

    def __init__(self, window: timedelta, *, capacity: int = 100_000) -> None:
        self.window = window
        self._capacity = capacity
        self._kept: OrderedDict[tuple[str, str], datetime] = OrderedDict()
        self._links: OrderedDict[tuple[str, str], None] = OrderedDict()

    def check(
        self, reads: Sequence[Read], links: Mapping[int, Sequence[str]] | None = None
    ) -> tuple[list[bool], Undo]:
        """``keep[i]`` is False for duplicates. Records the kept reads (undo with ``undo``)."""
        keep: list[bool] = []
        undo = Undo()
        links = links or {}
        for i, read in enumerate(reads):
            own = [(read.camera_id, link) for link in links.get(i, ())]
            duplicate = any(key in self._links for key in own)
            key = (read.camera_id, read.plate)
            last = self._kept.get(key)
            if last is not None and abs(read.observed_at - last) <= self.window:
                duplicate = True
            if not duplicate and self.window > timedelta(0):
                undo.plates.append((key, last if last is not None else _MISSING))
                self._kept[key] = read.observed_at
                self._kept.move_to_end(key)
            for link_key in own:
                if link_key not in self._links:
                    undo.links.append(link_key)
                    self._links[link_key] = None
            keep.append(not duplicate)
        self._trim()
        return keep, undo

    def undo(self, undo: Undo) -> None:
        for key, previous in reversed(undo.plates):
            if previous is _MISSING:
                self._kept.pop(key, None)
            else:
                assert isinstance(previous, datetime)
                self._kept[key] = previous
        for link_key in undo.links:
            self._links.pop(link_key, None)

    def _trim(self) -> None:
        while len(self._kept) > self._capacity:
            self._kept.popitem(last=False)
        while len(self._links) > self._capacity:
            self._links.popitem(last=False)

    def __len__(self) -> int:
        return len(self._kept)
