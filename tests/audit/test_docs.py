"""Docs stay honest: every audit command, option, route, public field and file is documented,
and the package's public surface does not grow by accident."""

from __future__ import annotations

from pathlib import Path

from typer.main import get_command

import trustlpr.audit
from trustlpr.audit.leaf import PUBLIC_FIELDS
from trustlpr.cli.audit_cmds import app
from trustlpr.core.events import EventType
from trustlpr.web.log import router

app_module = "trustlpr.cli.audit_cmds"
DOC = (Path(__file__).resolve().parents[2] / "docs" / "audit.md").read_text(encoding="utf-8")


def test_every_command_and_option_is_documented() -> None:
    group = get_command(app)
    commands = {  # commands other packages attach to `audit` are documented by them
        name: command
        for name, command in getattr(group, "commands", {}).items()
        if command.callback is not None and command.callback.__module__ == app_module
    }
    assert len(commands) == 7
    for name, command in commands.items():
        assert f"trustlpr audit {name}" in DOC, name
        for param in command.params:
            for flag in getattr(param, "opts", []) + getattr(param, "secondary_opts", []):
                if flag.startswith("--") and flag != "--help":
                    assert flag in DOC, (name, flag)


def test_every_route_is_documented() -> None:
    for route in router.routes:
        path = getattr(route, "path", "")
        documented = path.replace("{path:path}", "<L>/<N>")
        assert documented.split("?")[0] in DOC, path


def test_every_public_field_and_event_type_is_documented() -> None:
    for key in PUBLIC_FIELDS:
        assert f"`{key}`" in DOC, key
    for kind in EventType:
        assert f"`{kind.value}`" in DOC, kind


def test_every_file_is_documented() -> None:
    for name in ("entries.bin", "entries.idx", "tiles.synced", "detail.db", "log.key",
                 "checkpoints.jsonl", "`lock`", "torn/", "witness-logs.txt", "witness.key",
                 "witness.db"):  # fmt: skip
        assert name in DOC, name


def test_public_surface() -> None:
    assert sorted(trustlpr.audit.__all__) == sorted(
        [
            "PUBLIC_FIELDS",
            "AuditLog",
            "AuditService",
            "Checkpoint",
            "Checkpointer",
            "Detail",
            "DetailKeys",
            "NoteSigner",
            "NoteVerifier",
            "SignedCheckpoint",
            "VerifyReport",
            "canonical_json",
            "leaf_hash",
            "open_audit",
            "parse_checkpoint",
            "parse_leaf",
            "verify_consistency",
            "verify_cosignature",
            "verify_inclusion",
            "verify_log",
        ]
    )
    for name in trustlpr.audit.__all__:
        assert getattr(trustlpr.audit, name) is not None
