"""docs/portal.md keeps up: every option of recompute-stats, every figure group, every route."""

from __future__ import annotations

from pathlib import Path

from starlette.routing import Route
from typer.main import get_command

from trustlpr.cli.main import app as cli
from trustlpr.transparency import Tally
from trustlpr.web.console import router as console
from trustlpr.web.portal import router as portal

DOC = (Path(__file__).resolve().parents[2] / "docs" / "portal.md").read_text(encoding="utf-8")


def test_every_option_of_recompute_stats_is_documented() -> None:
    audit = get_command(cli).commands["audit"]  # type: ignore[attr-defined]
    command = audit.commands["recompute-stats"]
    options = [o for p in command.params for o in p.opts if o.startswith("--")]
    assert options and all(f"`{o}" in DOC for o in options if o != "--help"), options


def test_every_figure_group_is_documented() -> None:
    for group, value in Tally().figures().items():
        if group == "window":
            continue
        keys = value if isinstance(value, dict) and group not in ("events",) else {}
        assert f"`{group}" in DOC, group
        for key in keys:
            assert f"{group}.{key}" in DOC or f".{key}" in DOC, f"{group}.{key}"


def test_every_page_and_console_route_is_documented() -> None:
    paths = {r.path for r in [*portal.routes, *console.routes] if isinstance(r, Route)}
    for path in paths:
        shown = path.replace("{name}", "<name>")
        assert f"`{shown}" in DOC, path
