"""What travels on the ingest bus: one accepted batch, encoded and sealed.

A front-end turns a camera's checked submission into a ``Batch`` (its reads, images, links and
consensus indexes), encodes it as canonical MessagePack (format 2), and seals it with
AES-256-GCM under the bus key of the current UTC day (``DayKeys.bus``, derived from the
non-hit day secret, so the purge that destroys that day makes every message of it unreadable,
wherever JetStream kept a copy).

The message id (JetStream's ``Nats-Msg-Id``) is an HMAC of the plaintext under the day's
``bus_id_key``: the same payload sent twice by a camera (a retry after a lost answer, perhaps
to another front-end) gets the same id, so JetStream drops the second publish and the writer's
ledger skips a second delivery; the id reveals nothing of the plates. The id, the key id and
the stream name are the cipher's associated data: a message cannot be moved to another id,
day or node's stream without failing to open.

A batch also carries, when there are any, the count of its submission's reads that were not
collected (dropped near sensitive places: agency → category → count, nothing else of them);
the writer's pipeline tallies them for the public log. A submission whose every read was
dropped travels as a count-only batch with a random ``nonce`` (otherwise two such batches of
equal counts would share an id and JetStream would drop the second; the price is that a
camera's retry of such a payload is counted twice, never once too few).

Decoding is lenient for a rolling upgrade only: it takes format 1 (canonical JSON, a read an
object of its fields, what front-ends sent before format 2), a read may lack fields that have a
default (a front-end older than ``Read.speed`` sends none), and a batch may lack the counts.
The same batch has another id in format 1 than in 2, so upgrade the writer (and its standby)
first, then the front-ends: a camera's retry that crosses from an old front-end to a new one
in that window is published twice, and the pipeline's duplicate check is what stops it.
"""

from __future__ import annotations

import base64
import hmac
import json
import secrets
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import MISSING, dataclass, field, fields
from datetime import UTC, date, datetime, timedelta
from operator import attrgetter
from typing import Any

import msgpack
from cryptography.exceptions import InvalidTag

from ..core.clock import Clock, system_clock
from ..core.errors import InputError, KeyDestroyedError, VerificationError
from ..core.reads import Read
from ..keys import KeyRing

FORMAT = 2
"""The version ``encode`` writes; a writer also takes format 1 and dead-letters any other."""

_READ_FIELDS = tuple(f.name for f in fields(Read))
_values = attrgetter(*_READ_FIELDS)
_OBSERVED = _READ_FIELDS.index("observed_at")
_CHARS = _READ_FIELDS.index("char_confidences")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_REQUIRED_FIELDS = frozenset(
    f.name for f in fields(Read) if f.default is MISSING and f.default_factory is MISSING
)


@dataclass(frozen=True)
class Batch:
    """One accepted submission of one camera, as the pipeline takes it."""

    camera_id: str
    reads: Sequence[Read]
    images: Mapping[int, bytes] = field(default_factory=dict)
    links: Mapping[int, Sequence[str]] = field(default_factory=dict)
    consensus: frozenset[int] = frozenset()
    not_collected: Mapping[str, Mapping[str, int]] = field(default_factory=dict)
    """The submission's reads not collected: agency → place category → count."""
    nonce: str = ""
    """Random, in a count-only batch (no reads) only: see the module docstring."""

    def __repr__(self) -> str:
        return f"Batch(camera_id={self.camera_id!r}, reads={len(self.reads)})"


def encode(batch: Batch) -> bytes:
    """The batch in format 2, canonical MessagePack: equal batches, equal bytes (and ids).

    An array ``[2, field names, camera_id, reads, images, links, consensus, not_collected,
    nonce]``: the ``Read`` field names once, then each read as an array of its values in that
    order (``observed_at`` as integer microseconds since the epoch), images as raw bytes,
    ``[index, value]`` pairs in index order and maps in key order. A tenth of the CPU of
    format 1's per-read JSON objects and a fifth of its size (docs/performance.md)."""
    reads = []
    for read in batch.reads:
        row = list(_values(read))
        row[_OBSERVED] = _micros(read.observed_at)
        reads.append(row)
    doc = [
        FORMAT,
        _READ_FIELDS,
        batch.camera_id,
        reads,
        [[i, bytes(img)] for i, img in sorted(batch.images.items())],
        [[i, list(ln)] for i, ln in sorted(batch.links.items())],
        sorted(batch.consensus),
        {a: dict(sorted(c.items())) for a, c in sorted(batch.not_collected.items())},
        batch.nonce,
    ]
    packed: bytes = msgpack.packb(doc)
    return packed


