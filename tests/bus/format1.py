"""Format 1 of the bus envelope, as front-ends before format 2 encoded a batch (canonical JSON,
a read an object of its fields): what a writer must still take during a rolling upgrade."""

from __future__ import annotations

import base64
import json
from dataclasses import fields
from typing import Any

from trustlpr.bus import Batch
from trustlpr.core.reads import Read


def encode_v1(batch: Batch) -> bytes:
    """The bytes a format-1 front-end published for ``batch``."""
    reads = []
    for read in batch.reads:
        row: dict[str, Any] = {f.name: getattr(read, f.name) for f in fields(Read)}
        row["observed_at"] = read.observed_at.isoformat()
        reads.append(row)
    doc: dict[str, Any] = {
        "v": 1,
        "camera_id": batch.camera_id,
        "reads": reads,
        "images": {str(i): base64.b64encode(img).decode() for i, img in batch.images.items()},
        "links": {str(i): list(ln) for i, ln in batch.links.items()},
        "consensus": sorted(batch.consensus),
    }
    if batch.not_collected:
        doc["not_collected"] = {a: dict(c) for a, c in batch.not_collected.items()}
    if batch.nonce:
        doc["nonce"] = batch.nonce
    return json.dumps(doc, sort_keys=True, separators=(",", ":")).encode()
