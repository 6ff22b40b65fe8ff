"""What every command shares: the settings from ``--data-dir``, consoles, and progress bars."""

from __future__ import annotations

import json
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
