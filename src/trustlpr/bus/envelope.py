"""What travels on the ingest bus: one accepted batch, encoded and sealed.

A front-end turns a camera's checked submission into a ``Batch`` (its reads, images, links and
consensus indexes), encodes it as canonical JSON, and seals it with AES-256-GCM under the bus
key of the current UTC day (``DayKeys.bus``, derived from the non-hit day secret, so the purge
that destroys that day makes every message of it unreadable, wherever JetStream kept a copy).

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

Decoding is lenient in one way only, for a rolling upgrade: a read may lack fields that have a
default (a front-end older than ``Read.speed`` sends none), and a batch may lack the counts.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
import secrets
import threading
from collections.abc import Mapping, Sequence
from dataclasses import MISSING, dataclass, field, fields
from datetime import date, datetime
from typing import Any

from cryptography.exceptions import InvalidTag

from ..core.clock import Clock, system_clock
from ..core.errors import InputError, KeyDestroyedError, VerificationError
from ..core.reads import Read
from ..keys import KeyRing

FORMAT = 1
"""The version of the encoded batch; a writer refuses (dead-letters) any other."""

_READ_FIELDS = tuple(f.name for f in fields(Read))
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
    """The batch as canonical JSON (sorted keys, no spaces): equal batches, equal bytes."""
    reads = []
    for read in batch.reads:
        row: dict[str, Any] = {name: getattr(read, name) for name in _READ_FIELDS}
        row["observed_at"] = read.observed_at.isoformat()
        reads.append(row)
    doc = {
        "v": FORMAT,
        "camera_id": batch.camera_id,
        "reads": reads,
        "images": {str(i): base64.b64encode(img).decode() for i, img in batch.images.items()},
        "links": {str(i): list(ln) for i, ln in batch.links.items()},
        "consensus": sorted(batch.consensus),
    }
    if batch.not_collected:  # absent otherwise: a batch without counts encodes as before
        doc["not_collected"] = {a: dict(c) for a, c in batch.not_collected.items()}
    if batch.nonce:
        doc["nonce"] = batch.nonce
    return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()


def decode(data: bytes) -> Batch:
    """The batch ``encode`` made; ``InputError`` for anything else (a writer dead-letters it)."""
    try:
        doc = json.loads(data)
        if not isinstance(doc, dict) or doc.get("v") != FORMAT:
            raise InputError(f"not a version {FORMAT} bus batch", field="v")
        count = len(doc["reads"])
        reads = [_read(row) for row in doc["reads"]]
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
    except InputError:
        raise
    except (ValueError, KeyError, TypeError, AttributeError, binascii.Error) as exc:
        raise InputError(f"not a bus batch: {type(exc).__name__}", field="body") from None


def _read(row: Any) -> Read:
    if not isinstance(row, dict) or not _REQUIRED_FIELDS <= set(row) <= set(_READ_FIELDS):
        raise InputError("a read of the batch has unexpected fields", field="reads")
    values = dict(row)
    values["observed_at"] = datetime.fromisoformat(values["observed_at"])
    return Read(**values)


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
