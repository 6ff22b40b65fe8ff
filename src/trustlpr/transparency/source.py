"""Where the leaves come from: the local log, or a public-log JSONL download anyone can fetch.

A download (``/log/download.jsonl`` or ``trustlpr audit export --format jsonl``) has one
``{"index", "leaf_b64", "leaf"}`` object per line. Only ``leaf_b64`` counts: those are the bytes
the Merkle tree hashes, so the figures recomputed from them are tied to the signed checkpoint
by the root hash; the decoded ``leaf`` next to them is a convenience and is ignored.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Iterable, Iterator
from datetime import date
from pathlib import Path
from typing import Any

import httpx

from ..audit import AuditLog, NoteVerifier, SignedCheckpoint
from ..core.errors import FormatError, InputError, VerificationError
from .figures import WINDOW_DAYS, Tally

MAX_LINE = 200_000  # a leaf is at most 64 KiB; its base64 and decoded copies fit well below


def log_leaves(log: AuditLog, end: int | None = None) -> Iterator[tuple[int, bytes]]:
    """``(index, leaf)`` of the local log from entry 0 up to ``end`` (default: its size now)."""
    return log.entries(0, end)


def jsonl_leaves(lines: Iterable[str], *, end: int | None = None) -> Iterator[tuple[int, bytes]]:
    """``(index, leaf)`` from the lines of a public-log JSONL download, stopping before ``end``.

    A line that is not such an object is a ``FormatError`` naming the line.
    """
    for number, line in enumerate(lines, 1):
        if not line.strip():
            raise FormatError("blank line in the public log", line=number)
        if len(line) > MAX_LINE:
            raise FormatError(f"line is longer than {MAX_LINE} characters", line=number)
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            raise FormatError(f"not JSON: {exc.msg}", line=number) from exc
        if not isinstance(record, dict):
            raise FormatError("each line must be a JSON object", line=number)
        index, encoded = record.get("index"), record.get("leaf_b64")
        if isinstance(index, bool) or not isinstance(index, int) or index < 0:
            raise FormatError("needs a non-negative integer 'index'", field="index", line=number)
        if end is not None and index >= end:
            return
        if not isinstance(encoded, str):
            raise FormatError("needs the leaf bytes as base64", field="leaf_b64", line=number)
        try:
            leaf = base64.b64decode(encoded, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise FormatError(f"is not base64: {exc}", field="leaf_b64", line=number) from exc
        yield index, leaf


def read_jsonl(path: Path) -> Iterator[str]:
    """The lines of a JSONL file, streamed; ``InputError`` (field ``--log``) if unreadable."""
    try:
        with path.open("r", encoding="utf-8", newline="") as handle:
            yield from handle
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {path}: {exc}", field="--log") from exc


def read_jsonl_url(url: str, *, timeout: float = 60.0) -> Iterator[str]:
    """The lines of a public-log download at ``url`` (``GET /log/download.jsonl`` of a
    portal), streamed; ``InputError`` (field ``--log``) if it cannot be fetched whole."""
    try:
        with httpx.stream("GET", url, timeout=timeout, follow_redirects=True) as response:
            if response.status_code != 200:
                raise InputError(f"{url} answered HTTP {response.status_code}", field="--log")
            for line in response.iter_lines():
                yield line + "\n"
    except httpx.HTTPError as exc:
        raise InputError(f"cannot download {url}: {exc}", field="--log") from exc


def is_url(location: str) -> bool:
    """Whether ``--log`` names a download to fetch rather than a file."""
    return location.startswith(("http://", "https://"))


def tally_lines(
    lines: Iterable[str], *, end: int | None = None, progress: Callable[[int], None] | None = None
) -> Tally:
    """A tally of a JSONL download; errors from the tally are located at their line."""
    tally = Tally()
    line = 0
    try:
        for line, (index, leaf) in enumerate(jsonl_leaves(lines, end=end), 1):
            tally.add(index, leaf)
            if progress is not None and line % 4096 == 0:
                progress(line)
    except FormatError as exc:
        if exc.line is not None:
            raise
        raise exc.at_line(line) from exc
    if end is not None and tally.size < end:
        raise FormatError(f"the log holds {tally.size} entries; --size {end} asks for more")
    return tally


def check_checkpoint(tally: Tally, note: str, verifier: NoteVerifier | None) -> dict[str, Any]:
    """Ties the tally to a signed checkpoint of the same size: the root hashes must agree.

    The signature is checked when ``verifier`` is given. ``VerificationError`` otherwise.
    """
    signed = SignedCheckpoint.from_note(note, verifier)
    if signed.size != tally.size:
        raise VerificationError(
            f"the checkpoint is of size {signed.size}, the figures of {tally.size} entries"
        )
    if signed.root != tally.root_hash:
        raise VerificationError(
            f"the root hash of the {tally.size} entries counted differs from the checkpoint's: "
            "the log copy is not the one the checkpoint signs"
        )
    return {
        "origin": signed.checkpoint.origin,
        "size": signed.size,
        "root_matches": True,
        "signature_checked": verifier is not None,
    }


def recompute(
    tally: Tally,
    *,
    as_of: date | None = None,
    days: int = WINDOW_DAYS,
    checkpoint: str | None = None,
    verifier: NoteVerifier | None = None,
) -> dict[str, Any]:
    """The figures of a finished tally, with the checkpoint check when one is given."""
    figures = tally.figures(as_of, days)
    if checkpoint is not None:
        figures["checkpoint"] = check_checkpoint(tally, checkpoint, verifier)
    return figures
