"""``StringPool``: many strings in one UTF-8 buffer plus an offsets array.

A Python ``str`` costs about 50 bytes of overhead; millions of distinct reasons, plates and
case numbers kept as objects also fragment the heap when duplicates from different chunks are
dropped. A pool is two allocations (bytes and int64 offsets) whatever its size, pickles as
such between processes, and is gathered or concatenated with numpy. It reads like a
``Sequence[str]``: ``pool[i]``, ``len(pool)``, iteration.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from itertools import pairwise
from typing import Any, overload

import numpy as np

Arr = np.ndarray[Any, Any]


def _encode(text: str) -> bytes:
    return text.encode("utf-8", errors="surrogatepass")


class StringPool(Sequence[str]):
    """Immutable strings ``0..n-1`` in ``blob[offsets[i]:offsets[i+1]]``."""

    __slots__ = ("blob", "offsets")

    def __init__(self, blob: bytes = b"", offsets: Arr | None = None) -> None:
        self.blob = blob
        self.offsets = np.zeros(1, dtype=np.int64) if offsets is None else offsets

    @classmethod
    def of(cls, strings: Iterable[str]) -> StringPool:
        items = strings if isinstance(strings, list) else list(strings)
        lengths = np.fromiter(map(len, items), dtype=np.int64, count=len(items))
        blob = _encode("".join(items))
        if len(blob) != int(lengths.sum()):  # not all ASCII: byte lengths differ from lengths
            encoded = [_encode(s) for s in items]
            lengths = np.fromiter(map(len, encoded), dtype=np.int64, count=len(encoded))
            blob = b"".join(encoded)
        offsets = np.zeros(len(items) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        return cls(blob, offsets)

    @classmethod
    def concat(cls, pools: Sequence[StringPool]) -> StringPool:
        if not pools:
            return cls()
        starts = np.cumsum([0] + [len(p.blob) for p in pools[:-1]])
        offsets = np.concatenate(
            [pools[0].offsets[:1]] + [p.offsets[1:] + s for p, s in zip(pools, starts, strict=True)]
        )
        return cls(b"".join(p.blob for p in pools), offsets)

    def __len__(self) -> int:
        return len(self.offsets) - 1

    @overload
    def __getitem__(self, index: int) -> str: ...

    @overload
    def __getitem__(self, index: slice) -> list[str]: ...

    def __getitem__(self, index: int | slice) -> str | list[str]:
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        if not 0 <= index < len(self):
            raise IndexError(index)
        start, end = int(self.offsets[index]), int(self.offsets[index + 1])
        return self.blob[start:end].decode("utf-8", errors="surrogatepass")

    def __iter__(self) -> Iterator[str]:
        blob, offsets = self.blob, self.offsets.tolist()
        for start, end in pairwise(offsets):
            yield blob[start:end].decode("utf-8", errors="surrogatepass")

    def lengths(self) -> Arr:
        """Byte length of every string."""
        return np.diff(self.offsets)

    def contains_any(self, chars: bytes) -> Arr:
        """Per string: does it contain any of these ASCII characters?"""
        out = np.zeros(len(self), dtype=bool)
        if not self.blob:
            return out
        data = np.frombuffer(self.blob, dtype=np.uint8)
        hit = np.zeros(len(data), dtype=bool)
        for char in chars:
            hit |= data == char
        # a byte at p belongs to the last string starting at or before p (never an empty one)
        out[np.searchsorted(self.offsets, np.flatnonzero(hit), side="right") - 1] = True
        return out

    def take(self, indices: Arr) -> StringPool:
        """The strings at ``indices``, in that order, as a new pool (one vectorised gather)."""
        indices = np.asarray(indices, dtype=np.int64)
        starts, ends = self.offsets[indices], self.offsets[indices + 1]
        lengths = ends - starts
        offsets = np.zeros(len(indices) + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        if offsets[-1] == 0:
            return StringPool(b"", offsets)
        data = np.frombuffer(self.blob, dtype=np.uint8)
        pieces = []
        step = 1 << 16  # bounded index arrays: a gather index costs 8 bytes per byte moved
        for first in range(0, len(indices), step):
            part = slice(first, first + step)
            base = offsets[part.start]
            sub_len, sub_start = lengths[part], starts[part]
            shift = np.repeat(sub_start - (offsets[part][: len(sub_len)] - base), sub_len)
            pieces.append(data[shift + np.arange(int(sub_len.sum()), dtype=np.int64)].tobytes())
        return StringPool(b"".join(pieces), offsets)

    def __repr__(self) -> str:  # the strings may be names and plates
        return f"StringPool({len(self)} strings, {len(self.blob)} bytes)"
