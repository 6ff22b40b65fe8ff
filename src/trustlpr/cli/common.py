"""What every command shares: the settings from ``--data-dir``, the node from the composition
root (read-only or writer), signing with ``--token``/``--as``, consoles, tables, progress bars."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console, ConsoleDimensions
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from ..core.errors import AuthError, InputError
from ..core.identity import User
from ..identity import IdentityStore
from ..runtime import Node, System, open_readonly
from ..settings import Settings

PIPE_WIDTH = 1000


class _Console(Console):
    """A console whose messages are one line whatever the terminal (``soft_wrap``: scripts
    grep for them), and whose tables fit a terminal's width but are never cut short when the
    output goes to a pipe or a file, whatever ``COLUMNS`` says."""

    def __init__(self, *, stderr: bool = False) -> None:
        super().__init__(stderr=stderr, soft_wrap=True)

    @property
    def size(self) -> ConsoleDimensions:
        if not self.is_terminal:
            return ConsoleDimensions(PIPE_WIDTH, 25)
        return super().size

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        self._width, self._height = new_size


console = _Console()
err_console = _Console(stderr=True)


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


@contextmanager
def writer(ctx: typer.Context) -> Iterator[System]:
    """The node opened for writing, from the composition root: commands that change
    something (they hold the audit log's writer lock, so ``serve`` must not be running)."""
    with System(settings(ctx)) as system:
        yield system


@contextmanager
def reader(ctx: typer.Context) -> Iterator[Node]:
    """The node opened read-only, from the composition root: commands that only read, which
    run while ``trustlpr serve`` holds the writer lock."""
    with open_readonly(settings(ctx)) as node:
        yield node


@contextmanager
def identity_store(
    ctx: typer.Context, *, changes: bool = True
) -> Iterator[tuple[IdentityStore, Settings]]:
    """The node's identity store and settings, from the writer (``changes``) or a read-only
    opening."""
    with writer(ctx) if changes else reader(ctx) as node:
        yield node.identity, node.settings


# -- signing a command: --token or --as ----------------------------------------------------

Token = Annotated[
    str | None,
    typer.Option(
        "--token",
        envvar="TRUSTLPR_TOKEN",
        show_envvar=True,
        help="API token of the signed-in user.",
    ),
]
AsUser = Annotated[
    str | None, typer.Option("--as", help="Sign in as this user; asks for the password.")
]
Json = Annotated[bool, typer.Option("--json", help="Print JSON (for scripts) instead of text.")]


def actor_of(identity: IdentityStore, token: str | None, as_user: str | None) -> User | None:
    """The user signing a command (``--token`` or ``--as`` with a password prompt), or
    ``None`` when neither was given."""
    if token and as_user:
        raise InputError("give either --token or --as, not both", field="--as")
    if token:
        return identity.authenticate(token)[0]
    if as_user:
        password = typer.prompt(f"Password for {as_user}", hide_input=True, err=True)
        return identity.verify_password(as_user, password)[0]
    return None


def signed(identity: IdentityStore, token: str | None, as_user: str | None) -> User:
    """The signing user; ``AuthError`` when the command was not signed (as the web's 401)."""
    actor = actor_of(identity, token, as_user)
    if actor is None:
        raise AuthError("sign in with --token (or TRUSTLPR_TOKEN) or --as USER")
    return actor


def is_id_column(name: str) -> bool:
    """Columns holding what the next command needs (``id``, ``camera_id``, ``request_id``…)."""
    return name == "id" or name.endswith("_id")


def new_table(title: str | None, columns: Sequence[str]) -> Table:
    """A table whose id columns are never cut to "…": the other columns give way first.
    (Output to a pipe or a file is never cut at all: see ``_Console``.)"""
    shown = Table(title=title)
    for column in columns:
        if is_id_column(column):
            shown.add_column(column, no_wrap=True, overflow="fold")
        else:
            shown.add_column(column)
    return shown


def table(title: str, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """Rows as a table on stdout (``--json`` is the form for machines)."""
    shown = new_table(title, columns)
    for row in rows:
        shown.add_row(*("" if v is None else str(v) for v in row))
    console.print(shown)
