"""Hash tiles in the C2SP tlog-tiles layout: why a proof costs O(log n) reads.

A tile at level ``L``, index ``N`` holds the 256 hashes of tree level ``8·L`` covering nodes
``N·256 … N·256+255``; the 7 levels above them are recomputed from the tile on demand (and kept
in a small LRU). Full tiles are files ``tile/<L>/<x001/x234/067>`` written once, fsync'd in
order; the incomplete right edge of each level lives in memory and is rebuilt on open from at
most 255 hashes per level, so reopening never rereads every leaf. Tiles are derived data (the
index holds every leaf hash, fsync'd), so they are written without waiting and fsync'd in
batches by :meth:`TileStore.sync`; on open, tiles written after the last sync are checked
against the index and rewritten if a crash lost or garbled them.
"""

from __future__ import annotations

import hashlib
import logging
import os
import re
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..core.errors import AuditError, InputError, NotFoundError
from .merkle import EMPTY_ROOT, HASH_SIZE, fold_right, perfect_pieces

TILE_HEIGHT = 8
TILE_WIDTH = 1 << TILE_HEIGHT
TILE_BYTES = TILE_WIDTH * HASH_SIZE
MAX_LEVELS = 6  # C2SP allows tile levels 0..5: 2**48 leaves
_CACHE_TILES = 1024
_log = logging.getLogger(__name__)

LeafHashes = Callable[[int, int], list[bytes]]
"""``leaf_hashes(start, end)``: the leaf hashes of entries ``[start, end)``, read from entries."""


@dataclass(frozen=True, slots=True)
class TileRef:
    """A parsed C2SP tile path; ``level`` is ``None`` for an entry bundle."""

    level: int | None
    index: int
    width: int | None = None


def encode_index(index: int) -> str:
    """C2SP index encoding: 1234067 → ``x001/x234/067``."""
    if index < 0:
        raise InputError("tile index must not be negative", field="index")
    groups = []
    while True:
        groups.append(f"{index % 1000:03d}")
        index //= 1000
        if index == 0:
            break
    groups.reverse()
    return "/".join([f"x{g}" for g in groups[:-1]] + [groups[-1]])


def tile_path(level: int | None, index: int, width: int | None = None) -> str:
    """``tile/<L>/<N>[.p/<W>]``, or ``tile/entries/<N>[.p/<W>]`` when ``level`` is None."""
    name = "entries" if level is None else str(level)
    suffix = f".p/{width}" if width is not None and width < TILE_WIDTH else ""
    return f"tile/{name}/{encode_index(index)}{suffix}"


_TILE_RE = re.compile(r"(?:tile/)?(entries|[0-5])/((?:x\d{3}/)*\d{3})(?:\.p/(\d{1,3}))?")


def parse_tile_path(path: str) -> TileRef:
    """Parses a C2SP tile path (with or without the ``tile/`` prefix); ``InputError`` if bad."""
    match = _TILE_RE.fullmatch(path.strip("/"))
    if not match:
        raise InputError(
            f"{path!r} is not a tile path like '0/x001/234' or '1/007.p/12'", field="path"
        )
    level_text, index_text, width_text = match.groups()
    index = int(index_text.replace("x", "").replace("/", ""))
    width = None
    if width_text is not None:
        width = int(width_text)
        if not 1 <= width < TILE_WIDTH or width_text != str(width):
            raise InputError(f"partial tile width must be 1..255, got {width_text}", field="path")
    level = None if level_text == "entries" else int(level_text)
    return TileRef(level, index, width)


def tile_levels(row: bytes) -> list[bytes]:
    """The perfect subtree levels above a row of hashes: ``levels[r]`` holds level-``r`` nodes."""
    levels = [row]
    current = row
    while len(current) >= 2 * HASH_SIZE:
        usable = len(current) - len(current) % (2 * HASH_SIZE)
        current = b"".join(
            hashlib.sha256(b"\x01" + current[i : i + 2 * HASH_SIZE]).digest()
            for i in range(0, usable, 2 * HASH_SIZE)
        )
        levels.append(current)
    return levels


def _slot(blob: bytes, position: int) -> bytes:
    return blob[position * HASH_SIZE : (position + 1) * HASH_SIZE]


