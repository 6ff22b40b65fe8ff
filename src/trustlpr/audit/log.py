"""``AuditLog``: the durable, append-only Merkle log every component writes its events to.

It implements the ``AuditSink`` protocol (core/events.py). An append validates the whole batch
first (nothing is written for a bad event), stores the private detail, appends the public
leaves, fsyncs, extends the hash tiles, and only then returns the indices: an index in hand means
the entry survives a crash. Callers appending at the same time share one write and its fsyncs
(group commit), so concurrent single appends do not each wait for a disk flush of their own.
One process writes (an exclusive ``flock`` on ``audit/lock``); others may open the log
read-only to read entries and proofs.

Others read the public log with ``size``, ``entries(start, end)`` and ``leaf(index)``; auditors
open the private half with ``detail(index)``.
"""

from __future__ import annotations

import fcntl
import os
import secrets
import threading
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from types import TracebackType
from typing import Any

from ..core.errors import AuditError, InputError, NotFoundError, TrustLPRError
from ..core.events import AuditEvent
from .detail import Detail, DetailKeys, DetailState, DetailStore
from .entries import MAX_ENTRY, EntryFile, create_dir
from .leaf import SALT_BYTES, PreparedEntry, parse_leaf, prepare
from .merkle import consistency_proof, inclusion_proof
from .tiles import TILE_WIDTH, TileStore

_SYNCED = "tiles.synced"
_SYNC_EVERY = 64  # tiles (16k entries): bounds what a reopen must re-check


