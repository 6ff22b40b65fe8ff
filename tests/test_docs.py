"""Docs stay honest: every command, and every policy shipped, is documented."""

from __future__ import annotations

from pathlib import Path

import typer.main

from trustlpr.cli import app
from trustlpr.policy import list_policies

ROOT = Path(__file__).resolve().parents[1]


def _docs() -> str:
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
    return "\n".join(p.read_text(encoding="utf-8") for p in pages)


def _command_paths() -> list[str]:
    root = typer.main.get_command(app)
    paths: list[str] = []

    def walk(command: object, prefix: str) -> None:
        children = getattr(command, "commands", None)
        if not children:
            paths.append(prefix)
            return
        for name, child in children.items():
            walk(child, f"{prefix} {name}".strip())

    walk(root, "")
    return paths


def test_every_command_is_documented() -> None:
    text = _docs()
    missing = [p for p in _command_paths() if f"trustlpr {p}" not in text]
    assert not missing, f"commands without documentation: {missing}"


def test_every_shipped_policy_is_named_in_the_docs() -> None:
    text = _docs()
    assert [p for p in list_policies() if p not in text] == []


def test_readme_starts_with_the_two_commands() -> None:
    head = (ROOT / "README.md").read_text(encoding="utf-8")[:400]
    assert "make demo" in head and "make test" in head