class TileStore:
    """Full tiles on disk, the right edge in memory. Not thread-safe: the log holds the lock."""

    def __init__(self, directory: Path, *, readonly: bool = False) -> None:
        self._dir = directory
        self._readonly = readonly
        self._size = 0
        self._full = [0] * MAX_LEVELS
        self._rows: list[list[bytes]] = [[] for _ in range(MAX_LEVELS)]
        self._cache: OrderedDict[tuple[int, int], list[bytes]] = OrderedDict()
        self._edge: dict[int, tuple[int, int, list[bytes]]] = {}
        self._overlay: dict[tuple[int, int], bytes] = {}
        self._unsynced: list[Path] = []
        self._source: LeafHashes = _no_source
        self.rebuilt = 0

    @property
    def size(self) -> int:
        return self._size

    def open(self, size: int, leaf_hashes: LeafHashes, synced: int = 0) -> None:
        """Loads the state for a log of ``size`` entries.

        Tiles covering entries below ``synced`` were fsync'd before that mark was recorded and
        are trusted; later ones may be missing or stale after a crash, so they are checked
        against the index's leaf hashes (bounded work: what was appended since the last sync)
        and rewritten where they differ.
        """
        if size >= 1 << (TILE_HEIGHT * MAX_LEVELS):
            raise AuditError(f"a log of {size} entries exceeds the tile layout")
        self._size = size
        self._source = leaf_hashes
        synced = min(max(synced, 0), size)
        for level in range(MAX_LEVELS):
            shift = TILE_HEIGHT * (level + 1)
            expected = size >> shift
            for index in range(synced >> shift, expected):
                want = self._rebuild(level, index, leaf_hashes)
                if self.stored(level, index) != want and self._overlay.get((level, index)) != want:
                    self._write(level, index, want)
                    self.rebuilt += 1
            self._full[level] = expected
            first, last = expected * TILE_WIDTH, size >> (TILE_HEIGHT * level)
            if level == 0:
                self._rows[0] = leaf_hashes(first, last)
            else:
                self._rows[level] = [self._tree(level - 1, i)[-1] for i in range(first, last)]

    def _rebuild(self, level: int, index: int, leaf_hashes: LeafHashes) -> bytes:
        start = index * TILE_WIDTH
        if level == 0:
            return b"".join(leaf_hashes(start, start + TILE_WIDTH))
        return b"".join(self._tree(level - 1, i)[-1] for i in range(start, start + TILE_WIDTH))

    @property
    def unsynced(self) -> int:
        """Tiles written since the last :meth:`sync`."""
        return len(self._unsynced)

    def sync(self) -> None:
        """Makes every tile written so far durable (one fsync each, then their directories)."""
        if not self._unsynced:
            return
        try:
            for path in self._unsynced:
                fd = os.open(path, os.O_RDONLY)
                try:
                    os.fsync(fd)
                finally:
                    os.close(fd)
            for directory in sorted({path.parent for path in self._unsynced}):
                fsync_dir(directory)
        except OSError as exc:
            raise AuditError(f"cannot make the hash tiles durable: {exc}") from exc
        self._unsynced.clear()

    def append(self, hashes: Sequence[bytes]) -> None:
        """Adds leaf hashes; each tile that fills is written (fsync'd) before this returns."""
        row = self._rows[0]
        for value in hashes:
            row.append(value)
            if len(row) == TILE_WIDTH:
                self._complete(0)
                row = self._rows[0]
        self._size += len(hashes)

    def _complete(self, level: int) -> None:
        data = b"".join(self._rows[level])
        index = self._full[level]
        self._write(level, index, data)
        levels = tile_levels(data)
        self._remember((level, index), levels)
        self._full[level] += 1
        self._rows[level] = []
        if level + 1 >= MAX_LEVELS:
            raise AuditError("the log has outgrown the tile layout")
        self._rows[level + 1].append(levels[-1])
        if len(self._rows[level + 1]) == TILE_WIDTH:
            self._complete(level + 1)

    def node(self, level: int, index: int) -> bytes:
        """The hash of the perfect subtree at tree ``level`` starting at leaf ``index << level``."""
        tile_level, rise = divmod(level, TILE_HEIGHT)
        position = index << rise
        tile_index = position >> TILE_HEIGHT
        within = (position & (TILE_WIDTH - 1)) >> rise
        if tile_index < self._full[tile_level]:
            return _slot(self._tree(tile_level, tile_index)[rise], within)
        if tile_index == self._full[tile_level]:
            levels = self._edge_levels(tile_level)
            if rise < len(levels) and (within + 1) * HASH_SIZE <= len(levels[rise]):
                return _slot(levels[rise], within)
        raise AuditError(f"node {level}/{index} is not complete in a tree of size {self._size}")

    def subtree(self, start: int, end: int) -> bytes:
        """``MTH(D[start:end])`` for an RFC-shaped range, from O(log n) tile lookups."""
        if start == end:
            return EMPTY_ROOT
        return fold_right([self.node(level, index) for level, index in perfect_pieces(start, end)])

    def root(self, size: int | None = None) -> bytes:
        """The root of the tree's first ``size`` leaves (default: all)."""
        size = self._size if size is None else size
        if not 0 <= size <= self._size:
            raise InputError(f"size {size} is beyond the log's {self._size} entries", field="size")
        return self.subtree(0, size)

    def tile(self, level: int, index: int, width: int | None = None) -> bytes:
        """A tile's bytes as served over HTTP: a full tile, or the first ``width`` hashes."""
        if not 0 <= level < MAX_LEVELS:
            raise NotFoundError(f"no tile level {level}")
        if index < self._full[level]:
            data = self._read(level, index)
            return data if width is None else data[: width * HASH_SIZE]
        row = self._rows[level]
        if index == self._full[level] and width is not None and width <= len(row):
            return b"".join(row[:width])
        raise NotFoundError(f"tile {tile_path(level, index, width)} does not exist (yet)")

    def stored(self, level: int, index: int) -> bytes | None:
        """The bytes on disk of a full tile, or None: what ``verify`` compares against."""
        try:
            return (self._dir / tile_path(level, index)).read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise AuditError(f"cannot read tile {tile_path(level, index)}: {exc}") from exc

    def _edge_levels(self, level: int) -> list[bytes]:
        row = self._rows[level]
        key = (self._full[level], len(row))
        cached = self._edge.get(level)
        if cached is None or cached[:2] != key:
            cached = (*key, tile_levels(b"".join(row)))
            self._edge[level] = cached
        return cached[2]

    def _tree(self, level: int, index: int) -> list[bytes]:
        key = (level, index)
        levels = self._cache.get(key)
        if levels is not None:
            self._cache.move_to_end(key)
            return levels
        levels = tile_levels(self._read(level, index))
        self._remember(key, levels)
        return levels

    def _remember(self, key: tuple[int, int], levels: list[bytes]) -> None:
        self._cache[key] = levels
        if len(self._cache) > _CACHE_TILES:
            self._cache.popitem(last=False)

    def _read(self, level: int, index: int) -> bytes:
        data = self._overlay.get((level, index))
        if data is None:
            data = self.stored(level, index)
        if data is None or len(data) != TILE_BYTES:
            # Derived data gone (deleted, truncated): rebuild it from the index rather than
            # refuse to serve; `audit verify` still reports the damage it found on disk.
            _log.warning("tile %s is missing or damaged; rebuilding it", tile_path(level, index))
            data = self._rebuild(level, index, self._source)
            self._write(level, index, data)
            self.rebuilt += 1
        return data

    def _write(self, level: int, index: int, data: bytes) -> None:
        if self._readonly:
            self._overlay[(level, index)] = data
            return
        path = self._dir / tile_path(level, index)
        try:
            _ensure_dir(path.parent)
            tmp = path.with_name(path.name + ".tmp")
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            try:
                os.write(fd, data)
            finally:
                os.close(fd)
            os.replace(tmp, path)
            self._unsynced.append(path)
        except OSError as exc:
            raise AuditError(f"cannot write tile {tile_path(level, index)}: {exc}") from exc


def _no_source(start: int, end: int) -> list[bytes]:
    raise AuditError("the tile store was not opened")


def fsync_dir(path: Path) -> None:
    """Makes a directory entry (a new or renamed file) durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _ensure_dir(path: Path) -> None:
    if path.is_dir():
        return
    _ensure_dir(path.parent)
    path.mkdir(exist_ok=True)
    fsync_dir(path.parent)