def decode(data: bytes) -> Batch:
    """The batch ``encode`` made, or one of format 1 (JSON, from a front-end older than format
    2); ``InputError`` for anything else (a writer dead-letters it)."""
    try:
        if data[:1] == b"{":
            return _decode_v1(data)
        doc = msgpack.unpackb(data)
        if not isinstance(doc, list) or len(doc) != 9 or doc[0] != FORMAT:
            raise InputError(f"not a version 1 or {FORMAT} bus batch", field="v")
        _, names, camera_id, rows, images, links, consensus, not_collected, nonce = doc
        make = _reader(names)
        reads = [make(row) for row in rows]
        count = len(reads)
        batch = Batch(
            _str(camera_id),
            reads,
            {_index(i, count): _bytes(v) for i, v in images},
            {_index(i, count): [_str(x) for x in ln] for i, ln in links},
            frozenset(_index(i, count) for i in consensus),
            _counts(not_collected),
            _str(nonce),
        )
    except InputError:
        raise
    except (ValueError, KeyError, TypeError, AttributeError, OverflowError) as exc:
        # msgpack's ExtraData and FormatError are ValueErrors; a stray integer overflows
        raise InputError(f"not a bus batch: {type(exc).__name__}", field="body") from None
    if not reads and not batch.not_collected:
        raise InputError("a bus batch has neither reads nor counts", field="reads")
    return batch


def _reader(names: Any) -> Callable[[Any], Read]:
    """Builds reads from the rows of a batch whose reads have the fields ``names``: in order
    when they are this ``Read``'s, by name otherwise (a front-end one field older or newer is
    held to the same rule as format 1: every required field, no unknown one)."""
    if not isinstance(names, list) or not all(type(n) is str for n in names):
        raise InputError("a bus batch's field names are not a list of names", field="reads")
    if tuple(names) == _READ_FIELDS:
        return _row_reader(None)
    if len(set(names)) != len(names) or not _REQUIRED_FIELDS <= set(names) <= set(_READ_FIELDS):
        raise InputError("a read of the batch has unexpected fields", field="reads")
    return _row_reader(tuple(names))


def _row_reader(names: tuple[str, ...] | None) -> Callable[[Any], Read]:
    at = _OBSERVED if names is None else names.index("observed_at")
    chars = _CHARS if names is None else (names.index("char_confidences")
                                          if "char_confidences" in names else -1)  # fmt: skip
    width = len(_READ_FIELDS if names is None else names)

    def make(row: Any) -> Read:
        if not isinstance(row, list) or len(row) != width:
            raise InputError("a read of the batch has unexpected fields", field="reads")
        micros = row[at]
        if type(micros) is not int:
            raise InputError("a read's observed_at is not a time", field="observed_at")
        row[at] = _EPOCH + timedelta(microseconds=micros)
        if chars >= 0 and row[chars] is not None:
            row[chars] = tuple(row[chars])
        return Read(*row) if names is None else Read(**dict(zip(names, row, strict=True)))

    return make


def _decode_v1(data: bytes) -> Batch:
    """Format 1: canonical JSON, a read an object of its fields (front-ends before format 2)."""
    doc = json.loads(data)
    if not isinstance(doc, dict) or doc.get("v") != 1:
        raise InputError(f"not a version 1 or {FORMAT} bus batch", field="v")
    count = len(doc["reads"])
    reads = [_read_v1(row) for row in doc["reads"]]
    images = {
        _index(i, count): base64.b64decode(v, validate=True) for i, v in doc["images"].items()
    }
    links = {_index(i, count): [str(x) for x in ln] for i, ln in doc["links"].items()}
    consensus = frozenset(_index(i, count) for i in doc["consensus"])
    not_collected = _counts(doc.get("not_collected", {}))
    nonce = str(doc.get("nonce", ""))
    if not reads and not not_collected:
        raise InputError("a bus batch has neither reads nor counts", field="reads")
    return Batch(str(doc["camera_id"]), reads, images, links, consensus, not_collected, nonce)


