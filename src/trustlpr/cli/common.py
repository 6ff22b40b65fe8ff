"""What every command shares: the settings from ``--data-dir``, consoles, and progress bars."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from ..audit import open_audit
from ..core.errors import AuditError, ConfigError
from ..core.events import AuditEvent, AuditSink
from ..runtime import node_read_keys
from ..settings import Settings

console = Console()
err_console = Console(stderr=True)


@dataclass
class CliState:
    data_dir: Path


def settings(ctx: typer.Context, **overrides: Any) -> Settings:
    """Settings for the data directory chosen with the global ``--data-dir`` option."""
    root = ctx.find_root()
    state = root.obj if isinstance(root.obj, CliState) else None
    return Settings.load(state.data_dir if state else None, **overrides)


def progress(*, transient: bool = False) -> Progress:
    """A progress bar on stderr, so stdout stays clean for JSON output."""
    return Progress(
        SpinnerColumn(),
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=err_console,
        transient=transient,
    )


def print_json(value: Any) -> None:
    """One JSON document on stdout, unstyled, for machines."""
    typer.echo(json.dumps(value, sort_keys=True, default=str))


class NoWrites:
    """Audit sink of read-only commands: not opening the log lets them run while
    ``trustlpr serve`` holds it; an append would be a bug, so it fails loudly."""

    def append(self, event: AuditEvent) -> int:
        raise AuditError(f"a read-only command tried to record {event.type.value}")

    def append_many(self, events: Sequence[AuditEvent]) -> list[int]:
        raise AuditError("a read-only command tried to write to the audit log")


def require_initialised(cfg: Settings) -> None:
    if not cfg.config_path.is_file():
        raise ConfigError(
            f"{cfg.data_dir} is not initialised; run `trustlpr --data-dir {cfg.data_dir} init`"
        )


@contextmanager
def audit_for(cfg: Settings, *, changes: bool) -> Iterator[AuditSink]:
    """The node's audit log when the command changes something, else a sink refusing writes."""
    require_initialised(cfg)
    if not changes:
        yield NoWrites()
        return
    keys = node_read_keys(cfg)
    with open_audit(cfg.data_dir, agency_id=cfg.agency_id, detail_keys=keys) as audit:
        yield audit
