"""The public transparency log over HTTP, readable without login: ``/log/...``.

Anyone can fetch the signed checkpoint, the C2SP hash tiles and entry bundles, the public
entries, and RFC 9162 proofs, and check them with any conformant client; nothing here is
personal (public leaves carry commitments, not people). Routes only parse and render.
"""

from __future__ import annotations

import base64
from typing import Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import PlainTextResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool

from ..audit.export import jsonl_lines, public_record
from ..audit.tiles import parse_tile_path
from ..core.errors import ConflictError, InputError
from .deps import Audit

router = APIRouter(prefix="/log", tags=["transparency log"])

MAX_ENTRIES = 1000
_IMMUTABLE = {"Cache-Control": "public, max-age=31536000, immutable"}
_FRESH = {"Cache-Control": "no-cache"}


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


@router.get("/checkpoint", response_class=PlainTextResponse)
def checkpoint(audit: Audit) -> PlainTextResponse:
    """The latest signed checkpoint (C2SP signed note). The service signs one every few
    seconds when the tree grew; the very first one is signed on demand."""
    latest = audit.checkpointer.latest() if audit.checkpointer else None
    signed = latest or audit.checkpoint()
    return PlainTextResponse(signed.note, headers=_FRESH)


@router.get("/vkey", response_class=PlainTextResponse)
def vkey(audit: Audit) -> PlainTextResponse:
    """The verifier key of the checkpoints: ``<name>+<hex key id>+<base64 key>``."""
    return PlainTextResponse(audit.vkey + "\n")


@router.get("/tile/{path:path}")
def tile(path: str, audit: Audit) -> Response:
    """A C2SP tile: ``/log/tile/<L>/<N>[.p/<W>]`` (hashes) or ``/log/tile/entries/<N>[.p/<W>]``."""
    ref = parse_tile_path(path)
    if ref.level is None:
        data = audit.log.entry_bundle(ref.index, ref.width)
    else:
        data = audit.log.tile(ref.level, ref.index, ref.width)
    headers = _IMMUTABLE if ref.width is None else _FRESH
    return Response(data, media_type="application/octet-stream", headers=headers)


@router.get("/entries")
def entries(
    audit: Audit,
    start: int = Query(0, ge=0, description="First index."),
    end: int | None = Query(None, ge=0, description=f"Stop before; at most {MAX_ENTRIES} later."),
) -> list[dict[str, Any]]:
    """Public entries ``[start, end)``: ``{index, leaf_b64, leaf}`` each."""
    size = audit.log.size
    if start > size:
        raise InputError(f"start {start} is beyond the log's {size} entries", field="start")
    stop = min(size, start + MAX_ENTRIES) if end is None else end
    if stop < start:
        raise InputError("end must not be before start", field="end")
    if stop - start > MAX_ENTRIES:
        raise InputError(f"at most {MAX_ENTRIES} entries per request", field="end")
    return [public_record(index, leaf) for index, leaf in audit.log.entries(start, stop)]


@router.get("/proof/inclusion")
def inclusion(
    audit: Audit,
    index: int = Query(..., ge=0, description="Index of the entry."),
    size: int | None = Query(None, ge=1, description="Tree size (default: current)."),
) -> dict[str, Any]:
    """RFC 9162 inclusion proof: ``{index, tree_size, leaf_hash, hashes}`` (base64)."""
    log = audit.log
    tree_size = log.size if size is None else size
    hashes = log.inclusion_proof(index, tree_size)
    return {
        "index": index,
        "tree_size": tree_size,
        "leaf_hash": _b64(log.leaf_hash(index)),
        "hashes": [_b64(h) for h in hashes],
    }


@router.get("/proof/consistency")
def consistency(
    audit: Audit,
    old: int = Query(..., ge=0, description="The older tree size."),
    new: int | None = Query(None, ge=1, description="The newer tree size (default: current)."),
) -> dict[str, Any]:
    """RFC 9162 consistency proof: ``{old_size, new_size, hashes}`` (base64)."""
    new_size = audit.log.size if new is None else new
    hashes = audit.log.consistency_proof(old, new_size)
    return {"old_size": old, "new_size": new_size, "hashes": [_b64(h) for h in hashes]}


@router.get("/download.jsonl")
def download(audit: Audit) -> StreamingResponse:
    """The whole public log as JSON lines, streamed (one ``{index, leaf_b64, leaf}`` per line)."""
    return StreamingResponse(
        jsonl_lines(audit.log, 0, audit.log.size),
        media_type="application/x-ndjson",
        headers={"Content-Disposition": 'attachment; filename="audit-log.jsonl"'},
    )


@router.get("/witness/vkey", response_class=PlainTextResponse)
def witness_vkey(audit: Audit) -> PlainTextResponse:
    """The cosignature/v1 key this node's witness signs with."""
    return PlainTextResponse(audit.witness.cosigner.vkey + "\n")


@router.post("/witness/add-checkpoint", response_class=PlainTextResponse)
async def add_checkpoint(request: Request, audit: Audit) -> Response:
    """C2SP tlog-witness: cosign another log's checkpoint if it extends the last one seen.

    Body: ``old <size>``, consistency proof lines (base64), a blank line, the signed checkpoint.
    Answers the cosignature line; 400 malformed, 403 bad log signature, 404 unknown log,
    409 (body: the size last cosigned, ``text/x.tlog.size``) wrong old size, 422 inconsistent.
    """
    raw = await request.body()  # at most BodyLimits.witness bytes: the gate cut it off
    try:
        body = raw.decode("utf-8")
        line = await run_in_threadpool(audit.witness.add_checkpoint, body)
    except ConflictError:
        size = await run_in_threadpool(audit.witness.size_for, body)
        return Response(f"{size}\n", status_code=409, media_type="text/x.tlog.size")
    except (UnicodeDecodeError, InputError) as exc:  # FormatError included: malformed → 400
        return PlainTextResponse(f"{exc}\n", status_code=400)
    return PlainTextResponse(line)
