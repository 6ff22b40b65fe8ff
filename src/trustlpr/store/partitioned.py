"""What every read-store backend shares: sealing, the lookup filter, scans, promotion, expiry.

A backend (SQLite files, PostgreSQL partitions) only moves sealed rows in and out of its
(retention class, UTC day) partitions; everything that decides *which* reads a caller gets —
the blind-index lookup and the filter that keeps only the plate asked for, the camera filter,
the scan window — and everything that decides *what expires* — which days are dropped whole
and lose their keys, where the boundary day is trimmed — is written once, here, so the two
backends cannot drift apart on a privacy rule.
"""

from __future__ import annotations

import threading
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date, datetime, timedelta
from types import MappingProxyType

from ..core.clock import day_start, days_between
from ..core.errors import InputError, KeyDestroyedError
from ..core.plates import confusion_key
from ..core.reads import Read
from ..core.vehicle import VehicleAttributes
from ..geo import Region
from ..keys import DayKeys, KeyRing
from .base import (
    PurgeReport,
    RetentionClass,
    StoredRead,
    StoreStats,
    make_ref,
    parse_ref,
    partitions,
    ref_prefix,
)
from .codec import (
    CONFUSION_DOMAIN,
    IndexMemo,
    SealedRead,
    attribute_index,
    cell_index,
    from_us,
    seal_image,
    seal_many,
    to_us,
    unseal,
    unseal_image,
    unseal_vehicle,
)

Row = tuple[int, int, str, bytes, bytes]
"""``(row id, t_us, camera_id, nonce, ciphertext)``: a sealed row as a backend returns it."""
ImageRow = tuple[int, int, bytes, bytes]
"""``(row id, t_us, nonce, ciphertext)``: a sealed image as a backend stores it."""
SealImages = Callable[[Sequence[int]], list[ImageRow]]
SCAN_CHUNK = 2000
SEAL_CHUNK = 500
"""Reads sealed at a time while a backend writes a partition's rows (``sealed_in_chunks``)."""
ATTRIBUTE_COLUMNS = {"make": "midx", "colour": "kidx", "vehicle_type": "bidx"}
"""The column of each attribute's per-day blind index (``codec.attribute_index``)."""


def keeps_plate(found: str, plate: str, *, variants: bool) -> bool:
    """Whether a decrypted read answers a lookup of ``plate``.

    The blind index is on the confusion key, so an exact lookup also fetches the other members
    of the plate's class ("0S12" for "OS12"); only the plate asked for may be returned.
    ``variants`` asks for the whole class.
    """
    if variants:
        return confusion_key(found) == confusion_key(plate)
    return found == plate


def expires_whole(day: date, cutoff: datetime) -> bool:
    """A day whose every instant is before ``cutoff``: its partition goes and its keys die.

    A cutoff at exactly midnight after the day ends the day: nothing of it may be kept.
    """
    return day_start(day) + timedelta(days=1) <= cutoff


def expires_partly(day: date, cutoff: datetime) -> bool:
    """A day that starts before ``cutoff`` and ends after it: trimmed row by row."""
    return day_start(day) < cutoff < day_start(day) + timedelta(days=1)


def sealed_in_chunks(
    reads: Sequence[Read], keys: DayKeys, retention: str, memo: IndexMemo
) -> Iterator[SealedRead]:
    """``seal_many`` of ``reads``, ``SEAL_CHUNK`` at a time as the rows are consumed.

    A backend that streams its rows (PostgreSQL's ``COPY``) sends the first chunks while the
    later ones are sealed, so the server parses and indexes them on the other core instead of
    waiting for the whole batch to be sealed first (docs/performance.md, PostgreSQL)."""
    for start in range(0, len(reads), SEAL_CHUNK):
        yield from seal_many(reads[start : start + SEAL_CHUNK], keys, retention, memo)