def _read_v1(row: Any) -> Read:
    if not isinstance(row, dict) or not _REQUIRED_FIELDS <= set(row) <= set(_READ_FIELDS):
        raise InputError("a read of the batch has unexpected fields", field="reads")
    values = dict(row)
    values["observed_at"] = datetime.fromisoformat(values["observed_at"])
    if values.get("char_confidences") is not None:
        values["char_confidences"] = tuple(values["char_confidences"])
    return Read(**values)


def _micros(moment: datetime) -> int:
    delta = moment - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _str(value: Any) -> str:
    if type(value) is not str:
        raise InputError(f"expected text in a bus batch, got {type(value).__name__}", field="body")
    return value


def _bytes(value: Any) -> bytes:
    if type(value) is not bytes:
        raise InputError(f"expected an image in a bus batch, got {type(value).__name__}",
                         field="images")  # fmt: skip
    return value


def _counts(raw: Any) -> dict[str, dict[str, int]]:
    if not isinstance(raw, dict):
        raise InputError("the not-collected counts are not a mapping", field="not_collected")
    out: dict[str, dict[str, int]] = {}
    for agency, by_category in raw.items():
        if not isinstance(by_category, dict):
            raise InputError("a not-collected count is not a mapping", field="not_collected")
        for category, count in by_category.items():
            if type(count) is not int or count < 1:
                raise InputError("a not-collected count is not a positive integer",
                                 field="not_collected")  # fmt: skip
            out.setdefault(str(agency), {})[str(category)] = count
    return out


def _index(raw: Any, count: int) -> int:
    if isinstance(raw, bool | float):
        raise InputError("an index of the batch is not an integer", field="index")
    index = int(raw)
    if not 0 <= index < count:
        raise InputError(f"index {index} is outside the batch's {count} reads", field="index")
    return index


@dataclass(frozen=True)
class Sealed:
    """A sealed batch: its id (``Nats-Msg-Id``), the key id it is sealed under, the bytes."""

    msg_id: str
    key_id: str
    data: bytes


class BusCipher:
    """Seals and opens bus messages with the day's bus key of the non-hit ``ring``.

    ``stream`` names the node's bus stream (bound into every message). A front-end seals
    with today's key and keeps no older day in memory; the writer opens with the day the
    message names, and fails (``KeyDestroyedError``) once the purge destroyed it."""

    def __init__(self, ring: KeyRing, stream: str, *, clock: Clock = system_clock) -> None:
        self._ring = ring
        self._stream = stream.encode()
        self._clock = clock
        self._day: date | None = None
        self._lock = threading.Lock()

    def seal(self, plaintext: bytes) -> Sealed:
        today = self._clock().date()
        with self._lock:
            if self._day is not None and self._day != today:
                self._ring.forget(self._day)  # the front-end holds no older day's key
            self._day = today
        keys = self._ring.get(today, create=True)
        msg_id = hmac.digest(keys.bus_id_key, plaintext, "sha256")[:18].hex()
        nonce = secrets.token_bytes(12)
        sealed = keys.bus.encrypt(nonce, plaintext, self._aad(msg_id, keys.key_id))
        return Sealed(msg_id, keys.key_id, nonce + sealed)

    def open(self, sealed: Sealed) -> bytes:
        """The plaintext; ``VerificationError`` if it does not open (tampered, another node's
        or another id's), ``KeyDestroyedError`` if its day is gone."""
        day_text = sealed.key_id.partition(":")[2]
        try:
            day = date.fromisoformat(day_text)
        except ValueError:
            raise VerificationError(f"bus key id {sealed.key_id[:40]!r} is not a day") from None
        if self._ring.key_id(day) != sealed.key_id:
            raise VerificationError(f"bus key id {sealed.key_id[:40]!r} is not this node's")
        if not self._ring.has(day):
            raise KeyDestroyedError(f"the bus key of {sealed.key_id} was destroyed (expired)")
        keys = self._ring.get(day)
        data = sealed.data
        try:
            return keys.bus.decrypt(data[:12], data[12:], self._aad(sealed.msg_id, keys.key_id))
        except (InvalidTag, ValueError):
            raise VerificationError(f"bus message {sealed.msg_id[:40]!r} does not open") from None

    def _aad(self, msg_id: str, key_id: str) -> bytes:
        return b"\x00".join((self._stream, msg_id.encode(), key_id.encode()))