class AuditLog:
    """The transparency log in ``directory`` (normally ``<data_dir>/audit``)."""

    def __init__(
        self, directory: Path, *, readonly: bool = False, detail_keys: DetailKeys | None = None
    ) -> None:
        """``detail_keys`` seal and open the details that describe a read (see ``detail``)."""
        self.directory = Path(directory)
        self.readonly = readonly
        self._lock = threading.RLock()
        self._queue = threading.Condition(threading.Lock())  # guards the two below
        self._pending: list[_Batch] = []
        self._leading = False
        self._broken: str | None = None
        self._lockfd: int | None = None
        if not readonly:
            create_dir(self.directory)
            self._lockfd = _take_lock(self.directory / "lock")
        elif not (self.directory / "entries.bin").exists():
            raise NotFoundError(f"no audit log in {self.directory}")
        try:
            self._entries = EntryFile(self.directory, readonly=readonly)
            self._detail = DetailStore(
                self.directory / "detail.db", readonly=readonly, keys=detail_keys
            )
            if not readonly:
                self._detail.drop_from(self._entries.size)
            self._tiles = TileStore(self.directory, readonly=readonly)
            self._tiles.open(self._entries.size, self._entries.hashes, self._synced_mark())
        except BaseException:
            self._release()
            raise

    # --- the AuditSink protocol ---------------------------------------------------------

    def append(self, event: AuditEvent) -> int:
        """Appends one event durably and returns its index."""
        return self.append_many([event])[0]

    def append_many(self, events: Sequence[AuditEvent]) -> list[int]:
        """Appends events durably (one fsync'd batch) and returns their indices, in order."""
        salts = secrets.token_bytes(SALT_BYTES * len(events))
        prepared: list[PreparedEntry] = []
        for number, event in enumerate(events):
            try:
                salt = salts[number * SALT_BYTES : (number + 1) * SALT_BYTES]
                prepared.append(prepare(event, salt))
            except InputError as exc:
                if len(events) > 1:
                    raise exc.at_line(number) from exc
                raise
        return self._append_prepared(prepared)

    def _append_prepared(self, prepared: Sequence[PreparedEntry]) -> list[int]:
        if not prepared:
            return []
        for number, entry in enumerate(prepared):
            if len(entry.leaf) > MAX_ENTRY:
                raise InputError(
                    f"public part too large: {len(entry.leaf)} bytes (at most {MAX_ENTRY})",
                    line=number if len(prepared) > 1 else None,
                )
        return self._group_commit(prepared)

    def _group_commit(self, prepared: Sequence[PreparedEntry]) -> list[int]:
        """Group commit: the batches of every caller waiting meanwhile are written as one, with
        one round of fsyncs, by whichever caller finds no write under way (the leader); each
        caller returns only once the group holding its batch is durable, or raises that
        group's error (then none of it was acknowledged)."""
        batch = _Batch(prepared)
        with self._queue:
            self._pending.append(batch)
            while not batch.done:
                if self._leading:
                    self._queue.wait()
                    continue
                self._leading = True
                group, self._pending = self._pending, []
                self._queue.release()
                try:
                    self._commit(group)
                finally:
                    self._queue.acquire()
                    self._leading = False
                    self._queue.notify_all()
        if batch.error is not None:
            raise batch.error
        return batch.indices

    def _commit(self, group: Sequence[_Batch]) -> None:
        """Writes a group of batches as one batch; marks each batch done, with its indices or
        with the error that stopped the group."""
        entries = [entry for batch in group for entry in batch.entries]
        try:
            indices = self._write(entries)
        except Exception as exc:
            for batch in group:
                batch.error, batch.done = exc, True
            return
        except BaseException:  # the leader was interrupted: no one may wait for it
            for batch in group:
                batch.error = AuditError("an append was interrupted; reopen the log to check it")
                batch.done = True
            raise
        offset = 0
        for batch in group:
            batch.indices = indices[offset : offset + len(batch.entries)]
            batch.done = True
            offset += len(batch.entries)

    def _write(self, prepared: Sequence[PreparedEntry]) -> list[int]:
        """Writes one batch: detail, entries (fsync'd), tiles; the plain, ungrouped path."""
        with self._lock:
            self._usable_for_writing()
            start = self._entries.size
            self._detail.insert_many(start, prepared)
            try:
                hashes = self._entries.append([p.leaf for p in prepared])
            except TrustLPRError:
                self._detail.drop_from(start)
                raise
            try:
                self._tiles.append(hashes)
                if self._tiles.unsynced >= _SYNC_EVERY:
                    self._sync_locked()
            except AuditError as exc:
                # The entries are durable but the in-memory tree is not: refuse further use
                # until a reopen rebuilds the tiles from the entries.
                self._broken = str(exc)
                raise
            return list(range(start, start + len(prepared)))

    def _usable_for_writing(self) -> None:
        if self.readonly:
            raise AuditError("the audit log was opened read-only")
        if self._broken:
            raise AuditError(f"the audit log needs reopening after an error: {self._broken}")

    # --- reading ------------------------------------------------------------------------

    @property
    def size(self) -> int:
        """Number of entries (as of now for the writer, as of opening for a reader)."""
        return self._entries.size

    @property
    def torn_bytes(self) -> int:
        """Bytes of an unacknowledged torn tail found at open (cut off by the writer)."""
        return self._entries.torn_bytes

    def leaf(self, index: int) -> bytes:
        """The exact public leaf bytes of entry ``index`` (what is hashed into the tree)."""
        return self._entries.read(index)

    def entry(self, index: int) -> dict[str, Any]:
        """The decoded public leaf of entry ``index``."""
        return parse_leaf(self.leaf(index))

    def entries(self, start: int = 0, end: int | None = None) -> Iterator[tuple[int, bytes]]:
        """``(index, leaf_bytes)`` for ``start <= index < end`` (default: to the current size).

        The size is read once, when called; later appends are not included.
        """
        if start < 0 or (end is not None and end < 0):
            raise InputError("entry range must not be negative", field="start")
        size = self.size
        end = size if end is None else min(end, size)
        return enumerate(self._entries.iter_range(start, end), start)

    def checked_entries(self) -> Iterator[tuple[bytes, bytes]]:
        """``(leaf, leaf_hash)`` of every entry, each checked against its index slot: for
        ``verify``, which names the first entry that fails."""
        return self._entries.iter_checked(0, self.size)

    def checked_batches(self) -> Iterator[tuple[list[bytes], list[bytes]]]:
        """``checked_entries`` as ``(leaves, leaf hashes)`` lists of consecutive entries."""
        return self._entries.iter_checked_batches(0, self.size)

    def detail(self, index: int) -> Detail:
        """The private detail of entry ``index``, checked against its commitment. Auditors only."""
        found = self._detail.get(index)
        found.check(self.leaf(index))
        return found

    def details(self, start: int = 0, end: int | None = None) -> Iterator[Detail]:
        """Private details in index order, unchecked (``verify`` checks them). Auditors only."""
        return self._detail.iter_range(start, self.size if end is None else end)

    def detail_digests(
        self, start: int = 0, end: int | None = None
    ) -> Iterator[tuple[int, bytes | None, DetailState]]:
        """``(index, SHA-256(salt || private JSON) or None, state)`` per detail row:
        commitments to compare (None: destroyed with its read, or sealed and no keys here)."""
        return self._detail.iter_digests(start, self.size if end is None else end)

    def shred_read_details(self, before: Mapping[str, datetime]) -> int:
        """Empties the sealed details of reads observed before ``before[class]`` (the purge
        calls this with the read store's cutoffs); returns how many."""
        with self._lock:
            self._usable_for_writing()
            return self._detail.shred(before)

    # --- the tree -----------------------------------------------------------------------

    def root(self, size: int | None = None) -> bytes:
        """The RFC 9162 root hash of the first ``size`` entries (default: all)."""
        with self._lock:
            return self._tiles.root(size)

    def leaf_hash(self, index: int) -> bytes:
        with self._lock:
            self._check_range(index, self.size, "index")
            return self._tiles.node(0, index)

    def inclusion_proof(self, index: int, size: int | None = None) -> list[bytes]:
        """RFC 9162 inclusion proof of entry ``index`` in the tree of ``size`` entries."""
        with self._lock:
            size = self._size_arg(size)
            self._check_range(index, size, "index")
            return inclusion_proof(index, size, self._tiles.subtree)

    def consistency_proof(self, old: int, new: int | None = None) -> list[bytes]:
        """RFC 9162 consistency proof that tree ``old`` is a prefix of tree ``new``."""
        with self._lock:
            new = self._size_arg(new)
            if not 0 <= old <= new:
                raise InputError(f"old size {old} must be between 0 and {new}", field="old")
            return consistency_proof(old, new, self._tiles.subtree)

    def tile(self, level: int, index: int, width: int | None = None) -> bytes:
        """A C2SP hash tile (full, or the first ``width`` hashes of one)."""
        with self._lock:
            return self._tiles.tile(level, index, width)

    def entry_bundle(self, index: int, width: int | None = None) -> bytes:
        """A C2SP entry bundle: each leaf of tile ``index`` as ``u16 length || bytes``."""
        start = index * TILE_WIDTH
        count = TILE_WIDTH if width is None else width
        if index < 0 or start + count > self.size:
            raise NotFoundError(f"entry bundle {index} (width {count}) does not exist (yet)")
        return b"".join(
            len(leaf).to_bytes(2, "big") + leaf for _, leaf in self.entries(start, start + count)
        )

    def stored_tile(self, level: int, index: int) -> bytes | None:
        """The tile bytes on disk, without rebuilding: for verification."""
        return self._tiles.stored(level, index)

    def _size_arg(self, size: int | None) -> int:
        if size is None:
            return self.size
        if not 1 <= size <= self.size:
            raise InputError(f"tree size {size} must be between 1 and {self.size}", field="size")
        return size

    @staticmethod
    def _check_range(index: int, size: int, field: str) -> None:
        if not 0 <= index < size:
            raise InputError(f"index {index} is not below the tree size {size}", field=field)

    # --- tile durability --------------------------------------------------------------

    def sync(self) -> None:
        """Makes the hash tiles durable and records up to which size (checkpoints call this
        before signing; entries themselves are always durable on return from ``append``)."""
        with self._lock:
            if not self.readonly and not self._broken:
                self._sync_locked()

    def _sync_locked(self) -> None:
        self._tiles.sync()
        path = self.directory / _SYNCED
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
            try:
                os.pwrite(fd, self._tiles.size.to_bytes(8, "big"), 0)
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            raise AuditError(f"cannot record the tile sync mark: {exc}") from exc

    def _synced_mark(self) -> int:
        try:
            raw = (self.directory / _SYNCED).read_bytes()
        except FileNotFoundError:
            return 0
        except OSError as exc:
            raise AuditError(f"cannot read the tile sync mark: {exc}") from exc
        return int.from_bytes(raw[:8], "big") if len(raw) >= 8 else 0

    # --- lifecycle ----------------------------------------------------------------------

    def close(self) -> None:
        with self._lock:
            if self._lockfd is not None and not self._broken:
                self._sync_locked()
            self._entries.close()
            self._detail.close()
            self._release()

    def _release(self) -> None:
        if self._lockfd is not None:
            os.close(self._lockfd)
            self._lockfd = None

    def __enter__(self) -> AuditLog:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        mode = "read-only" if self.readonly else "writer"
        return f"AuditLog({str(self.directory)!r}, size={self.size}, {mode})"


class _Batch:
    """One caller's batch waiting in a group commit, and what became of it."""

    __slots__ = ("done", "entries", "error", "indices")

    def __init__(self, entries: Sequence[PreparedEntry]) -> None:
        self.entries = entries
        self.done = False
        self.indices: list[int] = []
        self.error: BaseException | None = None


def writer_running(directory: Path) -> bool:
    """Whether another process holds the log open for writing (e.g. the running service)."""
    try:
        fd = os.open(directory / "lock", os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def _take_lock(path: Path) -> int:
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as exc:
        os.close(fd)
        raise AuditError(
            f"the audit log in {path.parent} is open for writing by another process (the "
            "running service?); read it read-only or through /log/..."
        ) from exc
    return fd
