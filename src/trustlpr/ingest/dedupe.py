"""Merging duplicate reads of one vehicle pass before they reach the store.

Cameras report one passing vehicle several times: per video frame, again as a group, again
as a preview and a final group, again on every tracker update. Two rules make these one read:

1. The same exact plate at the same camera within ``window`` of a read already kept.
   Only the exact plate: a confusable variant (``B``/``8``) may be the hot-listed plate, and
   dropping it could drop an alert.
2. A read whose source links (OpenALPR frame uuids, Frigate object ids) include a link
   already seen at that camera: the next Frigate update of a tracked object.

A *consensus* read (an OpenALPR ``alpr_group``: the agent's verdict over the frames it links)
is never a duplicate of the frame reads it sums up: its plate may differ from theirs (and be
the hot-listed one) and it carries what frames lack (make, colour, body type, direction, a
better confidence). It is a duplicate only of an earlier consensus read with the same plate,
by link (a preview group and its final) or by the window.

The window is anchored on the kept read, so a parked car read continuously yields one read
per window rather than one forever. State is in memory and bounded (least recently used entries
go first); after a restart an early duplicate may be stored once more, which is harmless.
Only the pipeline's writer thread uses a ``Deduper``, so it takes no locks.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from ..core.reads import Read

_MISSING = object()


@dataclass
class Undo:
    """What a ``check`` changed, so a failed batch can be forgotten as if never seen."""

    plates: list[tuple[tuple[str, str], object]] = field(default_factory=list)
    links: list[tuple[tuple[str, str], object]] = field(default_factory=list)


class Deduper:
    """Decides which reads of a batch are duplicates of reads already kept."""

    def __init__(self, window: timedelta, *, capacity: int = 100_000) -> None:
        self.window = window
        self._capacity = capacity
        # (camera, plate) -> (time of the kept read, whether it was a consensus read)
        self._kept: OrderedDict[tuple[str, str], tuple[datetime, bool]] = OrderedDict()
        # (camera, link) -> (recorded by a consensus read, its plate)
        self._links: OrderedDict[tuple[str, str], tuple[bool, str]] = OrderedDict()

    def check(
        self,
        reads: Sequence[Read],
        links: Mapping[int, Sequence[str]] | None = None,
        consensus: Collection[int] = (),
    ) -> tuple[list[bool], Undo]:
        """``keep[i]`` is False for duplicates. Records the kept reads (undo with ``undo``)."""
        keep: list[bool] = []
        undo = Undo()
        links = links or {}
        for i, read in enumerate(reads):
            verdict = i in consensus
            own = [(read.camera_id, link) for link in links.get(i, ())]
            if verdict:  # only an earlier verdict on this plate makes it a repeat
                duplicate = any(self._links.get(key) == (True, read.plate) for key in own)
            else:
                duplicate = any(key in self._links for key in own)
            key = (read.camera_id, read.plate)
            last = self._kept.get(key)
            if (
                last is not None
                and abs(read.observed_at - last[0]) <= self.window
                and (last[1] or not verdict)
            ):
                duplicate = True
            if not duplicate and self.window > timedelta(0):
                undo.plates.append((key, last if last is not None else _MISSING))
                self._kept[key] = (read.observed_at, verdict)
                self._kept.move_to_end(key)
            if not duplicate or not verdict:
                for link_key in own:
                    previous = self._links.get(link_key, _MISSING)
                    if verdict or previous is _MISSING:
                        undo.links.append((link_key, previous))
                        self._links[link_key] = (verdict, read.plate)
            keep.append(not duplicate)
        self._trim()
        return keep, undo

    def undo(self, undo: Undo) -> None:
        for key, previous in reversed(undo.plates):
            if previous is _MISSING:
                self._kept.pop(key, None)
            else:
                assert isinstance(previous, tuple)
                self._kept[key] = previous
        for link_key, before in reversed(undo.links):
            if before is _MISSING:
                self._links.pop(link_key, None)
            else:
                assert isinstance(before, tuple)
                self._links[link_key] = before

    def _trim(self) -> None:
        while len(self._kept) > self._capacity:
            self._kept.popitem(last=False)
        while len(self._links) > self._capacity:
            self._links.popitem(last=False)

    def __len__(self) -> int:
        return len(self._kept)
