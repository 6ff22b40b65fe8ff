"""Full verification: recompute the tree from the entries and hold everything stored against it.

One sequential pass over the entries checks each record's framing and checksum and its index
slot, hashes every leaf, rebuilds every tile and compares it with the tile on disk, recomputes
the root at every checkpoint's size and compares it with the signed root, and opens every
private-detail commitment. Every finding is located; the report names the *first bad index*,
the earliest entry that cannot be trusted. Stored tiles make an edit of a single entry point to
that entry; an attacker who also rewrote the tiles is caught by the signed checkpoints, which
bound the bad index to the range between two checkpoints.
"""

from __future__ import annotations

import base64
import binascii
import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ..core.errors import FormatError, TrustLPRError, VerificationError
from .checkpoint import SignedCheckpoint
from .detail import DetailState
from .log import AuditLog, writer_running
from .merkle import EMPTY_ROOT, fold_right, root_of, verify_consistency
from .note import NoteVerifier
from .tiles import MAX_LEVELS, TILE_HEIGHT, TILE_WIDTH, tile_path

_MAX_PROBLEMS = 50
_COMMITMENT = b'"commitment":"'


@dataclass
class VerifyReport:
    """What ``verify`` found. ``ok`` is False as soon as any problem was found."""

    size: int = 0
    root: bytes = EMPTY_ROOT
    first_bad_index: int | None = None
    problems: list[str] = field(default_factory=list)
    checkpoints_checked: int = 0
    details_checked: int = 0
    details_destroyed: int = 0
    details_sealed: int = 0
    tiles_checked: int = 0
    torn_bytes: int = 0
    _ranges: list[tuple[int, int]] = field(default_factory=list, repr=False)

    @property
    def ok(self) -> bool:
        return not self.problems

    def fail(self, message: str, index: int | None = None) -> None:
        """Records a problem; ``index`` is an entry known to be bad."""
        if index is not None and (self.first_bad_index is None or index < self.first_bad_index):
            self.first_bad_index = index
        if len(self.problems) < _MAX_PROBLEMS:
            self.problems.append(message)

    def fail_range(self, message: str, start: int, end: int) -> None:
        """Records a problem known only to lie somewhere in entries ``[start, end)``."""
        self._ranges.append((start, end))
        self.fail(message)

    def settle(self) -> None:
        """A range no located problem explains bounds the first bad index by its start."""
        for start, end in self._ranges:
            located = self.first_bad_index
            if located is None or located >= end:
                self.first_bad_index = start if located is None else min(located, start)

    def raise_for_problems(self) -> None:
        """Raises ``VerificationError`` naming the first bad index, if anything failed."""
        if self.ok:
            return
        where = (
            f"first bad index {self.first_bad_index}: " if self.first_bad_index is not None else ""
        )
        raise VerificationError(f"audit log verification failed; {where}{self.problems[0]}")

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "size": self.size,
            "root": base64.b64encode(self.root).decode(),
            "first_bad_index": self.first_bad_index,
            "problems": self.problems,
            "checkpoints_checked": self.checkpoints_checked,
            "details_checked": self.details_checked,
            "details_destroyed": self.details_destroyed,
            "details_sealed": self.details_sealed,
            "tiles_checked": self.tiles_checked,
            "torn_bytes": self.torn_bytes,
        }


def _rows_root(rows: list[list[bytes]]) -> bytes:
    """The root of the tree whose right edge is ``rows`` (per tile level, bottom first)."""
    pieces: list[bytes] = []
    for row in reversed(rows):
        position, remaining = 0, len(row)
        while remaining:
            width = 1 << (remaining.bit_length() - 1)
            pieces.append(root_of(row[position : position + width]))
            position += width
            remaining -= width
    return fold_right(pieces)


class _Checkpoints:
    """Signed checkpoints to hold the recomputed roots against, in size order."""

    def __init__(self, report: VerifyReport, verifier: NoteVerifier | None) -> None:
        self.report = report
        self.verifier = verifier
        self.pending: list[tuple[int, bytes, str]] = []
        self.verified: list[tuple[int, bytes]] = []
        self.last_good = 0

    def add(self, label: str, note: str | SignedCheckpoint) -> None:
        text = note.note if isinstance(note, SignedCheckpoint) else note
        try:
            if self.verifier is None:
                raise VerificationError("no verifier key to check its signature against")
            signed = SignedCheckpoint.from_note(text, self.verifier)
        except (VerificationError, FormatError) as exc:
            self.report.fail(f"{label}: {exc.message}")
            return
        if signed.checkpoint.origin != self.verifier.name:
            self.report.fail(f"{label}: origin {signed.checkpoint.origin!r} is not this log's")
            return
        self.pending.append((signed.size, signed.root, label))

    def check(self, size: int, root: Callable[[], bytes]) -> None:
        """Compares every checkpoint of ``size`` with the recomputed ``root()``."""
        computed: bytes | None = None
        while self.pending and self.pending[0][0] == size:
            _, signed_root, label = self.pending.pop(0)
            computed = root() if computed is None else computed
            self.report.checkpoints_checked += 1
            if signed_root != computed:
                self.report.fail_range(
                    f"{label}: the first {size} entries no longer give its signed root; an entry "
                    f"in [{self.last_good}, {size}) was changed, dropped, inserted or reordered",
                    self.last_good,
                    size,
                )
            else:
                self.last_good = size
                self.verified.append((size, computed))


