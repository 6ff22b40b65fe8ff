"""The ``trustlpr`` command: a global ``--data-dir`` and one sub-command module per area."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from typer.core import TyperGroup

from ..core.errors import TrustLPRError
from ..settings import DEFAULT_DATA_DIR
from .common import CliState, err_console

GLOBAL_OPTIONS = ("--data-dir",)


def hoist_global_options(args: list[str]) -> list[str]:
    """Moves a global option given after the command (``trustlpr audit recompute-stats
    --data-dir node``) in front of it, where click looks for it: no command has an option of
    that name, so it can only mean the global one. Nothing after ``--`` is touched."""
    front: list[str] = []
    rest: list[str] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg == "--":
            rest.extend(args[i:])
            break
        if arg.split("=", 1)[0] in GLOBAL_OPTIONS and ("=" in arg or i + 1 < len(args)):
            width = 1 if "=" in arg else 2
            front.extend(args[i : i + width])
            i += width
            continue
        (rest if rest or not arg.startswith("-") else front).append(arg)
        i += 1
    return front + rest


class _Group(TyperGroup):
    """Turns a ``TrustLPRError`` into a one-line message and its exit code, never a traceback;
    usage errors (a missing option, a bad value) are one line too, not a boxed panel that
    wraps with the terminal."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        return super().parse_args(ctx, hoist_global_options(args))

    def invoke(self, ctx: Any) -> Any:
        try:
            return super().invoke(ctx)
        except TrustLPRError as exc:
            err_console.print(f"[bold red]error:[/] {escape(exc.message)}", highlight=False)
            raise typer.Exit(exc.exit_code) from None

    def main(self, *args: Any, **kwargs: Any) -> Any:
        if not kwargs.get("standalone_mode", True):
            return super().main(*args, **kwargs)
        kwargs["standalone_mode"] = False
        try:
            result = super().main(*args, **kwargs)
        except typer.TyperException as exc:  # click's usage errors (typer vendors click)
            message = exc.format_message().strip()
            if message:  # (empty: the help was shown for a bare command)
                context = getattr(exc, "ctx", None)
                hint = f" (see `{context.command_path} --help`)" if context is not None else ""
                err_console.print(
                    f"[bold red]error:[/] {escape(message)}{escape(hint)}", highlight=False
                )
            sys.exit(exc.exit_code)
        except typer.Abort:
            err_console.print("aborted", highlight=False)
            sys.exit(1)
        sys.exit(result if isinstance(result, int) else 0)


app = typer.Typer(
    cls=_Group,
    name="trustlpr",
    help="TrustLPR: a license plate reader system whose privacy rules are enforced by the "
    "software and checkable by the public.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode="markdown",
)


@app.callback()
def _root(
    ctx: typer.Context,
    data_dir: Path = typer.Option(
        DEFAULT_DATA_DIR,
        "--data-dir",
        envvar="TRUSTLPR_DATA_DIR",
        help="Data directory holding keys, reads, the audit log and configuration.",
        show_default=True,
    ),
) -> None:
    ctx.obj = CliState(data_dir=data_dir)


def _register() -> None:
    # One line per command module; each module owns its commands.
    from . import demo_cmds, search_cmds, serve_cmds, store_cmds

    store_cmds.register(app)
    serve_cmds.register(app)
    demo_cmds.register(app)
    search_cmds.register(app)
    from . import owner_cmds

    owner_cmds.register(app)
    from . import federation_cmds, identity_cmds, protected_cmds, sharing_cmds

    identity_cmds.register(app)
    sharing_cmds.register(app)
    federation_cmds.register(app)
    protected_cmds.register(app)
    from . import audit_cmds

    audit_cmds.register(app)
    from . import transparency_cmds

    transparency_cmds.register(app)
    from . import report_cmds

    report_cmds.register(app)
    from . import policy_cmds

    policy_cmds.register(app)
    from . import hotlist_cmds

    hotlist_cmds.register(app)
    from . import sim_cmds

    sim_cmds.register(app)
    from . import camera_cmds, mqtt_cmds

    camera_cmds.register(app)
    mqtt_cmds.register(app)
    from . import oversight_cmds

    oversight_cmds.register(app)
    from . import recognize_cmds

    recognize_cmds.register(app)


_register()


def main() -> None:
    app()