class DayPartitionedStore(ABC):
    """``ReadStore`` on day partitions; subclasses implement the row primitives below.

    One lock serialises access (the web face calls from several threads). ``rings`` are the
    key rings the store seals with and destroys through: pass the same instances to anything
    else that derives keys from them, so a destroyed day is gone for every user at once.
    """

    def __init__(self, rings: Mapping[RetentionClass, KeyRing]) -> None:
        self._rings = dict(rings)
        self._lock = threading.RLock()
        self._days: dict[RetentionClass, set[date]] = {cls: set() for cls in RetentionClass}

    @property
    def rings(self) -> Mapping[RetentionClass, KeyRing]:
        """The key rings of this store, one per retention class (read-only view)."""
        return MappingProxyType(self._rings)

    # -- what a backend provides ------------------------------------------------------------

    @abstractmethod
    def _insert(
        self,
        cls: RetentionClass,
        day: date,
        rows: Iterable[SealedRead],
        count: int,
        images: SealImages,
    ) -> list[int]:
        """Stores the ``count`` ``rows`` in one transaction, with the image rows that
        ``images(row_ids)`` returns (call it exactly once: it also names the refs); returns
        the row ids in order. Creates the partition if needed. ``rows`` is sealed as it is
        iterated (``sealed_in_chunks``): consume it once, inside the transaction, so a
        sealing error rolls the whole batch back."""

    @abstractmethod
    def _by_index(self, cls: RetentionClass, day: date, cidx: int, lo: int, hi: int) -> list[Row]:
        """Rows of the partition with blind index ``cidx`` and ``lo <= t < hi``."""

    def _by_indexes(
        self, probes: Sequence[tuple[RetentionClass, date, int]], lo: int, hi: int
    ) -> list[list[Row]]:
        """``_by_index`` of every ``(class, day, cidx)`` probe, in order: one query per
        partition here; a backend that can ask for all of them at once overrides this."""
        return [self._by_index(cls, day, cidx, lo, hi) for cls, day, cidx in probes]

    @abstractmethod
    def _by_attributes(
        self,
        cls: RetentionClass,
        day: date,
        wanted: Mapping[str, int],
        lo: int,
        hi: int,
        cameras: Sequence[str] | None,
    ) -> list[Row]:
        """Rows with ``lo <= t < hi`` whose index column ``ATTRIBUTE_COLUMNS[kind]`` equals
        ``wanted[kind]`` for every kind given, at one of ``cameras`` when given."""

    @abstractmethod
    def _by_cells(
        self,
        cls: RetentionClass,
        day: date,
        cells: Sequence[int],
        wanted: Mapping[str, int],
        lo: int,
        hi: int,
    ) -> list[Row]:
        """Rows with ``lo <= t < hi`` whose cell index ``gidx`` is one of ``cells`` or NULL
        (a row stored before the column existed: only its decrypted position can tell), and
        whose attribute indexes equal ``wanted`` as in ``_by_attributes``."""

    @abstractmethod
    def _chunk(
        self,
        cls: RetentionClass,
        day: date,
        after: int,
        lo: int,
        hi: int,
        cameras: Sequence[str] | None,
    ) -> list[Row]:
        """Up to ``SCAN_CHUNK`` rows with id > ``after``, ``lo <= t < hi`` and (if given) a
        camera in ``cameras``, by ascending id."""

    @abstractmethod
    def _row(self, cls: RetentionClass, day: date, row_id: int) -> Row | None: ...

    @abstractmethod
    def _image(self, cls: RetentionClass, day: date, row_id: int) -> tuple[bytes, bytes] | None:
        """``(nonce, ciphertext)`` of the image stored with a row, or None."""

    @abstractmethod
    def _delete(self, cls: RetentionClass, day: date, row_id: int) -> None:
        """Removes one row and its image."""

    @abstractmethod
    def _drop(self, cls: RetentionClass, day: date) -> None:
        """Removes the whole partition (its files or tables)."""

    @abstractmethod
    def _trim(self, cls: RetentionClass, day: date, before_us: int) -> int:
        """Deletes the rows (and images) with ``t < before_us``; returns how many reads."""

    @abstractmethod
    def _count(self, cls: RetentionClass, day: date) -> tuple[int, int | None, int | None]:
        """``(rows, min t, max t)`` of a partition."""

    @abstractmethod
    def close(self) -> None: ...

    # -- writing ------------------------------------------------------------------------

    def append(
        self,
        reads: Sequence[Read],
        *,
        hits: Sequence[bool] | None = None,
        images: Mapping[int, bytes] | None = None,
    ) -> list[str]:
        refs = [""] * len(reads)
        with self._lock:
            for (cls, day), members in partitions(reads, hits).items():
                keys = self._rings[cls].get(day, create=True)
                memo: IndexMemo = {}  # this batch's attribute indexes of the day
                sealed = sealed_in_chunks([reads[i] for i in members], keys, cls.value, memo)

                def seal_images(
                    ids: Sequence[int],
                    cls: RetentionClass = cls,
                    day: date = day,
                    keys: DayKeys = keys,
                    members: list[int] = members,
                ) -> list[ImageRow]:
                    rows: list[ImageRow] = []
                    prefix = ref_prefix(cls, day)
                    for row_id, i in zip(ids, members, strict=True):
                        refs[i] = f"{prefix}{row_id}"
                        if images and i in images:
                            nonce, ct = seal_image(images[i], keys, cls.value, refs[i])
                            rows.append((row_id, to_us(reads[i].observed_at), nonce, ct))
                    return rows

                self._insert(cls, day, sealed, len(members), seal_images)
                self._days[cls].add(day)
        return refs

    def promote(self, refs: Sequence[str]) -> int:
        moved = 0
        with self._lock:
            for ref in refs:
                cls, day, row_id = parse_ref(ref)
                if cls is RetentionClass.HIT or day not in self._days[cls]:
                    continue
                row = self._row(cls, day, row_id)
                if row is None:
                    continue
                _, t_us, camera, nonce, ct = row
                read = unseal(self._rings[cls].get(day), cls.value, t_us, camera, nonce, ct)
                image = self.image(ref)
                self.append([read], hits=[True], images={0: image} if image else None)
                self._delete(cls, day, row_id)
                moved += 1
        return moved

    # -- reading ------------------------------------------------------------------------

    def _keys(self, cls: RetentionClass, day: date) -> DayKeys | None:
        """The day's keys if the partition exists and its keys were not destroyed."""
        if day not in self._days[cls]:
            return None
        try:
            return self._rings[cls].get(day)
        except KeyDestroyedError:
            return None

    def lookup(
        self,
        plate: str,
        start: datetime,
        end: datetime,
        *,
        variants: bool = False,
        cameras: Sequence[str] | None = None,
    ) -> list[StoredRead]:
        cidx_of = confusion_key(plate)
        lo, hi = to_us(start), to_us(end)
        camera_set = set(cameras) if cameras is not None else None
        found: list[StoredRead] = []
        with self._lock:
            opened = [
                (cls, day, keys)
                for cls in RetentionClass
                for day in days_between(start, end)
                if (keys := self._keys(cls, day)) is not None
            ]
            probes = [
                (cls, day, keys.blind_index(CONFUSION_DOMAIN, cidx_of)) for cls, day, keys in opened
            ]
            for (cls, day, keys), rows in zip(
                opened, self._by_indexes(probes, lo, hi), strict=True
            ):
                for row_id, t_us, camera, nonce, ct in rows:
                    if camera_set is not None and camera not in camera_set:
                        continue
                    read = unseal(keys, cls.value, t_us, camera, nonce, ct)
                    if keeps_plate(read.plate, plate, variants=variants):
                        found.append(StoredRead(make_ref(cls, day, row_id), read, cls))
        found.sort(key=lambda s: s.read.observed_at)
        return found

    def find_vehicles(
        self,
        vehicle: VehicleAttributes,
        start: datetime,
        end: datetime,
        *,
        cameras: Sequence[str] | None = None,
        predicate: Callable[[Read], bool] | None = None,
    ) -> Iterator[StoredRead]:
        """Reads in [start, end) whose make, colour and body type mean ``vehicle``'s, found
        through each day's attribute blind indexes: only matching rows are decrypted. A day
        whose keys were destroyed has no index left to compute, so nothing of it is found."""
        if not vehicle.items():
            raise InputError("an attribute search names at least one attribute", field="make")
        lo, hi = to_us(start), to_us(end)
        camera_list = list(cameras) if cameras is not None else None
        for cls in RetentionClass:
            for day in days_between(start, end):
                with self._lock:
                    keys = self._keys(cls, day)
                    if keys is None:
                        continue
                    wanted = {
                        kind: attribute_index(keys, kind, value) for kind, value in vehicle.items()
                    }
                    rows = self._by_attributes(
                        cls, day, {k: v for k, v in wanted.items() if v is not None}, lo, hi,
                        camera_list,
                    )  # fmt: skip
                for row_id, t_us, camera, nonce, ct in rows:
                    read = unseal(keys, cls.value, t_us, camera, nonce, ct)
                    # a 64-bit index can collide: the decrypted values decide
                    if vehicle.matches(read.make, read.colour, read.vehicle_type) and (
                        predicate is None or predicate(read)
                    ):
                        yield StoredRead(make_ref(cls, day, row_id), read, cls)

    def find_in_area(
        self,
        region: Region,
        start: datetime,
        end: datetime,
        *,
        vehicle: VehicleAttributes | None = None,
        predicate: Callable[[Read], bool] | None = None,
    ) -> Iterator[StoredRead]:
        """Reads in [start, end) captured inside ``region`` — by any camera, fixed or mobile —
        and, when given, with ``vehicle``'s attributes. Each day's rows are selected by the
        blind indexes of the grid cells the region touches; only those are decrypted, and a
        read is kept only if its exact position is inside. A day whose keys were destroyed
        has no index left to compute, so nothing of it is found."""
        cells = region.cells()
        lo, hi = to_us(start), to_us(end)
        for cls in RetentionClass:
            for day in days_between(start, end):
                with self._lock:
                    keys = self._keys(cls, day)
                    if keys is None:
                        continue
                    wanted: dict[str, int] = {}
                    for kind, value in vehicle.items() if vehicle is not None else ():
                        index = attribute_index(keys, kind, value)
                        if index is not None:
                            wanted[kind] = index
                    indexes = [cell_index(keys, cell) for cell in cells]
                    rows = self._by_cells(cls, day, indexes, wanted, lo, hi)
                for row_id, t_us, camera, nonce, ct in rows:
                    read = unseal(keys, cls.value, t_us, camera, nonce, ct)
                    if not region.contains(read.latitude, read.longitude):
                        continue
                    if vehicle is not None and not vehicle.matches(
                        read.make, read.colour, read.vehicle_type
                    ):
                        continue
                    if predicate is None or predicate(read):
                        yield StoredRead(make_ref(cls, day, row_id), read, cls)

    def scan(
        self,
        start: datetime,
        end: datetime,
        *,
        cameras: Sequence[str] | None = None,
        predicate: Callable[[Read], bool] | None = None,
    ) -> Iterator[StoredRead]:
        for cls, day, keys, chunk in self._chunks(start, end, cameras):
            for row_id, t_us, camera, nonce, ct in chunk:
                read = unseal(keys, cls.value, t_us, camera, nonce, ct)
                if predicate is None or predicate(read):
                    yield StoredRead(make_ref(cls, day, row_id), read, cls)

    def vehicles(self, start: datetime, end: datetime) -> Iterator[tuple[str, str | None]]:
        for cls, _, keys, chunk in self._chunks(start, end, None):
            for _, t_us, camera, nonce, ct in chunk:
                yield unseal_vehicle(keys, cls.value, t_us, camera, nonce, ct)

    def _chunks(
        self, start: datetime, end: datetime, cameras: Sequence[str] | None
    ) -> Iterator[tuple[RetentionClass, date, DayKeys, list[Row]]]:
        """The sealed rows in [start, end), a chunk at a time, with the keys that open them."""
        lo, hi = to_us(start), to_us(end)
        camera_list = list(cameras) if cameras is not None else None
        for cls in RetentionClass:
            for day in days_between(start, end):
                last_id = -1
                while True:
                    with self._lock:  # per chunk: a long scan does not stall ingest
                        keys = self._keys(cls, day)
                        if keys is None:
                            break
                        chunk = self._chunk(cls, day, last_id, lo, hi, camera_list)
                    if not chunk:
                        break
                    last_id = chunk[-1][0]
                    yield cls, day, keys, chunk

    def image(self, ref: str) -> bytes | None:
        cls, day, row_id = parse_ref(ref)
        with self._lock:
            keys = self._keys(cls, day)
            found = None if keys is None else self._image(cls, day, row_id)
            if keys is None or found is None:
                return None
            return unseal_image(keys, cls.value, ref, found[0], found[1])

    # -- expiry -------------------------------------------------------------------------

    def purge(self, nonhit_before: datetime, hit_before: datetime) -> PurgeReport:
        """Drops every day that ended by its class's cutoff and destroys its keys — also keys
        with no partition (made for a day whose reads never reached the disk, or left by a
        crash) — and trims the day the cutoff falls in."""
        report = PurgeReport()
        cutoffs = {RetentionClass.NONHIT: nonhit_before, RetentionClass.HIT: hit_before}
        with self._lock:
            for cls, cutoff in cutoffs.items():
                ring = self._rings[cls]
                for day in sorted(self._days[cls] | set(ring.days())):
                    if expires_whole(day, cutoff):
                        if day in self._days[cls]:
                            # a dropped day's reads are deleted reads too: the purge event's
                            # count (the portal's "reads destroyed") must include them
                            report.rows_deleted += self._count(cls, day)[0]
                            self._drop(cls, day)
                            self._days[cls].discard(day)
                        report.days_dropped.append((cls, day))
                        key_id = ring.destroy(day)
                        if key_id:
                            report.key_ids_destroyed.append(key_id)
                    elif expires_partly(day, cutoff) and day in self._days[cls]:
                        report.rows_deleted += self._trim(cls, day, to_us(cutoff))
        return report

    # -- statistics ---------------------------------------------------------------------

    def stats(self) -> StoreStats:
        by_day: dict[str, int] = {}
        hits = 0
        oldest: int | None = None
        newest: int | None = None
        with self._lock:
            for cls in RetentionClass:
                for day in sorted(self._days[cls]):
                    count, lo, hi = self._count(cls, day)
                    if not count or lo is None or hi is None:
                        continue
                    by_day[day.isoformat()] = by_day.get(day.isoformat(), 0) + count
                    hits += count if cls is RetentionClass.HIT else 0
                    oldest = lo if oldest is None else min(oldest, lo)
                    newest = hi if newest is None else max(newest, hi)
        return StoreStats(
            reads_total=sum(by_day.values()),
            reads_by_day=dict(sorted(by_day.items())),
            hits_total=hits,
            oldest=from_us(oldest) if oldest is not None else None,
            newest=from_us(newest) if newest is not None else None,
        )