def verify_log(
    log: AuditLog,
    verifier: NoteVerifier | None,
    checkpoints: Iterable[SignedCheckpoint],
    *,
    external: Iterable[tuple[str, str]] = (),
    details: bool = True,
    progress: Callable[[int], None] | None = None,
) -> VerifyReport:
    """Verifies ``log`` against its stored ``checkpoints`` and ``external`` ``(label, note)``s."""
    report = VerifyReport(size=log.size, torn_bytes=log.torn_bytes)
    signed = _Checkpoints(report, verifier)
    for number, stored in enumerate(checkpoints, 1):
        signed.add(f"stored checkpoint #{number} (size {stored.size})", stored)
    for label, note in external:
        signed.add(label, note)
    signed.pending.sort(key=lambda item: item[0])
    signed.check(0, lambda: EMPTY_ROOT)

    rows: list[list[bytes]] = [[] for _ in range(MAX_LEVELS)]
    full = [0] * MAX_LEVELS
    opened = _details(log, report) if details else iter(())
    detail = next(opened, None)
    count = 0
    try:
        for leaves, digests in log.checked_batches():
            first, pos, total = count, 0, len(leaves)
            while pos < total:  # segments end at each tile's end and at each checkpoint
                take = min(total - pos, TILE_WIDTH - len(rows[0]))
                if signed.pending:
                    take = min(take, signed.pending[0][0] - count)
                rows[0].extend(digests[pos : pos + take])
                last = count + take - 1  # its detail is checked after its tile, as entry by entry
                while detail is not None and detail[0] < last:
                    if detail[0] >= count:
                        _check_detail(report, detail[0], leaves[detail[0] - first], *detail[1:])
                    detail = next(opened, None)
                level = 0
                while len(rows[level]) == TILE_WIDTH:
                    _compare_tile(log, report, level, full[level], rows[level])
                    rows[level + 1].append(root_of(rows[level]))
                    rows[level] = []
                    full[level] += 1
                    level += 1
                while detail is not None and detail[0] <= last:
                    if detail[0] >= count:
                        _check_detail(report, detail[0], leaves[detail[0] - first], *detail[1:])
                    detail = next(opened, None)
                pos += take
                count += take
                if signed.pending and signed.pending[0][0] == count:
                    signed.check(count, lambda: _rows_root(rows))
                if progress is not None and count % 8192 == 0:
                    progress(count)
    except TrustLPRError as exc:  # the entry after the last good one is unreadable
        report.fail(
            exc.message if exc.message.startswith("entry ") else f"entry {count}: {exc.message}",
            count,
        )
    if progress is not None:
        progress(count)
    report.root = _rows_root(rows)
    _check_beyond(log, report, count, signed, details)
    if report.ok:
        _check_proofs(log, report, signed.verified)
    report.settle()
    return report


def _check_detail(
    report: VerifyReport, index: int, leaf: bytes, digest: bytes | None, state: DetailState
) -> None:
    """One detail against its leaf's commitment. A detail destroyed with its read's day key
    has nothing left to open and is counted, not failed: the leaf still commits to it."""
    if state is DetailState.DESTROYED:
        report.details_destroyed += 1
        return
    if state is DetailState.SEALED:
        report.details_sealed += 1
        return
    report.details_checked += 1
    at = leaf.find(_COMMITMENT) + len(_COMMITMENT)
    if digest is None or leaf[at : at + 44] != binascii.b2a_base64(digest, newline=False):
        why = (
            "sealed private detail fails authentication with its day key"
            if state is DetailState.BROKEN
            else "private detail does not open its commitment"
        )
        report.fail(f"entry {index}: the {why}", index)


def _details(
    log: AuditLog, report: VerifyReport
) -> Iterator[tuple[int, bytes | None, DetailState]]:
    try:
        yield from log.detail_digests(0, None)
    except TrustLPRError as exc:
        report.fail(f"detail store: {exc.message}")


def _compare_tile(
    log: AuditLog, report: VerifyReport, level: int, index: int, row: list[bytes]
) -> None:
    report.tiles_checked += 1
    stored = log.stored_tile(level, index)
    first_leaf = (index * TILE_WIDTH) << (TILE_HEIGHT * level)
    if stored is None:
        report.fail(f"tile {tile_path(level, index)} is missing", first_leaf)
        return
    computed = b"".join(row)
    if stored == computed:
        return
    for slot, value in enumerate(row):
        if stored[slot * 32 : slot * 32 + 32] != value:
            bad = (index * TILE_WIDTH + slot) << (TILE_HEIGHT * level)
            report.fail(f"entry {bad}: its hash disagrees with tile {tile_path(level, index)}", bad)
            return
    report.fail(f"tile {tile_path(level, index)} has extra bytes", first_leaf)


def _check_beyond(
    log: AuditLog, report: VerifyReport, count: int, signed: _Checkpoints, details: bool
) -> None:
    """Signed checkpoints and stored tiles that reach past the entries: the log was cut."""
    for size, _, label in signed.pending:
        report.fail_range(
            f"{label}: signed for {size} entries but only {count} can be read",
            signed.last_good,
            count + 1,
        )
    if log.stored_tile(0, count // TILE_WIDTH) is not None:
        report.fail(f"a stored tile covers entries past the last readable entry {count - 1}", count)
    if details and not writer_running(log.directory):
        beyond = next(iter(log.details(count, 1 << 62)), None)
        if beyond is not None:
            report.fail(f"the detail store holds entry {beyond.index}, past the log's end", count)


def _check_proofs(log: AuditLog, report: VerifyReport, verified: list[tuple[int, bytes]]) -> None:
    """RFC 9162 consistency proofs, served from the tiles, between successive checkpoints."""
    points = sorted({*verified, (log.size, report.root)})
    for (old, old_root), (new, new_root) in itertools.pairwise(points):
        try:
            verify_consistency(old, new, log.consistency_proof(old, new), old_root, new_root)
        except TrustLPRError as exc:
            report.fail(f"consistency proof {old} → {new}: {exc.message}", old)
