"""The ``ReadStore`` contract every backend fulfils, and the values it returns.

Reads are kept in two retention classes: ``nonhit`` (matched nothing; kept as briefly as the
policy allows) and ``hit`` (matched a hot list; kept longer). Each class is laid out by UTC
day so that expiry removes whole days and destroys their keys.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import Protocol

from ..core.errors import NotFoundError, StoreError
from ..core.reads import Read
from ..core.vehicle import VehicleAttributes
from ..geo import Region


class RetentionClass(StrEnum):
    NONHIT = "nonhit"
    HIT = "hit"


@dataclass(frozen=True, slots=True)
class StoredRead:
    """A read as returned from the store. ``ref`` identifies it (for images, promotion)."""

    ref: str
    read: Read
    retention: RetentionClass


@dataclass
class PurgeReport:
    days_dropped: list[tuple[RetentionClass, date]] = field(default_factory=list)
    rows_deleted: int = 0
    key_ids_destroyed: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class StoreStats:
    reads_total: int
    reads_by_day: dict[str, int]
    hits_total: int
    oldest: datetime | None
    newest: datetime | None


def make_ref(retention: RetentionClass, day: date, row_id: int) -> str:
    """A stored read's reference: ``<class>:<YYYY-MM-DD>:<row id>``."""
    return f"{ref_prefix(retention, day)}{row_id}"


def ref_prefix(retention: RetentionClass, day: date) -> str:
    """``make_ref`` without its row id: made once per partition when a batch is stored."""
    return f"{retention.value}:{day.isoformat()}:"


def parse_ref(ref: str) -> tuple[RetentionClass, date, int]:
    """The parts of a reference; ``NotFoundError`` for anything that is not one."""
    try:
        cls, day, row = ref.split(":")
        return RetentionClass(cls), date.fromisoformat(day), int(row)
    except ValueError as exc:
        raise NotFoundError(f"{ref[:40]!r} is not a read reference") from exc


def partitions(
    reads: Sequence[Read], hits: Sequence[bool] | None
) -> dict[tuple[RetentionClass, date], list[int]]:
    """Indexes of ``reads`` grouped by the (retention class, UTC day) partition they go to."""
    if hits is not None and len(hits) != len(reads):
        raise StoreError("append: hits must have one flag per read")
    groups: dict[tuple[RetentionClass, date], list[int]] = {}
    hit, nonhit = RetentionClass.HIT, RetentionClass.NONHIT
    for i, read in enumerate(reads):
        key = (hit if hits is not None and hits[i] else nonhit, read.observed_at.date())
        members = groups.get(key)  # not setdefault: that builds a list for every read
        if members is None:
            members = groups[key] = []
        members.append(i)
    return groups


class ReadStore(Protocol):
    """Encrypted, day-partitioned storage of reads. Plate text is never stored in plaintext."""

    def append(
        self,
        reads: Sequence[Read],
        *,
        hits: Sequence[bool] | None = None,
        images: Mapping[int, bytes] | None = None,
    ) -> list[str]:
        """Stores a batch durably; ``hits[i]`` puts read i in the hit class; ``images[i]`` is
        the encrypted-at-rest image of read i. Returns the refs of the stored reads."""
        ...

    def lookup(
        self,
        plate: str,
        start: datetime,
        end: datetime,
        *,
        variants: bool = False,
        cameras: Sequence[str] | None = None,
    ) -> list[StoredRead]:
        """Reads of one normalised plate in [start, end) via the per-day blind indexes;
        ``variants`` also finds plates of the same confusion key."""
        ...

    def scan(
        self,
        start: datetime,
        end: datetime,
        *,
        cameras: Sequence[str] | None = None,
        predicate: Callable[[Read], bool] | None = None,
    ) -> Iterator[StoredRead]:
        """Decrypts every read in [start, end) (optionally only at ``cameras``) and yields those
        ``predicate`` accepts. Only for authorised partial and area searches."""
        ...

    def find_vehicles(
        self,
        vehicle: VehicleAttributes,
        start: datetime,
        end: datetime,
        *,
        cameras: Sequence[str] | None = None,
        predicate: Callable[[Read], bool] | None = None,
    ) -> Iterator[StoredRead]:
        """Reads in [start, end) (optionally only at ``cameras``) with ``vehicle``'s make,
        colour and body type, via the per-day attribute blind indexes; only matching rows are
        decrypted. Only for authorised attribute searches."""
        ...

    def find_in_area(
        self,
        region: Region,
        start: datetime,
        end: datetime,
        *,
        vehicle: VehicleAttributes | None = None,
        predicate: Callable[[Read], bool] | None = None,
    ) -> Iterator[StoredRead]:
        """Reads in [start, end) whose own position is inside ``region`` (any camera, fixed or
        mobile), optionally only those with ``vehicle``'s attributes, via the per-day cell
        blind indexes: only reads of the cells the region touches are decrypted. Only for
        authorised area and attribute searches."""
        ...

    def vehicles(self, start: datetime, end: datetime) -> Iterator[tuple[str, str | None]]:
        """The ``(plate, state)`` of every read in [start, end), decrypted in memory: only for
        counting distinct vehicles (``transparency.count_retained_vehicles``)."""
        ...

    def image(self, ref: str) -> bytes | None:
        """The decrypted image stored with a read, or None."""
        ...

    def promote(self, refs: Sequence[str]) -> int:
        """Moves reads into the hit class (matched late, or evidence). Returns how many moved."""
        ...

    def purge(self, nonhit_before: datetime, hit_before: datetime) -> PurgeReport:
        """Removes reads observed before the cut-offs; whole expired days lose their keys."""
        ...

    def stats(self) -> StoreStats: ...

    def close(self) -> None: ...
