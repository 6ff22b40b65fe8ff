"""``trustlpr audit ...``: checkpoints, proofs, entries, verification and exports of the log.

Commands that only read open the log read-only, so they work while the service holds it.
"""

from __future__ import annotations

import base64
import sys
from pathlib import Path
from typing import Any

import typer

from ..audit import AuditService, NoteVerifier, open_audit, parse_leaf, verify_log
from ..audit.export import FORMATS, export
from ..audit.log import writer_running
from ..audit.merkle import leaf_hash
from ..audit.note import load_or_create_signer
from ..audit.service import AUDIT_DIR, KEY_FILE, default_origin
from ..core.errors import InputError
from ..runtime import node_read_keys
from .common import err_console, print_json, progress, settings

app = typer.Typer(
    help="The transparency log: signed checkpoints, RFC 9162 proofs, public entries, full "
    "verification and exports.",
    no_args_is_help=True,
)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _open(ctx: typer.Context, *, readonly: bool = True) -> AuditService:
    conf = settings(ctx)
    return open_audit(
        conf.data_dir,
        agency_id=conf.agency_id,
        readonly=readonly,
        detail_keys=node_read_keys(conf),
    )


@app.command()
def checkpoint(ctx: typer.Context) -> None:
    """Print the signed checkpoint (C2SP signed note) of the current tree.

    Signs a new checkpoint first if the tree grew since the last one. While the service holds
    the log, prints the latest checkpoint it signed (it signs every few seconds).
    """
    conf = settings(ctx)
    busy = writer_running(conf.data_dir / AUDIT_DIR)
    if busy:
        err_console.print("the service holds the log; showing its latest checkpoint")
    with open_audit(conf.data_dir, agency_id=conf.agency_id, readonly=busy) as audit:
        typer.echo(audit.checkpoint().note, nl=False)


@app.command()
def prove(
    ctx: typer.Context,
    index: int = typer.Option(..., "--index", min=0, help="Index of the entry to prove."),
    size: int | None = typer.Option(
        None, "--size", min=1, help="Tree size to prove against (default: the current size)."
    ),
) -> None:
    """Print the RFC 9162 inclusion proof of entry INDEX as JSON."""
    with _open(ctx) as audit:
        log = audit.log
        tree_size = log.size if size is None else size
        hashes = log.inclusion_proof(index, tree_size)
        print_json(
            {
                "index": index,
                "tree_size": tree_size,
                "leaf_hash": _b64(log.leaf_hash(index)),
                "hashes": [_b64(h) for h in hashes],
            }
        )


@app.command()
def consistency(
    ctx: typer.Context,
    old: int = typer.Option(..., "--old", min=0, help="The older tree size."),
    new: int | None = typer.Option(
        None, "--new", min=1, help="The newer tree size (default: the current size)."
    ),
) -> None:
    """Print the RFC 9162 consistency proof between tree sizes OLD and NEW as JSON."""
    with _open(ctx) as audit:
        new_size = audit.log.size if new is None else new
        hashes = audit.log.consistency_proof(old, new_size)
        print_json({"old_size": old, "new_size": new_size, "hashes": [_b64(h) for h in hashes]})


@app.command()
def entry(
    ctx: typer.Context,
    index: int = typer.Argument(..., min=0, help="Index of the entry."),
    detail: bool = typer.Option(
        False, "--detail", help="Also show the private detail (auditors only; needs file access)."
    ),
) -> None:
    """Print one public leaf: the exact bytes hashed (base64) and the decoded JSON."""
    with _open(ctx) as audit:
        leaf = audit.log.leaf(index)
        out: dict[str, Any] = {
            "index": index,
            "leaf_b64": _b64(leaf),
            "leaf_hash": _b64(leaf_hash(leaf)),
            "leaf": parse_leaf(leaf),
        }
        if detail:
            found = audit.log.detail(index)
            out["detail"] = {"at": found.at, "salt_b64": _b64(found.salt)}
            if found.destroyed:
                out["detail"] |= {
                    "destroyed": f"with its day key {found.sealed_with} (the read expired)",
                    "commitment_opens": None,
                }
            else:
                out["detail"] |= {"private": found.private, "commitment_opens": True}
        print_json(out)


@app.command()
def verify(
    ctx: typer.Context,
    from_checkpoint: list[Path] = typer.Option(
        [],
        "--from-checkpoint",
        exists=True,
        dir_okay=False,
        help="A signed checkpoint saved earlier (e.g. by a witness or the public); the log "
        "must still contain it. Repeatable.",
    ),
    vkey: str | None = typer.Option(
        None,
        "--vkey",
        help="Verifier key to check signatures with, or @FILE holding it (default: the key "
        "next to the log; pass the published one to rule out a replaced key).",
    ),
    details: bool = typer.Option(
        True, "--details/--no-details", help="Also open every private-detail commitment."
    ),
) -> None:
    """Recompute the tree from the entries and check every tile, checkpoint and commitment.

    Prints a JSON report; exits non-zero and names the first bad index on any failure.
    """
    with _open(ctx) as audit:
        verifier = _verifier(audit, vkey)
        external = []
        for path in from_checkpoint:
            try:
                external.append((f"checkpoint file {path}", path.read_text(encoding="utf-8")))
            except (OSError, UnicodeDecodeError) as exc:
                raise InputError(f"cannot read {path}: {exc}", field="--from-checkpoint") from exc
        with progress(transient=True) as bar:
            task = bar.add_task("verifying the audit log", total=audit.log.size)
            report = verify_log(
                audit.log,
                verifier,
                audit.checkpoints(),
                external=external,
                details=details,
                progress=lambda done: bar.update(task, completed=done),
            )
        print_json(report.to_json())
        report.raise_for_problems()


def _verifier(audit: AuditService, vkey: str | None) -> NoteVerifier | None:
    if vkey is None:
        return audit.verifier if audit.signer else None
    text = vkey
    if vkey.startswith("@"):
        try:
            text = Path(vkey[1:]).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise InputError(f"cannot read {vkey[1:]}: {exc}", field="--vkey") from exc
    return NoteVerifier(text)


@app.command("export")
def export_cmd(
    ctx: typer.Context,
    fmt: str = typer.Option(
        "jsonl",
        "--format",
        help="jsonl or csv: the public log; flock-csv: the 13 Flock audit columns joined "
        "with the private detail store (auditors only).",
    ),
    out: Path | None = typer.Option(
        None, "--out", dir_okay=False, help="File to write (default: standard output)."
    ),
    start: int = typer.Option(0, "--start", min=0, help="First entry index to export."),
    end: int | None = typer.Option(None, "--end", min=0, help="Stop before this entry index."),
) -> None:
    """Export the log as JSONL or CSV, or as a Flock-compatible audit CSV."""
    if fmt not in FORMATS:
        raise InputError(f"unknown format {fmt!r}; use one of {', '.join(FORMATS)}", field="format")
    with _open(ctx) as audit:
        total = (audit.log.size if end is None else min(end, audit.log.size)) - start
        handle = sys.stdout if out is None else out.open("w", encoding="utf-8", newline="")
        try:
            with progress(transient=True) as bar:
                task = bar.add_task(f"exporting {fmt}", total=max(total, 0))
                rows = export(
                    audit.log,
                    handle,
                    fmt,
                    start=start,
                    end=end,
                    progress=lambda done: bar.update(task, completed=done),
                )
        finally:
            if out is not None:
                handle.close()
    err_console.print(f"exported {rows} rows")


@app.command("vkey")
def vkey_cmd(ctx: typer.Context) -> None:
    """Print the verifier key of the log's checkpoints (creating the signing key if needed)."""
    conf = settings(ctx)
    directory = conf.data_dir / AUDIT_DIR
    directory.mkdir(parents=True, exist_ok=True)
    signer = load_or_create_signer(directory / KEY_FILE, default_origin(conf.agency_id))
    typer.echo(signer.vkey)


def register(root: typer.Typer) -> None:
    """Adds ``audit`` to the ``trustlpr`` command."""
    root.add_typer(app, name="audit")
